"""The follow-up question «Did you manage to apply?»: sent by the scheduler (bot/jobs/followup.py) in the
family's language; the taps on it are answered by handlers/family/followup.py."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.markdown import html_decoration as hd

from bot.services import followup
from bot.services import measures as ms
from bot.views.callbacks import FollowUpAnswer, Nav
from bot.views.ui import Row, kb

LISTED = 5  # measure names in the question


def measures_of(ids: list[str], cat: ms.Catalogue) -> list[ms.Measure]:
    """The measures still in the catalogue, in the order the family saw them."""
    return [cat.measures[i] for i in ids if i in cat.measures]


# --- the question (sent by the scheduler, in the family's language) ------------------------------------------


def answer_rows(followup_id: int) -> list[Row]:
    return [
        [(_("Yes, we get it"), FollowUpAnswer(id=followup_id, a="got"))],
        [(_("Applied, waiting"), FollowUpAnswer(id=followup_id, a="wait"))],
        [(_("We were refused"), FollowUpAnswer(id=followup_id, a="refused"))],
        [(_("Did not apply"), FollowUpAnswer(id=followup_id, a="no"))],
    ]


def question(due: followup.Due, cat: ms.Catalogue) -> tuple[str, InlineKeyboardMarkup]:
    """The text and buttons of the question. Discreet families get neutral words and no measure names."""
    stop: Row = [(_("No more such reminders"), FollowUpAnswer(id=due.id, a="stop"))]
    if due.discreet:
        text = _(
            "A short question about what you looked at here recently. Did it work out? One tap is enough."
        )
        return text, kb(*answer_rows(due.id), stop, [(_("Hide"), Nav(to="hide"))])
    lang = due.language
    found = measures_of(due.measure_ids, cat)
    lines = [f"• {hd.quote(m.title.get(lang))}" for m in found[:LISTED]]
    if len(found) > LISTED:
        lines.append(_("and {count} more").format(count=len(found) - LISTED))
    parts = [
        _("<b>How did it go with the support measures?</b>"),
        _("Some time ago you looked in the bot at what your family may be entitled to:")
        + "\n"
        + "\n".join(lines),
        _(
            "Did you manage to apply? One tap is enough: your answer helps us see what gets in the way "
            "of families."
        ),
    ]
    return "\n\n".join(parts), kb(*answer_rows(due.id), stop)
