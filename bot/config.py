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


class SettingsError(Exception):
    """Raised with one human-readable line naming the bad setting."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    bot_token: SecretStr
    telegram_api_url: str | None = None
    database_url: str = f"sqlite+aiosqlite:///{ROOT / 'var' / 'bot.sqlite3'}"
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
    locales_dir: Path = ROOT / "locales"
    polling_timeout: int = 10
    telegram_timeout: float = 20.0
    strict_content: bool = False

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
