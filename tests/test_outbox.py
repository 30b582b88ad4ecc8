"""Transactional outbox: ordering, retries, failure classes, session windows, several workers."""
from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from bot.channels.base import DeliveryError, Template
from bot.core import outbox
from bot.core.clock import utcnow
from bot.core.messages import OutboundMessage
from bot.core.outbox import OutboxWorker
from bot.storage.models import OutboxMessage, User
from conftest import ON_POSTGRES
from helpers import FakeChannel, Person


async def fake_person(runtime, name: str = "fake-1") -> tuple[Person, int]:
    person = Person(runtime, name, channel="fake")
    await person.send("hello")
    await runtime.inbox.drain()
    return person, await person.user_id()


async def queue(runtime, user_id: int, *texts: str, template: Template | None = None) -> list[int]:
    async with runtime.db.write() as session:
        return await outbox.enqueue(session, channel="fake", user_id=user_id, template=template,
                                    messages=[OutboundMessage(text=t) for t in texts])


async def drain(worker: OutboxWorker, rounds: int = 20) -> None:
    for _ in range(rounds):
        if not await worker.run_once():
            return


async def rows(runtime) -> list[OutboxMessage]:
    async with runtime.db.read() as session:
        return list((await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all())


async def test_delivers_in_order_and_wipes_text(runtime):
    fake: FakeChannel = runtime.channels["fake"]
    _person, user_id = await fake_person(runtime)
    await queue(runtime, user_id, "one", "two", "three")
    await drain(runtime.outbox)
    assert [s.text for s in fake.sent][-3:] == ["one", "two", "three"]
    assert {s.address for s in fake.sent} == {"fake-1"}
    for row in await rows(runtime):
        assert row.status == "sent" and row.payload is None and row.address is None


async def test_retry_with_backoff_then_success(runtime):
    fake: FakeChannel = runtime.channels["fake"]
    _person, user_id = await fake_person(runtime)
    await drain(runtime.outbox)
    fake.failures.append(DeliveryError(DeliveryError.RETRY, "500"))
    [message_id] = await queue(runtime, user_id, "later")
    await drain(runtime.outbox)
    row = next(r for r in await rows(runtime) if r.id == message_id)
    assert row.status == "pending" and row.attempts == 1 and row.error_code == "500"
    assert row.next_attempt_at > utcnow() + timedelta(milliseconds=500)  # backed off
    async with runtime.db.write() as session:
        await session.execute(update(OutboxMessage).values(next_attempt_at=utcnow()))
    await drain(runtime.outbox)
    assert fake.sent[-1].text == "later"


async def test_later_messages_wait_for_an_earlier_retry(runtime):
    fake: FakeChannel = runtime.channels["fake"]
    _person, user_id = await fake_person(runtime)
    await drain(runtime.outbox)
    fake.failures.append(DeliveryError(DeliveryError.RETRY, "timeout"))
    await queue(runtime, user_id, "first", "second")
    await drain(runtime.outbox)
    assert "second" not in [s.text for s in fake.sent]
    async with runtime.db.write() as session:
        await session.execute(update(OutboxMessage).values(next_attempt_at=utcnow()))
    await drain(runtime.outbox)
    assert [s.text for s in fake.sent][-2:] == ["first", "second"]


async def test_permanent_failure_is_not_retried(runtime):
    fake: FakeChannel = runtime.channels["fake"]
    _person, user_id = await fake_person(runtime)
    await drain(runtime.outbox)
    fake.failures.append(DeliveryError(DeliveryError.PERMANENT, "400"))
    [message_id] = await queue(runtime, user_id, "bad")
    await drain(runtime.outbox)
    row = next(r for r in await rows(runtime) if r.id == message_id)
    assert (row.status, row.error_class, row.error_code, row.payload) == ("failed", "permanent", "400", None)


async def test_blocked_person_is_marked_unreachable_until_they_write_again(runtime):
    fake: FakeChannel = runtime.channels["fake"]
    person, user_id = await fake_person(runtime)
    await drain(runtime.outbox)
    fake.failures.append(DeliveryError(DeliveryError.UNREACHABLE, "403"))
    await queue(runtime, user_id, "are you there?")
    await drain(runtime.outbox)
    await queue(runtime, user_id, "second try")
    sent_before = len(fake.sent)
    await drain(runtime.outbox)
    assert len(fake.sent) == sent_before  # not retried forever
    statuses = [r.status for r in await rows(runtime)][-2:]
    assert statuses == ["unreachable", "unreachable"]
    await person.send("I am back")
    await runtime.inbox.drain()
    async with runtime.db.read() as session:
        assert await session.scalar(select(User.unreachable_at).where(User.id == user_id)) is None
    await drain(runtime.outbox)
    assert len(fake.sent) > sent_before


async def test_retry_after_pauses_the_whole_channel(runtime):
    fake: FakeChannel = runtime.channels["fake"]
    _p1, first = await fake_person(runtime, "a")
    _p2, second = await fake_person(runtime, "b")
    await drain(runtime.outbox)
    fake.failures.append(DeliveryError(DeliveryError.RETRY, "429", retry_after=30, whole_channel=True))
    await queue(runtime, first, "to a")
    await drain(runtime.outbox)
    await queue(runtime, second, "to b")
    sent = len(fake.sent)
    await drain(runtime.outbox)
    assert len(fake.sent) == sent  # b waits too: the provider asked the whole bot to slow down
    pending = [r for r in await rows(runtime) if r.status == "pending"]
    assert len(pending) == 2 and all(r.next_attempt_at > utcnow() + timedelta(seconds=20) for r in pending)


async def test_closed_session_window_holds_replies_and_sends_one_template(runtime):
    fake: FakeChannel = runtime.channels["fake"]
    fake.window = timedelta(hours=24)
    person, user_id = await fake_person(runtime)
    await drain(runtime.outbox)
    async with runtime.db.write() as session:
        await session.execute(update(User).where(User.id == user_id)
                              .values(last_inbound_at=utcnow() - timedelta(hours=30)))
    reminder = Template("ticket_reply", "en", {"ref": "A-7Q3K"}, "You have a reply to your request A-7Q3K.")
    await queue(runtime, user_id, "staff reply 1", template=reminder)
    await queue(runtime, user_id, "staff reply 2", template=reminder)
    sent_before = len(fake.sent)
    await drain(runtime.outbox)
    new = fake.sent[sent_before:]
    assert [s.template.name if s.template else s.text for s in new] == ["ticket_reply"]
    assert [r.status for r in await rows(runtime)][-3:] == ["held", "held", "sent"]

    await person.send("OK")
    await runtime.inbox.drain()
    await drain(runtime.outbox)
    texts_after = [s.text for s in fake.sent[sent_before + 1:]]
    assert texts_after == ["staff reply 1", "staff reply 2"]  # "OK" itself needs no answer


async def test_provider_window_error_is_handled_as_held(runtime):
    fake: FakeChannel = runtime.channels["fake"]
    _person, user_id = await fake_person(runtime)
    await drain(runtime.outbox)
    fake.failures.append(DeliveryError(DeliveryError.WINDOW_CLOSED, "63016"))
    await queue(runtime, user_id, "late", template=Template("ticket_reply", "en", {"ref": "A-1"}, "reply"))
    await drain(runtime.outbox)
    statuses = [(r.status, r.error_code) for r in await rows(runtime)][-2:]
    assert statuses[0] == ("held", "63016")


async def test_expired_claims_go_back_to_the_queue(runtime):
    _person, user_id = await fake_person(runtime)
    await drain(runtime.outbox)
    [message_id] = await queue(runtime, user_id, "stuck")
    async with runtime.db.write() as session:
        await session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id).values(
            status="sending", claimed_at=utcnow() - timedelta(minutes=10)))
    assert await runtime.outbox.release_expired_claims() == 1
    await drain(runtime.outbox)
    assert runtime.channels["fake"].sent[-1].text == "stuck"


@pytest.mark.postgres
@pytest.mark.skipif(not ON_POSTGRES, reason="several workers share the outbox only on PostgreSQL "
                    "(set RAHNAMA_TEST_DATABASE_URL=postgresql+asyncpg://... to run)")
async def test_several_workers_deliver_each_message_once_and_in_order(runtime):
    from bot.storage.db import Database

    fake: FakeChannel = runtime.channels["fake"]
    people = [await fake_person(runtime, f"w{i}") for i in range(10)]
    await drain(runtime.outbox)
    fake.sent.clear()
    for _person, user_id in people:
        await queue(runtime, user_id, *[f"{user_id}:{n}" for n in range(20)])
    workers = [OutboxWorker(Database(runtime.settings.database_url), {"fake": fake}, batch=7) for _ in range(4)]
    await asyncio.gather(*(drain(worker, rounds=200) for worker in workers))
    texts = [s.text for s in fake.sent]
    assert len(texts) == len(set(texts)) == 200
    for _person, user_id in people:
        mine = [t for t in texts if t.startswith(f"{user_id}:")]
        assert mine == [f"{user_id}:{n}" for n in range(20)]
    for worker in workers:
        await worker.db.dispose()
