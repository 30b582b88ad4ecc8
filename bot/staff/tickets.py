"""Requests for assistance ("tickets"): created in the chat, answered from the dashboard or CLI.

Everything that changes a ticket lives here, so the bot, the dashboard and `rahnama tickets`
behave the same. Messages to the person go through the outbox in their language, marked as
written by a person; on channels with a session window (WhatsApp) a reply outside the window is
held and an approved template tells the person there is a reply waiting.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.channels.base import Template
from bot.core import outbox
from bot.core.messages import Button, OutboundMessage
from bot.staff import audit
from bot.storage.models import Staff, Ticket, TicketMessage, User

REF_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read aloud on the phone
OUTCOMES = ("answered", "referred", "resolved", "no_reply", "duplicate", "deleted_by_person")
MAX_TEXT = 4000


class TicketError(Exception):
    """An action that is not allowed (wrong state, no permission)."""


def new_ref() -> str:
    return "A-" + "".join(secrets.choice(REF_ALPHABET) for _ in range(4))


def route(content: Any, topic: str) -> str:
    """The partner that owns a topic, else the network's default partner."""
    for partner in content.network.partners:
        if topic in partner.categories:
            return partner.organisation
    if content.network.default_partner:
        return content.network.default_partner
    if content.network.partners:
        return content.network.partners[0].organisation
    raise TicketError("no partner organisation is configured in network.yaml")


def partner(content: Any, org_id: str) -> Any:
    return next((p for p in content.network.partners if p.organisation == org_id), None)


@dataclass
class Draft:
    topic: str
    messages: list[dict[str, Any]]   # {"text", "media_kind", "media_ref"}
    contact: str = "chat"
    phone: str | None = None
    service_id: str | None = None


async def create(session: AsyncSession, content: Any, user_id: int, lang: str, draft: Draft, now: datetime) -> Ticket:
    for _ in range(20):
        ref = new_ref()
        if not await session.scalar(select(Ticket.id).where(Ticket.ref == ref)):
            break
    ticket = Ticket(ref=ref, user_id=user_id, topic=draft.topic, lang=lang, org_id=route(content, draft.topic),
                    status="new", contact=draft.contact, phone=draft.phone if draft.contact == "phone" else None,
                    service_id=draft.service_id, created_at=now, updated_at=now)
    session.add(ticket)
    await session.flush()
    for message in draft.messages:
        session.add(TicketMessage(ticket_id=ticket.id, author="person", text=message.get("text", "")[:MAX_TEXT],
                                  media_kind=message.get("media_kind"), media_ref=message.get("media_ref"),
                                  created_at=now))
    return ticket


async def add_person_message(session: AsyncSession, ticket: Ticket, text: str, now: datetime,
                             media_kind: str | None = None, media_ref: str | None = None) -> None:
    if ticket.status == "closed":
        raise TicketError("closed")
    session.add(TicketMessage(ticket_id=ticket.id, author="person", text=text[:MAX_TEXT],
                              media_kind=media_kind, media_ref=media_ref, created_at=now))
    ticket.updated_at = now


# -- staff actions -----------------------------------------------------------------------------

def can_see(staff: Staff, ticket: Ticket) -> bool:
    return staff.active and (staff.role == "admin" or (staff.role == "staff" and staff.org_id == ticket.org_id))


def _org_name(content: Any, org_id: str, lang: str) -> str:
    organisation = content.organisations.get(org_id)
    return content.field(lang, "organisation", organisation, "name") if organisation else org_id


async def _person(session: AsyncSession, ticket: Ticket) -> User | None:
    return await session.get(User, ticket.user_id) if ticket.user_id else None


