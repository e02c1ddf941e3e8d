"""Texts and keyboards of the bot's screens, one module per feature (handlers only decide which one to show)."""
