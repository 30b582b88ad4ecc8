"""Fixed-window rate limits shared by every process, keyed by an HMAC of what is limited.

The key never contains a readable identifier (an e-mail, a chat id): only an HMAC with the
deployment's secret, so the table cannot be used to find out who did something.
"""
from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

from sqlalchemy import case, select

from bot.storage.db import dialect_insert
from bot.storage.models import RateLimit


def key_for(secret: str, *parts: str) -> str:
    return hmac.new(secret.encode(), "\x1f".join(parts).encode(), hashlib.sha256).hexdigest()[:64]


def _window(now: datetime, seconds: int) -> datetime:
    start = int(now.timestamp()) // seconds * seconds
    return datetime.fromtimestamp(start, now.tzinfo)


async def hit(session: object, key: str, limit: int, window: timedelta, now: datetime) -> bool:
    """Count one attempt; True if it is within the limit."""
    start = _window(now, int(window.total_seconds()))
    conn = await session.connection()  # type: ignore[attr-defined]
    stmt = dialect_insert(conn, RateLimit).values(key=key, window_start=start, count=1)
    stmt = stmt.on_conflict_do_update(index_elements=["key"], set_={
        # A new window resets the count; the same window adds one.
        "count": case((RateLimit.window_start == start, RateLimit.count + 1), else_=1), "window_start": start})
    await conn.execute(stmt)
    count = await conn.scalar(select(RateLimit.count).where(RateLimit.key == key))
    return (count or 0) <= limit


async def remaining(session: object, key: str, limit: int, window: timedelta, now: datetime) -> int:
    start = _window(now, int(window.total_seconds()))
    row = (await session.execute(select(RateLimit.count, RateLimit.window_start)  # type: ignore[attr-defined]
                                 .where(RateLimit.key == key))).first()
    if row is None or row.window_start != start:
        return limit
    return max(0, limit - row.count)
