"""The database session as the handlers see it: a handle the middleware opens per update and the handlers pass
on to services (and commit, where a step must be durable before the bot answers). Handlers never build a query:
they import this name, not SQLAlchemy (an import-linter contract in `make lint` keeps it so)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

__all__ = ["AsyncSession"]
