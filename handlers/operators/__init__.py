"""Operators, specialists and crisis staff, in the staff forum groups. Only these chats enter here."""

from __future__ import annotations

from typing import Any

from aiogram import Router
from aiogram.filters import Filter
from aiogram.types import TelegramObject

from handlers.operators import backlog, desk, moderation


class InDeskChat(Filter):
    """The update comes from one of the staff groups (operators, crisis, regional)."""

    async def __call__(self, event: TelegramObject, event_chat: Any = None, desk_chats: Any = None) -> bool:
        return event_chat is not None and desk_chats is not None and event_chat.id in desk_chats.all


def get_router() -> Router:
    router = Router(name="operators")
    for observer in (router.message, router.edited_message, router.callback_query):
        observer.filter(InDeskChat())
    router.include_routers(moderation.router, backlog.router, desk.router)  # moderation first: desk takes all
    return router