async def reply(session: AsyncSession, content: Any, ticket: Ticket, staff: Staff | None, text: str,
                now: datetime) -> TicketMessage:
    """Send a staff answer to the person, on their channel, in their chat."""
    text = text.strip()
    if not text:
        raise TicketError("empty reply")
    if ticket.status == "closed":
        raise TicketError("this request is closed")
    person = await _person(session, ticket)
    if person is None:
        raise TicketError("the person deleted their data and cannot be reached")
    lang = person.lang or ticket.lang
    tr = content.translator(lang)
    name = staff.name if staff else tr.t("The team")
    header = tr.t("👤 {name} ({organisation}) answers your request {ref}:", None, name=name,
                  organisation=_org_name(content, ticket.org_id, lang), ref=ticket.ref)
    message = OutboundMessage(
        text=f"{header}\n\n{text}", from_person=True, lang=lang, rtl=tr.rtl,
        buttons=(Button(tr.t("✍️ Answer"), f"tkt:write:{ticket.id}"), Button(tr.t("Main menu"), "cmd:menu")))
    template = Template("ticket_reply", lang, {"ref": ticket.ref},
                        tr.t("You have a reply to your request {ref}. Reply OK to read it.", None, ref=ticket.ref))
    [outbox_id] = await outbox.enqueue(session, channel=person.channel, user_id=person.id, messages=[message],
                                       template=template, now=now)
    entry = TicketMessage(ticket_id=ticket.id, author="staff", staff_id=staff.id if staff else None, text=text[:MAX_TEXT],
                          outbox_id=outbox_id, created_at=now)
    session.add(entry)
    ticket.status, ticket.updated_at = "open", now
    ticket.first_response_at = ticket.first_response_at or now
    audit.record(session, staff, "ticket.reply", "ticket", ticket.ref)
    return entry


async def note(session: AsyncSession, ticket: Ticket, staff: Staff | None, text: str, now: datetime) -> None:
    """An internal note: for colleagues only, never sent to the person."""
    if not text.strip():
        raise TicketError("empty note")
    session.add(TicketMessage(ticket_id=ticket.id, author="note", staff_id=staff.id if staff else None,
                              text=text.strip()[:MAX_TEXT], created_at=now))
    ticket.updated_at = now
    audit.record(session, staff, "ticket.note", "ticket", ticket.ref)


async def claim(session: AsyncSession, ticket: Ticket, staff: Staff, now: datetime) -> None:
    ticket.assigned_to, ticket.updated_at = staff.id, now
    if ticket.status == "new":
        ticket.status = "open"
    audit.record(session, staff, "ticket.claim", "ticket", ticket.ref)


async def assign(session: AsyncSession, ticket: Ticket, staff: Staff | None, assignee: Staff, now: datetime) -> None:
    if assignee.role not in ("staff", "admin") or (assignee.role == "staff" and assignee.org_id != ticket.org_id):
        raise TicketError("that colleague cannot see this request")
    ticket.assigned_to, ticket.updated_at = assignee.id, now
    audit.record(session, staff, "ticket.assign", "ticket", ticket.ref, to=assignee.email)


async def refer(session: AsyncSession, content: Any, ticket: Ticket, staff: Staff | None, org_id: str,
                reason: str, now: datetime) -> None:
    """Hand the request to another partner (with a note for them)."""
    if org_id not in {p.organisation for p in content.network.partners} | {content.network.default_partner}:
        raise TicketError("not a partner organisation")
    if org_id == ticket.org_id:
        raise TicketError("already with this organisation")
    previous = ticket.org_id
    ticket.org_id, ticket.assigned_to, ticket.status, ticket.updated_at = org_id, None, "new", now
    session.add(TicketMessage(ticket_id=ticket.id, author="system", staff_id=staff.id if staff else None,
                              text=f"Referred from {previous} to {org_id}: {reason.strip()}"[:MAX_TEXT], created_at=now))
    audit.record(session, staff, "ticket.refer", "ticket", ticket.ref, frm=previous, to=org_id)


