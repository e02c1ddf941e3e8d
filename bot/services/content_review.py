"""What in data/ is past its review date, and the coordinators' re-checks.

Every dated item of the content has a `review_by` date: a support measure (the date its figures are next expected
to change), an organisation, a region's contact block, a reference table. Past that date the item is due: the
weekly digest and `/content` list it with where to check it, and `python -m bot check --stale` prints it. A
coordinator who re-checked it against its source marks it (`content_rechecks`, with a note; audited): it leaves the
list until the next review date they give. Correcting the file itself goes through `python -m bot import … --dry-run`.
No Telegram here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import ContentDigest, ContentRecheck
from bot.services import content as content_mod
from bot.services import measures as ms
from bot.services.audit import audit

DEFAULT_NEXT_REVIEW_DAYS = 90
KINDS = ("measure", "reference", "organisation", "region")


@dataclass(frozen=True, slots=True)
class ReviewItem:
    key: str  # «measure:matkapital», «organisation:sfr-contact-centre», «region:RU-PNZ.crisis_centre»
    kind: str  # one of KINDS
    title: str  # in Russian: the name coordinators know it by
    file: str  # the data file, relative to data/
    review_by: date
    where: str  # where to check it: the official page or the check_where text

    @property
    def id(self) -> str:
        return self.key.split(":", 1)[1]


def review_items(data_dir: Path) -> list[ReviewItem]:
    """Every dated item of the shipped content (the data must be valid: `python -m bot check`)."""
    data_dir = Path(data_dir)
    items: list[ReviewItem] = []
    cat = ms.load_catalogue(data_dir)
    for mid, m in cat.measures.items():
        path = cat.files.get(mid)
        where = m.links[0].url if m.links else m.check_where.ru
        items.append(
            ReviewItem(f"measure:{mid}", "measure", m.title.ru, _rel(path, data_dir), m.review_by, where)
        )
    for year, table in cat.pm.items():
        items.append(
            ReviewItem(
                f"reference:pm_{year}",
                "reference",
                f"Прожиточный минимум {year}",
                f"reference/pm_{year}.yaml",
                table.review_by,
                table.federal.check_where.ru,
            )
        )
    for year, params in cat.federal_params.items():
        items.append(
            ReviewItem(
                f"reference:federal_{year}",
                "reference",
                f"Федеральные параметры {year}",
                f"reference/federal_{year}.yaml",
                params.review_by,
                "pravo.gov.ru, sfr.gov.ru",
            )
        )
    content = content_mod.load_content(data_dir)
    for org in content.organisations:
        items.append(
            ReviewItem(
                f"organisation:{org.id}",
                "organisation",
                org.name.ru,
                content_mod.ORGANISATIONS_FILE,
                org.review_by,
                org.url or org.source,
            )
        )
    for region in content.regions.values():
        for label in ("family_resource_centre", "crisis_centre"):
            block = getattr(region, label, None)
            if block is None or block.review_by is None:
                continue
            items.append(
                ReviewItem(
                    f"region:{region.code}.{label}",
                    "region",
                    f"{region.name.ru}: {label}",
                    content_mod.REGIONS_FILE,
                    block.review_by,
                    block.url or block.source or "",
                )
            )
    return items


def _rel(path: Path | None, data_dir: Path) -> str:
    if path is None:
        return ""
    try:
        return str(Path(path).resolve().relative_to(data_dir.resolve()))
    except ValueError:
        return str(path)


def past_review(items: list[ReviewItem], today: date) -> list[ReviewItem]:
    """The items whose review date has passed (the day itself is still in time): what families see first (support
    measures), then reference tables, organisations and regional contacts; oldest first within each."""
    return sorted(
        (i for i in items if i.review_by < today), key=lambda i: (KINDS.index(i.kind), i.review_by, i.key)
    )


async def rechecked_until(session: AsyncSession) -> dict[str, date]:
    """For each re-checked item, the latest next-review date a coordinator gave."""
    rows = await session.execute(
        select(ContentRecheck.item_key, func.max(ContentRecheck.next_review)).group_by(
            ContentRecheck.item_key
        )
    )
    return {key: until for key, until in rows.all()}


async def due(session: AsyncSession, items: list[ReviewItem], today: date) -> list[ReviewItem]:
    """Past review and not re-checked for a later date."""
    until = await rechecked_until(session)
    return [i for i in past_review(items, today) if until.get(i.key, date.min) < today]


def counts(items: list[ReviewItem]) -> dict[str, int]:
    out = {k: 0 for k in KINDS}
    for i in items:
        out[i.kind] += 1
    return out


def find(items: list[ReviewItem], key_or_id: str) -> ReviewItem | None:
    """By its full key («measure:matkapital») or, when unambiguous, by its id alone («matkapital»)."""
    exact = [i for i in items if i.key == key_or_id]
    if exact:
        return exact[0]
    by_id = [i for i in items if i.id == key_or_id]
    return by_id[0] if len(by_id) == 1 else None


async def mark_rechecked(
    session: AsyncSession,
    item: ReviewItem,
    *,
    note: str,
    today: date,
    next_review: date | None = None,
    actor_tg_id: int | None,
    role: str | None,
) -> ContentRecheck:
    """Record that a coordinator re-checked the item (audited). The caller commits."""
    until = next_review or today + timedelta(days=DEFAULT_NEXT_REVIEW_DAYS)
    row = ContentRecheck(
        item_key=item.key, checked_on=today, next_review=until, note=note.strip(), by_tg_id=actor_tg_id
    )
    session.add(row)
    await audit(
        session,
        actor_tg_id=actor_tg_id,
        role=role,
        action="content.rechecked",
        obj=("content", item.key),
        details={"note": note.strip(), "checked_on": today.isoformat(), "next_review": until.isoformat()},
    )
    return row


def week_key(today: date) -> str:
    year, week, _ = today.isocalendar()
    return f"{year}-W{week:02d}"


async def claim_digest(session: AsyncSession, today: date, items: int) -> bool:
    """Claim this week's digest: True once per ISO week (across restarts and instances). Commits on success."""
    session.add(ContentDigest(week=week_key(today), items=items))
    try:
        await session.commit()
    except IntegrityError:
        await session.rollback()
        return False
    return True


def stale_report(items: list[ReviewItem], today: date) -> str:
    """The plain-text list `python -m bot check --stale` prints."""
    late = past_review(items, today)
    if not late:
        return f"nothing is past its review date on {today.isoformat()} ({len(items)} dated item(s))"
    c = counts(late)
    lines = [
        f"{len(late)} item(s) past their review date on {today.isoformat()}: "
        + ", ".join(f"{k} {n}" for k, n in c.items() if n)
    ]
    for i in late:
        lines.append(f"- {i.key} ({i.file}): review_by {i.review_by.isoformat()}; check: {i.where}")
    return "\n".join(lines)
