"""A family's own requests: close or reopen one, rate the help, answer the crisis check-in."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot.config import Settings
from bot.db.models import Case
from bot.db.session import AsyncSession
from bot.db.statuses import CaseStatus
from bot.i18n import locale_scope
from bot.middlewares.context import UserContext
from bot.services import cases, desk, relay
from bot.services.audit import audit
from bot.services.catalog import Catalog
from bot.services.desk import hand_off
from bot.views.callbacks import CheckIn, Nav, Rate, Req
from bot.views.family import family_kb, urgent_help_text
from bot.views.ui import kb, show
from handlers.family.common import end_flow

router = Router(name="family.requests")


class Feedback(StatesGroup):
    comment = State()


async def own_case(session: AsyncSession, ctx: UserContext, case_id: int) -> Case | None:
    """The family's own request, or None — never another family's."""
    if not ctx.consented:
        return None
    return await cases.of_family(session, ctx.family.id, case_id)


@router.callback_query(Req.filter())
async def close_or_reopen(
    call: CallbackQuery,
    callback_data: Req,
    ctx: UserContext,
    session: AsyncSession,
    desk_chats: desk.DeskChats,
    settings: Settings,
    i18n,
) -> None:
    case = await own_case(session, ctx, callback_data.case)
    if case is None or callback_data.a not in ("close", "reopen"):
        await call.answer(_("This button no longer works."), show_alert=True)
        return
    try:
        if callback_data.a == "close":
            await desk.close(
                session, case, actor_tg_id=call.from_user.id, role="family", checkin_after=_never()
            )
            with locale_scope(i18n, settings.default_locale):
                staff_text = _("ℹ️ The family closed the request.")
            family_text = _("Request № {number} is closed. If you need us again, just write here.")
        else:
            await desk.reopen(session, case, actor_tg_id=call.from_user.id, role="family")
            await hand_off(session, case, desk_chats, notify_staff=False)
            with locale_scope(i18n, settings.default_locale):
                staff_text = _("ℹ️ The family reopened the request: it is back in the queue.")
            family_text = _("Request № {number} is open again. Write here what you need.")
    except cases.TransitionError:
        await call.answer(_("This cannot be done now."), show_alert=True)
        return
    await call.answer()
    relay.enqueue_text(session, case, target="staff", text=staff_text)
    relay.sync_topic(session, case)
    await show(
        call, family_text.format(number=case.id), family_kb(ctx, [(_("My requests"), Nav(to="requests"))])
    )


def _never():
    from datetime import timedelta

    return timedelta(0)


@router.callback_query(Rate.filter())
async def rate(
    call: CallbackQuery, callback_data: Rate, ctx: UserContext, session: AsyncSession, state: FSMContext
) -> None:
    case = await own_case(session, ctx, callback_data.case)
    if case is None or case.status != CaseStatus.CLOSED or not 1 <= callback_data.v <= 5:
        await call.answer(_("This button no longer works."), show_alert=True)
        return
    await call.answer(_("Thank you!"))
    case.rating = callback_data.v
    await audit(
        session,
        actor_tg_id=call.from_user.id,
        role="family",
        action="case.rated",
        obj=("case", case.id),
        details={"rating": callback_data.v},
    )
    await state.set_state(Feedback.comment)
    await state.update_data(feedback_case=case.id)
    await show(
        call,
        _("Thank you for the rating. Would you like to add a few words? Just write them here."),
        kb([(_("No, thank you"), Nav(to="menu"))]),
    )


@router.message(Feedback.comment, F.text, ~F.text.startswith("/"))
async def comment(message: Message, ctx: UserContext, session: AsyncSession, state: FSMContext) -> None:
    data = await state.get_data()
    await end_flow(state)
    case = await own_case(session, ctx, int(data.get("feedback_case") or 0))
    if case is not None:
        case.comment = (message.text or "")[:2000]
    await message.answer(_("Thank you, we have passed it on."), reply_markup=family_kb(ctx))


@router.callback_query(CheckIn.filter())
async def check_in(
    call: CallbackQuery,
    callback_data: CheckIn,
    ctx: UserContext,
    session: AsyncSession,
    catalog: Catalog,
    settings: Settings,
    desk_chats: desk.DeskChats,
    i18n,
) -> None:
    case = await own_case(session, ctx, callback_data.case)
    if case is None or callback_data.a not in ("safe", "help"):
        await call.answer(_("This button no longer works."), show_alert=True)
        return
    await call.answer()
    await audit(
        session,
        actor_tg_id=call.from_user.id,
        role="family",
        action="case.checkin",
        obj=("case", case.id),
        details={"answer": callback_data.a},
    )
    if callback_data.a == "safe":
        await show(
            call,
            _("We are glad. If anything changes, write here at any time or call 112."),
            family_kb(ctx),
        )
        return
    if case.status == CaseStatus.CLOSED:
        await desk.reopen(session, case, actor_tg_id=call.from_user.id, role="family")
    case.urgency = "emergency"
    await hand_off(session, case, desk_chats, notify_staff=False)
    with locale_scope(i18n, settings.default_locale):
        staff_text = _("⚠️ Check-in: the family says it needs help again.")
    relay.enqueue_text(session, case, target="staff", text=staff_text)
    relay.sync_topic(session, case)
    text = _("We have passed this on to the crisis centre: a specialist will write to you here.")
    await show(call, text + "\n\n" + urgent_help_text(catalog, ctx), family_kb(ctx))
