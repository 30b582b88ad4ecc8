"""Request assistance: the person's flow, the staff dashboard over HTTP, the 24-hour rule, the CLI."""
from __future__ import annotations

import re
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select, update

from bot.app import create_app
from bot.core.clock import utcnow
from bot.staff import auth
from bot.storage.models import AuditEntry, Feedback, OutboxMessage, Staff, StaffSession, Ticket, TicketMessage, User
from helpers import Person, payloads, texts

PASSWORD = "a long enough password"
LEGAL = "sofia-legal-aid-bureau"


@pytest.fixture
async def accounts(runtime):
    async with runtime.db.write() as session:
        for email, role, org, perms in [("mariam@example.org", "staff", LEGAL, []),
                                        ("ivan@example.org", "staff", "vitosha-community-clinic", []),
                                        ("admin@example.org", "admin", None, ["complaints"]),
                                        ("petar@example.org", "editor", "municipal-info-centre", [])]:
            session.add(Staff(email=email, name=email.split("@")[0].title(), password_hash=auth.hash_password(PASSWORD),
                              role=role, org_id=org, permissions=perms, active=True, created_at=utcnow()))
    return runtime


@pytest.fixture
async def web(accounts):
    app = create_app(accounts)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=("10.0.0.7", 1234)),
                                 base_url="http://test", follow_redirects=False) as client:
        yield client


