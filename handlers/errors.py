"""Last line of defence: log the failure and tell the person, never leave them in silence."""

from __future__ import annotations

import logging

from aiogram.types import ErrorEvent
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.i18n import guess_locale, locale_scope

log = logging.getLogger(__name__)


async def on_error(event: ErrorEvent, i18n: I18n) -> bool:
    update = event.update
    log.error(
        "update %s (%s) failed: %s",
        update.update_id,
        update.event_type,
        type(event.exception).__name__,
        exc_info=event.exception,
    )
    message, callback = update.message, update.callback_query
    user = (message.from_user if message else None) or (callback.from_user if callback else None)
    locale = guess_locale(user, i18n.default_locale)
    try:
        with locale_scope(i18n, locale):
            if message and message.chat.type == "private":
                await message.answer(
                    _(
                        "Sorry, something went wrong on our side and your message was not processed. "
                        "Please try again in a minute. If you are in danger, call 112."
                    )
                )
            elif callback:
                await callback.answer(_("Something went wrong. Please try again."))
    except Exception:
        log.exception("could not tell the user about the failure")
    return True
