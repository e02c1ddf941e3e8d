"""Settings from the environment and `.env` (pydantic-settings).

A missing or malformed setting stops start-up with one readable line (see `load_settings`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent
SUPPORTED_LOCALES = ("ru", "en")

IdList = Annotated[list[int], NoDecode]
UrgencyMinutes = Annotated[dict[str, float], NoDecode]
URGENCY_LEVELS = ("routine", "soon", "urgent", "emergency")


class SettingsError(Exception):
    """Raised with one human-readable line naming the bad setting."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    bot_token: SecretStr
    telegram_api_url: str | None = None
    database_url: str = f"sqlite+aiosqlite:///{ROOT / 'var' / 'bot.sqlite3'}"
    # SQLite statements on aiosqlite's threads instead of the event loop's (bot/db/sqlite_inline.py)
    sqlite_threads: bool = False
    redis_url: str | None = None
    operator_chat_id: int | None = None
    crisis_chat_id: int | None = None
    coordinator_ids: IdList = Field(default_factory=list)
    admin_ids: IdList = Field(default_factory=list)
    default_locale: str = "ru"
    timezone: str = "Europe/Moscow"
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_port: int = 8080
    log_level: str = "INFO"
    data_dir: Path = ROOT / "data"
    # what start-up builds from data/ (the danger detector), kept for the next start; empty: built at every start
    cache_dir: Path | None = ROOT / "var" / "cache"
    locales_dir: Path = ROOT / "locales"
    polling_timeout: int = 10
    telegram_timeout: float = 20.0
    strict_content: bool = False
    # Content: a rehearsal shift of the content clock (bot/services/clock.py) and the stale-content digest.
    clock_offset_days: float = 0
    content_digest_scan_seconds: float = Field(default=3600, gt=0)
    # Support-measure follow-up: days after the results to ask whether the family applied; scan interval.
    followup_after_days: float = Field(default=14, gt=0)
    followup_scan_seconds: float = Field(default=60, gt=0)
    # Material help: how often to look for status notices a family has not got (cut off by a restart).
    aid_notice_scan_seconds: float = Field(default=30, gt=0)
    aid_notice_grace_seconds: float = Field(default=30, gt=0)  # the handler's own send has this long first
    # Wellbeing check-in («Как дела у семьи?»): the opt-in reminder to repeat it, in days; scan interval.
    wellbeing_remind_days: float = Field(default=91, gt=0)
    wellbeing_scan_seconds: float = Field(default=300, gt=0)
    # Events: the scan for reminders (the day before, two hours before) and «было полезно?» after.
    events_scan_seconds: float = Field(default=60, gt=0)
    retention_checkin_days: float | None = Field(default=None, gt=0)
    # Operator desk: Telegram pace, reminders and thresholds (minutes per urgency: "emergency=2,urgent=10,…").
    group_messages_per_window: int = 20
    group_window_seconds: float = 60.0
    private_messages_per_second: float = 1.0
    desk_take_reminder_minutes: UrgencyMinutes = Field(
        default_factory=lambda: dict[str, float](emergency=2, urgent=10, soon=30, routine=60)
    )
    desk_answer_reminder_minutes: UrgencyMinutes = Field(
        default_factory=lambda: dict[str, float](emergency=5, urgent=15, soon=60, routine=120)
    )
    desk_escalate_minutes: UrgencyMinutes = Field(
        default_factory=lambda: dict[str, float](emergency=10, urgent=30, soon=120, routine=240)
    )
    desk_still_waiting_minutes: float = 30.0
    desk_capacity: int = 100
    desk_scan_seconds: float = 30.0
    checkin_after_hours: float = 24.0
    # Family card: card checks one partner user may make per minute; how often expiry and offer notices run.
    card_checks_per_minute: int = Field(default=20, ge=1)
    card_scan_seconds: float = Field(default=300, gt=0)
    # Trust and hardening: per-user flood control (staff are exempt), longest mute staff may set.
    flood_messages_per_minute: int = Field(default=20, ge=1)
    flood_buttons_per_minute: int = Field(default=40, ge=1)
    mute_max_hours: float = Field(default=72, gt=0)
    # Retention in days per data class (fractions allowed). Unset: the figure in data/privacy.yaml, which the
    # notice promises families; a setting can only shorten it, never keep data longer than promised.
    retention_case_messages_days: float | None = Field(default=None, gt=0)
    retention_answers_days: float | None = Field(default=None, gt=0)
    retention_audit_days: float | None = Field(default=None, gt=0)
    retention_inactive_family_days: float | None = Field(default=None, gt=0)
    retention_processed_updates_days: float = Field(default=3, gt=0)
    retention_scan_seconds: float = Field(default=3600, gt=0)
    # Coordinators: broadcasts (messages a second, parallel sends, progress edits), their own chat.
    coordinator_chat_id: int | None = None
    broadcast_rate: float = Field(default=25.0, gt=0, le=30)
    broadcast_workers: int = Field(default=4, ge=1, le=32)
    broadcast_progress_seconds: float = Field(default=5.0, gt=0)
    broadcast_scan_seconds: float = Field(default=1.0, gt=0)
    # Scale-out: the Redis lease that lets exactly one instance run the scheduler, relay and broadcasts.
    leader_ttl_seconds: float = Field(default=15.0, ge=3)

    @field_validator("bot_token")
    @classmethod
    def _token_shape(cls, v: SecretStr) -> SecretStr:
        raw = v.get_secret_value()
        head, sep, tail = raw.partition(":")
        if not sep or not head.isdigit() or len(tail) < 10:
            raise ValueError("must look like 123456:ABC… (as given by @BotFather)")
        return v

    @field_validator("coordinator_ids", "admin_ids", mode="before")
    @classmethod
    def _split_ids(cls, v: object) -> object:
        if isinstance(v, str):
            parts = [p.strip() for p in v.replace(";", ",").split(",") if p.strip()]
            try:
                return [int(p) for p in parts]
            except ValueError as exc:
                raise ValueError("must be comma-separated Telegram user ids, e.g. 111,222") from exc
        return v

    @field_validator(
        "desk_take_reminder_minutes", "desk_answer_reminder_minutes", "desk_escalate_minutes", mode="before"
    )
    @classmethod
    def _urgency_minutes(cls, v: object) -> object:
        if not isinstance(v, str):
            return v
        result: dict[str, float] = {}
        for part in (p.strip() for p in v.split(",") if p.strip()):
            name, sep, value = part.partition("=")
            try:
                if not sep or name.strip() not in URGENCY_LEVELS:
                    raise ValueError
                result[name.strip()] = float(value)
            except ValueError as exc:
                raise ValueError("must look like emergency=2,urgent=10,soon=30,routine=60 (minutes)") from exc
        missing = [u for u in URGENCY_LEVELS if u not in result]
        if missing:
            raise ValueError("needs a value for every urgency; missing: " + ", ".join(missing))
        return result

    @field_validator("default_locale")
    @classmethod
    def _locale(cls, v: str) -> str:
        if v not in SUPPORTED_LOCALES:
            raise ValueError(f"must be one of {', '.join(SUPPORTED_LOCALES)}")
        return v

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError("must be an IANA time zone such as Europe/Moscow") from exc
        return v

    @field_validator("database_url")
    @classmethod
    def _db(cls, v: str) -> str:
        if not v.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("must start with sqlite+aiosqlite:// or postgresql+asyncpg://")
        return v

    @field_validator("log_level")
    @classmethod
    def _level(cls, v: str) -> str:
        v = v.upper()
        if v not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("must be DEBUG, INFO, WARNING or ERROR")
        return v

    @field_validator("telegram_api_url", "webhook_url")
    @classmethod
    def _url(cls, v: str | None) -> str | None:
        if v in (None, ""):
            return None
        if not v.startswith(("http://", "https://")):
            raise ValueError("must be an http(s):// URL")
        return v.rstrip("/")

    @field_validator("cache_dir", mode="before")
    @classmethod
    def _no_cache(cls, v: object) -> object:
        return None if v == "" else v

    @model_validator(mode="after")
    def _webhook_needs_secret(self) -> Settings:
        if self.webhook_url and not self.webhook_secret:
            raise ValueError("WEBHOOK_SECRET is required when WEBHOOK_URL is set")
        return self

    @property
    def crisis_chat(self) -> int | None:
        return self.crisis_chat_id or self.operator_chat_id

    @property
    def staff_chat_ids(self) -> set[int]:
        return {c for c in (self.operator_chat_id, self.crisis_chat_id) if c}

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def redis_key(self, name: str) -> str:
        """A Redis key of this bot (its id from the token), shared by all its instances: leader, alive, flood."""
        return f"semeynoe-okno:{name}:{self.bot_token.get_secret_value().split(':', 1)[0]}"


def load_settings(**overrides: object) -> Settings:
    """Build settings, turning a validation error into one readable line."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = err["loc"]
        name = str(loc[0]).upper() if loc else "settings"
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "missing":
            msg = "is required but not set (put it in the environment or .env)"
        elif err["type"].endswith("_parsing"):
            msg = f"is malformed: {msg}"
        if not loc:
            raise SettingsError(f"Configuration error: {msg}") from None
        raise SettingsError(f"Configuration error: {name} {msg}") from None
