"""Triage: a few one-tap questions from data/triage.yaml, then what happens next."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery
from aiogram.utils.i18n import gettext as _
from aiogram.utils.markdown import html_decoration as hd

from bot.config import Settings
from bot.db.session import AsyncSession
from bot.middlewares.context import UserContext
from bot.services import cases, records
from bot.services.catalog import Catalog
from bot.services.desk import DeskChats
from bot.services.triage import Node, Outcome
from bot.views.callbacks import Consent, Crisis, Dir, Nav, Tri
from bot.views.family import crisis_reply_text, discreet, family_kb, region_of
from bot.views.ui import Row, kb, show
from handlers.family.menu import request_handed_off

router = Router(name="family.triage")


class TriageFlow(StatesGroup):
    asking = State()


def question_kb(ctx: UserContext, q: Node):
    rows = [[(opt.label.get(ctx.locale), Tri(node=q.id, opt=opt.id))] for opt in q.options]
    return family_kb(ctx, *rows)


@router.callback_query(Nav.filter(F.to == "triage"))
async def start_triage(call: CallbackQuery, state: FSMContext, ctx: UserContext, catalog: Catalog) -> None:
    await call.answer()
    first = catalog.triage_start()
    await state.set_state(TriageFlow.asking)
    await state.update_data(tri_node=first.id, tri_path=[])
    intro = _("A few short questions, so that we understand how to help.")
    await show(call, intro + "\n\n" + first.text.get(ctx.locale), question_kb(ctx, first))


@router.callback_query(Tri.filter())
async def triage_answer(
    call: CallbackQuery,
    callback_data: Tri,
    state: FSMContext,
    ctx: UserContext,
    catalog: Catalog,
    session: AsyncSession,
) -> None:
    data = await state.get_data()
    current = data.get("tri_node") if await state.get_state() == TriageFlow.asking.state else None
    if current != callback_data.node:
        await call.answer(_("This question is from an earlier screen."), show_alert=False)
        if current is None:
            await show(
                call, _("Let us start again."), family_kb(ctx, [(_("What happened"), Nav(to="triage"))])
            )
        return
    step = catalog.triage_answer(callback_data.node, callback_data.opt)
    if step is None:
        await call.answer(_("This button no longer works."), show_alert=True)
        return
    path = [*data.get("tri_path", []), {"node": callback_data.node, "option": callback_data.opt}]
    await call.answer()
    if isinstance(step, Node):
        await state.update_data(tri_node=step.id, tri_path=path)
        await show(call, step.text.get(ctx.locale), question_kb(ctx, step))
        return
    await state.set_state(None)
    await state.update_data(tri_node=None, tri_path=path, tri_outcome=step.id)
    if ctx.consented:
        records.record_triage(session, ctx.family.id, region_of(ctx), step, path)
    await show_outcome(call, ctx, catalog, step)


async def show_outcome(call: CallbackQuery, ctx: UserContext, catalog: Catalog, outcome: Outcome) -> None:
    if outcome.is_emergency:
        await show(
            call,
            crisis_reply_text(catalog, ctx, discreet(ctx)),
            kb(
                [(_("Yes, I am safe"), Crisis(action="safe")), (_("No"), Crisis(action="unsafe"))],
                [(_("Connect me to the crisis centre"), Crisis(action="connect"))],
            ),
        )
        return
    rows: list[Row] = []
    if outcome.route.opens_case:
        rows.append([(_("Pass my request on"), Nav(to="triage_handoff"))])
    if outcome.route.type == "directory" and outcome.route.kind:
        rows.append([(_("Show contacts"), Dir(kind=outcome.route.kind))])
    rows.append([(_("Support measures"), Nav(to="measures"))])
    text = (
        f"<b>{hd.quote(outcome.title.get(ctx.locale))}</b>\n\n{hd.quote(outcome.next_steps.get(ctx.locale))}"
    )
    if outcome.show_emergency_contacts:
        text += "\n\n" + _("If you are in danger, call <b>112</b>.")
    await show(call, text, family_kb(ctx, *rows))


@router.callback_query(Nav.filter(F.to == "triage_handoff"))
async def handoff(
    call: CallbackQuery,
    state: FSMContext,
    ctx: UserContext,
    catalog: Catalog,
    session: AsyncSession,
    settings: Settings,
    desk_chats: DeskChats,
) -> None:
    data = await state.get_data()
    outcome = catalog.triage_outcome(data.get("tri_outcome") or "")
    if outcome is None:
        await call.answer(_("This button no longer works."), show_alert=True)
        return
    await call.answer()
    if not ctx.consented:
        await show(
            call,
            _("To pass your request on we need your consent to store your messages."),
            family_kb(ctx, [(_("Read and agree"), Consent(action="ask"))]),
        )
        return
    case = await cases.record_request(
        session,
        ctx.family,
        tier=outcome.route.tier or 2,
        specialty=outcome.route.specialty,
        category=outcome.category,
        urgency=outcome.urgency,
        route=outcome.route.type,
        source="triage",
        summary={"triage": data.get("tri_path", []), "outcome": outcome.id},
    )
    await request_handed_off(
        call, case, session=session, catalog=catalog, ctx=ctx, settings=settings, desk_chats=desk_chats
    )
