"""Anonymous complaints, with the guarantees of a whistleblowing platform's receipt model.

The person gets a receipt: 16 random digits. We keep only an argon2id hash of it (salted with a
per-installation salt, so the same receipt can be found again), never the receipt, never who
filed it. With the receipt, from any chat on any channel, they can read answers, add
information or close the complaint. Without it, nobody — staff, admins, a copy of the database,
the logs — can link the complaint to a person. Dates only, never times; random ids.
"""
from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import re
import secrets
import struct
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from statistics import median
from typing import Any

from argon2.low_level import Type, hash_secret_raw
from sqlalchemy import func, select

from bot.content.normalize import to_ascii_digits
from bot.staff import audit
from bot.storage.db import dialect_insert
from bot.storage.models import AppState, Complaint, ComplaintMessage, Staff

CATEGORIES = ("quality", "staff", "discrimination", "fraud", "sea", "safety", "other")
URGENT = frozenset({"sea", "safety"})  # sexual exploitation and abuse; threats to safety
OUTCOMES = ("action_taken", "explained", "referred", "not_substantiated", "closed_by_person", "no_information")
STATUSES = ("new", "in_progress", "answered", "closed")
SALT_KEY = "complaint_receipt_salt"
RECEIPT_DIGITS = 16
# A receipt typed in any digits, with spaces, dashes or dots between groups, maybe followed by text.
_RECEIPT = re.compile(r"^\s*((?:\d[\s.\-]*){16})(?!\d)(.*)$", re.S)
TOKEN_SECONDS = 30 * 60


def new_receipt() -> str:
    return f"{secrets.randbelow(10 ** RECEIPT_DIGITS):0{RECEIPT_DIGITS}d}"


def format_receipt(receipt: str) -> str:
    return " ".join(receipt[i:i + 4] for i in range(0, RECEIPT_DIGITS, 4))


def find_receipt(text: str) -> tuple[str, str] | None:
    """(receipt digits, the rest of the message) if the message starts with a receipt."""
    match = _RECEIPT.match(to_ascii_digits(text or ""))
    if not match:
        return None
    digits = re.sub(r"\D", "", match.group(1))
    return (digits, match.group(2).strip()) if len(digits) == RECEIPT_DIGITS else None


async def salt(session: Any) -> bytes:
    """The installation's receipt salt (made once, kept in the database)."""
    found = await session.scalar(select(AppState.value).where(AppState.key == SALT_KEY))
    if found is None:
        from bot.core.clock import utcnow

        stmt = dialect_insert(session, AppState).values(key=SALT_KEY, value=secrets.token_hex(16), updated_at=utcnow())
        await session.execute(stmt.on_conflict_do_nothing(index_elements=["key"]))
        found = await session.scalar(select(AppState.value).where(AppState.key == SALT_KEY))
    return bytes.fromhex(found)


def receipt_hash(receipt: str, salt_bytes: bytes) -> str:
    """argon2id (OWASP's minimum: 19 MiB, 2 passes): ~20 ms per guess on a server, so trying
    10^16 receipts from a stolen database is out of reach."""
    raw = hash_secret_raw(receipt.encode(), salt_bytes, time_cost=2, memory_cost=19456, parallelism=1,
                          hash_len=32, type=Type.ID)
    return raw.hex()


# -- close-button tokens: the complaint reference travels only inside the button ---------------

def make_token(secret: str, complaint_id: str, now: datetime) -> str:
    """An encrypted, signed, expiring reference for a button (never stored by us)."""
    nonce = secrets.token_bytes(6)
    plain = bytes.fromhex(complaint_id) + struct.pack(">I", int(now.timestamp()) + TOKEN_SECONDS)
    stream = hashlib.sha256(secret.encode() + b"complaint-token" + nonce).digest()
    cipher = bytes(a ^ b for a, b in zip(plain, stream))
    tag = hmac.new(secret.encode(), nonce + cipher, hashlib.sha256).digest()[:8]
    return base64.urlsafe_b64encode(nonce + cipher + tag).decode().rstrip("=")


def read_token(secret: str, token: str, now: datetime) -> str | None:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except ValueError:
        return None
    if len(raw) != 6 + 20 + 8:
        return None
    nonce, cipher, tag = raw[:6], raw[6:26], raw[26:]
    if not hmac.compare_digest(tag, hmac.new(secret.encode(), nonce + cipher, hashlib.sha256).digest()[:8]):
        return None
    stream = hashlib.sha256(secret.encode() + b"complaint-token" + nonce).digest()
    plain = bytes(a ^ b for a, b in zip(cipher, stream))
    if struct.unpack(">I", plain[16:])[0] < int(now.timestamp()):
        return None
    return plain[:16].hex()


