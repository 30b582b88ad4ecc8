"""`rahnama staff ...` (accounts) and `rahnama tickets ...` (requests, for operators and scripts)."""
from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import sys
from typing import Any

from sqlalchemy import select

from bot.config import Settings
from bot.content.i18n import ENGLISH_NAMES
from bot.core.clock import utcnow
from bot.staff import audit, auth, tickets
from bot.storage.db import Database
from bot.storage.models import Staff


def add_parsers(sub: Any) -> None:
    p = sub.add_parser("staff", help="staff accounts for the dashboard")
    ssub = p.add_subparsers(dest="staff_command", required=True)
    add = ssub.add_parser("add", help="create an account (asks for the password)")
    add.add_argument("email")
    add.add_argument("--role", choices=auth.ROLES, required=True)
    add.add_argument("--org", help="the organisation id (content/organisations.yaml); required for staff")
    add.add_argument("--name", help="name shown to colleagues and, as the sender of replies, to people")
    add.add_argument("--permission", action="append", choices=auth.PERMISSIONS, default=[],
                     help="extra permission (complaints)")
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    ssub.add_parser("list", help="list accounts")

    p = sub.add_parser("tickets", help="requests for assistance")
    tsub = p.add_subparsers(dest="tickets_command", required=True)
    listing = tsub.add_parser("list", help="open requests, oldest first")
    listing.add_argument("--all", action="store_true", help="include closed requests")
    listing.add_argument("--json", action="store_true")
    show = tsub.add_parser("show", help="one request with its conversation")
    show.add_argument("ref")
    reply = tsub.add_parser("reply", help="send a reply to the person through the bot")
    reply.add_argument("ref")
    reply.add_argument("text")
    reply.add_argument("--as", dest="as_email", help="the staff account to reply as (default: the team)")

    p = sub.add_parser("complaints", help="anonymous complaints")
    csub = p.add_subparsers(dest="complaints_command", required=True)
    clist = csub.add_parser("list", help="open complaints, urgent first")
    clist.add_argument("--all", action="store_true", help="include closed complaints")
    clist.add_argument("--json", action="store_true")
    report = csub.add_parser("report", help="monthly counts for accountability meetings")
    report.add_argument("--month", required=True, help="YYYY-MM")
    report.add_argument("--csv", action="store_true", help="CSV instead of text")


def staff_main(args: argparse.Namespace, settings: Settings) -> int:
    return asyncio.run(_staff(args, settings))


async def _staff(args: argparse.Namespace, settings: Settings) -> int:
    db = Database(settings.database_url)
    try:
        await db.check_migrated()
        if args.staff_command == "list":
            async with db.read() as session:
                for member in (await session.scalars(select(Staff).order_by(Staff.email))).all():
                    extra = f" +{','.join(member.permissions)}" if member.permissions else ""
                    print(f"{member.email}\t{member.role}{extra}\t{member.org_id or '-'}\t{'active' if member.active else 'disabled'}")
            return 0
        return await _add_staff(db, args, settings)
    finally:
        await db.dispose()


async def _add_staff(db: Database, args: argparse.Namespace, settings: Settings) -> int:
    from bot.content.store import load

    content = load(settings.content_dir, settings.locales_dir, settings.languages, settings.default_language)
    if args.role == "staff" and args.org not in content.organisations:
        print(f"rahnama: --org must be an organisation id from the content (got {args.org!r})", file=sys.stderr)
        return 2
    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else getpass.getpass("Password: ")
    try:
        hashed = auth.hash_password(password)
    except ValueError as exc:
        print(f"rahnama: {exc}", file=sys.stderr)
        return 2
    email = args.email.strip().lower()
    async with db.write() as session:
        if await auth.by_email(session, email):
            print(f"rahnama: {email} already has an account", file=sys.stderr)
            return 1
        session.add(Staff(email=email, name=args.name or email.split("@")[0].title(), password_hash=hashed,
                          role=args.role, org_id=args.org, permissions=list(dict.fromkeys(args.permission)),
                          active=True, created_at=utcnow()))
        audit.record(session, None, "staff.add", "staff", email[:40], role=args.role)
    print(f"Created {args.role} account {email}.")
    return 0


def tickets_main(args: argparse.Namespace, settings: Settings) -> int:
    return asyncio.run(_tickets(args, settings))


async def _tickets(args: argparse.Namespace, settings: Settings) -> int:
    from bot.content.store import load

    db = Database(settings.database_url)
    try:
        await db.check_migrated()
        content = load(settings.content_dir, settings.locales_dir, settings.languages, settings.default_language)
        if args.tickets_command == "list":
            return await _list(db, args)
        if args.tickets_command == "show":
            return await _show(db, args.ref)
        return await _reply(db, content, args)
    finally:
        await db.dispose()


