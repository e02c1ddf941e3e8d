"""Operators, specialists and crisis staff, in the staff forum groups. Only these chats enter here; inside them,
only staff reach the desk (IsStaff), with the acting staff member and the topic's request handed to every handler
(handlers/operators/access.py); everyone else is answered there."""

from __future__ import annotations

from typing import Any

from aiogram import Router
from aiogram.filters import Filter
from aiogram.types import TelegramObject

from handlers.filters import IsStaff
from handlers.operators import access, backlog, desk, moderation, places


class InDeskChat(Filter):
    """The update comes from one of the staff groups (operators, crisis, regional)."""

    async def __call__(self, event: TelegramObject, event_chat: Any = None, desk_chats: Any = None) -> bool:
        return event_chat is not None and desk_chats is not None and event_chat.id in desk_chats.all


def get_router() -> Router:
    router = Router(name="operators")
    staff_side = Router(name="operators.staff")
    for observer in (router.message, router.edited_message, router.callback_query):
        observer.filter(InDeskChat())
    for observer in (staff_side.message, staff_side.edited_message, staff_side.callback_query):
        observer.filter(IsStaff())
        observer.middleware(access.DeskMiddleware())
    staff_side.include_routers(
        moderation.router, places.router, backlog.router, desk.router
    )  # moderation first: desk takes every message
    router.include_routers(staff_side, access.others)
    return router
