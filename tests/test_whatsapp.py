"""WhatsApp through Twilio (the real twilio library and its RequestValidator) and through Meta's
Cloud API, each against a local fake of the provider's API."""
from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta
from urllib.parse import urlencode

import httpx
import pytest
from sqlalchemy import func, select, update
from twilio.request_validator import RequestValidator

from bot.app import create_app
from bot.config import load_settings
from bot.core.clock import utcnow
from bot.runtime import Runtime
from bot.storage.models import InboxMessage, OutboxMessage, User
from fakes import FakeMeta, FakeTwilio, Served, twilio_error

PUBLIC = "https://bot.example.org"
AUTH_TOKEN = "twilio-auth-token-12345"
SENDER = "359881234567"


@pytest.fixture
async def fake_twilio():
    fake = FakeTwilio()
    async with Served(fake.app()) as served:
        fake.url = served.url
        yield fake


@pytest.fixture
async def wa(db_url, fake_twilio, shared_content):
    settings = load_settings(database_url=db_url, public_url=PUBLIC, secret_key="x" * 32, twilio_account_sid="AC" + "1" * 32,
                             twilio_auth_token=AUTH_TOKEN, twilio_whatsapp_from="whatsapp:+14155238886",
                             twilio_api_url=fake_twilio.url, content_watch_seconds=0, inbox_poll_seconds=0.05,
                             twilio_templates=json.dumps({"ticket_reply": "HX" + "a" * 32, "ticket_closed": "HX" + "b" * 32}))
    runtime = Runtime(settings, content=shared_content)
    await runtime.start(handle=True, deliver=False, watch=False)
    runtime.channels["whatsapp"].recipient_rate = runtime.channels["whatsapp"].channel_rate = 0
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(runtime)), base_url=PUBLIC) as web:
        yield runtime, web, fake_twilio
    await runtime.stop()


def signed(path: str, form: dict[str, str]) -> tuple[str, dict[str, str]]:
    signature = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC + path, form)
    return urlencode(form), {"X-Twilio-Signature": signature, "Content-Type": "application/x-www-form-urlencoded"}


def inbound(sid: str, body: str = "", **extra: str) -> dict[str, str]:
    return {"MessageSid": sid, "SmsMessageSid": sid, "AccountSid": "AC" + "1" * 32, "From": f"whatsapp:+{SENDER}",
            "To": "whatsapp:+14155238886", "Body": body, "NumMedia": "0", "WaId": SENDER, "ProfileName": "Zahra",
            "MessageType": "text", **extra}


async def say(web, form: dict[str, str]) -> httpx.Response:
    body, headers = signed("/webhooks/twilio", form)
    return await web.post("/webhooks/twilio", content=body, headers=headers)


async def deliver(runtime) -> None:
    await runtime.inbox.drain()
    for _ in range(50):
        if not await runtime.outbox.run_once():
            break


async def test_signed_requests_accepted_tampered_or_unsigned_refused(wa):
    runtime, web, fake = wa
    response = await say(web, inbound("SM1", "hello"))
    assert response.status_code == 200 and "<Response>" in response.text and response.headers["content-type"].startswith("text/xml")
    body, headers = signed("/webhooks/twilio", inbound("SM2", "hello"))
    tampered = body.replace("hello", "hacked")
    assert (await web.post("/webhooks/twilio", content=tampered, headers=headers)).status_code == 403
    assert (await web.post("/webhooks/twilio", content=urlencode(inbound("SM3", "x")),
                           headers={"Content-Type": "application/x-www-form-urlencoded"})).status_code == 403
    async with runtime.db.read() as session:
        ids = (await session.scalars(select(InboxMessage.provider_message_id))).all()
    assert ids == ["SM1"]


async def test_replies_go_through_the_rest_api_as_numbered_text(wa):
    runtime, web, fake = wa
    await say(web, inbound("SM10", "hello"))
    await say(web, inbound("SM10", "hello"))  # Twilio's retry: de-duplicated
    await deliver(runtime)
    [message] = fake.messages()
    assert message["To"] == f"whatsapp:+{SENDER}" and message["From"] == "whatsapp:+14155238886"
    assert "1. English" in message["Body"] and "4. دری" in message["Body"]
    assert message["StatusCallback"] == f"{PUBLIC}/webhooks/twilio/status"
    await say(web, inbound("SM11", "۴"))  # a Persian digit picks Dari
    await deliver(runtime)
    async with runtime.db.read() as session:
        assert await session.scalar(select(User.lang).where(User.channel_user_id == SENDER)) == "fa_AF"


