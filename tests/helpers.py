"""Test helpers: a scripted person on the console channel and a recording push channel."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from bot.channels.base import Channel, DeliveryError, Template
from bot.content import bidi
from bot.core import outbox
from bot.core.messages import InboundMessage, OutboundMessage
from bot.storage.models import User


class Person:
    """Someone chatting through the console channel, as `rahnama chat` would."""

    def __init__(self, runtime: Any, user: str, channel: str = "console") -> None:
        self.runtime = runtime
        self.user = user
        self.channel = channel
        self.last_id = 0

    async def send(self, text: str = "", *, button: str | None = None, location: tuple[float, float] | None = None,
                   media: str | None = None, message_id: str | None = None) -> bool:
        message = InboundMessage(channel=self.channel, channel_user_id=self.user,
                                 provider_message_id=message_id or uuid.uuid4().hex,
                                 text=text, button=button, location=location, media=media)
        return await self.runtime.receive(message)

    async def say(self, text: str = "", **kwargs: Any) -> list[OutboundMessage]:
        """Send and return every reply (after handling has finished)."""
        await self.send(text, **kwargs)
        await self.runtime.inbox.drain()
        return await self.replies()

    async def tap(self, payload: str) -> list[OutboundMessage]:
        return await self.say(button=payload)

    async def replies(self) -> list[OutboundMessage]:
        db = self.runtime.db
        async with db.read() as session:
            user_id = await self.user_id()
            recipients = outbox.recipients_of(self.channel, self.user, user_id)
            pending = await outbox.pending_for(session, recipients, self.last_id)
        if pending:
            self.last_id = pending[-1][0]
            async with db.write() as session:
                await outbox.acknowledge(session, recipients, self.last_id)
        return [message for _id, message in pending]

    async def user_id(self) -> int | None:
        async with self.runtime.db.read() as session:
            return await session.scalar(select(User.id).where(User.channel == self.channel,
                                                              User.channel_user_id == self.user))

    async def onboard(self, lang: str = "en") -> list[OutboundMessage]:
        await self.say("hello")
        await self.tap(f"lang:{lang}")
        return await self.tap("consent:yes")


def texts(replies: list[OutboundMessage]) -> str:
    """All reply texts joined, without bidi controls (for assertions)."""
    return "\n".join(bidi.strip_controls(reply.text) for reply in replies)


def payloads(replies: list[OutboundMessage]) -> list[str]:
    return [button.payload for reply in replies for button in reply.buttons if not button.url]


@dataclass
class Sent:
    address: str
    text: str
    template: Template | None = None
    message: OutboundMessage | None = None


@dataclass
class FakeChannel(Channel):
    """A push channel that records deliveries and can be told to fail."""

    name = "fake"
    sent: list[Sent] = field(default_factory=list)
    failures: list[DeliveryError] = field(default_factory=list)  # raised one by one, then succeed
    window: timedelta | None = None

    def __post_init__(self) -> None:
        Channel.__init__(self)

    @property
    def session_window(self) -> timedelta | None:  # type: ignore[override]
        return self.window

    async def send(self, address: str, message: OutboundMessage) -> str | None:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append(Sent(address, message.text, message=message))
        return f"fake-{len(self.sent)}"

    async def send_template(self, address: str, template: Template) -> str | None:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append(Sent(address, template.text, template=template))
        return f"fake-{len(self.sent)}"
