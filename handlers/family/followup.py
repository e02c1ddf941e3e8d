"""Follow-up after the support-measure results: «Did you manage to apply?», why not, and the reminders switch.

The question itself is sent by the scheduler (bot/jobs/followup.py) with :func:`question`; the taps on it come
here. Everything is recorded by bot/services/followup.py.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import CallbackQuery
from aiogram.utils.i18n import gettext as _

from bot.db.session import AsyncSession
from bot.middlewares.context import UserContext
from bot.services import followup
from bot.services.catalog import Catalog
from bot.views.callbacks import FollowUpAnswer, FollowUpReason, MsM, Setting
from bot.views.family import family_kb, settings_kb, settings_text
from bot.views.followup import measures_of
from bot.views.measures import measure_code
from bot.views.ui import Row, chunk, show

router = Router(name="family.followup")

ANSWER_CODES = {"got": "got_it", "wait": "applied_waiting", "refused": "refused", "no": "not_applied"}
REASON_CODES = {"how": "didnt_know_how", "docs": "documents", "time": "no_time", "other": "other"}
HOW_TO_BUTTONS = 6  # «how to apply» buttons after «did not know how» / «documents»


# --- the answers ----------------------------------------------------------------------------------------------


async def refuse(call: CallbackQuery) -> None:
    await call.answer(_("This button no longer works."), show_alert=True)


async def not_recorded(call: CallbackQuery, recorded: followup.Recorded) -> None:
    if recorded.outcome == "already":
        await call.answer(_("We already have your answer. Thank you!"))
    else:
        await refuse(call)


def thanks_text(answer: str) -> str:
    return {
        "got_it": _("How wonderful, we are glad for you! Thank you for letting us know."),
        "applied_waiting": _(
            "Thank you! We hope the answer comes soon. If it is a refusal or the wait drags on, a social "
            "consultant can help: «Talk to a specialist» in the menu."
        ),
        "refused": _(
            "We are sorry it turned out this way. A refusal can sometimes be appealed, or other measures may "
            "suit you. A social consultant can help you sort it out: «Talk to a specialist» in the menu."
        ),
    }[answer]


def reason_rows(followup_id: int) -> list[Row]:
    return [
        [(_("Did not know how"), FollowUpReason(id=followup_id, r="how"))],
        [(_("Trouble with documents"), FollowUpReason(id=followup_id, r="docs"))],
        [(_("No time"), FollowUpReason(id=followup_id, r="time"))],
        [(_("Something else"), FollowUpReason(id=followup_id, r="other"))],
    ]


@router.callback_query(FollowUpAnswer.filter(F.a == "stop"))
async def stop(
    call: CallbackQuery, callback_data: FollowUpAnswer, ctx: UserContext, session: AsyncSession
) -> None:
    family = ctx.family if ctx.consented else None
    if family is None or not await followup.is_own(session, family, callback_data.id):
        await refuse(call)
        return
    await followup.set_reminders(session, family, off=True)
    await call.answer(_("Reminders are off."))
    await show(
        call,
        _("All right, we will not send such reminders any more. You can turn them back on in Settings."),
        family_kb(ctx),
    )


@router.callback_query(FollowUpAnswer.filter())
async def answered(
    call: CallbackQuery, callback_data: FollowUpAnswer, ctx: UserContext, session: AsyncSession
) -> None:
    answer = ANSWER_CODES.get(callback_data.a)
    if answer is None:
        await refuse(call)
        return
    recorded = await followup.record_answer(session, ctx.family, callback_data.id, answer)
    if not recorded.ok:
        await not_recorded(call, recorded)
        return
    await call.answer()
    if answer == followup.NOT_APPLIED:
        text = _("Thank you for telling us. What got in the way?")
        await show(call, text, family_kb(ctx, *reason_rows(callback_data.id)))
        return
    await show(call, thanks_text(answer), family_kb(ctx))


@router.callback_query(FollowUpReason.filter())
async def reason_given(
    call: CallbackQuery,
    callback_data: FollowUpReason,
    ctx: UserContext,
    session: AsyncSession,
    catalog: Catalog,
) -> None:
    reason = REASON_CODES.get(callback_data.r)
    if reason is None:
        await refuse(call)
        return
    recorded = await followup.record_reason(session, ctx.family, callback_data.id, reason)
    if not recorded.ok or recorded.followup is None:
        await not_recorded(call, recorded)
        return
    await call.answer()
    lang = ctx.locale
    parts = [_("Thank you, this really helps us.")]
    rows: list[Row] = []
    if reason in ("didnt_know_how", "documents"):
        found = measures_of(recorded.followup.measure_ids, catalog.measures)[:HOW_TO_BUTTONS]
        if found:
            parts.append(
                _("Here is how to apply, step by step, with the list of documents. Choose a measure:")
            )
            rows = chunk([(m.title.get(lang), MsM(v="h", f="b", m=measure_code(m.id))) for m in found], 1)
        else:
            parts.append(_("Step-by-step instructions are in «Support measures» in the menu."))
    elif reason == "no_time":
        parts.append(
            _(
                "Many measures can be applied for on Gosuslugi in a few minutes, at any time of day. "
                "When it suits you, the steps are in «Support measures» in the menu."
            )
        )
    else:
        parts.append(
            _("If you like, a social consultant can help you apply: «Talk to a specialist» in the menu.")
        )
    await show(call, "\n\n".join(parts), family_kb(ctx, *rows))


# --- the switch in the settings -----------------------------------------------------------------------------


@router.callback_query(Setting.filter(F.name == "reminders"))
async def toggle_reminders(
    call: CallbackQuery, ctx: UserContext, session: AsyncSession, catalog: Catalog
) -> None:
    if not ctx.consented:
        await refuse(call)
        return
    off = not ctx.family.reminders_off
    await followup.set_reminders(session, ctx.family, off=off)
    await call.answer(_("Reminders are off.") if off else _("Reminders are on."))
    await show(call, settings_text(ctx, catalog), settings_kb(ctx))
