"""People, as the database knows them: a channel, an id on it, a language, a consent time."""
from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.core.clock import utcnow
from bot.core.state import State
from bot.storage.db import dialect_insert
from bot.storage.models import ConversationState, InboxMessage, OutboxMessage, User

Key = tuple[str, str]  # (channel, channel user id)


@dataclass
class UserRecord:
    """The fields of a person a turn may read; handlers change `lang` and `consent_at`."""

    id: int
    channel: str
    channel_user_id: str
    lang: str | None = None
    consent_at: datetime | None = None
    last_inbound_at: datetime | None = None
    unreachable_at: datetime | None = None

    @property
    def key(self) -> Key:
        return (self.channel, self.channel_user_id)

    def copy(self) -> "UserRecord":
        return replace(self)

    def changes(self, before: "UserRecord") -> dict[str, object]:
        return {f.name: getattr(self, f.name) for f in fields(self)
                if getattr(self, f.name) != getattr(before, f.name)}


_COLUMNS = (User.id, User.channel, User.channel_user_id, User.lang, User.consent_at, User.last_inbound_at,
            User.unreachable_at, ConversationState.user_id.label("has_state"), ConversationState.flow,
            ConversationState.step, ConversationState.data, ConversationState.menu, ConversationState.prefs)


async def load_many(conn: AsyncConnection, keys: list[Key]) -> dict[Key, tuple[UserRecord, State, bool]]:
    """Users (created on first contact) with their conversation state, by (channel, id).

    The bool says whether a state row exists already (so saving can skip an unchanged one).
    """
    found = await _select(conn, keys)
    missing = [key for key in keys if key not in found]
    if missing:
        now = utcnow()
        stmt = dialect_insert(conn, User).on_conflict_do_nothing(index_elements=["channel", "channel_user_id"])
        await conn.execute(stmt, [{"channel": c, "channel_user_id": u, "created_at": now} for c, u in missing])
        found.update(await _select(conn, missing))
    return found


async def _select(conn: AsyncConnection, keys: list[Key]) -> dict[Key, tuple[UserRecord, State, bool]]:
    rows = await conn.execute(
        select(*_COLUMNS).outerjoin(ConversationState, ConversationState.user_id == User.id)
        .where(tuple_(User.channel, User.channel_user_id).in_(keys)))
    result = {}
    for row in rows:
        user = UserRecord(row.id, row.channel, row.channel_user_id, row.lang, row.consent_at,
                          row.last_inbound_at, row.unreachable_at)
        state = State(flow=row.flow, step=row.step, data=dict(row.data or {}), menu=list(row.menu or []),
                      prefs=dict(row.prefs or {}))
        result[user.key] = (user, state, row.has_state is not None)
    return result


_UPDATE = (update(User).where(User.id == bindparam("b_id"))
           .values(lang=bindparam("b_lang"), consent_at=bindparam("b_consent_at"),
                   last_inbound_at=bindparam("b_last_inbound_at"), unreachable_at=bindparam("b_unreachable_at")))


async def save_many(conn: AsyncConnection, users: list[UserRecord]) -> None:
    """Write back the people whose fields a turn changed (one statement for all)."""
    if users:
        await conn.execute(_UPDATE, [{"b_id": u.id, "b_lang": u.lang, "b_consent_at": u.consent_at,
                                      "b_last_inbound_at": u.last_inbound_at,
                                      "b_unreachable_at": u.unreachable_at} for u in users])


async def erase(session: Any, user: UserRecord) -> None:
    """Delete a person's personal data: conversation, pending messages, identity.

    Rows that other features keep for accountability (tickets) are unlinked by their own
    foreign keys (ON DELETE SET NULL); anonymous complaints never had a link.
    """
    conn = await session.connection()
    await conn.execute(delete(ConversationState).where(ConversationState.user_id == user.id))
    await conn.execute(update(InboxMessage)
                       .where(InboxMessage.channel == user.channel, InboxMessage.channel_user_id == user.channel_user_id)
                       .values(channel_user_id=None, payload=None, status="done", handled_at=utcnow()))
    await conn.execute(delete(OutboxMessage).where(OutboxMessage.user_id == user.id))
    await conn.execute(delete(User).where(User.id == user.id))
