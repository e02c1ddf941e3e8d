"""Families, in private chat with the bot."""

from __future__ import annotations

from aiogram import F, Router

from handlers.family import (
    aid,
    card,
    checkin,
    consent,
    crisis,
    events,
    fallback,
    followup,
    handoff,
    measures,
    menu,
    onboarding,
    places,
    privacy,
    profile,
    requests,
    screener,
    triage,
    understand,
)


def get_router() -> Router:
    router = Router(name="family")
    router.message.filter(F.chat.type == "private")
    router.edited_message.filter(F.chat.type == "private")
    router.callback_query.filter(F.message.chat.type == "private")
    router.message.outer_middleware(crisis.CrisisMiddleware())
    router.edited_message.outer_middleware(crisis.CrisisMiddleware())  # a danger signal added by an edit
    router.message.outer_middleware(consent.ReconsentMiddleware())  # after the crisis check: safety first
    router.callback_query.outer_middleware(consent.ReconsentMiddleware())
    router.include_router(understand.browsing_router)  # in the measures section: what is clearly not a search
    router.include_routers(screener.router, measures.router)  # support measures: before the fallback below
    router.include_routers(
        onboarding.router,
        privacy.router,
        menu.router,
        profile.router,
        triage.router,
        crisis.router,
        requests.router,
        events.router,
        aid.router,  # material help: its flow's texts before the hand-off and free-text routers
        places.router,  # «near me»: its screen's location/city answers, before an open request takes them
        handoff.router,
        followup.router,
        card.router,
        checkin.router,
        places.any_location,  # any other location: the nearest places (an open request relays it above)
        understand.router,  # free text understood and answered (never a request by itself)
        fallback.router,
    )
    return router
