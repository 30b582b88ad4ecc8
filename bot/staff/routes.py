"""The staff dashboard at /staff: sign-in, the request queue, a request's conversation and actions.

Server-rendered pages (Jinja2), one form per action, every POST checked against the session's
CSRF token, every action written to the audit log. Staff see their organisation's queue; admins
see all. The person's channel id is never shown; a phone number only when they asked to be called.
"""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from bot.content.i18n import ENGLISH_NAMES
from bot.core.clock import utcnow
from bot.staff import audit, auth, complaint_pages, feedback_pages, tickets
from bot.storage.models import CannedResponse, OutboxMessage, Staff, Ticket, User

HERE = Path(__file__).resolve().parent
COOKIE = "rahnama_staff"
LOGIN_COOKIE = "rahnama_login_csrf"
HEADERS = {"Cache-Control": "no-store", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer",
           "X-Content-Type-Options": "nosniff",
           "Content-Security-Policy": "default-src 'self'; script-src 'unsafe-inline'; style-src 'self'"}
STATUSES = [("active", "new and open"), ("new", "new"), ("open", "open"), ("closed", "closed"), ("all", "all")]


def age_text(delta: timedelta) -> str:
    hours = int(delta.total_seconds() // 3600)
    return f"{hours // 24} d {hours % 24} h" if hours >= 24 else f"{hours} h {int(delta.total_seconds() // 60) % 60} min"


class Dashboard:
    def __init__(self, runtime: Any) -> None:
        self.runtime = runtime
        self.templates = Jinja2Templates(directory=str(HERE / "templates"))
        self.templates.env.globals.update(can=auth.can, org_name=self.org_name)

    # -- plumbing ------------------------------------------------------------------------
    @property
    def content(self) -> Any:
        return self.runtime.content.current

    def org_name(self, org_id: str | None) -> str:
        organisation = self.content.organisations.get(org_id or "")
        return organisation.name if organisation else (org_id or "—")

    def render(self, request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response:
        response = self.templates.TemplateResponse(request, name, context, status_code=status)
        response.headers.update(HEADERS)
        return response

    def secure_cookie(self) -> bool:
        return self.runtime.settings.public_url.startswith("https://")

    async def signed_in(self, request: Request, session: Any) -> tuple[Staff, Any] | None:
        return await auth.load_session(session, request.cookies.get(COOKIE), utcnow())

    def to_login(self) -> Response:
        response = RedirectResponse("/staff/login", status_code=303)
        response.delete_cookie(COOKIE, path="/staff")
        return response

    async def require(self, request: Request, session: Any, permission: str) -> tuple[Staff, Any] | Response:
        """The signed-in staff member if they have `permission`; else the sign-in page or a 403."""
        found = await self.signed_in(request, session)
        if found is None:
            return self.to_login()
        if not auth.can(found[0], permission):
            return Response("You do not have access to this page.", status_code=403, headers=HEADERS)
        return found

    async def form(self, request: Request, record: Any) -> Any | None:
        """The posted form, or None if its CSRF token does not match the session's."""
        form = await request.form()
        return form if auth.csrf_ok(record.csrf, form.get("csrf")) else None

    def base(self, staff: Staff, record: Any, **extra: Any) -> dict[str, Any]:
        return {"staff": staff, "csrf": record.csrf, **extra}

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/staff/login", self.login_page, methods=["GET"]),
            Route("/staff/login", self.login, methods=["POST"]),
            Route("/staff/logout", self.logout, methods=["POST"]),
            Route("/staff", lambda r: RedirectResponse("/staff/", status_code=307)),
            Route("/staff/", self.queue, methods=["GET"]),
            Route("/staff/tickets/{ref}", self.ticket, methods=["GET"]),
            Route("/staff/tickets/{ref}/{action}", self.ticket_action, methods=["POST"]),
            Route("/staff/canned", self.canned, methods=["GET", "POST"]),
            Route("/staff/audit", self.audit_log, methods=["GET"]),
            Route("/staff/deliveries", self.deliveries, methods=["GET"]),
            Route("/staff/media/{message_id:int}", self.media, methods=["GET"]),
            *complaint_pages.routes(self),
            *feedback_pages.routes(self),
            Mount("/staff/static", app=StaticFiles(directory=str(HERE / "static")), name="staff-static"),
        ]

    # -- sign in and out -----------------------------------------------------------------
    async def login_page(self, request: Request, flash: str | None = None, email: str = "", status: int = 200) -> Response:
        token = secrets.token_urlsafe(24)
        response = self.render(request, "login.html", {"staff": None, "login_csrf": token, "flash": flash,
                                                        "flash_error": bool(flash), "email": email}, status)
        response.set_cookie(LOGIN_COOKIE, token, httponly=True, samesite="strict", secure=self.secure_cookie(),
                            path="/staff", max_age=3600)
        return response

    async def login(self, request: Request) -> Response:
        form = await request.form()
        email, password = str(form.get("email", "")).strip().lower(), str(form.get("password", ""))
        if not auth.csrf_ok(request.cookies.get(LOGIN_COOKIE, ""), form.get("csrf")):
            return await self.login_page(request, "Your sign-in form expired. Please try again.", email, 400)
        now = utcnow()
        client = request.client.host if request.client else "unknown"
        async with self.runtime.db.write() as session:
            if not await auth.login_allowed(session, self.runtime.settings.secret_key, email, client, now):
                audit.record(session, None, "login.throttled", "staff", email[:40])
                return await self.login_page(request, "Too many attempts. Please wait 15 minutes.", email, 429)
            staff = await auth.by_email(session, email)
            if not auth.check_password(staff, password) or not staff.active:
                audit.record(session, None, "login.failed", "staff", email[:40])
                return await self.login_page(request, "Wrong e-mail or password.", email, 401)
            token, _record = await auth.start_session(session, staff, self.runtime.settings.staff_session_hours, now)
            audit.record(session, staff, "login", "staff", staff.email)
        response = RedirectResponse("/staff/", status_code=303)
        response.set_cookie(COOKIE, token, httponly=True, samesite="lax", secure=self.secure_cookie(), path="/staff",
                            max_age=int(self.runtime.settings.staff_session_hours * 3600))
        response.delete_cookie(LOGIN_COOKIE, path="/staff")
        return response

    async def logout(self, request: Request) -> Response:
        async with self.runtime.db.write() as session:
            found = await self.signed_in(request, session)
            if found and await self.form(request, found[1]) is not None:
                audit.record(session, found[0], "logout", "staff", found[0].email)
                await auth.end_session(session, request.cookies.get(COOKIE))
        return self.to_login()

    # -- the queue -------------------------------------------------------------------------
    async def queue(self, request: Request) -> Response:
        params = request.query_params
        older = params.get("older", "")
        filters = tickets.QueueFilter(status=params.get("status", "active"), topic=params.get("topic") or None,
                                      lang=params.get("lang") or None, org=params.get("org") or None,
                                      older_than_hours=int(older) if older.isdigit() else None)
        now = utcnow()
        async with self.runtime.db.write() as session:
            found = await self.signed_in(request, session)
            if found is None:
                return self.to_login()
            staff, record = found
            if not auth.can(staff, "tickets"):
                return RedirectResponse("/staff/feedback" if auth.can(staff, "feedback") else "/staff/complaints", 303)
            rows = [await self.row(session, ticket, now) for ticket in await tickets.queue(session, staff, filters, now)]
            audit.record(session, staff, "queue.view", detail_filters=filters.status)
        content = self.content
        return self.render(request, "queue.html", self.base(
            staff, record, rows=rows, filters=filters, statuses=STATUSES,
            topics=[(c, content.category_label("en", c)) for c in content.categories],
            languages=[(code, ENGLISH_NAMES[code]) for code in content.languages],
            orgs=[(p.organisation, self.org_name(p.organisation)) for p in content.network.partners]))

    async def row(self, session: Any, ticket: Ticket, now: datetime) -> dict[str, Any]:
        partner = tickets.partner(self.content, ticket.org_id)
        sla = partner.answer_within_hours if partner else 48
        waiting = now - ticket.created_at
        assignee = await session.get(Staff, ticket.assigned_to) if ticket.assigned_to else None
        return {"ticket": ticket, "topic": self.topic(ticket.topic), "language": ENGLISH_NAMES.get(ticket.lang, ticket.lang),
                "age": age_text(waiting), "overdue": ticket.status != "closed" and ticket.first_response_at is None
                and waiting > timedelta(hours=sla), "sla": sla, "assignee": assignee.name if assignee else None,
                "window_closed": await self.window_closed(session, ticket, now)}

    def topic(self, topic: str) -> str:
        return self.content.category_label("en", topic) if topic in self.content.categories else "Something else"

    async def window_closed(self, session: Any, ticket: Ticket, now: datetime) -> bool:
        """Would a reply now have to wait for the person (WhatsApp's 24-hour window)?"""
        person = await session.get(User, ticket.user_id) if ticket.user_id else None
        channel = self.runtime.channels.get(person.channel) if person else None
        window = getattr(channel, "session_window", None)
        return bool(window and person and (person.last_inbound_at is None or now - person.last_inbound_at > window))

    # -- one request -------------------------------------------------------------------------
    async def load_ticket(self, request: Request, session: Any) -> tuple[Staff, Any, Ticket] | Response:
        found = await self.signed_in(request, session)
        if found is None:
            return self.to_login()
        staff, record = found
        ticket = await tickets.by_ref(session, request.path_params["ref"])
        if ticket is None or not tickets.can_see(staff, ticket):
            # The same answer for "not yours" and "does not exist": no probing other queues.
            audit.record(session, staff, "ticket.denied", "ticket", request.path_params["ref"][:12])
            return Response("Not found", status_code=404, headers=HEADERS)
        return staff, record, ticket

    async def ticket(self, request: Request) -> Response:
        now = utcnow()
        async with self.runtime.db.write() as session:
            loaded = await self.load_ticket(request, session)
            if isinstance(loaded, Response):
                return loaded
            staff, record, ticket = loaded
            audit.record(session, staff, "ticket.view", "ticket", ticket.ref)
            context = await self.ticket_context(session, ticket, now)
        flash = request.query_params.get("done")
        return self.render(request, "ticket.html", self.base(staff, record, flash=flash, **context))

    async def ticket_context(self, session: Any, ticket: Ticket, now: datetime) -> dict[str, Any]:
        people = {s.id: s for s in (await session.scalars(select(Staff))).all()}
        deliveries = {row.id: row.status for row in (await session.execute(
            select(OutboxMessage.id, OutboxMessage.status).join(
                tickets.TicketMessage, tickets.TicketMessage.outbox_id == OutboxMessage.id)
            .where(tickets.TicketMessage.ticket_id == ticket.id))).all()}
        shown = []
        for message in await tickets.messages(session, ticket.id):
            author = people.get(message.staff_id)
            label = {"person": "The person", "note": f"Note by {author.name if author else 'staff'}",
                     "system": "System"}.get(message.author, author.name if author else "Staff")
            shown.append({"author": message.author, "label": label, "text": message.text,
                          "when": message.created_at.astimezone(self.content.tz).strftime("%Y-%m-%d %H:%M"),
                          "media_kind": message.media_kind,
                          "media_link": f"/staff/media/{message.id}" if message.media_ref else None,
                          "delivery": deliveries.get(message.outbox_id) if message.outbox_id else None})
        canned = (await session.scalars(select(CannedResponse).where(
            CannedResponse.lang == ticket.lang,
            (CannedResponse.org_id.is_(None)) | (CannedResponse.org_id == ticket.org_id)))).all()
        network = self.content.network
        partners = [p.organisation for p in network.partners] + ([network.default_partner] if network.default_partner else [])
        person = await session.get(User, ticket.user_id) if ticket.user_id else None
        return {
            "ticket": ticket, "topic": self.topic(ticket.topic), "language": ENGLISH_NAMES.get(ticket.lang, ticket.lang),
            "messages": shown, "canned": canned, "outcomes": tickets.OUTCOMES,
            "opened": ticket.created_at.astimezone(self.content.tz).strftime("%Y-%m-%d %H:%M"),
            "age": age_text(now - ticket.created_at),
            "assignee": people[ticket.assigned_to].name if ticket.assigned_to in people else None,
            "colleagues": [s for s in people.values() if s.active and s.role in ("staff", "admin")
                           and (s.role == "admin" or s.org_id == ticket.org_id)],
            "partners": [(p, self.org_name(p)) for p in dict.fromkeys(partners) if p != ticket.org_id],
            "window_closed": await self.window_closed(session, ticket, now),
            "unreachable": person is None or person.unreachable_at is not None,
        }

    async def ticket_action(self, request: Request) -> Response:
        action = request.path_params["action"]
        now = utcnow()
        async with self.runtime.db.write() as session:
            loaded = await self.load_ticket(request, session)
            if isinstance(loaded, Response):
                return loaded
            staff, record, ticket = loaded
            form = await self.form(request, record)
            if form is None:
                audit.record(session, staff, "csrf.rejected", "ticket", ticket.ref)
                return Response("The form expired; go back and reload the page.", status_code=403, headers=HEADERS)
            try:
                done = await self.perform(session, staff, ticket, action, form, now)
            except tickets.TicketError as exc:
                done = f"Not done: {exc}"
        if action in ("reply", "close"):
            self.runtime.outbox_wake()
        return RedirectResponse(f"/staff/tickets/{ticket.ref}?done={done}", status_code=303)

    async def perform(self, session: Any, staff: Staff, ticket: Ticket, action: str, form: Any, now: datetime) -> str:
        content = self.content
        if action == "reply":
            await tickets.reply(session, content, ticket, staff, str(form.get("text", "")), now)
            return "Reply sent."
        if action == "note":
            await tickets.note(session, ticket, staff, str(form.get("text", "")), now)
            return "Note added."
        if action == "claim":
            await tickets.claim(session, ticket, staff, now)
            return "Assigned to you."
        if action == "assign":
            assignee = await session.get(Staff, int(form.get("staff_id", 0) or 0))
            if assignee is None:
                raise tickets.TicketError("no such colleague")
            await tickets.assign(session, ticket, staff, assignee, now)
            return f"Assigned to {assignee.name}."
        if action == "refer":
            await tickets.refer(session, content, ticket, staff, str(form.get("org", "")), str(form.get("reason", "")), now)
            return "Referred."
        if action == "close":
            await tickets.close(session, content, ticket, staff, str(form.get("outcome", "")), now)
            return "Closed; the person was asked how satisfied they are."
        raise tickets.TicketError("unknown action")

    # -- canned answers, audit, deliveries, media ----------------------------------------------
    async def canned(self, request: Request) -> Response:
        async with self.runtime.db.write() as session:
            found = await self.require(request, session, "tickets")
            if isinstance(found, Response):
                return found
            staff, record = found
            flash = None
            if request.method == "POST":
                form = await self.form(request, record)
                if form is None or not form.get("title") or not form.get("body"):
                    flash = "Not saved: the form expired or was empty."
                else:
                    session.add(CannedResponse(org_id=staff.org_id if staff.role != "admin" else None,
                                               lang=str(form.get("lang", "en")), title=str(form["title"])[:80],
                                               body=str(form["body"])[:4000], created_at=utcnow()))
                    audit.record(session, staff, "canned.add", "canned", str(form["title"])[:40])
                    flash = "Saved."
            query = select(CannedResponse).order_by(CannedResponse.lang, CannedResponse.title)
            if staff.role != "admin":
                query = query.where(CannedResponse.org_id.is_(None) | (CannedResponse.org_id == staff.org_id))
            items = (await session.scalars(query)).all()
        return self.render(request, "canned.html", self.base(
            staff, record, items=items, flash=flash, flash_error=flash and flash.startswith("Not"),
            languages=[(code, ENGLISH_NAMES[code]) for code in self.content.languages]))

    async def audit_log(self, request: Request) -> Response:
        from bot.storage.models import AuditEntry

        async with self.runtime.db.write() as session:
            found = await self.require(request, session, "admin")
            if isinstance(found, Response):
                return found
            entries = (await session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(300))).all()
            rows = [(e.at.astimezone(self.content.tz).strftime("%Y-%m-%d %H:%M:%S"), e.actor, e.action,
                     f"{e.object_type or ''} {e.object_ref or ''}".strip()) for e in entries]
        return self.render(request, "table.html", self.base(found[0], found[1], heading="Audit log", tables=[
            {"head": ["When", "Who", "Action", "On"], "rows": rows}]))

    async def deliveries(self, request: Request) -> Response:
        async with self.runtime.db.write() as session:
            found = await self.require(request, session, "admin")
            if isinstance(found, Response):
                return found
            rows = (await session.execute(
                select(OutboxMessage.id, OutboxMessage.channel, OutboxMessage.status, OutboxMessage.attempts,
                       OutboxMessage.error_class, OutboxMessage.error_code, OutboxMessage.created_at,
                       OutboxMessage.sent_at)
                .where(OutboxMessage.channel.notin_(("web", "console"))).order_by(OutboxMessage.id.desc()).limit(300))).all()
        table = [(r.id, r.channel, r.status, r.attempts, r.error_class or "", r.error_code or "",
                  r.created_at.astimezone(self.content.tz).strftime("%Y-%m-%d %H:%M"),
                  r.sent_at.astimezone(self.content.tz).strftime("%H:%M:%S") if r.sent_at else "") for r in rows]
        return self.render(request, "table.html", self.base(
            found[0], found[1], heading="Delivery log",
            intro="Messages to people on push channels (never their text). Failed ones show the provider's error class and code.",
            tables=[{"head": ["#", "Channel", "Status", "Attempts", "Error class", "Code", "Queued", "Sent"], "rows": table}]))

    async def media(self, request: Request) -> Response:
        """An attachment a person sent with a request, fetched from the provider on demand."""
        from bot.storage.models import TicketMessage

        async with self.runtime.db.write() as session:
            found = await self.signed_in(request, session)
            if found is None:
                return self.to_login()
            message = await session.get(TicketMessage, request.path_params["message_id"])
            ticket = await session.get(Ticket, message.ticket_id) if message else None
            if message is None or ticket is None or not tickets.can_see(found[0], ticket) or not message.media_ref:
                return Response("Not found", status_code=404, headers=HEADERS)
            person = await session.get(User, ticket.user_id) if ticket.user_id else None
            audit.record(session, found[0], "media.view", "ticket", ticket.ref)
        channel = self.runtime.channels.get(person.channel) if person else None
        fetch = getattr(channel, "fetch_media", None)
        if fetch is None:
            return Response("This attachment cannot be opened from here.", status_code=404, headers=HEADERS)
        body, content_type = await fetch(message.media_ref)
        return Response(body, media_type=content_type, headers={**HEADERS, "Content-Disposition": "attachment"})


def staff_routes(runtime: Any) -> list[BaseRoute]:
    return Dashboard(runtime).routes()
