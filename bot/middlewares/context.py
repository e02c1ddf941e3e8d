"""Who is writing: the family record (if consented), the staff record and roles, the locale."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, User

from bot.config import Settings
from bot.db.base import utcnow
from bot.db.models import Family, Mute, Staff
from bot.fsm_storage import SqlStorage
from bot.i18n import guess_locale
from bot.services import people

LAST_SEEN_EVERY = timedelta(hours=1)
STAFF_ROLES = frozenset({"operator", "specialist", "crisis", "supervisor", "coordinator", "admin"})


@dataclass
class UserContext:
    user: User
    family: Family | None = None
    staff: Staff | None = None
    roles: frozenset[str] = field(default_factory=frozenset)
    locale: str = "ru"
    mute: Mute | None = None  # a pause set by staff, unexpired when the update came in

    @property
    def is_staff(self) -> bool:
        return bool(self.roles & STAFF_ROLES)

    @property
    def is_coordinator(self) -> bool:
        return bool(self.roles & {"coordinator", "admin"})

    @property
    def consented(self) -> bool:
        return self.family is not None and self.family.consent_at is not None


class ContextMiddleware(BaseMiddleware):
    """Outer middleware on `update`, inside the database one. Roles are read at every update (never cached)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user: User | None = data.get("event_from_user")
        if user is None or user.is_bot:
            data["ctx"] = None
            return await handler(event, data)
        session = data["session"]
        storage, state = data.get("fsm_storage"), data.get("state")
        fsm_key = storage.key_of(state.key) if isinstance(storage, SqlStorage) and state is not None else None
        person = await people.read(session, user.id, fsm_key=fsm_key)
        if fsm_key is not None:
            SqlStorage.read_with(session, fsm_key, person.fsm)
        family, staff = person.family, person.staff
        roles: set[str] = set()
        if staff is not None:
            roles.add(staff.role)
        if user.id in self.settings.coordinator_ids:
            roles.add("coordinator")
        if user.id in self.settings.admin_ids:
            roles.update({"admin", "coordinator"})
        locale = None
        if family is not None:
            locale = family.language
        else:
            state = data.get("state")
            if state is not None:
                locale = (await state.get_data()).get("lang")
        chat = data.get("event_chat")
        desk_chats = data.get("desk_chats")
        if chat is not None and desk_chats is not None and chat.id in desk_chats.all:
            locale = self.settings.default_locale  # one shared language in the staff groups
        ctx = UserContext(
            user=user,
            family=family,
            staff=staff,
            roles=frozenset(roles),
            locale=locale or guess_locale(user, self.settings.default_locale),
            mute=person.mute,
        )
        data["ctx"] = ctx
        result = await handler(event, data)
        if ctx.family is not None and ctx.family is family:
            # activity keeps the data (retention erases a family silent for the notice's period); one write an hour
            now = utcnow()
            if family.last_seen_at is None or now - family.last_seen_at > LAST_SEEN_EVERY:
                family.last_seen_at = now
        return result
