"""Texts of the stale-content digest and of /content (coordinators)."""

from __future__ import annotations

from datetime import date

from aiogram.utils.i18n import gettext as _
from aiogram.utils.markdown import html_decoration as hd

from bot.services.content_review import ReviewItem, counts
from bot.services.measures.engine import format_date

LIST_LIMIT = 30  # items listed in one message; the rest are counted
WHERE_LIMIT = 90
TEXT_BUDGET = 3400  # characters of the list: the whole message stays under Telegram's 4096 with the hint


def kind_label(kind: str) -> str:
    return {
        "measure": _("support measures"),
        "organisation": _("organisations"),
        "region": _("regional contacts"),
        "reference": _("reference tables"),
    }.get(kind, kind)


def counts_line(items: list[ReviewItem]) -> str:
    return " · ".join(f"{kind_label(k)}: {n}" for k, n in counts(items).items() if n)


def item_line(item: ReviewItem, locale: str) -> str:
    where = item.where if len(item.where) <= WHERE_LIMIT else item.where[: WHERE_LIMIT - 1] + "…"
    return _("• <b>{title}</b> (<code>{id}</code>) — due {date}; check: {where}").format(
        title=hd.quote(item.title),
        id=hd.quote(item.id),
        date=format_date(item.review_by, locale),
        where=hd.quote(where),
    )


def review_text(due: list[ReviewItem], total: int, today: date, locale: str, *, digest: bool) -> str:
    """The digest (a new message each week) and /content share this text."""
    head = _("<b>Weekly content check</b>") if digest else _("<b>Content past its review date</b>")
    if not due:
        return "\n".join(
            [
                head,
                _(
                    "Nothing is past its review date on {date}: {total} dated item checked.",
                    "Nothing is past its review date on {date}: {total} dated items checked.",
                    total,
                ).format(date=format_date(today, locale), total=total),
            ]
        )
    lines = [
        head,
        _(
            "On {date}, {n} item of {total} is past its review date:",
            "On {date}, {n} items of {total} are past their review date:",
            len(due),
        ).format(date=format_date(today, locale), n=len(due), total=total),
        counts_line(due),
        "",
    ]
    shown = 0
    size = sum(len(line) + 1 for line in lines)
    for item in due[:LIST_LIMIT]:
        line = item_line(item, locale)
        if size + len(line) > TEXT_BUDGET:
            break
        lines.append(line)
        size += len(line) + 1
        shown += 1
    if len(due) > shown:
        rest = len(due) - shown
        lines.append(_("…and {n} more.", "…and {n} more.", rest).format(n=rest))
    lines += [
        "",
        _(
            "Re-checked against the source and nothing changed? Mark it: <code>/content ok id what you checked</code> "
            "(the next review is in 90 days; put a date first to choose it: <code>/content ok id 2027-03-01 …</code>). "
            "A figure changed? Correct the file and load it with <code>python -m bot import … --dry-run</code> first."
        ),
    ]
    return "\n".join(lines)


def marked_text(item: ReviewItem, until: date, locale: str) -> str:
    return _("Marked as re-checked: <b>{title}</b>. Next review: {date}. Recorded in the audit log.").format(
        title=hd.quote(item.title), date=format_date(until, locale)
    )


def usage_text() -> str:
    return _(
        "To mark an item re-checked: <code>/content ok id what you checked</code>, for example "
        "<code>/content ok matkapital amounts compared with sfr.gov.ru</code>."
    )


def unknown_item_text(key: str) -> str:
    return _("There is no dated item «{key}». Send /content to see the list.").format(key=hd.quote(key))


# --- importing a corrected file ------------------------------------------------------------------------------


def import_usage_text() -> str:
    return _(
        "To load a corrected file, send it as a document (YAML or CSV, as <code>python -m bot export</code> writes "
        "it) with the caption <code>/content import organisations</code> or <code>/content import canned</code>. "
        "You will see what would change before anything is written."
    )


def import_plan_text(plan, *, dry_run: bool) -> str:
    head = _("<b>Dry run: nothing written yet</b>") if dry_run else _("<b>Written to data/</b>")
    lines = [
        head,
        _("{kind}: new {added}, changed {changed}, unchanged {unchanged}").format(
            kind=hd.quote(plan.kind),
            added=len(plan.added),
            changed=len(plan.changed),
            unchanged=len(plan.unchanged),
        ),
    ]
    if plan.added:
        lines.append(_("New: {ids}").format(ids=hd.quote(", ".join(plan.added))))
    if plan.changed:
        lines.append(_("Changed: {ids}").format(ids=hd.quote(", ".join(plan.changed))))
    if dry_run and not (plan.added or plan.changed):
        lines.append(_("The file changes nothing."))
    elif not dry_run:
        lines.append(_("The bot reads the new file after its next restart. Recorded in the audit log."))
    return "\n".join(lines)


def import_refused_text(errors: list[str]) -> str:
    shown = "\n".join(f"• {hd.quote(e)}" for e in errors[:10])
    return _("<b>The file was not loaded</b>: it does not pass the data check.") + "\n" + shown


def import_write_label() -> str:
    return _("Write")


def import_cancel_label() -> str:
    return _("Cancel")


def import_cancelled_text() -> str:
    return _("Cancelled: nothing was written.")


def import_stale_text() -> str:
    return _("This dry run is no longer current. Send the file again.")
