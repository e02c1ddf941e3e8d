"""`/place id` or `/place words` in a request's topic: the place reaches the family as a venue and a card.

Both go through the outbox (like `/c code`), so a place staff sent is never lost to a restart or a Telegram error.
"""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _

from bot.config import Settings
from bot.db.models import Case, Staff
from bot.db.session import AsyncSession
from bot.db.statuses import CaseStatus
from bot.services import desk, families, relay
from bot.services.audit import audit
from bot.services.catalog import Catalog
from bot.views import places as views
from handlers.operators.desk import closed_hint, desk_hint

router = Router(name="operators.places")


@router.message(Command("place"))
async def place_cmd(
    message: Message,
    command: CommandObject,
    staff: Staff,
    case: Case | None,
    session: AsyncSession,
    catalog: Catalog,
    settings: Settings,
    i18n,
) -> None:
    query = (command.args or "").strip()[:200]
    lang = settings.default_locale
    if not query or catalog.places is None:
        await message.reply(views.staff_usage())
        return
    found = catalog.places.search(query)
    if not found:
        await message.reply(views.staff_none())
        return
    if len(found) > 1:
        await message.reply(views.staff_choices(found, lang))
        return
    place = found[0]
    if case is None:
        await message.reply(desk_hint())
        return
    if case.status == CaseStatus.CLOSED:
        await message.reply(closed_hint())
        return
    family = await families.get(session, case.family_id)
    if family is None:
        await message.reply(_("The family has deleted its data; messages can no longer be sent."))
        return
    with i18n.use_locale(family.language):
        title = views.venue_title(place.org, family.language)
        address = views.venue_address(place, family.language)
        card = views.place_card(place, family.language, None)
    relay.enqueue_venue(
        session, case, target="family", latitude=place.lat, longitude=place.lon, title=title, address=address
    )
    relay.enqueue_text(session, case, target="family", text=card)
    await desk.note_staff_message(session, case, staff, actor_tg_id=message.from_user.id)
    await audit(
        session,
        actor_tg_id=message.from_user.id,
        role=staff.role,
        action="case.place",
        obj=("case", case.id),
        details={"place": place.id},
    )
    await message.reply(views.staff_sent(place, lang) + "\n\n" + card)
