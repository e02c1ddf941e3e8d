"""Who works at the desk. The staff routers sit under IsStaff; DeskMiddleware hands every handler the acting
staff member (``staff``; coordinators and administrators named in the settings get a record on first use) and,
for a message, the request of the topic it was written in (``case``, None outside a request's topic). Everyone
else in a staff group is answered here."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message, TelegramObject
from aiogram.utils.i18n import gettext as _

from bot.services import desk
from bot.services import staff as staff_service
from bot.services.relay import RELAYABLE
from bot.views.callbacks import Backlog, CaseAct
from handlers.operators.desk import staff_help

log = logging.getLogger(__name__)


class DeskMiddleware(BaseMiddleware):
    """Inner middleware of the staff routers (after IsStaff): ``staff`` and, for messages, the topic's ``case``."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        ctx, session = data["ctx"], data["session"]
        data["staff"] = await staff_service.ensure_for_roles(
            session, ctx.user.id, ctx.roles, ctx.user.full_name
        )
        if isinstance(event, Message):
            data["case"] = (
                await desk.case_in_topic(session, event.chat.id, event.message_thread_id)
                if event.is_topic_message
                else None
            )
        return await handler(event, data)


others = Router(name="operators.others")


@others.message(F.sender_chat)
@others.edited_message(F.sender_chat)
async def not_a_member(message: Message) -> None:
    """Sent on behalf of a chat (anonymous admin, linked channel): no person to check, so nothing happens."""
    kind = "anonymous admin" if message.sender_chat.id == message.chat.id else "channel"
    log.info("message from a %s in a staff group ignored", kind)


others.message.register(staff_help, Command("help"))


@others.message()
async def refuse(message: Message) -> None:
    if message.content_type not in RELAYABLE or message.from_user is None or message.from_user.is_bot:
        return  # service messages: topic created, members joined…
    await message.reply(_("Sorry, only the centre's staff can work here. Your message was not passed on."))


@others.edited_message()
async def edit_of_a_stranger(message: Message) -> None:
    """Not relayed: only staff replies reach families."""


@others.callback_query(CaseAct.filter())
@others.callback_query(Backlog.filter())
async def refuse_button(call: CallbackQuery) -> None:
    await call.answer(_("Only the centre's staff can do this."), show_alert=True)
