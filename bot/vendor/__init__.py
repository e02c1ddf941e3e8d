"""Third-party files shipped with the bot (see each folder's README)."""
