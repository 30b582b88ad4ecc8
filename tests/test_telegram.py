"""Telegram with the real python-telegram-bot library, talking to a local fake Bot API."""
from __future__ import annotations

import asyncio
import json
import re

import httpx
import pytest
from sqlalchemy import func, select

from bot.app import create_app
from bot.channels.telegram import TelegramChannel
from bot.config import load_settings
from bot.runtime import Runtime
from bot.storage.models import InboxMessage, OutboxMessage, User
from fakes import FakeTelegram, Served, tg_callback, tg_message

SECRET = "s3cret_Token-1"
HEADERS = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
CHAT = 5550001


@pytest.fixture
async def fake_tg():
    fake = FakeTelegram()
    async with Served(fake.app()) as served:
        fake.url = served.url
        yield fake


def tg_settings(db_url: str, fake: FakeTelegram, public: bool = True, **extra):
    return load_settings(database_url=db_url, telegram_token="123456:TEST-TOKEN", telegram_api_url=fake.url,
                         public_url="https://bot.example.org" if public else "", telegram_webhook_secret=SECRET,
                         secret_key="x" * 32, content_watch_seconds=0, worker_poll_seconds=0.05,
                         inbox_poll_seconds=0.05, **extra)


@pytest.fixture
async def tg(db_url, fake_tg, shared_content):
    runtime = Runtime(tg_settings(db_url, fake_tg), content=shared_content)
    await runtime.start(handle=True, deliver=False, watch=False)
    channel: TelegramChannel = runtime.channels["telegram"]
    await asyncio.wait_for(channel.ready.wait(), 10)
    channel.recipient_rate = channel.channel_rate = 0  # pacing has its own test below
    app = create_app(runtime)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://bot.example.org") as web:
        yield runtime, web, fake_tg
    await runtime.stop()


async def post(web, update, headers=HEADERS):
    return await web.post("/webhooks/telegram", content=json.dumps(update), headers=headers)


async def deliver(runtime) -> None:
    await runtime.inbox.drain()
    for _ in range(50):
        if not await runtime.outbox.run_once():
            break


