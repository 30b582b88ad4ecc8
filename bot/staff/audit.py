"""The audit log: every staff action, with who and when (never message text)."""
from __future__ import annotations

from typing import Any

from bot.core.clock import utcnow
from bot.storage.models import AuditEntry, Staff


def record(session: Any, actor: Staff | None, action: str, object_type: str | None = None,
           object_ref: str | None = None, **detail: Any) -> None:
    session.add(AuditEntry(staff_id=actor.id if actor else None, actor=actor.email if actor else "cli",
                           action=action, object_type=object_type, object_ref=object_ref,
                           detail=detail or None, at=utcnow()))
