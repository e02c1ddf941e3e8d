"""«Мои задания» (/tasks): an approved volunteer's tasks — accept, decline, mark done — and the pause. Only
volunteers enter (IsVolunteer); the same commands and buttons from anyone else get a polite refusal.

A volunteer's «done» on a material-help task hands the things over: the family is asked to confirm."""

from __future__ import annotations

import logging

from aiogram import F, Router
from aiogram.filters import Command, Filter
from aiogram.types import CallbackQuery, Message, TelegramObject
from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _

from bot.config import Settings
from bot.db.models import AidRequest, Assignment, Volunteer
from bot.db.session import AsyncSession
from bot.db.statuses import AidStatus, AssignmentStatus, VolunteerStatus
from bot.i18n import locale_scope
from bot.notify import tell, tell_aid_taker, tell_family_of_aid
from bot.services import aid, events, volunteers
from bot.services.aid import AidError
from bot.services.catalog import Catalog
from bot.services.volunteers import VolunteerError
from bot.views import volunteers as views
from bot.views.callbacks import VolTask, VolTaskAction
from bot.views.ui import show
from handlers.filters import refusals

log = logging.getLogger(__name__)
router = Router(name="volunteers.tasks")
TASKS = "tasks"  # the command; IsVolunteer looks nothing up for other messages


class IsVolunteer(Filter):
    """An approved (or paused) volunteer; passes `volunteer` on. Only /tasks and the tasks' buttons are this router's:
    for anything else there is nothing to look up (every family message passed this router, and each had cost a
    query — 2 % of the bot's CPU in a profile of families onboarding)."""

    async def __call__(self, event: TelegramObject, session: AsyncSession) -> bool | dict:
        if isinstance(event, Message) and not (event.text or "").startswith(f"/{TASKS}"):
            return False
        if isinstance(event, CallbackQuery) and not (event.data or "").startswith(VolTask.__prefix__ + ":"):
            return False
        user = getattr(event, "from_user", None)
        vol = await volunteers.active(session, user.id) if user is not None else None
        return {"volunteer": vol} if vol is not None else False


router.message.filter(IsVolunteer())
router.callback_query.filter(IsVolunteer())


async def _target(session: AsyncSession, catalog: Catalog, task: Assignment) -> AidRequest | str | None:
    """The task's request (material help) or its event, rendered."""
    if task.kind == "aid":
        return await aid.get(session, task.target_id)
    ev = await events.get(session, task.target_id) if task.kind == "event" else None
    return views.event_task_text(ev, catalog) if ev is not None else None


async def _screen(session: AsyncSession, vol: Volunteer, catalog: Catalog):
    tasks = await volunteers.tasks(session, vol)
    rows = [(t, await _target(session, catalog, t)) for t in tasks]
    return views.tasks_text(vol, rows), views.tasks_kb(vol, tasks)


@router.message(Command(TASKS))
async def tasks_cmd(message: Message, session: AsyncSession, volunteer: Volunteer, catalog: Catalog) -> None:
    text, markup = await _screen(session, volunteer, catalog)
    await message.answer(text, reply_markup=markup)


@router.callback_query(VolTask.filter(F.a == VolTaskAction.LIST))
async def tasks_list(
    call: CallbackQuery, session: AsyncSession, volunteer: Volunteer, catalog: Catalog
) -> None:
    await call.answer()
    await show(call, *(await _screen(session, volunteer, catalog)))


@router.callback_query(VolTask.filter(F.a.in_({VolTaskAction.PAUSE, VolTaskAction.RESUME})))
async def pause(
    call: CallbackQuery, callback_data: VolTask, session: AsyncSession, volunteer: Volunteer, catalog: Catalog
) -> None:
    try:
        await volunteers.set_paused(session, volunteer, callback_data.a == VolTaskAction.PAUSE)
    except VolunteerError:
        await call.answer(_("This button no longer works."), show_alert=True)
        return
    await session.commit()
    paused = volunteer.status == VolunteerStatus.PAUSED
    await call.answer(_("You are on a pause.") if paused else _("Welcome back!"))
    await show(call, *(await _screen(session, volunteer, catalog)))


ANSWERS = {
    VolTaskAction.ACCEPT: AssignmentStatus.ACCEPTED,
    VolTaskAction.DECLINE: AssignmentStatus.DECLINED,
    VolTaskAction.DONE: AssignmentStatus.DONE,
}


@router.callback_query(VolTask.filter(F.a.in_(set(ANSWERS))))
async def answer(
    call: CallbackQuery,
    callback_data: VolTask,
    session: AsyncSession,
    settings: Settings,
    volunteer: Volunteer,
    catalog: Catalog,
) -> None:
    task = await volunteers.task_of(session, volunteer, callback_data.id)
    if task is None:
        await call.answer(_("This button no longer works."), show_alert=True)
        return
    try:
        await volunteers.answer(session, volunteer, task, ANSWERS[VolTaskAction(callback_data.a)])
    except VolunteerError:
        await call.answer(_("This task has changed meanwhile."), show_alert=True)
        await show(call, *(await _screen(session, volunteer, catalog)))
        return
    req = await aid.get(session, task.target_id) if task.kind == "aid" else None
    handed = False
    if req is not None and task.status == AssignmentStatus.DONE and req.status in aid.OPEN_STATUSES:
        try:
            await aid.move(session, req, AidStatus.HANDED, actor_tg_id=volunteer.tg_user_id, role="volunteer")
            handed = True
        except AidError:
            log.info("aid %s: a volunteer's «done» found it %s", req.id, req.status)
    await session.commit()
    await call.answer(
        {
            AssignmentStatus.ACCEPTED: _("Thank you! The coordinator is told."),
            AssignmentStatus.DECLINED: _("All right, the coordinator is told."),
        }.get(
            AssignmentStatus(task.status),
            _("Thank you!") if task.kind == "event" else _("Thank you! The family will be asked to confirm."),
        )
    )
    await show(call, *(await _screen(session, volunteer, catalog)))
    if req is not None:
        await tell_aid_taker(
            call.bot, session, settings, req, lambda: views.task_answer_note(volunteer, task)
        )
        if handed:
            await tell_family_of_aid(call.bot, session, req)
    elif task.kind == "event" and task.created_by:
        with locale_scope(get_i18n(), settings.default_locale):
            note = views.task_answer_note(volunteer, task)
        await tell(call.bot, task.created_by, note)


@router.callback_query(VolTask.filter())
async def stale(call: CallbackQuery) -> None:
    await call.answer(_("This button no longer works."), show_alert=True)


def refusal() -> str:
    return _("This is only for the centre's volunteers. To offer your help, send /volunteer.")


refuse = refusals(router, refusal, name="volunteers.refuse")
