"""Transactional outbox and its delivery worker.

Replies are inserted in the same transaction as the state change that caused them, so a crash
can never leave a changed conversation without its reply. The worker then delivers them:

* it claims the oldest pending message of each recipient (`FOR UPDATE SKIP LOCKED` on
  PostgreSQL, so several workers share the work; SQLite ignores the clause and serialises);
  a recipient's next message is claimable only once every earlier one has left, so one person's
  messages never go out in parallel or out of order;
* it paces each recipient and each channel as the adapter asks, honours a provider's
  `retry_after`, retries with exponential backoff, and classifies failures;
* it holds free-form messages when a channel's session window (WhatsApp's 24 hours) has closed,
  sends an approved template instead, and releases the held messages when the person writes;
* once delivered, a message's text and address are wiped: the row keeps only delivery facts.

Delivery is at-least-once: a crash after the provider accepted a message but before we recorded
it would send that message again after the claim lease expires.
"""
from __future__ import annotations

import asyncio
import hashlib
import logging
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, delete, exists, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.channels.base import Channel, DeliveryError, Template
from bot.core.clock import utcnow
from bot.core.messages import OutboundMessage
from bot.core.notify import Notifier
from bot.storage.db import Database
from bot.storage.models import ConversationState, InboxMessage, OutboxMessage, RateLimit, User

log = logging.getLogger(__name__)

CLAIM_LEASE = timedelta(minutes=2)
MAX_BACKOFF = 3600.0
IN_FLIGHT = ("pending", "sending")


def user_recipient(user_id: int) -> str:
    return f"u:{user_id}"


def address_recipient(channel: str, address: str) -> str:
    # Hashed: the ordering key must not be a readable phone number or chat id.
    return "a:" + hashlib.sha256(f"{channel}:{address}".encode()).hexdigest()[:24]


def rows(*, channel: str, messages: list[OutboundMessage], user_id: int | None = None,
         address: str | None = None, template: Template | None = None,
         now: datetime | None = None, sensitive: bool = False) -> list[dict[str, Any]]:
    """Outbox rows for messages to one recipient (a person, or an address such as a staff group).

    `sensitive` rows (an anonymous flow) are deleted once delivered, not kept as delivery facts.
    """
    if user_id is None and address is None:
        raise ValueError("a message needs a user or an address")
    now = now or utcnow()
    recipient = user_recipient(user_id) if user_id is not None else address_recipient(channel, address or "")
    return [{"user_id": user_id, "channel": channel, "address": address if user_id is None else None,
             "recipient": recipient, "payload": {**message.to_payload(), **({"sensitive": True} if sensitive else {})},
             "status": "pending", "attempts": 0,
             "next_attempt_at": now, "created_at": now, "template": _template_json(template)}
            for message in messages]


async def enqueue(session: AsyncSession, *, channel: str, messages: list[OutboundMessage],
                  user_id: int | None = None, address: str | None = None,
                  template: Template | None = None, now: datetime | None = None) -> list[int]:
    """Write messages for one recipient into the outbox (inside the caller's transaction)."""
    values = rows(channel=channel, messages=messages, user_id=user_id, address=address, template=template, now=now)
    if not values:
        return []
    result = await session.execute(insert(OutboxMessage).returning(OutboxMessage.id), values)
    return list(result.scalars())


def _template_json(template: Template | None) -> dict[str, Any] | None:
    if template is None:
        return None
    return {"name": template.name, "lang": template.lang, "variables": template.variables, "text": template.text}


async def release_held(conn: Any, user_ids: list[int], now: datetime | None = None) -> set[int]:
    """These people wrote: their session window is open again, so held messages may go."""
    result = await conn.execute(
        update(OutboxMessage)
        .where(OutboxMessage.user_id.in_(user_ids), OutboxMessage.status == "held")
        .values(status="pending", next_attempt_at=now or utcnow())
        .returning(OutboxMessage.user_id))
    return {row[0] for row in result}


def recipients_of(channel: str, channel_user_id: str, user_id: int | None) -> list[str]:
    """Every ordering key a pull client may have messages under (the person may have been erased)."""
    keys = [address_recipient(channel, channel_user_id)]
    if user_id is not None:
        keys.insert(0, user_recipient(user_id))
    return keys


