"""End to end on each real channel: a person writing Farsi finds a service, asks for help, and a
staff member's reply arrives on the same channel."""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import re
from urllib.parse import urlencode

import httpx
import pytest
from twilio.request_validator import RequestValidator

from bot.app import create_app
from bot.config import load_settings
from bot.core.clock import utcnow
from bot.runtime import Runtime
from bot.staff import auth, tickets
from bot.storage.models import Staff, Ticket
from fakes import FakeMeta, FakeTelegram, FakeTwilio, Served, tg_callback, tg_message

PUBLIC = "https://bot.example.org"


class TelegramPerson:
    settings = {"telegram_token": "123456:TEST", "telegram_webhook_secret": "e2e_secret"}

    def __init__(self) -> None:
        self.fake, self.counter = FakeTelegram(), 1000

    def configure(self, url: str) -> dict:
        return {**self.settings, "telegram_api_url": url}

    async def write(self, web, text=None, button=None):
        self.counter += 1
        update = tg_callback(self.counter, 4242, button) if button else tg_message(self.counter, 4242, text)
        return await web.post("/webhooks/telegram", content=json.dumps(update),
                              headers={"X-Telegram-Bot-Api-Secret-Token": "e2e_secret"})

    def received(self) -> list[str]:
        return self.fake.sent_texts(4242)


class TwilioPerson:
    def __init__(self) -> None:
        self.fake, self.counter = FakeTwilio(), 0

    def configure(self, url: str) -> dict:
        return {"twilio_account_sid": "AC" + "2" * 32, "twilio_auth_token": "tok", "twilio_api_url": url,
                "twilio_whatsapp_from": "whatsapp:+14155238886"}

    async def write(self, web, text=None, button=None):
        self.counter += 1
        form = {"MessageSid": f"SME2E{self.counter}", "From": "whatsapp:+359880000001", "WaId": "359880000001",
                "Body": text or "", "NumMedia": "0", **({"ButtonPayload": button} if button else {})}
        signature = RequestValidator("tok").compute_signature(PUBLIC + "/webhooks/twilio", form)
        return await web.post("/webhooks/twilio", content=urlencode(form), headers={
            "X-Twilio-Signature": signature, "Content-Type": "application/x-www-form-urlencoded"})

    def received(self) -> list[str]:
        return [m.get("Body", "") for m in self.fake.messages()]


class MetaPerson:
    def __init__(self) -> None:
        self.fake, self.counter = FakeMeta(), 0

    def configure(self, url: str) -> dict:
        return {"meta_verify_token": "v", "meta_app_secret": "app-secret", "meta_access_token": "EAA",
                "meta_phone_number_id": "99", "meta_api_url": url}

    async def write(self, web, text=None, button=None):
        self.counter += 1
        message = {"from": "359880000002", "id": f"wamid.E2E{self.counter}", "timestamp": "1"}
        message.update({"type": "interactive", "interactive": {"type": "button_reply", "button_reply": {"id": button, "title": "x"}}}
                       if button else {"type": "text", "text": {"body": text}})
        body = json.dumps({"entry": [{"changes": [{"value": {"messages": [message]}}]}]}).encode()
        signature = "sha256=" + hmac.new(b"app-secret", body, hashlib.sha256).hexdigest()
        return await web.post("/webhooks/meta", content=body, headers={"X-Hub-Signature-256": signature})

    def received(self) -> list[str]:
        texts = []
        for m in self.fake.of("messages"):
            texts.append(m.get("text", {}).get("body") or m.get("interactive", {}).get("body", {}).get("text", ""))
        return texts


@pytest.mark.parametrize("person_class", [TelegramPerson, TwilioPerson, MetaPerson], ids=["telegram", "twilio", "meta"])
async def test_farsi_speaker_finds_a_service_asks_for_help_and_gets_a_staff_reply(db_url, shared_content, person_class):
    person = person_class()
    async with Served(person.fake.app()) as served:
        settings = load_settings(database_url=db_url, public_url=PUBLIC, secret_key="e" * 32, content_watch_seconds=0,
                                 inbox_poll_seconds=0.05, **person.configure(served.url))
        runtime = Runtime(settings, content=shared_content)
        await runtime.start(handle=True, deliver=False, watch=False)
        for channel in runtime.channels.values():
            channel.recipient_rate = channel.channel_rate = 0
        if "telegram" in runtime.channels:
            await asyncio.wait_for(runtime.channels["telegram"].ready.wait(), 10)
        try:
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(runtime)), base_url=PUBLIC) as web:

                async def turn(text=None, button=None) -> str:
                    assert (await person.write(web, text, button)).status_code in (200, 204)
                    await runtime.inbox.drain()
                    while await runtime.outbox.run_once():
                        pass
                    return person.received()[-1]

                await turn("سلام")
                await turn(button="lang:fa")
                await turn(button="consent:yes")
                results = await turn("دکتر برای بچه")
                assert "🩺" in results  # health services, listed in Farsi
                await turn(button="cmd:assistance")
                await turn(button="asg:topic:health")
                await turn("پسرم تب دارد و دکتر خانواده ندارم")
                await turn(button="asg:done")
                await turn(button="asg:contact:chat")
                sent = await turn(button="asg:send")
                ref = re.search(r"A-[0-9A-Z]{4}", sent).group(0)
                async with runtime.db.write() as session:
                    ticket = await tickets.by_ref(session, ref)
                    staff = Staff(email="nurse@example.org", name="Leila", password_hash=auth.hash_password("x" * 12),
                                  role="staff", org_id=ticket.org_id, permissions=[], active=True, created_at=utcnow())
                    session.add(staff)
                    await session.flush()
                    await tickets.reply(session, runtime.content.current, ticket, staff, "فردا ساعت ۱۰ به کلینیک بیایید.", utcnow())
                while await runtime.outbox.run_once():
                    pass
                reply = person.received()[-1]
                assert "فردا ساعت ۱۰" in reply and "Leila" in reply and ref in reply
                async with runtime.db.read() as session:
                    assert (await session.get(Ticket, ticket.id)).lang == "fa"
        finally:
            await runtime.stop()
