"""aiogram routers, one sub-package per actor. Router-level filters decide who may enter."""

from __future__ import annotations

from aiogram import Router

from bot.config import Settings


def get_routers(settings: Settings) -> list[Router]:
    from handlers import common, family, operators

    return [common.get_router(settings), operators.get_router(), family.get_router()]