async def test_location_media_and_button_replies_are_parsed(wa):
    runtime, web, fake = wa
    await say(web, inbound("SM20", "", Latitude="42.6977", Longitude="23.3219", MessageType="location"))
    await say(web, inbound("SM21", "", NumMedia="1", MediaContentType0="audio/ogg", MediaUrl0=f"{fake.url}/media/voice1"))
    await say(web, inbound("SM22", "English", ButtonPayload="lang:en", ButtonText="English", MessageType="button"))
    await runtime.inbox.drain()
    from bot.channels.twilio import parse_form

    voice = parse_form(inbound("SM21", "", NumMedia="1", MediaContentType0="audio/ogg", MediaUrl0="u"))
    assert (voice.media, voice.media_ref) == ("voice", "u")
    button = parse_form(inbound("SM22", "English", ButtonPayload="lang:en"))
    assert button.button == "lang:en" and button.text == ""
    body, kind = await runtime.channels["whatsapp"].fetch_media(f"{fake.url}/media/voice1")
    assert kind == "image/jpeg" and body.startswith(b"\xff\xd8")


async def test_long_messages_split_at_1600_characters(wa):
    runtime, web, fake = wa
    from bot.core import outbox
    from bot.core.messages import OutboundMessage

    await say(web, inbound("SM30", "hello"))
    await deliver(runtime)
    async with runtime.db.write() as session:
        user_id = await session.scalar(select(User.id).where(User.channel_user_id == SENDER))
        await outbox.enqueue(session, channel="whatsapp", user_id=user_id,
                             messages=[OutboundMessage("\n\n".join(["word " * 150] * 5))])
    before = len(fake.messages())
    await deliver(runtime)
    parts = [m["Body"] for m in fake.messages()[before:]]
    assert len(parts) >= 3 and all(len(p) <= 1600 for p in parts)


async def test_outside_the_window_a_content_template_is_sent_and_63016_is_handled(wa):
    runtime, web, fake = wa
    from bot.channels.base import Template
    from bot.core import outbox
    from bot.core.messages import OutboundMessage

    await say(web, inbound("SM40", "hello"))
    await deliver(runtime)
    async with runtime.db.write() as session:
        user_id = await session.scalar(select(User.id).where(User.channel_user_id == SENDER))
        await session.execute(update(User).values(last_inbound_at=utcnow() - timedelta(hours=25)))
        await outbox.enqueue(session, channel="whatsapp", user_id=user_id, messages=[OutboundMessage("The answer")],
                             template=Template("ticket_reply", "en", {"ref": "A-7Q3K"}, "You have a reply"))
    before = len(fake.messages())
    await deliver(runtime)
    [template] = fake.messages()[before:]
    assert template["ContentSid"] == "HX" + "a" * 32 and json.loads(template["ContentVariables"]) == {"1": "A-7Q3K"}
    assert "Body" not in template  # a template text in Body is refused by WhatsApp
    # The person answers: the held reply goes out. Then a late 63016 from Twilio holds it again.
    await say(web, inbound("SM41", "OK"))
    await deliver(runtime)
    assert fake.messages()[-1]["Body"] == "The answer"
    async with runtime.db.write() as session:
        await session.execute(update(User).values(last_inbound_at=utcnow() - timedelta(hours=1)))
        await outbox.enqueue(session, channel="whatsapp", user_id=user_id, messages=[OutboundMessage("Second answer")],
                             template=Template("ticket_reply", "en", {"ref": "A-7Q3K"}, "You have a reply"))
    fake.fail_next("Messages", 400, twilio_error(63016))
    await deliver(runtime)
    async with runtime.db.read() as session:
        held = (await session.scalars(select(OutboxMessage).where(OutboxMessage.status == "held"))).all()
    assert len(held) == 1 and held[0].error_code == "63016"
    assert "ContentSid" in fake.messages()[-1]  # the template went out instead


async def test_opted_out_recipient_is_unreachable(wa):
    runtime, web, fake = wa
    fake.fail_next("Messages", 400, twilio_error(21610))
    await say(web, inbound("SM50", "hello"))
    await deliver(runtime)
    async with runtime.db.read() as session:
        row = (await session.scalars(select(OutboxMessage))).one()
        person = (await session.scalars(select(User))).one()
    assert (row.status, row.error_code) == ("unreachable", "21610") and person.unreachable_at is not None


