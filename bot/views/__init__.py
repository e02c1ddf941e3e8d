"""Texts and keyboards of the bot's screens, per feature (handlers stay thin; services know no Telegram)."""