# -- filing and reading -------------------------------------------------------------------------

@dataclass
class Draft:
    category: str
    org_id: str | None
    service_id: str | None
    texts: list[str]


async def next_seq(session: Any, complaint_id: str) -> int:
    return (await session.scalar(select(func.max(ComplaintMessage.seq))
                                 .where(ComplaintMessage.complaint_id == complaint_id)) or 0) + 1


async def file(session: Any, content: Any, draft: Draft, hashed: str, today: date) -> Complaint:
    """File a complaint under the receipt's hash (the receipt itself never reaches this function)."""
    complaint = Complaint(id=secrets.token_hex(16), receipt_hash=hashed, category=draft.category,
                          org_id=draft.org_id, service_id=draft.service_id,
                          handler_org=content.network.complaints_focal_point, urgent=draft.category in URGENT,
                          status="new", created_on=today, updated_on=today)
    session.add(complaint)
    await session.flush()
    for seq, text in enumerate(draft.texts, 1):
        session.add(ComplaintMessage(complaint_id=complaint.id, seq=seq, author="person", text=text[:4000], created_on=today))
    return complaint


async def hash_of(session: Any, receipt: str) -> str:
    # argon2 releases the GIL: hashing in a thread keeps other conversations moving.
    return await asyncio.to_thread(receipt_hash, receipt, await salt(session))


async def by_receipt(session: Any, receipt: str) -> Complaint | None:
    return await session.scalar(select(Complaint).where(Complaint.receipt_hash == await hash_of(session, receipt)))


async def messages(session: Any, complaint_id: str) -> list[ComplaintMessage]:
    return list((await session.scalars(select(ComplaintMessage).where(ComplaintMessage.complaint_id == complaint_id)
                                       .order_by(ComplaintMessage.seq))).all())


async def add_person_text(session: Any, complaint: Complaint, text: str, today: date) -> None:
    session.add(ComplaintMessage(complaint_id=complaint.id, seq=await next_seq(session, complaint.id), author="person",
                                 text=text[:4000], created_on=today))
    complaint.updated_on = today
    if complaint.status == "answered":
        complaint.status = "in_progress"


async def respond(session: Any, complaint: Complaint, staff: Staff, text: str, today: date) -> None:
    if not text.strip():
        raise ValueError("empty response")
    session.add(ComplaintMessage(complaint_id=complaint.id, seq=await next_seq(session, complaint.id), author="staff",
                                 staff_id=staff.id, text=text.strip()[:4000], created_on=today))
    complaint.status, complaint.updated_on = "answered", today
    audit.record(session, staff, "complaint.respond", "complaint", complaint.id)


async def close(session: Any, complaint: Complaint, staff: Staff | None, outcome: str, today: date) -> None:
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown outcome {outcome}")
    complaint.status, complaint.outcome, complaint.closed_on, complaint.updated_on = "closed", outcome, today, today
    complaint.closed_by_person = staff is None
    if staff is not None:
        audit.record(session, staff, "complaint.close", "complaint", complaint.id, outcome=outcome)


async def queue(session: Any, status: str | None = None, category: str | None = None) -> list[Complaint]:
    """Urgent first, then oldest first."""
    query = select(Complaint)
    if status == "open":
        query = query.where(Complaint.status != "closed")
    elif status:
        query = query.where(Complaint.status == status)
    if category:
        query = query.where(Complaint.category == category)
    return list((await session.scalars(query.order_by(Complaint.urgent.desc(), Complaint.created_on, Complaint.id))).all())


# -- the monthly report for accountability meetings ------------------------------------------------

async def report(session: Any, month: str) -> dict[str, Any]:
    """Counts by category, organisation and status, and days to close, for complaints filed in a month."""
    year, number = (int(part) for part in month.split("-"))
    start = date(year, number, 1)
    end = date(year + (number == 12), number % 12 + 1, 1)
    rows = list((await session.scalars(select(Complaint).where(Complaint.created_on >= start,
                                                              Complaint.created_on < end))).all())
    days = [(c.closed_on - c.created_on).days for c in rows if c.closed_on]
    return {
        "month": month,
        "total": len(rows),
        "urgent": sum(1 for c in rows if c.urgent),
        "by_category": dict(Counter(c.category for c in rows)),
        "by_organisation": dict(Counter(c.org_id or "not named" for c in rows)),
        "by_status": dict(Counter(c.status for c in rows)),
        "closed": len(days),
        "median_days_to_close": median(days) if days else None,
        "max_days_to_close": max(days) if days else None,
    }