async def test_status_callbacks_update_the_outbox(wa):
    runtime, web, fake = wa
    await say(web, inbound("SM60", "hello"))
    await deliver(runtime)
    async with runtime.db.read() as session:
        row = (await session.scalars(select(OutboxMessage))).one()
    assert row.status == "sent" and row.payload is not None  # kept until the provider confirms
    for status in ("delivered", "sent", "read"):  # out of order: the furthest status wins
        body, headers = signed("/webhooks/twilio/status", {"MessageSid": row.provider_message_id, "MessageStatus": status})
        assert (await web.post("/webhooks/twilio/status", content=body, headers=headers)).status_code == 204
    async with runtime.db.read() as session:
        row = (await session.scalars(select(OutboxMessage))).one()
    assert row.status == "read" and row.payload is None
    body, headers = signed("/webhooks/twilio/status", {"MessageSid": "SMnone", "MessageStatus": "failed", "ErrorCode": "30003"})
    assert (await web.post("/webhooks/twilio/status", content=body, headers={**headers, "X-Twilio-Signature": "bad"})).status_code == 403


async def test_menu_templates_when_configured(db_url, fake_twilio, shared_content):
    settings = load_settings(database_url=db_url, public_url=PUBLIC, secret_key="x" * 32, twilio_account_sid="AC" + "1" * 32,
                             twilio_auth_token=AUTH_TOKEN, twilio_whatsapp_from="whatsapp:+14155238886",
                             twilio_api_url=fake_twilio.url, twilio_menu_templates=json.dumps({"buttons:3": "HX" + "c" * 32}))
    from bot.channels.twilio import TwilioWhatsAppChannel
    from bot.core.messages import Button, OutboundMessage

    channel = TwilioWhatsAppChannel(settings, None)
    message = OutboundMessage("Is this OK?", (Button("Yes, continue", "consent:yes"), Button("Tell me more", "cmd:privacy"),
                                              Button("No, thank you", "consent:no")))
    sid, variables = channel.menu_template(message)
    assert sid == "HX" + "c" * 32 and variables["1"] == "Is this OK?" and variables["3"] == "consent:yes"
    assert channel.menu_template(OutboundMessage("Pick", tuple(Button(str(n), f"p:{n}") for n in range(5)))) is None


# -- Meta Cloud API ---------------------------------------------------------------------------------

APP_SECRET = "meta-app-secret"


@pytest.fixture
async def meta(db_url, shared_content):
    fake = FakeMeta()
    async with Served(fake.app()) as served:
        settings = load_settings(database_url=db_url, public_url=PUBLIC, secret_key="x" * 32, meta_verify_token="verify-me",
                                 meta_app_secret=APP_SECRET, meta_access_token="EAAB", meta_phone_number_id="1234567",
                                 meta_api_url=served.url, content_watch_seconds=0, inbox_poll_seconds=0.05,
                                 meta_templates=json.dumps({"ticket_reply": "ticket_reply"}))
        runtime = Runtime(settings, content=shared_content)
        await runtime.start(handle=True, deliver=False, watch=False)
        runtime.channels["whatsapp"].recipient_rate = runtime.channels["whatsapp"].channel_rate = 0
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(runtime)), base_url=PUBLIC) as web:
            yield runtime, web, fake
        await runtime.stop()


def meta_body(messages=(), statuses=()) -> bytes:
    return json.dumps({"object": "whatsapp_business_account", "entry": [{"id": "WABA", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp", "metadata": {"display_phone_number": "15550001", "phone_number_id": "1234567"},
        "contacts": [{"profile": {"name": "Olena"}, "wa_id": SENDER}], "messages": list(messages),
        "statuses": list(statuses)}}]}]}).encode()


def meta_text(wamid: str, text: str) -> dict:
    return {"from": SENDER, "id": wamid, "timestamp": "1795478371", "type": "text", "text": {"body": text}}


async def meta_post(web, body: bytes, secret: str = APP_SECRET) -> httpx.Response:
    signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return await web.post("/webhooks/meta", content=body, headers={"X-Hub-Signature-256": signature,
                                                                   "Content-Type": "application/json"})


