"""Conversation state: the flow and step a person is in, kept in the database."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.core.clock import utcnow
from bot.storage.db import dialect_insert
from bot.storage.models import ConversationState


@dataclass
class State:
    flow: str | None = None
    step: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    menu: list[str] = field(default_factory=list)  # payloads of the last numbered menu
    prefs: dict[str, Any] = field(default_factory=dict)  # survives the end of a flow

    def as_row(self) -> dict[str, Any]:
        return {"flow": self.flow, "step": self.step, "data": self.data, "menu": self.menu, "prefs": self.prefs}


async def save_many(conn: AsyncConnection, states: list[tuple[int, State]]) -> None:
    """Insert or update the state of several people in one statement."""
    if not states:
        return
    now = utcnow()
    stmt = dialect_insert(conn, ConversationState)
    stmt = stmt.on_conflict_do_update(index_elements=["user_id"], set_={
        name: getattr(stmt.excluded, name) for name in ("flow", "step", "data", "menu", "prefs", "updated_at")})
    await conn.execute(stmt, [{"user_id": user_id, "updated_at": now, **state.as_row()} for user_id, state in states])