async def pending_for(session: AsyncSession, recipients: list[str], after_id: int = 0) -> list[tuple[int, OutboundMessage]]:
    """Undelivered messages for a pull channel's client, oldest first."""
    rows = await session.execute(
        select(OutboxMessage.id, OutboxMessage.payload)
        .where(OutboxMessage.recipient.in_(recipients), OutboxMessage.status == "pending",
               OutboxMessage.id > after_id)
        .order_by(OutboxMessage.id))
    return [(row.id, OutboundMessage.from_payload(row.payload)) for row in rows if row.payload]


async def acknowledge(session: AsyncSession, recipients: list[str], up_to_id: int) -> int:
    """The client showed everything up to `up_to_id`: mark it delivered and wipe text and address."""
    shown = (OutboxMessage.recipient.in_(recipients), OutboxMessage.status == "pending", OutboxMessage.id <= up_to_id)
    await session.execute(delete(OutboxMessage).where(*shown, _SENSITIVE))
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.recipient.in_(recipients), OutboxMessage.status == "pending",
               OutboxMessage.id <= up_to_id)
        .values(status="delivered", payload=None, address=None, sent_at=utcnow()))
    return result.rowcount or 0


# -- the worker ----------------------------------------------------------------------------------

def _record(**values: Any) -> Any:
    return update(OutboxMessage).where(OutboxMessage.id == bindparam("b_id")).values(claimed_at=None, **values)


_SENSITIVE = OutboxMessage.payload["sensitive"].as_boolean().is_(True)

_RECORD = {
    "forget": delete(OutboxMessage).where(OutboxMessage.id == bindparam("b_id")),
    "sent": _record(status="sent", payload=None, address=None, sent_at=bindparam("b_now"),
                    provider_message_id=bindparam("b_provider_id"), error_class=None, error_code=None),
    "sent_unconfirmed": _record(status="sent", sent_at=bindparam("b_now"), provider_message_id=bindparam("b_provider_id"),
                                error_class=None, error_code=None),
    "pending": _record(status="pending", next_attempt_at=bindparam("b_at")),
    "retry": _record(status="pending", attempts=bindparam("b_attempts"), next_attempt_at=bindparam("b_at"),
                     error_class=bindparam("b_error_class"), error_code=bindparam("b_error_code")),
    "final": _record(status=bindparam("b_status"), payload=None, attempts=bindparam("b_attempts"),
                     error_class=bindparam("b_error_class"), error_code=bindparam("b_error_code")),
    "held": _record(status="held", error_class=bindparam("b_error_class"), error_code=bindparam("b_error_code")),
}


def _claim_statement() -> Any:
    """Mark the oldest due message of each recipient as sending; return their ids.

    A recipient's message is due only when no earlier one is pending or sending, which keeps
    one person's messages in order even with several workers (SKIP LOCKED on PostgreSQL).
    Aliases keep the candidate query from being correlated with the UPDATE's own table.
    """
    candidate = aliased(OutboxMessage, name="candidate")
    earlier = aliased(OutboxMessage, name="earlier")
    blocked = exists().where(and_(earlier.recipient == candidate.recipient, earlier.id < candidate.id,
                                  earlier.status.in_(IN_FLIGHT)))
    heads = (select(candidate.id)
             .where(candidate.status == "pending", candidate.next_attempt_at <= bindparam("b_now"),
                    candidate.channel.in_(bindparam("b_channels", expanding=True)), ~blocked)
             .order_by(candidate.id).limit(bindparam("b_limit"))
             .with_for_update(skip_locked=True, of=candidate))
    return (update(OutboxMessage).where(OutboxMessage.id.in_(heads.scalar_subquery()))
            .values(status="sending", claimed_at=bindparam("b_now")).returning(OutboxMessage.id))


_CLAIM = _claim_statement()
_CLAIMED = (select(OutboxMessage.id, OutboxMessage.channel, OutboxMessage.recipient, OutboxMessage.address,
                   OutboxMessage.payload, OutboxMessage.attempts, OutboxMessage.template, OutboxMessage.user_id,
                   User.channel_user_id, User.last_inbound_at, User.unreachable_at)
            .outerjoin(User, User.id == OutboxMessage.user_id)
            .where(OutboxMessage.id.in_(bindparam("b_ids", expanding=True))).order_by(OutboxMessage.id))


