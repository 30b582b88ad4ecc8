"""Time, in one place, so tests and benchmarks can move it."""
from __future__ import annotations

from datetime import datetime, timezone


def utcnow() -> datetime:
    """The current time as an aware UTC datetime."""
    return datetime.now(timezone.utc)
