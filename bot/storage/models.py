"""Database tables. Alembic migrations in `bot/storage/migrations/` create them.

Privacy rule for this file: every column is a decision. Store what a feature needs, no more;
message text lives only until it has been handled or delivered.
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON, BigInteger, Boolean, Date, DateTime, ForeignKey, Index, Integer, MetaData, String, Text,
    TypeDecorator, UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite has no BIGINT autoincrement; INTEGER PRIMARY KEY is its rowid.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes on every backend (SQLite would otherwise return naive ones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use bot.core.clock.utcnow()")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON, date: Date}


class User(Base):
    """A person on one channel. The channel user id is the only identifier we keep."""

    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("channel", "channel_user_id", name="uq_users_channel_user"),
                      {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    channel_user_id: Mapped[str] = mapped_column(String(128))
    lang: Mapped[str | None] = mapped_column(String(8))
    consent_at: Mapped[datetime | None]
    last_inbound_at: Mapped[datetime | None]
    unreachable_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class ConversationState(Base):
    """Where a person is in a flow; survives restarts and is shared by every process."""

    __tablename__ = "conversation_state"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    flow: Mapped[str | None] = mapped_column(String(32))
    step: Mapped[str | None] = mapped_column(String(32))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    menu: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # Small choices that outlive a flow (e.g. "do not offer to switch language again").
    prefs: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime]


class InboxMessage(Base):
    """Durable inbox: committed before the webhook answers; identity and text wiped once handled.

    A handled row keeps only (channel, provider message id) so that a provider's late retry of
    the same message is still recognised as a duplicate until the row is purged.
    """

    __tablename__ = "inbox"
    __table_args__ = (
        UniqueConstraint("channel", "provider_message_id", name="uq_inbox_provider_id"),
        Index("ix_inbox_pending", "status", "channel", "channel_user_id", "id"),
        {"sqlite_autoincrement": True},  # ids only grow, even after deletes: they order messages
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    provider_message_id: Mapped[str] = mapped_column(String(128))
    channel_user_id: Mapped[str | None] = mapped_column(String(128))
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    status: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    received_at: Mapped[datetime]
    handled_at: Mapped[datetime | None]


class OutboxMessage(Base):
    """Transactional outbox: written with the state change, delivered by the worker.

    `recipient` is the ordering key: messages to one recipient go out one at a time, in id order.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_status_due", "status", "next_attempt_at"),
        Index("ix_outbox_recipient_status", "recipient", "status", "id"),
        {"sqlite_autoincrement": True},  # ids only grow, even after deletes: they order messages
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16))
    address: Mapped[str | None] = mapped_column(String(128))
    recipient: Mapped[str] = mapped_column(String(160))
    # none_as_null: a wiped payload is SQL NULL, not the JSON value null.
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    status: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    created_at: Mapped[datetime]
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    provider_message_id: Mapped[str | None] = mapped_column(String(128), index=True)
    error_class: Mapped[str | None] = mapped_column(String(16))
    error_code: Mapped[str | None] = mapped_column(String(32))
    # A re-engagement template to send first when the channel's session window has closed.
    template: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))


class RateLimit(Base):
    """Fixed-window counters keyed by an HMAC, never by a readable identifier."""

    __tablename__ = "rate_limits"

    key: Mapped[str] = mapped_column(String(96), primary_key=True)
    window_start: Mapped[datetime]
    count: Mapped[int] = mapped_column(Integer, default=0)


class AppState(Base):
    """Small key/value facts shared by all processes (content reload requests, secrets)."""

    __tablename__ = "app_state"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime]


class ContentGap(Base):
    """A search that found nothing: the folded words only (digits masked), counted per day."""

    __tablename__ = "content_gaps"
    __table_args__ = (UniqueConstraint("query", "lang", "seen_on", name="uq_content_gaps_query"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    query: Mapped[str] = mapped_column(String(80))
    lang: Mapped[str] = mapped_column(String(8))
    seen_on: Mapped[date] = mapped_column(Date)
    count: Mapped[int] = mapped_column(Integer, default=1)


class Feedback(Base):
    """"Was this helpful?", "report wrong information" and ticket ratings: never linked to a person."""

    __tablename__ = "feedback"
    __table_args__ = (Index("ix_feedback_kind_status", "kind", "status"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))          # helpful | wrong_info | satisfaction
    service_id: Mapped[str | None] = mapped_column(String(40))
    topic: Mapped[str | None] = mapped_column(String(40))  # a category, for ticket ratings
    value: Mapped[int | None] = mapped_column(Integer)     # 1/0 for helpful, 1-5 for ratings
    comment: Mapped[str | None] = mapped_column(Text)
    lang: Mapped[str | None] = mapped_column(String(8))
    created_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12), default="open")  # open | done (editors' queue)


