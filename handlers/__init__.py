"""aiogram routers, one sub-package per actor. Router-level filters decide who may enter."""

from __future__ import annotations

from aiogram import Router

from bot.config import Settings


def get_routers(settings: Settings) -> list[Router]:
    from bot.middlewares.abuse import AbuseMiddleware
    from bot.replay import start_replay
    from handlers import common, coordinators, family, operators, partners, volunteers
    from handlers.coordinators import cards as card_desk
    from handlers.family.crisis import CrisisMiddleware

    root = Router(name="root")  # flood control and mutes before any actor's router (staff are exempt)
    abuse = AbuseMiddleware(settings)
    for observer in (root.message, root.edited_message, root.callback_query):
        observer.outer_middleware(abuse)
    helpers = volunteers.get_router()
    # a danger signal in a volunteer's words is answered as in a family's (their router comes first); an inner
    # middleware: it runs only for the messages a volunteers' handler takes (the family router checks the rest)
    helpers.message.middleware(CrisisMiddleware())
    root.startup.register(start_replay)  # updates a killed process claimed but never finished
    root.shutdown.register(abuse.gate.close)
    root.include_routers(
        common.get_router(settings),
        operators.get_router(),
        card_desk.get_router(),  # the family card: coordinators' side (before theirs), then partners'
        partners.get_router(),
        coordinators.get_router(settings),  # before the family router, which takes every private message
        helpers,  # offering to help (anyone), «Мои задания» (volunteers); refusals last
        family.get_router(),
    )
    return [root]
