"""Durable inbox: accept (commit before acknowledging the provider), then handle in order.

Accepting: a message is committed with its provider id as a unique key before the webhook
answers 2xx; a provider id seen before is acknowledged and not handled again, also when two
deliveries race. Concurrent accepts are committed together (group commit), which is what lets
SQLite keep up with bursts.

Handling: `InboxProcessor` takes the *oldest* pending message of up to `batch` people and
handles them in one transaction (see `Conversations.handle_batch`). A person's next message is
only eligible once the previous one is done, so one person's messages are handled strictly in
order and never in parallel, across every process: on PostgreSQL the rows are claimed with
`FOR UPDATE SKIP LOCKED`, on SQLite the write lock serialises batches. Pending rows survive a
crash and are picked up by the next poll of any process.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from typing import Any

from sqlalchemy import and_, bindparam, exists, select, tuple_
from sqlalchemy.orm import aliased

from bot.core.messages import InboundMessage
from bot.storage.db import Database, dialect_insert
from bot.storage.models import InboxMessage

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
ACCEPT_BATCH = 500


@dataclass
class Pending:
    """A claimed inbox row, ready to be handled."""

    id: int
    message: InboundMessage
    attempts: int


class Acceptor:
    """Commits inbound messages, many concurrent ones per transaction."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._queue: list[tuple[InboundMessage, asyncio.Future[bool]]] = []
        self._insert: Any = None
        self._task: asyncio.Task[None] | None = None

    async def accept(self, message: InboundMessage) -> bool:
        """Commit `message`; False if its provider id was seen before."""
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._queue.append((message, future))
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run())
        return await future

    async def _run(self) -> None:
        while self._queue:
            batch, self._queue = self._queue[:ACCEPT_BATCH], self._queue[ACCEPT_BATCH:]
            try:
                fresh = await self._commit([message for message, _ in batch])
            except Exception as exc:  # the webhook must answer 5xx so the provider retries
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for message, future in batch:
                if not future.done():
                    key = (message.channel, message.provider_message_id)
                    future.set_result(key in fresh)
                    fresh.discard(key)  # a second copy in the same batch is a duplicate

    async def _commit(self, messages: list[InboundMessage]) -> set[tuple[str, str]]:
        rows, seen = [], set()
        for message in messages:
            key = (message.channel, message.provider_message_id)
            if key not in seen:
                seen.add(key)
                rows.append({"channel": message.channel, "provider_message_id": message.provider_message_id,
                             "channel_user_id": message.channel_user_id, "payload": message.to_payload(),
                             "status": "pending", "attempts": 0, "received_at": message.received_at})
        async with self.db.write_conn() as conn:
            if self._insert is None:
                self._insert = (dialect_insert(conn, InboxMessage)
                                .on_conflict_do_nothing(index_elements=["channel", "provider_message_id"])
                                .returning(InboxMessage.channel, InboxMessage.provider_message_id))
            return {(row[0], row[1]) for row in await conn.execute(self._insert, rows)}


def _heads(keys: bool) -> Any:
    """The oldest pending message of each person (skipping people another batch holds)."""
    row = aliased(InboxMessage, name="head")
    earlier = aliased(InboxMessage, name="earlier")
    blocked = exists().where(and_(earlier.channel == row.channel, earlier.channel_user_id == row.channel_user_id,
                                  earlier.status == "pending", earlier.id < row.id))
    query = select(row.id, row.channel, row.channel_user_id, row.provider_message_id, row.payload,
                   row.received_at, row.attempts).where(row.status == "pending", ~blocked)
    if keys:
        query = query.where(tuple_(row.channel, row.channel_user_id).in_(bindparam("b_keys", expanding=True)))
    return query.order_by(row.id).limit(bindparam("b_limit")).with_for_update(skip_locked=True, of=row)


# Built once: statements are compiled and cached by SQLAlchemy, which matters on this hot path.
HEADS = _heads(keys=False)
HEADS_OF = _heads(keys=True)


async def claim_heads(conn: Any, limit: int, keys: list[tuple[str, str]] | None = None) -> list["Pending"]:
    if keys is None:
        result = await conn.execute(HEADS, {"b_limit": limit})
    else:
        result = await conn.execute(HEADS_OF, {"b_limit": limit, "b_keys": keys})
    return [to_pending(row) for row in result]


def to_pending(row: Any) -> Pending:
    message = InboundMessage.from_payload(
        row.payload or {}, channel=row.channel, channel_user_id=row.channel_user_id or "",
        provider_message_id=row.provider_message_id, received_at=row.received_at)
    return Pending(row.id, message, row.attempts)


HandleBatch = Callable[[int], Awaitable[int]]


class InboxProcessor:
    """Runs batches while there is work; sleeps until woken (or the poll interval) otherwise."""

    def __init__(self, handle_batch: HandleBatch, *, batch: int = 64, parallel: int = 1,
                 poll_seconds: float = 1.0) -> None:
        self.handle_batch = handle_batch
        self.batch = batch
        self.poll_seconds = poll_seconds
        self._slots = asyncio.Semaphore(parallel)
        self._parallel = parallel
        self._wake = asyncio.Event()
        self._running = 0
        self._quiet = asyncio.Event()
        self._quiet.set()

    def wake(self) -> None:
        self._wake.set()

    async def _one_batch(self) -> int:
        async with self._slots:
            self._running += 1
            self._quiet.clear()
            try:
                return await self.handle_batch(self.batch)
            finally:
                self._running -= 1
                if not self._running:
                    self._quiet.set()

    async def drain(self) -> int:
        """Handle batches until nothing is pending and no batch is in flight (console, tests)."""
        total = 0
        while True:
            done = await self._one_batch()
            total += done
            if done == 0:
                if not self._running:
                    return total
                await self._quiet.wait()  # a background batch holds some messages: let it finish

    async def run(self) -> None:
        """The background loops (several on PostgreSQL, where batches can run side by side)."""
        await asyncio.gather(*(self._loop() for _ in range(self._parallel)))

    async def _loop(self) -> None:
        while True:
            self._wake.clear()  # a wake-up during the batch is kept and ends the wait below at once
            try:
                done = await self._one_batch()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("inbox batch failed; retrying")
                done = 0
                await asyncio.sleep(0.5)
            if done == 0:
                try:
                    await asyncio.wait_for(self._wake.wait(), self.poll_seconds)
                except asyncio.TimeoutError:
                    pass
