"""Handling inbound messages: a batch of people, one message each, in one transaction.

For each claimed message: load the person and their state → run the dispatcher → collect the
replies. Then, for the whole batch at once: write changed people and states, insert the replies
into the outbox, mark the messages handled and wipe their text → commit. Batching is what makes
one SQLite file keep up with hundreds of messages a second; it changes nothing about ordering,
because a batch holds at most one message per person.

If any handler raises, the batch is rolled back and its messages are handled again one by one,
each inside a savepoint: the failing one gets a kind apology (its message is not retried: it
would fail the same way) and the others are answered normally.
"""
from __future__ import annotations

import json
import logging
import time
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, update

from bot.content.normalize import clean_inbound, fold
from bot.core import outbox, state as states, users
from bot.core.clock import utcnow
from bot.core.inbox import MAX_ATTEMPTS, Pending, claim_heads
from bot.core.messages import OutboundMessage
from bot.core.turn import Turn
from bot.storage.models import InboxMessage, OutboxMessage

if TYPE_CHECKING:
    from bot.runtime import Runtime

log = logging.getLogger(__name__)


class _HandlerFailed(Exception):
    """Some handler in a batch raised: redo that batch one message at a time."""

    def __init__(self, keys: list[tuple[str, str]]) -> None:
        super().__init__("handler failed in batch")
        self.keys = keys


def _state_key(state: states.State) -> str:
    return json.dumps(state.as_row(), sort_keys=True, default=str)


