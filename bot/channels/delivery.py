"""Delivery reports from providers (Twilio status callbacks, Meta statuses) → the outbox row."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from bot.core.clock import utcnow
from bot.storage.models import OutboxMessage

RANK = {"sent": 1, "delivered": 2, "read": 3}
PROVIDER_STATUS = {"queued": "sent", "accepted": "sent", "sending": "sent", "sent": "sent", "delivered": "delivered",
                   "read": "read", "failed": "failed", "undelivered": "failed"}


async def record_status(runtime: Any, provider_id: str, provider_status: str, error_code: str | None,
                        window_closed: bool = False) -> None:
    """Keep the furthest status (callbacks arrive out of order); a late window failure is held."""
    status = PROVIDER_STATUS.get(provider_status.lower())
    if not provider_id or status is None:
        return
    async with runtime.db.write() as session:
        row = await session.scalar(select(OutboxMessage).where(OutboxMessage.provider_message_id == provider_id))
        if row is None or row.status in ("held", "failed"):
            return
        if status == "failed":
            if window_closed and row.payload:
                await session.execute(update(OutboxMessage).where(OutboxMessage.id == row.id).values(
                    status="held", error_class="window", error_code=error_code, provider_message_id=None))
                await runtime.outbox.queue_template(session, row, utcnow())
            else:
                row.status, row.error_class, row.error_code = "failed", "provider", error_code
                row.payload = row.address = None
        elif RANK[status] > RANK.get(row.status, 0):
            row.status = status
            if status in ("delivered", "read"):
                row.payload = row.address = None  # confirmed: forget the text
