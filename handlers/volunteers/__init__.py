"""Volunteers, in private chat: anyone may offer to help (sign-up, with the volunteer's own consent notice);
«Мои задания» (/tasks) only for approved volunteers (IsVolunteer, checked on each /tasks and tasks button), everyone else who
tries its commands or buttons is told so."""

from __future__ import annotations

from aiogram import F, Router

from handlers.volunteers import signup, tasks


def get_router() -> Router:
    router = Router(name="volunteers")
    router.message.filter(F.chat.type == "private")
    router.callback_query.filter(F.message.chat.type == "private")
    router.include_routers(signup.router, tasks.router, tasks.refuse)  # the refusals last
    return router