async def close(session: AsyncSession, content: Any, ticket: Ticket, staff: Staff | None, outcome: str,
                now: datetime) -> None:
    """Close, and ask the person (through the bot) how satisfied they are."""
    if outcome not in OUTCOMES:
        raise TicketError(f"unknown outcome {outcome}")
    if ticket.status == "closed":
        raise TicketError("already closed")
    ticket.status, ticket.outcome, ticket.closed_at, ticket.updated_at = "closed", outcome, now, now
    audit.record(session, staff, "ticket.close", "ticket", ticket.ref, outcome=outcome)
    person = await _person(session, ticket)
    if person is None:
        return
    lang = person.lang or ticket.lang
    tr = content.translator(lang)
    stars = tuple(Button("⭐" * n, f"rate:{ticket.id}:{n}") for n in range(5, 0, -1))
    message = OutboundMessage(
        text=tr.t("Your request {ref} is now closed. How satisfied are you with the help you got?", None, ref=ticket.ref),
        buttons=stars + (Button(tr.t("Main menu"), "cmd:menu"),), lang=lang, rtl=tr.rtl)
    template = Template("ticket_closed", lang, {"ref": ticket.ref},
                        tr.t("Your request {ref} is closed. Reply OK to tell us how it went.", None, ref=ticket.ref))
    await outbox.enqueue(session, channel=person.channel, user_id=person.id, messages=[message],
                         template=template, now=now)


async def forget_person(session: AsyncSession, user_id: int, now: datetime) -> None:
    """"Delete my data": remove what the person wrote and their phone; close their requests."""
    tickets = list((await session.scalars(select(Ticket).where(Ticket.user_id == user_id))).all())
    for ticket in tickets:
        await session.execute(delete(TicketMessage).where(TicketMessage.ticket_id == ticket.id,
                                                          TicketMessage.author == "person"))
        session.add(TicketMessage(ticket_id=ticket.id, author="system", created_at=now,
                                  text="The person deleted their data: their messages were removed and they can no longer be reached."))
        ticket.phone = None
        if ticket.status != "closed":
            ticket.status, ticket.outcome, ticket.closed_at = "closed", "deleted_by_person", now
        ticket.updated_at = now


# -- reading ------------------------------------------------------------------------------------

async def by_ref(session: AsyncSession, ref: str) -> Ticket | None:
    return await session.scalar(select(Ticket).where(Ticket.ref == ref.strip().upper()))


async def of_person(session: AsyncSession, user_id: int, since: datetime) -> list[Ticket]:
    return list((await session.scalars(
        select(Ticket).where(Ticket.user_id == user_id, (Ticket.status != "closed") | (Ticket.closed_at >= since))
        .order_by(Ticket.created_at.desc()).limit(10))).all())


async def messages(session: AsyncSession, ticket_id: int) -> list[TicketMessage]:
    return list((await session.scalars(select(TicketMessage).where(TicketMessage.ticket_id == ticket_id)
                                       .order_by(TicketMessage.id))).all())


@dataclass
class QueueFilter:
    status: str = "active"          # active (new+open) | new | open | closed | all
    topic: str | None = None
    lang: str | None = None
    org: str | None = None
    older_than_hours: int | None = None


async def queue(session: AsyncSession, viewer: Staff | None, filters: QueueFilter, now: datetime,
                limit: int = 200) -> list[Ticket]:
    """Oldest first. Staff see their organisation's queue; admins (and the CLI) see all."""
    query = select(Ticket)
    if viewer is not None and viewer.role != "admin":
        query = query.where(Ticket.org_id == (viewer.org_id or ""))
    if filters.status == "active":
        query = query.where(Ticket.status != "closed")
    elif filters.status != "all":
        query = query.where(Ticket.status == filters.status)
    if filters.topic:
        query = query.where(Ticket.topic == filters.topic)
    if filters.lang:
        query = query.where(Ticket.lang == filters.lang)
    if filters.org and (viewer is None or viewer.role == "admin"):
        query = query.where(Ticket.org_id == filters.org)
    if filters.older_than_hours:
        query = query.where(Ticket.created_at <= now - timedelta(hours=filters.older_than_hours))
    return list((await session.scalars(query.order_by(Ticket.created_at).limit(limit))).all())