async def test_secret_token_is_checked_and_nothing_is_stored_without_it(tg):
    runtime, web, _fake = tg
    assert (await post(web, tg_message(1, CHAT, "hello"), headers={})).status_code == 403
    assert (await post(web, tg_message(1, CHAT, "hello"), headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"})).status_code == 403
    async with runtime.db.read() as session:
        assert await session.scalar(select(func.count()).select_from(InboxMessage)) == 0


async def test_conversation_with_inline_keyboards_and_callbacks(tg):
    runtime, web, fake = tg
    assert (await post(web, tg_message(10, CHAT, "سلام"))).status_code == 200
    await deliver(runtime)
    board = fake.keyboards()[-1]
    assert any(b["callback_data"] == "lang:fa_AF" for b in board)
    assert all(len(b["callback_data"].encode()) <= 64 for board in fake.keyboards() for b in board if "callback_data" in b)
    await post(web, tg_callback(11, CHAT, "lang:fa_AF"))
    await post(web, tg_callback(12, CHAT, "consent:yes"))
    await deliver(runtime)
    assert fake.of("answerCallbackQuery")  # the buttons' spinners were stopped
    await post(web, tg_message(13, CHAT, "داکتر اطفال"))
    await deliver(runtime)
    results = fake.sent_texts(CHAT)[-1]
    assert "داکتر" in results or "Dari" in results or "doctor" in results.lower()


async def test_same_update_twice_is_handled_once(tg):
    runtime, web, fake = tg
    update = tg_message(20, CHAT, "hello")
    assert (await post(web, update)).status_code == 200
    assert (await post(web, update)).status_code == 200
    await deliver(runtime)
    assert len(fake.of("sendMessage")) == 1


async def test_location_voice_edited_start_link_and_unknown_updates(tg):
    runtime, web, fake = tg
    await post(web, tg_message(30, CHAT, "/start ar__legal-aid"))  # a poster's QR code, in Arabic, at legal aid
    await deliver(runtime)
    assert "lang:en" not in json.dumps(fake.keyboards()[-1])  # the language came from the link
    await post(web, tg_callback(31, CHAT, "consent:yes"))
    await deliver(runtime)
    assert "⚖️" in fake.sent_texts()[-1]  # the legal-aid list opened after consent
    await post(web, tg_message(32, CHAT, location={"latitude": 42.6977, "longitude": 23.3219}))
    await post(web, tg_message(33, CHAT, voice={"file_id": "VOICE1", "file_unique_id": "v1", "duration": 3}))
    await post(web, {"update_id": 34, "edited_message": tg_message(34, CHAT, "dentist")["message"]})
    await post(web, {"update_id": 35, "my_chat_member": {"chat": {"id": CHAT, "type": "private"}, "from": {
        "id": CHAT, "is_bot": False, "first_name": "Z"}, "date": 1, "old_chat_member": {"status": "member", "user": {
            "id": 1, "is_bot": True, "first_name": "R"}}, "new_chat_member": {"status": "kicked", "until_date": 0, "user": {
            "id": 1, "is_bot": True, "first_name": "R"}}}})
    group = tg_message(36, -100200, "hello group")
    group["message"]["chat"]["type"] = "group"
    await post(web, group)  # not a private chat: ignored
    await deliver(runtime)
    texts = fake.sent_texts(CHAT)
    assert any("📍" in t and ("كم" in t or "متر" in t) for t in texts)  # places by distance, in Arabic units
    assert not any("عذرًا" in t and "خطأ" in t for t in texts)
    async with runtime.db.read() as session:
        assert await session.scalar(select(func.count()).select_from(User).where(User.channel == "telegram")) == 1


async def test_long_replies_are_split_at_4096_utf16_units_on_paragraphs(tg):
    runtime, _web, fake = tg
    from bot.core import outbox
    from bot.core.messages import OutboundMessage

    await post(_web, tg_message(40, CHAT, "hello"))
    await deliver(runtime)
    async with runtime.db.write() as session:
        user_id = await session.scalar(select(User.id).where(User.channel_user_id == str(CHAT)))
        long_text = ("😀" * 1500 + "\n\n") * 3  # 3 paragraphs of 3000 UTF-16 units each
        await outbox.enqueue(session, channel="telegram", user_id=user_id, messages=[OutboundMessage(long_text)])
    sent_before = len(fake.of("sendMessage"))
    await deliver(runtime)
    parts = [p["text"] for p in fake.of("sendMessage")[sent_before:]]
    assert len(parts) == 3 and all(len(p.encode("utf-16-le")) // 2 <= 4096 for p in parts)


async def test_429_pauses_the_bot_403_marks_unreachable(tg):
    runtime, web, fake = tg
    await post(web, tg_message(50, CHAT, "hello"))
    fake.fail_next("sendMessage", 429, {"error_code": 429, "description": "Too Many Requests: retry after 7",
                                       "parameters": {"retry_after": 7}})
    await deliver(runtime)
    async with runtime.db.read() as session:
        row = (await session.scalars(select(OutboxMessage))).one()
    assert row.status == "pending" and row.error_code == "429"
    assert (row.next_attempt_at - row.created_at).total_seconds() >= 7
    await post(web, tg_message(51, CHAT + 1, "hello"))
    fake.fail_next("sendMessage", 403, {"error_code": 403, "description": "Forbidden: bot was blocked by the user"})
    runtime.outbox._paused_until.clear()
    async with runtime.db.write() as session:
        from sqlalchemy import update

        await session.execute(update(OutboxMessage).values(next_attempt_at=row.created_at))
    await deliver(runtime)
    async with runtime.db.read() as session:
        blocked = await session.scalar(select(User.unreachable_at).where(User.channel_user_id.in_([str(CHAT), str(CHAT + 1)]),
                                                                          User.unreachable_at.is_not(None)))
    assert blocked is not None


async def test_each_chat_is_paced_about_one_message_a_second(tg):
    runtime, web, fake = tg
    from bot.core import outbox
    from bot.core.clock import utcnow
    from bot.core.messages import OutboundMessage

    channel = runtime.channels["telegram"]
    channel.recipient_rate, channel.recipient_burst = 1.0, 3
    await post(web, tg_message(70, CHAT, "hello"))
    await runtime.inbox.drain()
    async with runtime.db.write() as session:
        user_id = await session.scalar(select(User.id).where(User.channel_user_id == str(CHAT)))
        await outbox.enqueue(session, channel="telegram", user_id=user_id,
                             messages=[OutboundMessage(f"part {n}") for n in range(5)])
    for _ in range(10):
        await runtime.outbox.run_once()
    sent = fake.sent_texts(CHAT)
    assert len(sent) == 3  # a burst of three (the greeting and two parts), then one a second
    async with runtime.db.read() as session:
        waiting = (await session.scalars(select(OutboxMessage).where(OutboxMessage.status == "pending")
                                          .order_by(OutboxMessage.id))).all()
    assert len(waiting) == 3 and waiting[0].next_attempt_at > utcnow()


async def test_start_without_internet_is_not_fatal(db_url, fake_tg, shared_content):
    fake_tg.down = True
    runtime = Runtime(tg_settings(db_url, fake_tg), content=shared_content)
    await runtime.start(handle=True, deliver=False, watch=False)
    channel = runtime.channels["telegram"]
    await asyncio.sleep(0.3)
    assert not channel.ready.is_set() and "cannot reach Telegram" in channel.status()["error"]
    fake_tg.down = False
    await asyncio.wait_for(channel.ready.wait(), 10)
    await runtime.stop()


async def test_polling_mode_commits_before_acknowledging(db_url, fake_tg, shared_content):
    fake_tg.updates = [tg_message(60, CHAT, "hello"), tg_message(61, CHAT, "hello again")]
    runtime = Runtime(tg_settings(db_url, fake_tg, public=False), content=shared_content)
    await runtime.start(handle=True, deliver=False, watch=False)
    for _ in range(100):
        async with runtime.db.read() as session:
            stored = await session.scalar(select(func.count()).select_from(InboxMessage))
        if stored == 2:
            break
        await asyncio.sleep(0.05)
    assert stored == 2
    offsets = [int(p.get("offset") or 0) for p in fake_tg.of("getUpdates")]
    assert 62 in offsets  # the next poll acknowledged both, after they were committed
    assert fake_tg.of("deleteWebhook")
    await runtime.stop()


async def test_set_webhook_registers_secret_updates_and_commands_in_every_language(db_url, fake_tg, shared_content):
    channel = TelegramChannel(tg_settings(db_url, fake_tg))
    result = await channel.register(shared_content.current)
    [webhook] = fake_tg.of("setWebhook")
    assert webhook["url"] == "https://bot.example.org/webhooks/telegram" and webhook["secret_token"] == SECRET
    assert json.loads(webhook["allowed_updates"]) == ["message", "edited_message", "callback_query"]
    menus = {p.get("language_code"): json.loads(p["commands"]) for p in fake_tg.of("setMyCommands")}
    assert None in menus and {"ar", "ps", "uk", "ku", "ti"} <= set(menus)
    assert [c["command"] for c in menus["ar"]] == ["menu", "help", "language", "privacy", "delete"]
    assert result["commands"][0] == "default"


async def test_media_is_fetched_through_the_bot_for_staff(tg):
    runtime, _web, _fake = tg
    body, kind = await runtime.channels["telegram"].fetch_media("VOICE1")
    assert body.startswith(b"OggS") and kind in ("audio/ogg", "application/octet-stream")


async def test_route_is_404_when_telegram_is_not_configured(runtime):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(runtime)), base_url="http://t") as web:
        assert (await web.post("/webhooks/telegram", json={})).status_code == 404
        assert (await web.post("/webhooks/twilio", data={})).status_code == 404
        assert (await web.get("/webhooks/meta")).status_code == 404


async def test_new_requests_are_announced_in_the_staff_group_without_personal_data(db_url, fake_tg, shared_content):
    runtime = Runtime(tg_settings(db_url, fake_tg, telegram_staff_chat_id="-1009999"), content=shared_content)
    await runtime.start(handle=True, deliver=False, watch=False)
    channel = runtime.channels["telegram"]
    await asyncio.wait_for(channel.ready.wait(), 10)
    channel.recipient_rate = channel.channel_rate = 0
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(runtime)), base_url="https://bot.example.org") as web:
            for update_id, item in enumerate(["hello", ("b", "lang:en"), ("b", "consent:yes"), ("b", "cmd:assistance"),
                                              ("b", "asg:topic:legal-aid"), "I need a lawyer, my name is Ahmad",
                                              ("b", "asg:done"), ("b", "asg:contact:chat"), ("b", "asg:send")], 80):
                update = tg_callback(update_id, CHAT, item[1]) if isinstance(item, tuple) else tg_message(update_id, CHAT, item)
                await post(web, update)
                await deliver(runtime)
        [announcement] = fake_tg.sent_texts(-1009999)
        assert re.search(r"A-[0-9A-Z]{4}", announcement) and "https://bot.example.org/staff/tickets/" in announcement
        assert "Ahmad" not in announcement and str(CHAT) not in announcement
    finally:
        await runtime.stop()


async def test_a_server_error_is_retried_later_not_lost(tg):
    runtime, web, fake = tg
    fake.fail_next("sendMessage", 500, {"error_code": 500, "description": "Internal Server Error"})
    await post(web, tg_message(90, CHAT, "hello"))
    await deliver(runtime)
    async with runtime.db.read() as session:
        row = (await session.scalars(select(OutboxMessage))).one()
    assert row.status == "pending" and row.attempts == 1 and row.payload is not None
    async with runtime.db.write() as session:
        from sqlalchemy import update

        await session.execute(update(OutboxMessage).values(next_attempt_at=row.created_at))
    await deliver(runtime)
    assert len(fake.of("sendMessage")) == 2 and fake.sent_texts(CHAT)
