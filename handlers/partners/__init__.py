"""Partner organisations of the family card programme, in private chat: check cards, offers, statistics.

The partner role is membership in `partner_members` (never a `staff` role): it is checked on every action.
"""

from __future__ import annotations

from aiogram import F, Router

from handlers.partners import offers, partner


def get_router() -> Router:
    router = Router(name="partners")
    router.message.filter(F.chat.type == "private")
    router.callback_query.filter(F.message.chat.type == "private")
    router.include_routers(partner.router, offers.router, partner.others)  # the refusals last
    return router
