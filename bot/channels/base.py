"""The adapter interface every channel implements.

An adapter is the only code that knows a provider. Inbound, it turns the provider's payload into
`InboundMessage`s and hands them to `accept` (which commits them to the inbox). Outbound, the
delivery worker calls `send` with an `OutboundMessage`; the adapter renders it in the provider's
format and raises `DeliveryError` classified as retry / permanent / unreachable / window_closed.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, ClassVar

from starlette.routing import BaseRoute

from bot.core.messages import InboundMessage, OutboundMessage

Accept = Callable[[InboundMessage], Awaitable[bool]]


class DeliveryError(Exception):
    """A send that did not succeed, classified so the outbox knows what to do next."""

    RETRY = "retry"                # try again later (network, 5xx, 429)
    PERMANENT = "permanent"        # this message can never be sent (bad request)
    UNREACHABLE = "unreachable"    # the person blocked us or opted out: stop sending
    WINDOW_CLOSED = "window"       # outside the provider's session window: a template is needed

    def __init__(self, kind: str, code: str | None = None, *, retry_after: float | None = None,
                 whole_channel: bool = False) -> None:
        super().__init__(f"{kind} ({code})" if code else kind)
        self.kind = kind
        self.code = code
        self.retry_after = retry_after
        self.whole_channel = whole_channel  # e.g. Telegram's 429 applies to the whole bot


@dataclass(frozen=True)
class Template:
    """An approved message template for re-opening a closed session window."""

    name: str
    lang: str
    variables: dict[str, str]
    text: str = ""  # the rendered text, for channels that can show it


class Channel:
    """Base class: override what your provider needs."""

    name: ClassVar[str] = ""
    #: True: the delivery worker sends; False: the client collects its messages (web, console).
    push: ClassVar[bool] = True
    #: Free-form messages allowed only this long after the person's last message (WhatsApp).
    session_window: ClassVar[timedelta | None] = None
    #: Pacing: burst size and sustained messages per second, per recipient and per channel.
    recipient_burst: ClassVar[int] = 3
    recipient_rate: ClassVar[float] = 0.0  # 0 = unpaced
    channel_rate: ClassVar[float] = 0.0
    #: The provider reports delivery later (status callbacks): keep a sent message's text until
    #: it is confirmed delivered, so a late "window closed" failure can still be held and resent.
    confirms_delivery: ClassVar[bool] = False

    def __init__(self) -> None:
        self.accept: Accept | None = None

    def bind(self, accept: Accept) -> None:
        """Give the adapter the function that commits inbound messages to the inbox."""
        self.accept = accept

    def routes(self) -> list[BaseRoute]:
        """Webhook routes this channel serves (mounted by the web app)."""
        return []

    async def start(self, inbound: bool = True) -> None:
        """Connect (without needing the internet to succeed: retry in the background).

        `inbound` is False in the worker process: it only sends (no polling there).
        """

    async def stop(self) -> None:
        """Close connections and stop background tasks."""

    async def send(self, address: str, message: OutboundMessage) -> str | None:
        """Deliver one message; return the provider's message id. Raise DeliveryError."""
        raise NotImplementedError

    async def send_template(self, address: str, template: Template) -> str | None:
        """Deliver an approved template (only channels with a session window need this)."""
        raise DeliveryError(DeliveryError.PERMANENT, "no-templates")

    def status(self) -> dict[str, Any]:
        """Health facts for operators (connected, last error...)."""
        return {"enabled": True}
