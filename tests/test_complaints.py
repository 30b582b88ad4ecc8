"""Anonymous complaints: nothing links a complaint to the person — database, logs, outbox."""
from __future__ import annotations

import json
import logging
import re
import uuid

import httpx
from sqlalchemy import inspect, select, text

from bot.app import create_app
from bot.core.clock import utcnow
from bot.logs import JsonFormatter
from bot.staff import auth, complaints
from bot.storage.models import Base, Complaint, ComplaintMessage, ConversationState, Staff
from helpers import Person, payloads, texts

SECRET_TEXT = "The volunteer Georgi at the Lyulin food bank asked me for 20 leva"
PASSWORD = "a long enough password"


async def file_complaint(person: Person, category: str = "fraud", text: str = SECRET_TEXT) -> tuple[str, list]:
    await person.say("complaint")
    await person.tap("cmp:go")
    await person.tap(f"cmp:cat:{category}")
    await person.tap("cmp:org:sofia-food-bank")
    await person.say(text)
    await person.tap("cmp:done")
    replies = await person.tap("cmp:send")
    receipt = re.search(r"(\d{4} \d{4} \d{4} \d{4})", texts(replies)).group(1)
    return receipt, replies


async def all_rows(db) -> dict[str, list[dict]]:
    async with db.read() as session:
        tables = {}
        for table in Base.metadata.sorted_tables:
            rows = (await session.execute(select(table))).mappings().all()
            tables[table.name] = [dict(row) for row in rows]
        return tables


def as_text(row: dict) -> str:
    return json.dumps(row, default=str, ensure_ascii=False)


async def test_nothing_links_the_complaint_to_the_person(production_logging, caplog, runtime):
    caplog.set_level(logging.DEBUG)
    person = Person(runtime, f"whistle-{uuid.uuid4().hex[:6]}")
    await person.onboard("en")
    receipt, replies = await file_complaint(person)
    digits = receipt.replace(" ", "")
    await person.replies()  # everything shown (and acknowledged)
    user_id = await person.user_id()
    tables = await all_rows(runtime.db)
    [complaint] = tables["complaints"]

    # 1. No column of a complaint table can point at a person.
    for model in (Complaint, ComplaintMessage):
        columns = {c.name for c in inspect(model).columns}
        assert not columns & {"user_id", "channel", "channel_user_id", "phone", "provider_message_id", "received_at"}
        assert all(str(c.type) in ("DATE", "VARCHAR(32)", "VARCHAR(64)", "VARCHAR(20)", "VARCHAR(40)", "VARCHAR(12)",
                                   "VARCHAR(8)", "BOOLEAN", "INTEGER", "BIGINT", "TEXT") for c in inspect(model).columns)
    # 2. No row anywhere holds a person's identifier next to the complaint.
    person_marks = {person.user, str(user_id)}
    complaint_marks = {complaint["id"], complaint["receipt_hash"], digits, receipt, SECRET_TEXT}
    for name, rows in tables.items():
        for row in rows:
            dump = as_text(row)
            if any(mark in dump for mark in complaint_marks):
                assert name in ("complaints", "complaint_messages"), (name, row)
                assert not any(mark in dump for mark in {person.user}), (name, row)
                assert "user_id" not in row
    # 3. The receipt itself is nowhere (only its argon2id hash), nor is the draft in the person's state.
    everything = "\n".join(as_text(row) for rows in tables.values() for row in rows)
    assert digits not in everything and receipt not in everything
    assert complaint["receipt_hash"] == complaints.receipt_hash(digits, bytes.fromhex(next(
        row["value"] for row in tables["app_state"] if row["key"] == complaints.SALT_KEY)))
    states = [row for row in tables["conversation_state"] if row["user_id"] == user_id]
    assert SECRET_TEXT not in as_text(states[0]) and states[0]["flow"] is None
    # 4. Handled inbox rows keep no text and no sender; the flow's outbox rows are gone after delivery.
    assert all(row["payload"] is None and row["channel_user_id"] is None for row in tables["inbox"])
    assert not any("complaint" in as_text(row).lower() or "receipt" in as_text(row).lower() for row in tables["outbox"])
    # 5. Logs: no receipt, complaint id, complaint text or person; the flow's handler names hidden.
    formatter = JsonFormatter(personal=False)
    lines = [formatter.format(record) for record in caplog.records]
    joined = "\n".join(lines)
    for mark in complaint_marks | person_marks - {str(user_id)}:
        assert mark not in joined
    assert '"handler": "complaint.' not in joined
    assert any('"handler": "-"' in line for line in lines)
    # 6. Only dates, never a time of day.
    assert set(complaint) >= {"created_on", "updated_on"} and "created_at" not in complaint
    assert "Category" in texts(replies) and "Save it now" in texts(replies)


