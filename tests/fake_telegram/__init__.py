"""A fake Telegram Bot API server for end-to-end tests (see docs: telegram-engineering.md §9.4).

Usage::

    async with FakeTelegram(token="123:abc") as fake:
        user = fake.user(7, "Анна", language_code="ru")
        ...  # point the bot at fake.base_url
        assert not fake.violations
"""

from .client import FakeGroup, FakeUser
from .limits import Fault, Limits
from .server import Call, FakeTelegram
from .spec import ApiError, ApiSpec

__all__ = ["ApiError", "ApiSpec", "Call", "FakeGroup", "FakeTelegram", "FakeUser", "Fault", "Limits"]
