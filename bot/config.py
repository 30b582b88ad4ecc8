"""Settings, read from `RAHNAMA_*` environment variables (and an optional `.env` file)."""
from __future__ import annotations

from functools import cached_property
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from typing import Annotated

ROOT = Path(__file__).resolve().parent.parent

SUPPORTED_LANGUAGES = (
    "en", "ar", "fa", "fa_AF", "ps", "ur", "uk", "ru", "tr", "ckb", "kmr", "so", "ti", "fr", "bg",
)


DEFAULT_SECRET = "change-me-in-production"


class ConfigError(Exception):
    """Raised with one readable line per bad variable."""


def _csv(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class Settings(BaseSettings):
    """Every knob an operator can turn. See `.env.example` for a commented list."""

    model_config = SettingsConfigDict(env_prefix="RAHNAMA_", env_file=".env", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///var/rahnama.db"
    content_dir: Path = ROOT / "content"
    locales_dir: Path = ROOT / "locales"
    languages: Annotated[list[str], NoDecode] = Field(default_factory=lambda: list(SUPPORTED_LANGUAGES))
    default_language: str = "en"
    host_language: str = "bg"
    timezone: str = "Europe/Sofia"
    secret_key: str = DEFAULT_SECRET
    public_url: str = ""
    host: str = "127.0.0.1"
    port: int = 8000

    log_level: str = "INFO"
    log_personal_data: bool = False
    content_watch_seconds: float = 2.0

    worker_batch: int = 50
    worker_poll_seconds: float = 1.0
    delivery_max_attempts: int = 8
    inbox_poll_seconds: float = 1.0
    inbox_batch: int = 64
    inbox_parallel: int = 2
    retention_days: int = 30

    staff_session_hours: float = 8.0
    complaint_daily_limit: int = 3
    complaint_hourly_limit: int = 60
    receipt_attempts_per_hour: int = 5

    @field_validator("languages", mode="before")
    @classmethod
    def _split_languages(cls, value: object) -> object:
        return _csv(value)

    @field_validator("languages")
    @classmethod
    def _known_languages(cls, value: list[str]) -> list[str]:
        unknown = [code for code in value if code not in SUPPORTED_LANGUAGES]
        if unknown:
            raise ValueError(f"unknown language code(s) {', '.join(unknown)}; "
                             f"choose from {', '.join(SUPPORTED_LANGUAGES)}")
        if not value:
            raise ValueError("at least one language is needed")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA time zone such as Europe/Sofia") from None
        return value

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("must start with sqlite+aiosqlite:// or postgresql+asyncpg://")
        return value

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str) -> str:
        if value and not value.startswith(("https://", "http://")):
            raise ValueError("must be a full URL such as https://bot.example.org")
        return value.rstrip("/")

    @field_validator("secret_key")
    @classmethod
    def _secret_length(cls, value: str) -> str:
        if len(value) < 16:
            raise ValueError("must be at least 16 characters long")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> "Settings":
        if self.default_language not in self.languages:
            raise ValueError(f"RAHNAMA_DEFAULT_LANGUAGE: {self.default_language} is not one of RAHNAMA_LANGUAGES")
        if self.host_language not in SUPPORTED_LANGUAGES:
            raise ValueError(f"RAHNAMA_HOST_LANGUAGE: {self.host_language} is not a supported language")
        if self.public_url and self.secret_key == DEFAULT_SECRET:
            raise ValueError("RAHNAMA_SECRET_KEY: set a long random value before going public (RAHNAMA_PUBLIC_URL is set)")
        return self

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def load_settings(**overrides: object) -> Settings:
    """Build settings; turn validation errors into one line per variable."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else ""
            message = error["msg"].removeprefix("Value error, ")
            lines.append(f"RAHNAMA_{field.upper()}: {message}" if field else message)
        raise ConfigError("; ".join(lines)) from None