async def _list(db: Database, args: argparse.Namespace) -> int:
    async with db.read() as session:
        found = await tickets.queue(session, None, tickets.QueueFilter(status="all" if args.all else "active"), utcnow())
    rows = [{"ref": t.ref, "status": t.status, "topic": t.topic, "lang": t.lang, "org": t.org_id,
             "created_at": t.created_at.isoformat(), "contact": t.contact} for t in found]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False))
    else:
        for row in rows:
            print(f"{row['ref']}\t{row['status']}\t{row['topic']}\t{ENGLISH_NAMES.get(row['lang'], row['lang'])}\t{row['org']}\t{row['created_at'][:16]}")
    return 0


async def _show(db: Database, ref: str) -> int:
    async with db.write() as session:
        ticket = await tickets.by_ref(session, ref)
        if ticket is None:
            print(f"rahnama: no request {ref}", file=sys.stderr)
            return 1
        audit.record(session, None, "ticket.view", "ticket", ticket.ref)
        print(f"{ticket.ref} · {ticket.status} · {ticket.topic} · {ENGLISH_NAMES.get(ticket.lang, ticket.lang)} · {ticket.org_id}")
        print(f"contact: {'phone ' + ticket.phone if ticket.contact == 'phone' and ticket.phone else 'chat'}")
        for message in await tickets.messages(session, ticket.id):
            media = f" [{message.media_kind}]" if message.media_kind else ""
            print(f"\n[{message.author} · {message.created_at:%Y-%m-%d %H:%M}]{media}\n{message.text}")
    return 0


async def _reply(db: Database, content: Any, args: argparse.Namespace) -> int:
    async with db.write() as session:
        ticket = await tickets.by_ref(session, args.ref)
        staff = await auth.by_email(session, args.as_email) if args.as_email else None
        if ticket is None or (args.as_email and staff is None):
            print(f"rahnama: no request {args.ref}" if ticket is None else f"rahnama: no account {args.as_email}",
                  file=sys.stderr)
            return 1
        try:
            await tickets.reply(session, content, ticket, staff, args.text, utcnow())
        except tickets.TicketError as exc:
            print(f"rahnama: {exc}", file=sys.stderr)
            return 1
    print(f"Reply queued for {ticket.ref}; the worker delivers it.")
    return 0


def complaints_main(args: argparse.Namespace, settings: Settings) -> int:
    return asyncio.run(_complaints(args, settings))


async def _complaints(args: argparse.Namespace, settings: Settings) -> int:
    from bot.staff import complaints

    db = Database(settings.database_url)
    try:
        await db.check_migrated()
        async with db.read() as session:
            if args.complaints_command == "list":
                found = await complaints.queue(session, None if args.all else "open")
                rows = [{"id": c.id, "filed_on": c.created_on.isoformat(), "category": c.category, "urgent": c.urgent,
                         "organisation": c.org_id, "status": c.status} for c in found]
                if args.json:
                    print(json.dumps(rows, ensure_ascii=False))
                for row in [] if args.json else rows:
                    urgent = "URGENT\t" if row["urgent"] else ""
                    print(f"{row['filed_on']}\t{urgent}{row['category']}\t{row['organisation'] or '-'}\t{row['status']}\t{row['id']}")
                return 0
            try:
                summary = await complaints.report(session, args.month)
            except ValueError:
                print("rahnama: --month must look like 2026-11", file=sys.stderr)
                return 2
    finally:
        await db.dispose()
    print(_report_csv(summary) if args.csv else _report_text(summary))
    return 0


def _report_text(summary: dict[str, Any]) -> str:
    lines = [f"Complaints filed in {summary['month']}: {summary['total']} ({summary['urgent']} urgent)"]
    for title, key in (("By category", "by_category"), ("By organisation", "by_organisation"), ("By status", "by_status")):
        lines.append(f"\n{title}:")
        lines += [f"  {name}: {count}" for name, count in sorted(summary[key].items(), key=lambda item: -item[1])] or ["  —"]
    if summary["closed"]:
        lines.append(f"\nClosed: {summary['closed']}; days to close: median {summary['median_days_to_close']}, "
                     f"longest {summary['max_days_to_close']}")
    return "\n".join(lines)


def _report_csv(summary: dict[str, Any]) -> str:
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["month", "dimension", "value", "count"])
    writer.writerow([summary["month"], "total", "", summary["total"]])
    writer.writerow([summary["month"], "urgent", "", summary["urgent"]])
    for dimension in ("by_category", "by_organisation", "by_status"):
        for value, count in sorted(summary[dimension].items()):
            writer.writerow([summary["month"], dimension.removeprefix("by_"), value, count])
    writer.writerow([summary["month"], "median_days_to_close", "", summary["median_days_to_close"] if summary["closed"] else ""])
    return buffer.getvalue().rstrip()