async def sign_in(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> httpx.Response:
    page = await client.get("/staff/login")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    return await client.post("/staff/login", data={"email": email, "password": password, "csrf": token})


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


async def request_help(person: Person, text: str = "I need a lawyer to renew my residence permit",
                       topic: str = "legal-aid", contact: str = "chat") -> str:
    await person.tap("cmd:assistance")
    await person.tap(f"asg:topic:{topic}")
    await person.say(text)
    await person.say(media="voice")
    await person.tap("asg:done")
    await person.tap(f"asg:contact:{contact}")
    if contact == "phone":
        await person.say("+359 88 123 4567")
    sent = await person.tap("asg:send")
    return re.search(r"A-[0-9A-Z]{4}", texts(sent)).group(0)


async def test_person_flow_gives_a_reference_and_when_to_expect_an_answer(onboarded):
    await onboarded.tap("cmd:assistance")
    await onboarded.tap("asg:topic:legal-aid")
    await onboarded.say("My residence permit expires next month")
    await onboarded.say("I have two children")
    await onboarded.tap("asg:done")
    await onboarded.tap("asg:contact:chat")
    summary = texts(await onboarded.tap("asg:send"))
    assert re.search(r"A-[23456789A-HJ-NP-Z]{4}", summary)
    assert "usually answers within 48 hours" in summary and "Office hours" in summary
    added = await onboarded.say("also my son needs school")
    assert "Added to your request" in texts(added)
    async with onboarded.runtime.db.read() as session:
        ticket = (await session.scalars(select(Ticket))).one()
        person_messages = (await session.scalars(select(TicketMessage.text).where(TicketMessage.ticket_id == ticket.id))).all()
    assert ticket.org_id == LEGAL and ticket.topic == "legal-aid" and ticket.phone is None
    assert person_messages == ["My residence permit expires next month", "I have two children", "also my son needs school"]
    mine = await onboarded.say("my requests")
    assert ticket.ref in texts(mine)


async def test_the_whole_life_cycle_through_http(web, accounts, onboarded):
    ref = await request_help(onboarded)
    assert (await sign_in(web, "mariam@example.org")).status_code == 303
    queue = await web.get("/staff/")
    assert ref in queue.text and onboarded.user not in queue.text
    page = await web.get(f"/staff/tickets/{ref}")
    assert "I need a lawyer" in page.text and "voice" in page.text
    token = csrf_of(page.text)
    assert (await web.post(f"/staff/tickets/{ref}/claim", data={"csrf": token})).status_code == 303
    await web.post(f"/staff/tickets/{ref}/note", data={"csrf": token, "text": "Check the expiry date first"})
    await web.post(f"/staff/tickets/{ref}/reply", data={"csrf": token, "text": "Please come on Tuesday at 10:00."})
    replies = await onboarded.replies()
    assert len(replies) == 1 and replies[0].from_person  # the note stayed internal
    assert "Mariam" in replies[0].text and ref in replies[0].text and "Tuesday at 10:00" in replies[0].text
    await onboarded.tap(payloads(replies)[0])  # "Answer"
    await onboarded.say("Thank you, I will come")
    page = await web.get(f"/staff/tickets/{ref}")
    assert "Thank you, I will come" in page.text
    await web.post(f"/staff/tickets/{ref}/close", data={"csrf": token, "outcome": "resolved"})
    closing = await onboarded.replies()
    rating = next(p for p in payloads(closing) if p.startswith("rate:") and p.endswith(":4"))
    await onboarded.tap(rating)
    async with accounts.db.read() as session:
        ticket = (await session.scalars(select(Ticket))).one()
        rated = (await session.scalars(select(Feedback).where(Feedback.kind == "satisfaction"))).one()
        actions = (await session.scalars(select(AuditEntry.action))).all()
    assert (ticket.status, ticket.outcome, ticket.satisfaction) == ("closed", "resolved", 4)
    assert rated.value == 4 and rated.topic == "legal-aid"
    for action in ("login", "ticket.view", "ticket.claim", "ticket.note", "ticket.reply", "ticket.close"):
        assert action in actions


async def test_staff_cannot_read_another_organisations_requests(web, onboarded):
    ref = await request_help(onboarded)
    await sign_in(web, "ivan@example.org")
    assert ref not in (await web.get("/staff/")).text
    assert (await web.get(f"/staff/tickets/{ref}")).status_code == 404
    page = await web.get("/staff/")
    assert (await web.post(f"/staff/tickets/{ref}/reply", data={"csrf": csrf_of(page.text), "text": "hi"})).status_code == 404


async def test_admin_sees_all_and_refer_moves_the_request(accounts, onboarded):
    ref = await request_help(onboarded)
    app = create_app(accounts)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as admin, \
            httpx.AsyncClient(transport=transport, base_url="http://test") as ivan:
        await sign_in(admin, "admin@example.org")
        page = await admin.get(f"/staff/tickets/{ref}")
        assert page.status_code == 200
        await admin.post(f"/staff/tickets/{ref}/refer", data={"csrf": csrf_of(page.text), "org": "vitosha-community-clinic",
                                                             "reason": "Medical certificate needed first"})
        await sign_in(ivan, "ivan@example.org")
        page = await ivan.get(f"/staff/tickets/{ref}")
        assert page.status_code == 200 and "Medical certificate needed first" in page.text


async def test_phone_number_is_shown_only_when_the_person_asked_to_be_called(web, accounts):
    caller = Person(accounts, "caller")
    await caller.onboard("ar")
    ref = await request_help(caller, contact="phone")
    await sign_in(web, "mariam@example.org")
    assert "+359881234567" in (await web.get(f"/staff/tickets/{ref}")).text
    writer = Person(accounts, "writer")
    await writer.onboard("en")
    other = await request_help(writer)
    page = (await web.get(f"/staff/tickets/{other}")).text
    assert "writer" not in page and "answer in the chat" in page


async def test_csrf_is_required_for_every_action(web, onboarded):
    ref = await request_help(onboarded)
    await sign_in(web, "mariam@example.org")
    assert (await web.post(f"/staff/tickets/{ref}/reply", data={"text": "no token"})).status_code == 403
    assert (await web.post(f"/staff/tickets/{ref}/reply", data={"csrf": "forged", "text": "x"})).status_code == 403
    assert await onboarded.replies() == []
    login = await web.post("/staff/login", data={"email": "mariam@example.org", "password": PASSWORD})
    assert login.status_code == 400  # the sign-in form has its own token too


async def test_session_expiry_and_idle_timeout(web, accounts):
    await sign_in(web, "mariam@example.org")
    assert (await web.get("/staff/")).status_code == 200
    async with accounts.db.write() as session:
        await session.execute(update(StaffSession).values(last_seen_at=utcnow() - timedelta(hours=2)))
    response = await web.get("/staff/")
    assert response.status_code == 303 and response.headers["location"] == "/staff/login"
    await sign_in(web, "mariam@example.org")
    async with accounts.db.write() as session:
        await session.execute(update(StaffSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert (await web.get("/staff/")).status_code == 303


async def test_sign_in_is_rate_limited_and_wrong_passwords_refused(web):
    assert (await sign_in(web, "mariam@example.org", "wrong password!")).status_code == 401
    statuses = [(await sign_in(web, "mariam@example.org", "wrong password!")).status_code for _ in range(5)]
    assert statuses[-1] == 429
    assert (await sign_in(web, "mariam@example.org")).status_code == 429  # even the right one, for a while


async def test_reply_outside_the_24_hour_window_waits_for_the_person(accounts, web):
    fake = accounts.channels["fake"]
    fake.window = timedelta(hours=24)
    person = Person(accounts, "wa-1", channel="fake")
    await person.onboard("ar")
    ref = await request_help(person)
    while await accounts.outbox.run_once():
        pass
    async with accounts.db.write() as session:  # the weekend passes
        await session.execute(update(User).values(last_inbound_at=utcnow() - timedelta(hours=60)))
    await sign_in(web, "mariam@example.org")
    page = await web.get(f"/staff/tickets/{ref}")
    assert "Outside the 24-hour WhatsApp window" in page.text
    await web.post(f"/staff/tickets/{ref}/reply", data={"csrf": csrf_of(page.text), "text": "Come on Monday."})
    sent_before = len(fake.sent)
    while await accounts.outbox.run_once():
        pass
    [template] = fake.sent[sent_before:]
    assert template.template.name == "ticket_reply" and template.template.variables == {"ref": ref}
    assert template.template.lang == "ar" and ref in template.text
    await person.send("OK")
    await accounts.inbox.drain()
    while await accounts.outbox.run_once():
        pass
    delivered = [s.text for s in fake.sent[sent_before + 1:]]
    assert len(delivered) == 1 and "Come on Monday." in delivered[0]
    async with accounts.db.read() as session:
        statuses = (await session.scalars(select(OutboxMessage.status).order_by(OutboxMessage.id))).all()
    assert "held" not in statuses


async def test_deleting_my_data_removes_what_i_wrote_from_requests(onboarded):
    ref = await request_help(onboarded)
    await onboarded.say("delete")
    await onboarded.tap("del:yes")
    async with onboarded.runtime.db.read() as session:
        ticket = (await session.scalars(select(Ticket).where(Ticket.ref == ref))).one()
        authors = (await session.scalars(select(TicketMessage.author).where(TicketMessage.ticket_id == ticket.id))).all()
    assert ticket.user_id is None and ticket.status == "closed" and ticket.outcome == "deleted_by_person"
    assert "person" not in authors


async def test_operator_cli_staff_add_and_tickets_list_show_reply(db_url, accounts, onboarded):
    import asyncio
    import json
    import os
    import sys

    ref = await request_help(onboarded)
    env = {**os.environ, "RAHNAMA_DATABASE_URL": db_url}

    async def rahnama(*args: str, stdin: str = "") -> tuple[int, str, str]:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", *args, env=env, stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await process.communicate(stdin.encode())
        return process.returncode, out.decode(), err.decode()

    code, out, _ = await rahnama("staff", "add", "new@example.org", "--role", "staff", "--org", LEGAL,
                                 "--password-stdin", stdin=PASSWORD + "\n")
    assert code == 0 and "Created" in out
    code, _, err = await rahnama("staff", "add", "bad@example.org", "--role", "staff", "--org", "nowhere",
                                 "--password-stdin", stdin=PASSWORD + "\n")
    assert code == 2 and "--org" in err
    code, out, _ = await rahnama("tickets", "list", "--json")
    assert [row["ref"] for row in json.loads(out)] == [ref]
    code, out, _ = await rahnama("tickets", "show", ref)
    assert "I need a lawyer" in out and "[voice]" in out
    code, out, _ = await rahnama("tickets", "reply", ref, "An answer from the operator", "--as", "mariam@example.org")
    assert code == 0
    replies = await onboarded.replies()
    assert "An answer from the operator" in replies[0].text and "Mariam" in replies[0].text


@pytest.mark.browser
async def test_dashboard_in_headless_chromium(accounts, browser, live_server):
    person = Person(accounts, "browser-person")
    await person.onboard("uk")
    ref = await request_help(person, text="Потрібна допомога з документами")
    page = await browser.new_page()
    await page.goto(f"{live_server}/staff/login")
    await page.fill("#email", "mariam@example.org")
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]")
    await page.click(f"text={ref}")
    await page.get_by_text("Потрібна допомога з документами").wait_for()
    await page.click("text=Claim (assign to me)")
    await page.fill("#reply", "Приходьте у вівторок о 10:00.")
    await page.click("text=Send reply")
    await page.get_by_text("Reply sent.").wait_for()
    await page.select_option("#outcome", "resolved")
    await page.click("text=Close request")
    await page.get_by_text("Closed: resolved").wait_for()
    replies = await person.replies()
    assert any("Приходьте у вівторок" in r.text and r.from_person for r in replies)
    assert any(p.startswith("rate:") for p in payloads(replies))
    await page.close()