def _outcome_params(row: "Claimed", outcome: "Outcome", now: datetime) -> dict[str, Any]:
    return {"b_id": row.id, "b_now": now, "b_provider_id": outcome.provider_id,
            "b_at": outcome.retry_at or now, "b_attempts": row.attempts + 1, "b_status": outcome.status,
            "b_error_class": outcome.error_class, "b_error_code": outcome.error_code}


@dataclass
class Claimed:
    id: int
    channel: str
    recipient: str
    address: str | None
    payload: dict[str, Any] | None
    attempts: int
    template: dict[str, Any] | None
    user_id: int | None
    last_inbound_at: datetime | None
    unreachable: bool


@dataclass
class Outcome:
    status: str
    provider_id: str | None = None
    error_class: str | None = None
    error_code: str | None = None
    retry_at: datetime | None = None
    template_for: Claimed | None = None


@dataclass
class _Bucket:
    """Token bucket for pacing."""

    rate: float
    burst: float
    tokens: float = 0.0
    stamp: float = 0.0

    def ready_in(self, clock: float) -> float:
        self.tokens = min(self.burst, self.tokens + (clock - self.stamp) * self.rate)
        self.stamp = clock
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate

    def take(self) -> None:
        self.tokens -= 1


@dataclass
class WorkerStats:
    sent: int = 0
    failed: int = 0
    retried: int = 0
    held: int = 0
    by_channel: dict[str, int] = field(default_factory=dict)


