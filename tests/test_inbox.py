"""Durable inbox: de-duplication, per-person ordering under concurrency, restart mid-conversation."""
from __future__ import annotations

import asyncio
import uuid

from sqlalchemy import func, select

from bot.core.dispatcher import Dispatcher, Router
from bot.core.messages import InboundMessage
from bot.runtime import Runtime
from bot.storage.models import InboxMessage
from helpers import Person, payloads, texts


def recording_dispatcher(log: list[tuple[str, str]], active: set[str], overlaps: list[str]) -> Dispatcher:
    router = Router("record")

    @router.fallback()
    async def record(turn):
        who = turn.user.channel_user_id
        if who in active:
            overlaps.append(who)
        active.add(who)
        await asyncio.sleep(0.002)  # give a concurrent handler of the same person a chance to interleave
        log.append((who, turn.text))
        turn.say(f"echo {turn.text}")
        active.discard(who)

    return Dispatcher([router])


async def test_each_persons_messages_are_handled_in_order_and_never_in_parallel(runtime):
    log: list[tuple[str, str]] = []
    active: set[str] = set()
    overlaps: list[str] = []
    runtime.dispatcher = recording_dispatcher(log, active, overlaps)
    people = [f"u{i}" for i in range(8)]

    async def write(who: str) -> None:
        for n in range(15):
            await runtime.receive(InboundMessage("console", who, uuid.uuid4().hex, text=str(n)))

    await asyncio.gather(*(write(who) for who in people))
    await runtime.inbox.drain()
    assert overlaps == []
    for who in people:
        assert [text for w, text in log if w == who] == [str(n) for n in range(15)]
    assert len({w for w, _ in log[:8]}) > 1  # people were served side by side, not one after another


async def test_duplicate_delivery_is_acknowledged_and_handled_once(person):
    message_id = uuid.uuid4().hex
    results = await asyncio.gather(*(person.send("hello", message_id=message_id) for _ in range(5)))
    assert sorted(results) == [False, False, False, False, True]
    await person.runtime.inbox.drain()
    replies = await person.replies()
    assert len(replies) == 1
    assert await person.send("hello", message_id=message_id) is False
    async with person.runtime.db.read() as session:
        assert await session.scalar(select(func.count()).select_from(InboxMessage)) == 1


async def test_handled_messages_keep_no_text(onboarded):
    await onboarded.say("a very private sentence about my family")
    async with onboarded.runtime.db.read() as session:
        payloads_left = (await session.scalars(select(InboxMessage.payload))).all()
    assert payloads_left and all(payload is None for payload in payloads_left)


async def test_restart_mid_conversation_continues_where_it_was(settings, runtime, shared_content):
    person = Person(runtime, "restart-me")
    await person.say("hello")
    await person.tap("lang:tr")  # now waiting for consent
    await runtime.stop()

    second = Runtime(settings, content=shared_content)
    await second.start(deliver=False, watch=False)
    try:
        again = Person(second, "restart-me")
        again.last_id = person.last_id
        replies = await again.tap("consent:yes")
        assert "cmd:language" in payloads(replies)
        assert all(reply.lang == "tr" for reply in replies)
    finally:
        await second.stop()


async def test_message_accepted_before_a_crash_is_handled_after_restart(settings, shared_content):
    first = Runtime(settings, content=shared_content)
    await first.start(handle=False, deliver=False, watch=False)  # accepts, as a webhook would
    assert await first.receive(InboundMessage("console", "crashy", "m-1", text="hello"))
    await first.stop()  # "crash" before any handling

    second = Runtime(settings, content=shared_content)
    await second.start(deliver=False, watch=False)  # its first poll finds the pending message
    try:
        person = Person(second, "crashy")
        for _ in range(100):
            replies = await person.replies()
            if replies:
                break
            await asyncio.sleep(0.05)
        assert "lang:en" in payloads(replies)
    finally:
        await second.stop()


async def test_a_crashing_handler_gets_an_apology_not_silence(runtime, onboarded):
    router = Router("boom")

    @router.fallback()
    async def boom(turn):
        turn.user.lang = "ar"  # changes made before the crash must be rolled back
        raise RuntimeError("bug")

    runtime.dispatcher = Dispatcher([router])
    replies = await onboarded.say("anything")
    assert "Sorry" in texts(replies)
    assert replies[0].lang == "en"