async def test_receipt_from_another_channel_in_other_digits_reads_the_answer(runtime):
    person = Person(runtime, "first-phone")
    await person.onboard("ar")
    receipt, _ = await file_complaint(person)
    async with runtime.db.write() as session:
        complaint = (await session.scalars(select(Complaint))).one()
        staff = Staff(email="focal@example.org", name="Focal", password_hash="x", role="admin", org_id=None,
                      permissions=["complaints"], active=True, created_at=utcnow())
        session.add(staff)
        await session.flush()
        await complaints.respond(session, complaint, staff, "We spoke to the food bank. This will not happen again.",
                                 utcnow().date())
    elsewhere = Person(runtime, "web-session-1", channel="web")
    await elsewhere.onboard("fa")
    persian = receipt.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")).replace(" ", "-")
    answer = await elsewhere.say(persian)
    assert "We spoke to the food bank" in texts(answer)
    # Adding information: the receipt and the message together (nothing is kept between messages).
    arabic = receipt.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    await elsewhere.say(f"{arabic} He asked again yesterday.")
    async with runtime.db.read() as session:
        texts_now = (await session.scalars(select(ComplaintMessage.text).order_by(ComplaintMessage.seq))).all()
    assert texts_now[-1] == "He asked again yesterday."
    # Closing with the button (its token is not stored anywhere).
    close = next(p for p in payloads(await elsewhere.say(receipt)) if p.startswith("cmp:close:"))
    assert len(close.encode()) <= 64
    await elsewhere.tap(close)
    async with runtime.db.read() as session:
        closed = (await session.scalars(select(Complaint))).one()
    assert closed.status == "closed" and closed.closed_by_person


async def test_a_receipt_never_ends_up_inside_an_open_request(onboarded):
    receipt, _ = await file_complaint(onboarded)
    await onboarded.tap("cmd:assistance")
    await onboarded.tap("asg:topic:legal-aid")
    replies = await onboarded.say(receipt)  # typed while describing a request
    assert "Complaint from" in texts(replies)
    async with onboarded.runtime.db.read() as session:
        state = (await session.scalars(select(ConversationState))).one()
    assert receipt.replace(" ", "") not in json.dumps(state.data)


async def test_wrong_receipts_are_rate_limited(onboarded):
    for attempt in range(5):
        reply = texts(await onboarded.say(f"1111 2222 3333 {4440 + attempt}"))
        assert "found no complaint" in reply
    assert "Too many receipt numbers" in texts(await onboarded.say("1111 2222 3333 4449"))


async def test_flooding_is_limited_per_chat(onboarded):
    for _ in range(3):
        await file_complaint(onboarded)
    await onboarded.say("complaint")
    await onboarded.tap("cmp:go")
    await onboarded.tap("cmp:cat:other")
    await onboarded.tap("cmp:org:-")
    await onboarded.say("one more")
    await onboarded.tap("cmp:done")
    assert "Too many complaints" in texts(await onboarded.tap("cmp:send"))
    async with onboarded.runtime.db.read() as session:
        assert len((await session.scalars(select(Complaint))).all()) == 3
        keys = (await session.execute(text("SELECT key FROM rate_limits"))).scalars().all()
    assert all(onboarded.user not in key for key in keys)  # HMAC keys only


async def test_sexual_abuse_is_urgent_goes_to_the_focal_point_and_shows_emergency_numbers(onboarded):
    await onboarded.say("complaint")
    await onboarded.tap("cmp:go")
    warning = await onboarded.tap("cmp:cat:sea")
    assert "112" in texts(warning)
    await onboarded.tap("cmp:org:-")
    await onboarded.say("A staff member asked me for sex in exchange for help")
    await onboarded.tap("cmp:done")
    sent = await onboarded.tap("cmp:send")
    assert "urgent" in texts(sent) and "112" in texts(sent)
    async with onboarded.runtime.db.read() as session:
        complaint = (await session.scalars(select(Complaint))).one()
    assert complaint.urgent and complaint.handler_org == onboarded.runtime.content.current.network.complaints_focal_point