class OutboxWorker:
    """Delivers pending messages through push channels."""

    def __init__(self, db: Database, channels: dict[str, Channel], *, batch: int = 50,
                 poll_seconds: float = 1.0, max_attempts: int = 8, notifier: Notifier | None = None,
                 concurrency: int = 32) -> None:
        self.db = db
        self.channels = channels
        self.batch = batch
        self.poll_seconds = poll_seconds
        self.max_attempts = max_attempts
        self.notifier = notifier or Notifier()
        self.concurrency = asyncio.Semaphore(concurrency)
        self.stats = WorkerStats()
        self._recipient_buckets: dict[str, _Bucket] = {}
        self._channel_buckets: dict[str, _Bucket] = {}
        self._paused_until: dict[str, datetime] = {}
        self._last_lease_check = 0.0
        self._next_due: datetime | None = None

    @property
    def push_channels(self) -> list[str]:
        return [name for name, channel in self.channels.items() if channel.push]

    def wake(self) -> None:
        self.notifier.notify("outbox")

    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Deliver until cancelled (or `stop` is set)."""
        stop = stop or asyncio.Event()
        while not stop.is_set():
            try:
                busy = await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox delivery round failed; retrying")
                busy = False
            if not busy:
                await self.notifier.wait("outbox", self._idle_seconds())

    def _idle_seconds(self) -> float:
        """Sleep until the next paced message is due, or the poll interval."""
        if self._next_due is None:
            return self.poll_seconds
        due = (self._next_due - utcnow()).total_seconds()
        self._next_due = None
        return max(0.01, min(self.poll_seconds, due))

    async def run_once(self) -> bool:
        """One round: claim a batch, deliver it, record outcomes. True if anything was claimed."""
        loop_clock = asyncio.get_running_loop().time()
        if loop_clock - self._last_lease_check > 30:
            self._last_lease_check = loop_clock
            await self.release_expired_claims()
        claimed = await self.claim()
        if not claimed:
            return False
        outcomes = await asyncio.gather(*(self._deliver_guarded(row) for row in claimed))
        await self.record(list(zip(claimed, outcomes)))
        return True

    async def claim(self) -> list[Claimed]:
        channels = self.push_channels
        if not channels:
            return []
        async with self.db.write_conn() as conn:
            ids = list((await conn.execute(_CLAIM, {"b_now": utcnow(), "b_channels": channels,
                                                    "b_limit": self.batch})).scalars())
            if not ids:
                return []
            rows = await conn.execute(_CLAIMED, {"b_ids": ids})
            return [Claimed(
                id=row.id, channel=row.channel, recipient=row.recipient,
                address=row.channel_user_id if row.user_id is not None else row.address,
                payload=row.payload, attempts=row.attempts, template=row.template, user_id=row.user_id,
                last_inbound_at=row.last_inbound_at, unreachable=row.unreachable_at is not None) for row in rows]

    async def _deliver_guarded(self, row: Claimed) -> Outcome:
        async with self.concurrency:
            try:
                return await self.deliver(row)
            except DeliveryError as exc:
                return self._classify(row, exc)
            except Exception as exc:  # an adapter bug must not lose the message
                log.exception("adapter raised while sending", extra={"outbox_id": row.id, "channel": row.channel})
                return self._classify(row, DeliveryError(DeliveryError.RETRY, type(exc).__name__))

    async def deliver(self, row: Claimed) -> Outcome:
        channel = self.channels.get(row.channel)
        now = utcnow()
        if channel is None:
            return self._classify(row, DeliveryError(DeliveryError.RETRY, "channel-off"))
        if row.unreachable:
            return Outcome("unreachable", error_class=DeliveryError.UNREACHABLE, error_code="blocked")
        if not row.address or row.payload is None:
            return Outcome("failed", error_class=DeliveryError.PERMANENT, error_code="no-address")
        paused = self._paused_until.get(row.channel)
        if paused and paused > now:
            return Outcome("pending", retry_at=paused)
        template = row.payload.get("template")
        if template is None and self._window_closed(channel, row, now):
            return Outcome("held", template_for=row)
        wait = self._pace(channel, row.recipient)
        if wait > 0:
            return Outcome("pending", retry_at=now + timedelta(seconds=wait))
        if template is not None:
            provider_id = await channel.send_template(row.address, Template(**template))
        else:
            provider_id = await channel.send(row.address, OutboundMessage.from_payload(row.payload))
        return Outcome("sent", provider_id=provider_id)

    def _window_closed(self, channel: Channel, row: Claimed, now: datetime) -> bool:
        window = channel.session_window
        if window is None or row.user_id is None:
            return False
        return row.last_inbound_at is None or now - row.last_inbound_at > window

    def _pace(self, channel: Channel, recipient: str) -> float:
        clock = asyncio.get_running_loop().time()
        waits = []
        if channel.recipient_rate:
            bucket = self._recipient_buckets.setdefault(
                recipient, _Bucket(channel.recipient_rate, channel.recipient_burst, channel.recipient_burst, clock))
            waits.append((bucket, bucket.ready_in(clock)))
        if channel.channel_rate:
            bucket = self._channel_buckets.setdefault(
                channel.name, _Bucket(channel.channel_rate, channel.channel_rate, channel.channel_rate, clock))
            waits.append((bucket, bucket.ready_in(clock)))
        longest = max((wait for _, wait in waits), default=0.0)
        if longest == 0:
            for bucket, _ in waits:
                bucket.take()
        if len(self._recipient_buckets) > 10000:  # forget idle recipients
            self._recipient_buckets.clear()
        return longest

    def _classify(self, row: Claimed, exc: DeliveryError) -> Outcome:
        now = utcnow()
        if exc.kind == DeliveryError.WINDOW_CLOSED:
            return Outcome("held", error_class=exc.kind, error_code=exc.code, template_for=row)
        if exc.kind == DeliveryError.UNREACHABLE:
            return Outcome("unreachable", error_class=exc.kind, error_code=exc.code)
        if exc.kind == DeliveryError.PERMANENT or row.attempts + 1 >= self.max_attempts:
            return Outcome("failed", error_class=exc.kind, error_code=exc.code)
        if exc.retry_after is not None:
            delay = exc.retry_after + 0.1
            if exc.whole_channel:
                self._paused_until[row.channel] = now + timedelta(seconds=delay)
        else:
            delay = min(MAX_BACKOFF, 2 ** row.attempts) * random.uniform(0.8, 1.2)
        return Outcome("retry", error_class=exc.kind, error_code=exc.code, retry_at=now + timedelta(seconds=delay))

    async def record(self, results: list[tuple[Claimed, Outcome]]) -> None:
        """Write every outcome of a round in one transaction (one statement per kind of outcome)."""
        now = utcnow()
        groups: dict[str, list[dict[str, Any]]] = {}
        for row, outcome in results:
            kind = "final" if outcome.status in ("failed", "unreachable") else outcome.status
            if kind in ("sent", "final") and row.payload and row.payload.get("sensitive"):
                kind = "forget"  # an anonymous flow's message: no delivery fact may remain
            elif kind == "sent" and getattr(self.channels.get(row.channel), "confirms_delivery", False):
                kind = "sent_unconfirmed"  # keep the text until the provider confirms delivery
            groups.setdefault(kind, []).append(_outcome_params(row, outcome, now))
        async with self.db.write() as session:
            conn = await session.connection()
            for kind, params in groups.items():
                await conn.execute(_RECORD[kind], params)
            blocked = [row.user_id for row, outcome in results if outcome.status == "unreachable" and row.user_id]
            if blocked:
                await conn.execute(update(User).where(User.id.in_(blocked), User.unreachable_at.is_(None))
                                   .values(unreachable_at=now))
            for row, outcome in results:
                if outcome.status == "held" and row.template:
                    await self.queue_template(session, row, now)
        for row, outcome in results:
            self._count(row, outcome)
            if outcome.retry_at and (self._next_due is None or outcome.retry_at < self._next_due):
                self._next_due = outcome.retry_at

    async def queue_template(self, session: AsyncSession, row: Any, now: datetime) -> None:
        """Queue the re-engagement template of a held message, unless one already waits for this person."""
        if not row.template:
            return
        other_held = await session.scalar(
            select(OutboxMessage.id).where(OutboxMessage.recipient == row.recipient, OutboxMessage.status == "held",
                                           OutboxMessage.id != row.id).limit(1))
        if other_held is not None:
            return
        session.add(OutboxMessage(
            user_id=row.user_id, channel=row.channel, address=None, recipient=row.recipient,
            payload={"template": row.template}, status="pending", attempts=0,
            next_attempt_at=now, created_at=now))

    def _count(self, row: Claimed, outcome: Outcome) -> None:
        if outcome.status == "sent":
            self.stats.sent += 1
            self.stats.by_channel[row.channel] = self.stats.by_channel.get(row.channel, 0) + 1
        elif outcome.status in ("failed", "unreachable"):
            self.stats.failed += 1
            log.warning("delivery failed", extra={"outbox_id": row.id, "channel": row.channel,
                                                  "error_class": outcome.error_class, "error_code": outcome.error_code})
        elif outcome.status == "retry":
            self.stats.retried += 1
        elif outcome.status == "held":
            self.stats.held += 1

    async def release_expired_claims(self) -> int:
        """Messages claimed by a worker that died mid-send go back to the queue."""
        async with self.db.write() as session:
            result = await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.status == "sending", OutboxMessage.claimed_at < utcnow() - CLAIM_LEASE)
                .values(status="pending", claimed_at=None))
            return result.rowcount or 0


async def purge(db: Database, retention_days: int, inbox_days: int = 7) -> tuple[int, int]:
    """Forget old delivery facts and inbox de-duplication keys."""
    now = utcnow()
    async with db.write() as session:
        outbox = await session.execute(delete(OutboxMessage).where(
            OutboxMessage.status.in_(("sent", "delivered", "read", "failed", "unreachable")),
            OutboxMessage.created_at < now - timedelta(days=retention_days)))
        inbox = await session.execute(delete(InboxMessage).where(
            InboxMessage.status != "pending", InboxMessage.received_at < now - timedelta(days=inbox_days)))
        await session.execute(delete(RateLimit).where(RateLimit.window_start < now - timedelta(days=2)))
        # A complaint started and abandoned: its draft must not stay beside the person.
        await session.execute(delete(ConversationState).where(
            ConversationState.flow == "complaint", ConversationState.updated_at < now - timedelta(days=1)))
        # Sent but never confirmed delivered (no status callback came): forget the text anyway.
        await session.execute(update(OutboxMessage).where(
            OutboxMessage.status == "sent", OutboxMessage.payload.is_not(None),
            OutboxMessage.sent_at < now - timedelta(days=2)).values(payload=None, address=None))
        return outbox.rowcount or 0, inbox.rowcount or 0
