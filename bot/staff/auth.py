"""Staff sign-in: argon2id passwords, server-side sessions, CSRF tokens, rate-limited logins."""
from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select

from bot.core import ratelimit
from bot.storage.models import Staff, StaffSession

ROLES = ("staff", "editor", "admin")
PERMISSIONS = ("complaints",)
IDLE_TIMEOUT = timedelta(hours=1)
LOGIN_LIMIT, LOGIN_WINDOW = 5, timedelta(minutes=15)

_hasher = PasswordHasher()  # argon2id with the library's recommended parameters
_DUMMY = _hasher.hash("a password nobody has")


def hash_password(password: str) -> str:
    if len(password) < 10:
        raise ValueError("passwords need at least 10 characters")
    return _hasher.hash(password)


def check_password(staff: Staff | None, password: str) -> bool:
    """Constant work whether or not the account exists (no e-mail enumeration by timing)."""
    try:
        return _hasher.verify(staff.password_hash if staff else _DUMMY, password) and staff is not None
    except (VerificationError, InvalidHashError):
        return False


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def login_allowed(session: object, secret: str, email: str, client: str, now: datetime) -> bool:
    """At most 5 attempts per e-mail and per address in 15 minutes."""
    by_email = await ratelimit.hit(session, ratelimit.key_for(secret, "login", email.lower()), LOGIN_LIMIT, LOGIN_WINDOW, now)
    by_client = await ratelimit.hit(session, ratelimit.key_for(secret, "login-ip", client), 4 * LOGIN_LIMIT,
                                    LOGIN_WINDOW, now)
    return by_email and by_client


async def start_session(session: object, staff: Staff, hours: float, now: datetime) -> tuple[str, StaffSession]:
    token = secrets.token_urlsafe(32)
    record = StaffSession(token_hash=token_hash(token), staff_id=staff.id, csrf=secrets.token_urlsafe(32),
                          created_at=now, expires_at=now + timedelta(hours=hours), last_seen_at=now)
    session.add(record)  # type: ignore[attr-defined]
    staff.last_login_at = now
    return token, record


async def load_session(session: object, token: str | None, now: datetime) -> tuple[Staff, StaffSession] | None:
    """The signed-in staff member, or None if the session is unknown, expired or idle too long."""
    if not token:
        return None
    record = await session.get(StaffSession, token_hash(token))  # type: ignore[attr-defined]
    if record is None or record.expires_at <= now or now - record.last_seen_at > IDLE_TIMEOUT:
        return None
    staff = await session.get(Staff, record.staff_id)  # type: ignore[attr-defined]
    if staff is None or not staff.active:
        return None
    record.last_seen_at = now
    return staff, record


async def end_session(session: object, token: str | None) -> None:
    if token:
        await session.execute(delete(StaffSession).where(StaffSession.token_hash == token_hash(token)))  # type: ignore[attr-defined]


def csrf_ok(expected: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(expected, given or "")


async def by_email(session: object, email: str) -> Staff | None:
    return await session.scalar(select(Staff).where(Staff.email == email.strip().lower()))  # type: ignore[attr-defined]


def can(staff: Staff, permission: str) -> bool:
    """Roles: staff answer their organisation's requests; editors see content feedback; admins
    see everything. Complaints need the separate `complaints` permission, even for admins."""
    if permission == "tickets":
        return staff.role in ("staff", "admin")
    if permission == "feedback":
        return staff.role in ("editor", "admin")
    if permission == "admin":
        return staff.role == "admin"
    return permission in (staff.permissions or [])
