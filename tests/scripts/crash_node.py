"""A Rahnama process for the crash test: handles one message then waits to be killed, or delivers.

    crash_node.py handle  DB_URL SENT_FILE   # accept + handle a message, print "committed", block
    crash_node.py deliver DB_URL SENT_FILE   # deliver the outbox until empty, then exit
"""
from __future__ import annotations

import asyncio
import json
import sys

from sqlalchemy import func, select

from bot.channels.base import Channel
from bot.config import load_settings
from bot.core.messages import InboundMessage, OutboundMessage
from bot.runtime import Runtime
from bot.storage.models import OutboxMessage


class FileChannel(Channel):
    """A push channel whose "provider" is a file: one line per delivered message."""

    name = "file"

    def __init__(self, path: str) -> None:
        super().__init__()
        self.path = path

    async def send(self, address: str, message: OutboundMessage) -> str | None:
        with open(self.path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"to": address, "text": message.text}) + "\n")
        return None


async def main(mode: str, url: str, sent_file: str) -> None:
    settings = load_settings(database_url=url, content_watch_seconds=0, worker_poll_seconds=0.05)
    runtime = Runtime(settings, channels={"file": FileChannel(sent_file)})
    if mode == "handle":
        await runtime.start(handle=True, deliver=False, watch=False)
        await runtime.receive(InboundMessage("file", "crash-person", "crash-1", text="hello"))
        await runtime.inbox.drain()
        print("committed", flush=True)
        await asyncio.Event().wait()  # the test kills us here, before any delivery
    else:
        await runtime.start(handle=True, deliver=True, watch=False)
        for _ in range(200):
            async with runtime.db.read() as session:
                left = await session.scalar(select(func.count()).select_from(OutboxMessage)
                                            .where(OutboxMessage.status.in_(("pending", "sending"))))
            if not left:
                break
            await asyncio.sleep(0.05)
        await runtime.stop()
        print("drained", flush=True)


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:4]))