async def test_meta_verification_signature_and_dedupe(meta):
    runtime, web, fake = meta
    ok = await web.get("/webhooks/meta", params={"hub.mode": "subscribe", "hub.verify_token": "verify-me", "hub.challenge": "42"})
    assert ok.status_code == 200 and ok.text == "42"
    assert (await web.get("/webhooks/meta", params={"hub.mode": "subscribe", "hub.verify_token": "no", "hub.challenge": "1"})).status_code == 403
    body = meta_body([meta_text("wamid.A1", "привіт")])
    assert (await meta_post(web, body, secret="wrong")).status_code == 403
    assert (await meta_post(web, body)).status_code == 200
    assert (await meta_post(web, body)).status_code == 200  # Meta retries: the wamid de-duplicates
    async with runtime.db.read() as session:
        assert await session.scalar(select(func.count()).select_from(InboxMessage)) == 1


async def test_meta_native_buttons_lists_and_numbered_fallback(meta):
    runtime, web, fake = meta
    await meta_post(web, meta_body([meta_text("wamid.B1", "hello")]))
    await deliver(runtime)
    languages = fake.of("messages")[-1]
    assert languages["type"] == "text" and "1. English" in languages["text"]["body"]  # 15 choices: numbered text
    await meta_post(web, meta_body([{"from": SENDER, "id": "wamid.B2", "timestamp": "1", "type": "interactive",
                                     "interactive": {"type": "list_reply", "list_reply": {"id": "lang:uk", "title": "Українська"}}}]))
    await deliver(runtime)
    consent = fake.of("messages")[-1]
    assert consent["type"] == "interactive" and consent["interactive"]["type"] == "button"
    assert all(len(b["reply"]["title"]) <= 20 for b in consent["interactive"]["action"]["buttons"])
    await meta_post(web, meta_body([{"from": SENDER, "id": "wamid.B3", "timestamp": "1", "type": "interactive",
                                     "interactive": {"type": "button_reply", "button_reply": {"id": "consent:yes", "title": "Так"}}}]))
    await deliver(runtime)
    menu = fake.of("messages")[-1]
    assert menu["type"] == "interactive" and menu["interactive"]["type"] == "list"
    rows = menu["interactive"]["action"]["sections"][0]["rows"]
    assert len(rows) <= 10 and all(len(r["title"]) <= 24 for r in rows)


async def test_meta_window_template_and_status_updates(meta):
    runtime, web, fake = meta
    from bot.channels.base import Template
    from bot.core import outbox
    from bot.core.messages import OutboundMessage

    await meta_post(web, meta_body([meta_text("wamid.C1", "hello")]))
    await deliver(runtime)
    async with runtime.db.write() as session:
        user_id = await session.scalar(select(User.id))
        await session.execute(update(User).values(last_inbound_at=utcnow() - timedelta(days=2)))
        await outbox.enqueue(session, channel="whatsapp", user_id=user_id, messages=[OutboundMessage("Reply from staff")],
                             template=Template("ticket_reply", "uk", {"ref": "A-2B3C"}, "..."))
    await deliver(runtime)
    template = fake.of("messages")[-1]
    assert template["type"] == "template" and template["template"]["name"] == "ticket_reply"
    assert template["template"]["language"]["code"] == "uk"
    assert template["template"]["components"][0]["parameters"] == [{"type": "text", "text": "A-2B3C"}]
    async with runtime.db.read() as session:
        sent = (await session.scalars(select(OutboxMessage).where(OutboxMessage.status == "sent"))).all()
    wamid = sent[-1].provider_message_id
    await meta_post(web, meta_body(statuses=[{"id": wamid, "status": "delivered", "timestamp": "1", "recipient_id": SENDER}]))
    async with runtime.db.read() as session:
        assert await session.scalar(select(OutboxMessage.status).where(OutboxMessage.provider_message_id == wamid)) == "delivered"


def test_meta_error_classes():
    from bot.channels.base import DeliveryError
    from bot.channels.meta import classify

    def response(code: int, status: int = 400) -> httpx.Response:
        return httpx.Response(status, json={"error": {"code": code, "message": "x"}})

    assert classify(response(131047)).kind == DeliveryError.WINDOW_CLOSED
    assert classify(response(131026)).kind == DeliveryError.UNREACHABLE
    assert classify(response(130429, 429)).whole_channel
    assert classify(response(100)).kind == DeliveryError.PERMANENT
    assert classify(httpx.Response(503, text="busy")).kind == DeliveryError.RETRY


def test_only_one_whatsapp_provider(db_url):
    from bot.config import ConfigError

    with pytest.raises(ConfigError, match="choose one WhatsApp provider"):
        load_settings(database_url=db_url, twilio_account_sid="AC1", twilio_auth_token="t", twilio_whatsapp_from="whatsapp:+1",
                      meta_verify_token="v", meta_app_secret="s", meta_access_token="a", meta_phone_number_id="1")
