"""Console channel: `rahnama chat` in a terminal, or scripted through stdin/stdout.

Interactive on a terminal. Otherwise one inbound message per line: plain text, or a JSON object
such as {"button": "PAYLOAD"}, {"location": [42.69, 23.32]}, {"media": "voice"} or
{"text": "..."}. With --json every reply is printed as one JSON object per line:
{"text": ..., "buttons": [{"label": ..., "payload": ...}]}.
Messages queued for this console user while no session was open (a staff reply, say) are
printed first.
"""
from __future__ import annotations

import asyncio
import json
import sys
import uuid
from typing import Any, TextIO

from sqlalchemy import select

from bot.channels.base import Channel
from bot.content import bidi
from bot.core import outbox
from bot.core.messages import InboundMessage, OutboundMessage
from bot.storage.models import User


class ConsoleChannel(Channel):
    name = "console"
    push = False


def parse_line(line: str, user: str) -> InboundMessage | None:
    """One input line → a message (None for a blank line)."""
    line = line.rstrip("\n")
    if not line.strip():
        return None
    fields: dict[str, Any] = {"text": line}
    if line.lstrip().startswith("{"):
        try:
            data = json.loads(line)
        except json.JSONDecodeError:
            data = None
        if isinstance(data, dict):
            fields = {
                "text": str(data.get("text", "")),
                "button": data.get("button"),
                "location": tuple(data["location"]) if data.get("location") else None,
                "media": data.get("media"),
            }
    return InboundMessage(channel="console", channel_user_id=user,
                          provider_message_id=f"console-{uuid.uuid4().hex}", **fields)


def render(message: OutboundMessage, as_json: bool) -> str:
    if as_json:
        data: dict[str, Any] = {"text": bidi.strip_controls(message.text),
                                "buttons": [{"label": b.label, "payload": b.payload} for b in message.buttons if not b.url]}
        links = [{"label": b.label, "url": b.url} for b in message.buttons if b.url]
        if links:
            data["links"] = links
        if message.from_person:
            data["from_person"] = True
        return json.dumps(data, ensure_ascii=False)
    prefix = "👤 " if message.from_person else ""
    return prefix + message.numbered_text() + "\n"


class ConsoleSession:
    """Feeds lines to the runtime and prints what Rahnama answers."""

    def __init__(self, runtime: Any, user: str, as_json: bool, out: TextIO = sys.stdout) -> None:
        self.runtime = runtime
        self.user = user
        self.as_json = as_json
        self.out = out
        self.last_id = 0

    async def flush(self) -> None:
        """Print (and acknowledge) everything waiting for this console user."""
        db = self.runtime.db
        async with db.read() as session:
            user_id = await session.scalar(select(User.id).where(User.channel == "console",
                                                                 User.channel_user_id == self.user))
            recipients = outbox.recipients_of("console", self.user, user_id)
            pending = await outbox.pending_for(session, recipients, self.last_id)
        for message_id, message in pending:
            print(render(message, self.as_json), file=self.out, flush=True)
            self.last_id = message_id
        if pending:
            async with db.write() as session:
                await outbox.acknowledge(session, recipients, self.last_id)

    async def say(self, line: str) -> None:
        message = parse_line(line, self.user)
        if message is None:
            return
        await self.runtime.receive(message)
        await self.runtime.inbox.drain()
        await self.flush()

    async def run(self, stream: TextIO, interactive: bool) -> None:
        await self.flush()
        loop = asyncio.get_running_loop()
        while True:
            if interactive:
                print("› ", end="", file=self.out, flush=True)
            line = await loop.run_in_executor(None, stream.readline)
            if not line:
                break
            await self.say(line)
