"""The running parts of Rahnama, wired together once per process.

`rahnama run` starts all of them in one process. In production the web process (`serve`)
accepts and handles messages, and the worker process (`worker`) delivers the outbox, sweeps the
inbox for messages a crashed process left behind, and purges old delivery facts.
"""
from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from bot.channels.base import Channel
from bot.config import Settings
from bot.content.store import ContentStore
from bot.core.clock import utcnow
from bot.core.conversation import Conversations
from bot.core.dispatcher import Dispatcher
from bot.core.inbox import Acceptor, InboxProcessor
from bot.core.messages import InboundMessage
from bot.core.notify import Notifier
from bot.core.outbox import OutboxWorker, purge
from bot.handlers import routers
from bot.storage.db import Database
from bot.storage.models import AppState

log = logging.getLogger(__name__)

RELOAD_KEY = "content_reload_requested"


class Runtime:
    """Owns the database, the content store, the channels and the background loops."""

    def __init__(self, settings: Settings, *, channels: dict[str, Channel] | None = None,
                 db: Database | None = None, content: ContentStore | None = None) -> None:
        from bot.channels.registry import build_channels

        self.settings = settings
        self.db = db or Database(settings.database_url, hide_parameters=not settings.log_personal_data)
        self.content = content or ContentStore(settings.content_dir, settings.locales_dir, settings.languages,
                                               settings.default_language, settings.timezone)
        self.notifier = Notifier()
        self.channels = channels if channels is not None else build_channels(settings, self)
        for channel in self.channels.values():
            channel.bind(self.receive)
        self.dispatcher = Dispatcher(routers())
        self.conversations = Conversations(self)
        self.acceptor = Acceptor(self.db)
        self.inbox = InboxProcessor(self.conversations.handle_batch, batch=settings.inbox_batch,
                                    parallel=1 if self.db.is_sqlite else settings.inbox_parallel,
                                    poll_seconds=settings.inbox_poll_seconds)
        self.outbox = OutboxWorker(self.db, self.channels, batch=settings.worker_batch,
                                   poll_seconds=settings.worker_poll_seconds,
                                   max_attempts=settings.delivery_max_attempts, notifier=self.notifier)
        self._tasks: list[asyncio.Task[Any]] = []
        self.delivering = False

    # -- inbound -------------------------------------------------------------------------
    async def receive(self, message: InboundMessage) -> bool:
        """Commit an inbound message and wake the handlers. False if it was a duplicate."""
        fresh = await self.acceptor.accept(message)
        if fresh:
            self.inbox.wake()
        return fresh

    def outbox_wake(self) -> None:
        self.outbox.wake()

    # -- lifecycle -----------------------------------------------------------------------
    async def start(self, *, handle: bool = True, deliver: bool = True, watch: bool = True,
                    check_schema: bool = True, worker_only: bool = False) -> None:
        if check_schema:
            await self.db.check_migrated()
        self.content.current  # load (and index) content before the first message
        for channel in self.channels.values():
            await channel.start(inbound=handle and not worker_only)
        if handle:
            self._spawn(self.inbox.run(), "inbox")
        if deliver:
            self.delivering = True
            self._spawn(self.outbox.run(), "outbox-worker")
            self._spawn(self._purge_loop(), "purge")
        if watch and self.settings.content_watch_seconds > 0:
            self._spawn(self.content.watch(self.settings.content_watch_seconds, self.reload_request), "content-watch")

    def _spawn(self, coro: Any, name: str) -> None:
        self._tasks.append(asyncio.create_task(coro, name=name))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        for channel in self.channels.values():
            await channel.stop()
        await self.db.dispose()

    async def _purge_loop(self) -> None:
        while True:
            try:
                await purge(self.db, self.settings.retention_days)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("purge failed")
            await asyncio.sleep(timedelta(hours=1).total_seconds())

    # -- content reload across processes ----------------------------------------------------
    async def reload_request(self) -> str | None:
        async with self.db.read() as session:
            return await session.scalar(select(AppState.value).where(AppState.key == RELOAD_KEY))


async def request_reload(database_url: str) -> None:
    """Ask every running process to reload content (`rahnama content reload`)."""
    from bot.storage.db import dialect_insert

    db = Database(database_url)
    now = utcnow()
    try:
        async with db.write() as session:
            stmt = dialect_insert(session, AppState).values(key=RELOAD_KEY, value=now.isoformat(), updated_at=now)
            await session.execute(stmt.on_conflict_do_update(
                index_elements=["key"], set_={"value": now.isoformat(), "updated_at": now}))
    finally:
        await db.dispose()
