"""Settings: a missing or malformed value stops start-up with one readable line naming it."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from bot.config import SettingsError, load_settings
from tests.e2e.harness import ROOT

GOOD_TOKEN = "123456:abcdefghijklmnop"


@pytest.fixture
def env(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # no .env from the developer's checkout
    for key in list(os.environ):
        if key in {
            "BOT_TOKEN",
            "OPERATOR_CHAT_ID",
            "COORDINATOR_IDS",
            "ADMIN_IDS",
            "DATABASE_URL",
            "WEBHOOK_URL",
            "WEBHOOK_SECRET",
            "TIMEZONE",
            "DEFAULT_LOCALE",
            "LOG_LEVEL",
            "REDIS_URL",
            "TELEGRAM_API_URL",
        }:
            monkeypatch.delenv(key)
    return monkeypatch


def test_good_settings(env):
    env.setenv("BOT_TOKEN", GOOD_TOKEN)
    env.setenv("COORDINATOR_IDS", "11, 22")
    env.setenv("OPERATOR_CHAT_ID", "-1001")
    s = load_settings()
    assert s.coordinator_ids == [11, 22]
    assert s.crisis_chat == -1001  # defaults to the operator group
    assert s.default_locale == "ru"
    assert s.database_url.startswith("sqlite+aiosqlite:///")


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("BOT_TOKEN", None, "BOT_TOKEN is required"),
        ("BOT_TOKEN", "nonsense", "BOT_TOKEN must look like"),
        ("OPERATOR_CHAT_ID", "abc", "OPERATOR_CHAT_ID is malformed"),
        ("COORDINATOR_IDS", "1,x", "COORDINATOR_IDS must be comma-separated"),
        ("DEFAULT_LOCALE", "de", "DEFAULT_LOCALE must be one of ru, en"),
        ("TIMEZONE", "Mars/Olympus", "TIMEZONE must be an IANA time zone"),
        ("DATABASE_URL", "mysql://x", "DATABASE_URL must start with"),
        ("WEBHOOK_URL", "https://bot.example.org", "WEBHOOK_SECRET is required"),
        (
            "DESK_TAKE_REMINDER_MINUTES",
            "urgent=5",
            "DESK_TAKE_REMINDER_MINUTES needs a value for every urgency",
        ),
        ("DESK_ESCALATE_MINUTES", "urgent=soon", "DESK_ESCALATE_MINUTES must look like emergency=2"),
    ],
)
def test_bad_setting_names_itself(env, name, value, expected):
    if name != "BOT_TOKEN":
        env.setenv("BOT_TOKEN", GOOD_TOKEN)
    if value is not None:
        env.setenv(name, value)
    with pytest.raises(SettingsError) as err:
        load_settings()
    assert expected in str(err.value)
    assert "\n" not in str(err.value)


def test_bad_settings_stop_the_process_with_one_line(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"BOT_TOKEN"}}
    env["OPERATOR_CHAT_ID"] = "not-a-number"
    env["BOT_TOKEN"] = GOOD_TOKEN
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert lines == [
        "Configuration error: OPERATOR_CHAT_ID is malformed: Input should be a valid integer, "
        "unable to parse string as an integer"
    ]
    assert "Traceback" not in proc.stderr
