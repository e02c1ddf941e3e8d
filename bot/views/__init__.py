"""Texts and keyboards of the bot, one module per feature (gettext happens here, not in bot/services)."""
