"""Fixtures shared by the unit tests."""

from __future__ import annotations

import pytest
from aiogram import Dispatcher

from bot.app import build_dispatcher
from bot.config import Settings
from bot.db.engine import make_engine, make_sessionmaker
from bot.i18n import make_i18n
from bot.services.catalog import load_catalog


@pytest.fixture(scope="session")
def bots_dispatcher(tmp_path_factory: pytest.TempPathFactory) -> Dispatcher:
    """The bot's dispatcher as `python -m bot` builds it — once per test process: the bot's routers are module
    objects, aiogram attaches each to one parent, and the build installs filters on them, so a second build in the
    same process fails («Router is already attached»), and which tests share a process depends on pytest-xdist."""
    db = tmp_path_factory.mktemp("dispatcher") / "x.sqlite3"
    settings = Settings(bot_token="123456:ABCdefGHIjklMNO", database_url=f"sqlite+aiosqlite:///{db}")
    i18n = make_i18n(settings.locales_dir, settings.default_locale)
    return build_dispatcher(
        settings, make_sessionmaker(make_engine(settings.database_url)), i18n, load_catalog(settings.data_dir)
    )
