"""«Как дела у семьи?» — the wellbeing check-in: one-tap questions, the family's own picture with help that fits,
the crisis way for a danger answer, sharing with the specialist, and the opt-in reminder.

Everything is recorded by bot/services/checkin.py; texts and keyboards are in bot/views/checkin.py; the reminder
is sent by bot/jobs/checkin.py.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery
from aiogram.utils.i18n import gettext as _

from bot.config import Settings
from bot.db.models import WellbeingCheckin
from bot.db.session import AsyncSession
from bot.middlewares.context import UserContext
from bot.services import checkin as ck
from bot.services import desk, records, relay
from bot.services.catalog import Catalog
from bot.views import checkin as views
from bot.views.callbacks import Nav
from bot.views.checkin import Wb
from bot.views.family import crisis_reply_text, discreet, family_kb, region_of
from bot.views.ui import show
from handlers.family.common import end_flow
from handlers.family.crisis import crisis_kb

log = logging.getLogger(__name__)
router = Router(name="family.checkin")


def every(settings: Settings) -> timedelta:
    return timedelta(days=settings.wellbeing_remind_days)


async def refuse(call: CallbackQuery) -> None:
    await call.answer(_("This button no longer works."), show_alert=True)


async def reminder_on(session: AsyncSession, family_id: int) -> bool:
    reminder = await ck.reminder_of(session, family_id)
    return bool(reminder and reminder.active)


@router.callback_query(Nav.filter(F.to == "checkin"))
async def intro(
    call: CallbackQuery, state: FSMContext, ctx: UserContext, session: AsyncSession, catalog: Catalog
) -> None:
    await end_flow(state)
    await call.answer()
    if not ctx.consented:
        await show(call, *views.consent_needed(ctx))
        return
    instrument = ck.load(catalog.data_dir)
    last = await ck.latest(session, ctx.family.id)
    text = views.intro_text(last, await reminder_on(session, ctx.family.id), len(instrument.questions))
    await show(call, text, views.intro_kb(ctx))


@router.callback_query(Wb.filter(F.a == "go"))
async def begin(call: CallbackQuery, ctx: UserContext, session: AsyncSession, catalog: Catalog) -> None:
    if not ctx.consented:
        await call.answer()
        await show(call, *views.consent_needed(ctx))
        return
    instrument = ck.load(catalog.data_dir)
    run = await ck.start(session, ctx.family, instrument)
    await call.answer()
    await show(
        call, views.question_text(instrument, 0, ctx.locale), views.question_kb(ctx, run.id, instrument, 0)
    )


@router.callback_query(Wb.filter(F.a == "ans"))
async def answered(
    call: CallbackQuery,
    callback_data: Wb,
    ctx: UserContext,
    session: AsyncSession,
    catalog: Catalog,
    settings: Settings,
) -> None:
    instrument = ck.load(catalog.data_dir)
    family = ctx.family if ctx.consented else None
    result = await ck.answer(session, family, callback_data.c, callback_data.q, callback_data.o, instrument)
    if result.outcome == "stale":
        await call.answer(_("This question is from an earlier screen."))
        return
    if result.outcome == "unknown" or result.run is None:
        await refuse(call)
        return
    await call.answer()
    run = result.run
    if result.outcome == "next" and result.next_index is not None:
        index = result.next_index
        await show(
            call,
            views.question_text(instrument, index, ctx.locale),
            views.question_kb(ctx, run.id, instrument, index),
        )
        return
    if result.outcome == "danger":
        await danger(call, ctx, session, catalog, run, result.danger or "")
        return
    await ck.run_finished(session, ctx.family, every(settings))
    await show_results(call, ctx, session, catalog, run)


async def danger(
    call: CallbackQuery,
    ctx: UserContext,
    session: AsyncSession,
    catalog: Catalog,
    run: WellbeingCheckin,
    category: str,
) -> None:
    """A danger answer: the questions stop and the family gets the crisis reply at once, as for a danger word."""
    records.record_crisis(
        session, family_id=ctx.family.id, region=region_of(ctx), categories=[category], source="checkin"
    )
    case = await desk.latest_open_case(session, ctx.family.id)
    if case is not None:  # the specialist of the family's open request learns of it at once, as an emergency
        case.urgency = "emergency"
        relay.enqueue_text(
            session,
            case,
            target="staff",
            text=_(
                "⚠️ A danger answer in the family's «How is your family?»: they were sent emergency contacts."
            ),
        )
        relay.sync_topic(session, case)
    await show(call, views.danger_text(), family_kb(ctx))
    await call.message.answer(crisis_reply_text(catalog, ctx, discreet(ctx)), reply_markup=crisis_kb())
    log.warning("danger answer (%s) in a wellbeing check-in answered with emergency contacts", category)


async def show_results(
    call: CallbackQuery, ctx: UserContext, session: AsyncSession, catalog: Catalog, run: WellbeingCheckin
) -> None:
    instrument = ck.load(catalog.data_dir)
    before = await ck.previous(session, run)
    on = await reminder_on(session, ctx.family.id)
    text = views.results_text(run, before, instrument, ctx.locale, reminder_on=on)
    await show(call, text, views.results_kb(run, instrument, catalog, ctx, reminder_on=on))


@router.callback_query(Wb.filter(F.a.in_({"share", "unshare"})))
async def share(
    call: CallbackQuery, callback_data: Wb, ctx: UserContext, session: AsyncSession, catalog: Catalog
) -> None:
    family = ctx.family if ctx.consented else None
    run, cases = await ck.set_shared(session, family, callback_data.c, callback_data.a == "share")
    if run is None:
        await refuse(call)
        return
    for case in cases:
        if case.chat_id is not None:
            relay.sync_topic(session, case)  # the card is redrawn with (or without) the check-in
    await call.answer(
        _("The specialist will see your answers.")
        if run.shared
        else _("The specialist will not see your answers.")
    )
    await show_results(call, ctx, session, catalog, run)


@router.callback_query(Wb.filter(F.a.in_({"remind", "unremind"})))
async def remind(
    call: CallbackQuery,
    callback_data: Wb,
    ctx: UserContext,
    session: AsyncSession,
    catalog: Catalog,
    settings: Settings,
) -> None:
    family = ctx.family if ctx.consented else None
    run = await ck.own_run(session, family, callback_data.c)
    if run is None or run.status not in ck.FINISHED:
        await refuse(call)
        return
    on = callback_data.a == "remind"
    await ck.set_reminder(session, ctx.family, on=on, every=every(settings))
    await call.answer(_("We will remind you in three months.") if on else _("Reminders are off."))
    await show_results(call, ctx, session, catalog, run)


@router.callback_query(Wb.filter(F.a == "stop"))
async def stop(call: CallbackQuery, callback_data: Wb, ctx: UserContext, session: AsyncSession) -> None:
    family = ctx.family if ctx.consented else None
    if not await ck.stop_reminder(session, family, callback_data.c):
        await refuse(call)
        return
    await call.answer(_("Reminders are off."))
    await show(
        call,
        _(
            "All right, we will not remind you about these questions. You can answer them any time from the menu."
        ),
        family_kb(ctx),
    )


@router.callback_query(Wb.filter())
async def unknown(call: CallbackQuery) -> None:
    await refuse(call)
