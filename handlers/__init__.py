"""aiogram routers, one sub-package per actor. Router-level filters decide who may enter."""

from __future__ import annotations

from aiogram import Router

from bot.config import Settings


def get_routers(settings: Settings) -> list[Router]:
    from handlers import common, coordinators, family, operators, partners
    from handlers.coordinators import cards as card_desk

    return [
        common.get_router(settings),
        operators.get_router(),
        card_desk.get_router(),  # the family card: coordinators' side (before theirs), then partners'
        partners.get_router(),
        coordinators.get_router(settings),  # before the family router, which takes every private message
        family.get_router(),
    ]