async def test_dashboard_needs_the_complaints_permission_and_lists_urgent_first(runtime):
    async with runtime.db.write() as session:
        for email, perms in (("plain@example.org", []), ("focal@example.org", ["complaints"])):
            session.add(Staff(email=email, name=email.split("@")[0], password_hash=auth.hash_password(PASSWORD),
                              role="admin", org_id=None, permissions=perms, active=True, created_at=utcnow()))
    ordinary = Person(runtime, "c1")
    await ordinary.onboard("en")
    await file_complaint(ordinary, "quality", "The clinic was rude to me")
    urgent = Person(runtime, "c2")
    await urgent.onboard("en")
    await file_complaint(urgent, "safety", "Someone threatens me at the shelter")
    app = create_app(runtime)
    from test_assistance import csrf_of, sign_in

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as plain:
        await sign_in(plain, "plain@example.org", PASSWORD)
        assert (await plain.get("/staff/complaints")).status_code == 403
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as focal:
        await sign_in(focal, "focal@example.org", PASSWORD)
        page = (await focal.get("/staff/complaints")).text
        rows = page[page.index("<tbody>"):]
        assert rows.index("safety") < rows.index("quality")
        cid = re.search(r'/staff/complaints/([0-9a-f]{32})', page).group(1)
        detail = await focal.get(f"/staff/complaints/{cid}")
        assert "threatens me" in detail.text
        await focal.post(f"/staff/complaints/{cid}/respond", data={"csrf": csrf_of(detail.text), "text": "We moved you to another room."})
        assert "We moved you" in (await focal.get(f"/staff/complaints/{cid}")).text


async def test_monthly_report(runtime):
    person = Person(runtime, "reporter")
    await person.onboard("en")
    await file_complaint(person, "fraud")
    await file_complaint(person, "staff")
    async with runtime.db.write() as session:
        first = (await session.scalars(select(Complaint).where(Complaint.category == "fraud"))).one()
        await complaints.close(session, first, None, "closed_by_person", first.created_on)
    month = utcnow().astimezone(runtime.content.current.tz).strftime("%Y-%m")
    async with runtime.db.read() as session:
        summary = await complaints.report(session, month)
    assert summary["total"] == 2 and summary["by_category"] == {"fraud": 1, "staff": 1}
    assert summary["by_organisation"] == {"sofia-food-bank": 2} and summary["median_days_to_close"] == 0


def test_receipt_parsing_and_tokens():
    assert complaints.find_receipt("1234 5678 9012 3456") == ("1234567890123456", "")
    assert complaints.find_receipt("١٢٣٤-٥٦٧٨-٩٠١٢-٣٤٥٦ more info") == ("1234567890123456", "more info")
    assert complaints.find_receipt("+359 88 123 4567") is None  # a phone number is not a receipt
    assert complaints.find_receipt("12345678901234567") is None
    now = utcnow()
    token = complaints.make_token("s" * 32, "ab" * 16, now)
    assert complaints.read_token("s" * 32, token, now) == "ab" * 16
    assert complaints.read_token("t" * 32, token, now) is None
    from datetime import timedelta
    assert complaints.read_token("s" * 32, token, now + timedelta(hours=1)) is None


async def test_feedback_view_aggregates_for_editors(runtime, onboarded):
    card = await onboarded.say("dentist")
    first = payloads(card)[0]
    card = await onboarded.tap(first)
    await onboarded.tap(next(p for p in payloads(card) if p.startswith("fb:") and p.endswith(":1")))
    await onboarded.tap(next(p for p in payloads(card) if p.startswith("wrong:")))
    await onboarded.say("The phone number is wrong")
    async with runtime.db.write() as session:
        session.add(Staff(email="petar@example.org", name="Petar", password_hash=auth.hash_password(PASSWORD),
                          role="editor", org_id=None, permissions=[], active=True, created_at=utcnow()))
    from test_assistance import csrf_of, sign_in

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(runtime)), base_url="http://test") as web:
        await sign_in(web, "petar@example.org", PASSWORD)
        page = (await web.get("/staff/feedback")).text
        assert "The phone number is wrong" in page and "Was this helpful?" in page
        done = re.search(r'action="(/staff/feedback/\d+/done)"', page).group(1)
        await web.post(done, data={"csrf": csrf_of(page)})
        assert "The phone number is wrong" not in (await web.get("/staff/feedback")).text
        assert (await web.get("/staff/")).status_code == 303  # editors have no request queue
