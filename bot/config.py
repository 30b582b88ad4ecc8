"""Settings, read from `RAHNAMA_*` environment variables (and an optional `.env` file)."""
from __future__ import annotations

import json
import re
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

    telegram_token: str = ""
    telegram_webhook_secret: str = ""
    telegram_api_url: str = "https://api.telegram.org"
    telegram_staff_chat_id: str = ""

    twilio_account_sid: str = ""
    twilio_auth_token: str = ""
    twilio_whatsapp_from: str = ""
    twilio_api_url: str = "https://api.twilio.com"
    twilio_templates: Annotated[dict[str, str], NoDecode] = Field(default_factory=dict)
    twilio_menu_templates: Annotated[dict[str, str], NoDecode] = Field(default_factory=dict)

    meta_verify_token: str = ""
    meta_app_secret: str = ""
    meta_access_token: str = ""
    meta_phone_number_id: str = ""
    meta_api_url: str = "https://graph.facebook.com/v21.0"
    meta_templates: Annotated[dict[str, str], NoDecode] = Field(default_factory=dict)

    staff_session_hours: float = 8.0
    complaint_daily_limit: int = 3
    complaint_hourly_limit: int = 60
    receipt_attempts_per_hour: int = 5

    @field_validator("languages", mode="before")
    @classmethod
    def _split_languages(cls, value: object) -> object:
        return _csv(value)

    @field_validator("twilio_templates", "twilio_menu_templates", "meta_templates", mode="before")
    @classmethod
    def _json_map(cls, value: object) -> object:
        if isinstance(value, str):
            if not value.strip():
                return {}
            try:
                return json.loads(value)
            except json.JSONDecodeError as exc:
                raise ValueError(f"must be a JSON object like {{\"ticket_reply:ar\": \"HX...\"}} ({exc.msg})") from None
        return value

    @field_validator("telegram_webhook_secret")
    @classmethod
    def _telegram_secret(cls, value: str) -> str:
        if value and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", value):
            raise ValueError("1-256 characters, only A-Z a-z 0-9 _ - (Telegram's rule)")
        return value

    @field_validator("twilio_whatsapp_from")
    @classmethod
    def _whatsapp_from(cls, value: str) -> str:
        if value and not value.startswith("whatsapp:+"):
            raise ValueError("must look like whatsapp:+14155238886")
        return value

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
        if self.twilio_enabled and self.meta_enabled:
            raise ValueError("RAHNAMA_META_ACCESS_TOKEN: choose one WhatsApp provider, Twilio or Meta, not both")
        if self.telegram_token and self.public_url and not self.telegram_webhook_secret:
            raise ValueError("RAHNAMA_TELEGRAM_WEBHOOK_SECRET: required for a public Telegram webhook")
        return self

    @property
    def twilio_enabled(self) -> bool:
        return bool(self.twilio_account_sid and self.twilio_auth_token and self.twilio_whatsapp_from)

    @property
    def meta_enabled(self) -> bool:
        return bool(self.meta_access_token and self.meta_phone_number_id and self.meta_app_secret and self.meta_verify_token)

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
