"""Structured logs (one JSON object per line) that never carry what people wrote.

Fields that could hold message text or identifiers are dropped unless
RAHNAMA_LOG_PERSONAL_DATA=true (a debugging aid for a developer's own test account only).
"""
from __future__ import annotations

import json
import logging
import sys
from datetime import datetime, timezone

PERSONAL_FIELDS = frozenset({"text", "body", "phone", "address", "channel_user_id", "email", "query", "from_"})
LIBRARIES = ("httpx", "httpcore", "telegram", "twilio", "aiosqlite", "sqlalchemy", "asyncio", "alembic",
             "uvicorn.access", "aiohttp", "urllib3", "asyncpg")
_STANDARD = frozenset(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def __init__(self, personal: bool = False) -> None:
        super().__init__()
        self.personal = personal

    def format(self, record: logging.LogRecord) -> str:
        data = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key in _STANDARD or key.startswith("_") or key == "color_message":
                continue
            if key in PERSONAL_FIELDS and not self.personal:
                continue
            data[key] = value if isinstance(value, (int, float, bool, type(None))) else str(value)
        if record.exc_info:
            kind, exc, _tb = record.exc_info
            # The type and where it happened; exception messages can quote data, so only the type
            # unless personal data logging is on.
            data["error"] = kind.__name__ if kind else "error"
            if self.personal and exc is not None:
                data["error_detail"] = str(exc)
            data["trace"] = self.formatException(record.exc_info).splitlines()[-3:] if self.personal else \
                _frames(record.exc_info)
        return json.dumps(data, ensure_ascii=False)


def _frames(exc_info: object) -> list[str]:
    import traceback

    _kind, _exc, tb = exc_info  # type: ignore[misc]
    return [f"{frame.filename.rsplit('/', 2)[-1]}:{frame.lineno} {frame.name}"
            for frame in traceback.extract_tb(tb)[-4:]]


def setup(level: str = "INFO", personal: bool = False) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(personal))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Libraries log request URLs and SQL parameters (message text, phone numbers) at DEBUG/INFO:
    # keep them at WARNING whatever the level, unless personal data logging is on.
    for library in LIBRARIES:
        logging.getLogger(library).setLevel(root.level if personal else max(logging.WARNING, root.level))
