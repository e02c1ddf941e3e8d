"""/volunteers: the coordinators' list of volunteers (waiting, approved, on a pause), filtered by region and by
what they can do; approve or decline an offer (audited by the service; the volunteer is told in their language)."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _

from bot.config import Settings
from bot.db.session import AsyncSession
from bot.db.statuses import VolunteerStatus
from bot.i18n import locale_scope
from bot.middlewares.context import UserContext
from bot.notify import tell
from bot.services import volunteers
from bot.services.catalog import Catalog
from bot.views import volunteers as views
from bot.views.callbacks import VolDesk, VolDeskAction
from bot.views.coordinators import region_name
from bot.views.ui import show
from handlers.filters import role_of

router = Router(name="coordinators.volunteers")
SHOWN = (VolunteerStatus.APPLIED, VolunteerStatus.APPROVED, VolunteerStatus.PAUSED)


async def _list_screen(session: AsyncSession, catalog: Catalog, settings: Settings, f: VolDesk):
    locale = settings.default_locale
    status = f.s if f.s in SHOWN else VolunteerStatus.APPLIED
    region = f.r if catalog.region(f.r) else ""
    skill = f.k if f.k in volunteers.SKILLS else ""
    rows = await volunteers.listing(session, status=status, region=region or None, skill=skill or None)
    counts = await volunteers.counts(session)
    regions = [(r.code, r.name.get(locale)) for r in catalog.regions if r.code != "other"]
    text = views.list_text(rows, status, counts, lambda code: region_name(catalog, code, locale))
    return text, views.list_kb(rows, status, region, skill, regions)


@router.message(Command("volunteers"))
async def volunteers_cmd(
    message: Message, session: AsyncSession, catalog: Catalog, settings: Settings
) -> None:
    text, markup = await _list_screen(session, catalog, settings, VolDesk(id=0, a=VolDeskAction.LIST))
    await message.answer(text, reply_markup=markup)


@router.callback_query(VolDesk.filter(F.a == VolDeskAction.LIST))
async def volunteers_list(
    call: CallbackQuery, callback_data: VolDesk, session: AsyncSession, catalog: Catalog, settings: Settings
) -> None:
    await call.answer()
    await show(call, *(await _list_screen(session, catalog, settings, callback_data)))


@router.callback_query(
    VolDesk.filter(F.a.in_({VolDeskAction.OPEN, VolDeskAction.APPROVE, VolDeskAction.DECLINE}))
)
async def volunteer_action(
    call: CallbackQuery,
    callback_data: VolDesk,
    ctx: UserContext,
    session: AsyncSession,
    catalog: Catalog,
    settings: Settings,
) -> None:
    vol = await volunteers.get(session, callback_data.id)
    if vol is None:
        await call.answer(_("This button no longer works."), show_alert=True)
        return
    back = VolDesk(id=0, a=VolDeskAction.LIST, s=callback_data.s, r=callback_data.r, k=callback_data.k)
    region = region_name(catalog, vol.region, settings.default_locale)
    if callback_data.a == VolDeskAction.OPEN:
        await call.answer()
        await show(call, views.card_text(vol, region), views.card_kb(vol, back))
        return
    approve = callback_data.a == VolDeskAction.APPROVE
    decided = await volunteers.decide(
        session, vol.id, approve=approve, actor_tg_id=ctx.user.id, role=role_of(ctx)
    )
    if decided is None:
        await volunteers.reload(session, vol)
        await call.answer(
            _("Already decided: {status}.").format(status=views.status_label(vol.status)), show_alert=True
        )
        await show(call, views.card_text(vol, region), views.card_kb(vol, back))
        return
    await session.commit()
    await call.answer(_("Approved.") if approve else _("Declined."))
    await show(call, views.card_text(decided, region), views.card_kb(decided, back))
    with locale_scope(get_i18n(), decided.language):
        text = views.decided_note(decided)
    await tell(call.bot, decided.tg_user_id, text)