class Conversations:
    def __init__(self, runtime: "Runtime") -> None:
        self.runtime = runtime

    async def handle_batch(self, limit: int) -> int:
        """Handle the oldest pending message of up to `limit` people; returns how many."""
        try:
            return await self._batch(limit)
        except _HandlerFailed as failed:
            done = 0
            for key in failed.keys:
                done += await self._isolated(key)
            return done

    async def _isolated(self, key: tuple[str, str]) -> int:
        try:
            return await self._batch(1, keys=[key], isolate=True)
        except Exception:
            log.exception("could not handle a message; will retry")
            await self._count_failure(key)
            return 1

    async def _count_failure(self, key: tuple[str, str]) -> None:
        async with self.runtime.db.write() as session:
            conn = await session.connection()
            heads = await claim_heads(conn, 1, [key])
            if not heads:
                return
            head = heads[0]
            values: dict[str, Any] = {"attempts": head.attempts + 1}
            if head.attempts + 1 >= MAX_ATTEMPTS:
                values.update(status="failed", payload=None, channel_user_id=None, handled_at=utcnow())
                log.error("inbox message given up after repeated failures", extra={"inbox_id": head.id})
            await conn.execute(update(InboxMessage).where(InboxMessage.id == head.id).values(**values))

    async def _batch(self, limit: int, keys: list[tuple[str, str]] | None = None, isolate: bool = False) -> int:
        runtime = self.runtime
        content = runtime.content.current
        started = time.perf_counter()
        async with runtime.db.write() as session:
            conn = await session.connection()
            claimed = await claim_heads(conn, limit, keys)
            if not claimed:
                return 0
            people = await users.load_many(conn, list({p.message.sender for p in claimed}))
            released = await self._release_held(conn, [people[p.message.sender][0] for p in claimed])
            turns = []
            try:
                for pending in claimed:
                    user, state, has_state = people[pending.message.sender]
                    turn = self._turn(pending, user, state, session, content)
                    turn.state_existed = has_state
                    await self._run(turn, user.id in released, isolate)
                    turns.append(turn)
            except _HandlerFailed:
                raise _HandlerFailed([p.message.sender for p in claimed]) from None
            await self._persist(conn, turns, [p.id for p in claimed])
        for turn in turns:
            self._after_commit(turn, started)
            for callback in turn.after_commit:
                await callback()
        return len(turns)

    def _turn(self, pending: Pending, user: users.UserRecord, state: states.State, session: Any, content: Any) -> Turn:
        message = pending.message
        before = user.copy()
        if user.last_inbound_at is None or message.received_at > user.last_inbound_at:
            user.last_inbound_at = message.received_at
        user.unreachable_at = None  # they wrote: they can be reached again
        text, was_cut = clean_inbound(message.text)
        turn = Turn(message=message, user=user, state=state, session=session, runtime=self.runtime,
                    content=content, now=utcnow(), text=text, norm=fold(text), was_cut=was_cut)
        turn.user_before = before
        turn.state_before = _state_key(state)
        return turn

    async def _release_held(self, conn: Any, people: list[users.UserRecord]) -> set[int]:
        """People on channels with a session window whose held messages may now go."""
        windowed = [u.id for u in people
                    if getattr(self.runtime.channels.get(u.channel), "session_window", None) is not None]
        return await outbox.release_held(conn, windowed) if windowed else set()

    async def _run(self, turn: Turn, released: bool, isolate: bool) -> None:
        if released and turn.content.command_words.get(turn.norm) == "ok":
            turn.handler_name = "outbox.released"  # the held messages are the answer
        elif not isolate:
            try:
                await self.runtime.dispatcher.dispatch(turn)
            except Exception:
                log.exception("handler failed", extra={"handler": "-" if turn.sensitive else turn.handler_name})
                raise _HandlerFailed([]) from None
        else:
            await self._run_guarded(turn)
        if turn.was_cut:
            turn.replies.insert(0, OutboundMessage(
                text=turn.t("Your message was very long, so I read only the beginning."), lang=turn.lang, rtl=turn.tr.rtl))

    async def _run_guarded(self, turn: Turn) -> None:
        """Inside a savepoint: a failing handler leaves no trace but an apology."""
        snapshot = turn.user.copy()
        state = json.loads(turn.state_before)
        try:
            async with turn.session.begin_nested():
                await self.runtime.dispatcher.dispatch(turn)
        except Exception:
            log.exception("handler failed", extra={"handler": "-" if turn.sensitive else turn.handler_name})
            turn.user = replace(snapshot)
            turn.state = states.State(**state)
            turn.replies.clear()
            turn.extra_outbox.clear()
            turn.after_commit.clear()
            turn.erased = False
            turn.handler_name = "error"
            turn.say(turn.t("Sorry, something went wrong on our side. Please try again, or write 0 for the menu."),
                     [turn.button(turn.t("Main menu"), "cmd:menu")])

    async def _persist(self, conn: Any, turns: list[Turn], inbox_ids: list[int]) -> None:
        changed_users, changed_states, rows = [], [], []
        for turn in turns:
            menus = [r for r in turn.replies if any(not b.url for b in r.buttons)]
            if menus:
                turn.state.menu = [b.payload for b in menus[-1].buttons if not b.url]
            user = turn.user
            if turn.erased:
                # The person's row is gone: the goodbye goes to their address, wiped on delivery.
                rows += outbox.rows(channel=user.channel, address=user.channel_user_id, messages=turn.replies,
                                    now=turn.now, sensitive=turn.sensitive)
                continue
            rows += outbox.rows(channel=user.channel, user_id=user.id, messages=turn.replies, now=turn.now,
                                sensitive=turn.sensitive)
            for channel, address, message in turn.extra_outbox:
                rows += outbox.rows(channel=channel, address=address, messages=[message], now=turn.now)
            if user.changes(turn.user_before):
                changed_users.append(user)
            if not turn.state_existed or _state_key(turn.state) != turn.state_before:
                changed_states.append((user.id, turn.state))
        await users.save_many(conn, changed_users)
        await states.save_many(conn, changed_states)
        if rows:
            await conn.execute(insert(OutboxMessage), rows)
        await conn.execute(update(InboxMessage).where(InboxMessage.id.in_(inbox_ids)).values(
            status="done", payload=None, channel_user_id=None, handled_at=utcnow()))

    def _after_commit(self, turn: Turn, started: float) -> None:
        runtime = self.runtime
        if turn.replies or turn.extra_outbox:
            runtime.outbox_wake()
        runtime.notifier.notify(("chat", turn.message.channel, turn.message.channel_user_id))
        log.info("message handled", extra={
            "channel": turn.message.channel,
            "handler": "-" if turn.sensitive else turn.handler_name,
            "replies": len(turn.replies),
            "ms": round((time.perf_counter() - started) * 1000, 1),
        })