# -- request assistance (tickets) and the staff dashboard ----------------------------------------

class Staff(Base):
    """A staff member of a partner organisation (or an admin of the network)."""

    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    email: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(12))            # staff | editor | admin
    org_id: Mapped[str | None] = mapped_column(String(40))   # a content organisation id
    permissions: Mapped[list[Any]] = mapped_column(JSON, default=list)  # e.g. ["complaints"]
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    last_login_at: Mapped[datetime | None]


class StaffSession(Base):
    """A signed-in browser. Only a hash of the cookie's token is stored."""

    __tablename__ = "staff_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]


class AuditEntry(Base):
    """Who did what, when (every staff action; never message text)."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_at", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(String(200))          # e-mail, or "cli"
    action: Mapped[str] = mapped_column(String(40))
    object_type: Mapped[str | None] = mapped_column(String(20))
    object_ref: Mapped[str | None] = mapped_column(String(40))
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    at: Mapped[datetime]


class Ticket(Base):
    """A request for assistance, answered by a partner organisation through the bot."""

    __tablename__ = "tickets"
    __table_args__ = (Index("ix_tickets_queue", "org_id", "status", "created_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    ref: Mapped[str] = mapped_column(String(12), unique=True)
    # SET NULL: "delete my data" unlinks the person; the case record stays for the partner.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    topic: Mapped[str] = mapped_column(String(40))
    lang: Mapped[str] = mapped_column(String(8))
    org_id: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(12), default="new")  # new | open | closed
    contact: Mapped[str] = mapped_column(String(8), default="chat")  # chat | phone
    phone: Mapped[str | None] = mapped_column(String(32))           # only when they asked to be called
    assigned_to: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    service_id: Mapped[str | None] = mapped_column(String(40))       # the card it was asked from
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    first_response_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(40))
    satisfaction: Mapped[int | None] = mapped_column(Integer)


class TicketMessage(Base):
    __tablename__ = "ticket_messages"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    author: Mapped[str] = mapped_column(String(8))                   # person | staff | note | system
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text, default="")
    media_kind: Mapped[str | None] = mapped_column(String(16))
    media_ref: Mapped[str | None] = mapped_column(String(500))
    outbox_id: Mapped[int | None] = mapped_column(BigInteger)         # delivery of a staff reply
    created_at: Mapped[datetime]


class CannedResponse(Base):
    """A prepared answer, per language (and optionally per organisation)."""

    __tablename__ = "canned_responses"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    org_id: Mapped[str | None] = mapped_column(String(40))
    lang: Mapped[str] = mapped_column(String(8))
    title: Mapped[str] = mapped_column(String(80))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


# -- anonymous complaints ------------------------------------------------------------------------

class Complaint(Base):
    """An anonymous complaint. No column can point back to a person: no user, no channel id,
    no provider id, no time of day (dates only), a random id, and only a slow salted hash of
    the receipt the person keeps."""

    __tablename__ = "complaints"
    __table_args__ = (Index("ix_complaints_queue", "status", "urgent", "created_on"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)   # random, not sequential
    receipt_hash: Mapped[str] = mapped_column(String(64), unique=True)
    category: Mapped[str] = mapped_column(String(20))
    org_id: Mapped[str | None] = mapped_column(String(40))           # the organisation complained about
    service_id: Mapped[str | None] = mapped_column(String(40))
    handler_org: Mapped[str | None] = mapped_column(String(40))      # the focal point handling it
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(12), default="new")   # new | in_progress | answered | closed
    assigned_to: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    created_on: Mapped[date] = mapped_column(Date)
    updated_on: Mapped[date] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date)
    outcome: Mapped[str | None] = mapped_column(String(40))
    closed_by_person: Mapped[bool] = mapped_column(Boolean, default=False)


class ComplaintMessage(Base):
    """What the person wrote and what staff answered (readable with the receipt). Numbered
    within the complaint: a global sequence would tell the order of all complaints' messages."""

    __tablename__ = "complaint_messages"

    complaint_id: Mapped[str] = mapped_column(ForeignKey("complaints.id", ondelete="CASCADE"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    author: Mapped[str] = mapped_column(String(8))                   # person | staff
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    created_on: Mapped[date] = mapped_column(Date)
