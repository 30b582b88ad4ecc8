"""The two message types everything past a channel adapter works with."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.core.clock import utcnow


@dataclass(frozen=True, slots=True)
class InboundMessage:
    """What a person sent, whatever the channel.

    `button` is the payload of a tapped button (or menu row); `media` the kind of an attachment
    ("voice", "photo", "document", "video", "audio", "sticker"); `media_ref` the provider's handle
    for fetching it later (a Telegram file id, a Twilio media URL), kept only where a flow stores it.
    """

    channel: str
    channel_user_id: str
    provider_message_id: str
    text: str = ""
    button: str | None = None
    location: tuple[float, float] | None = None
    media: str | None = None
    media_ref: str | None = None
    start_payload: str | None = None
    received_at: datetime = field(default_factory=utcnow)

    @property
    def sender(self) -> tuple[str, str]:
        """Who sent it: (channel, channel user id)."""
        return (self.channel, self.channel_user_id)

    def to_payload(self) -> dict[str, Any]:
        """The JSON stored in the inbox (identity lives in the inbox row, not here)."""
        data: dict[str, Any] = {"text": self.text}
        for key in ("button", "media", "media_ref", "start_payload"):
            if getattr(self, key):
                data[key] = getattr(self, key)
        if self.location:
            data["location"] = list(self.location)
        return data

    @classmethod
    def from_payload(cls, payload: dict[str, Any], *, channel: str, channel_user_id: str,
                     provider_message_id: str, received_at: datetime) -> "InboundMessage":
        location = payload.get("location")
        return cls(
            channel=channel, channel_user_id=channel_user_id, provider_message_id=provider_message_id,
            text=payload.get("text", ""), button=payload.get("button"),
            location=(float(location[0]), float(location[1])) if location else None,
            media=payload.get("media"), media_ref=payload.get("media_ref"),
            start_payload=payload.get("start_payload"), received_at=received_at,
        )


@dataclass(frozen=True, slots=True)
class Button:
    """A choice. `payload` is short ASCII (Telegram allows 64 bytes of callback data)."""

    label: str
    payload: str
    url: str | None = None  # a link button (directions, call) instead of a callback

    def __post_init__(self) -> None:
        if len(self.payload.encode()) > 64 or not self.payload.isascii():
            raise ValueError(f"button payload must be ASCII and at most 64 bytes: {self.payload!r}")


@dataclass(frozen=True, slots=True)
class OutboundMessage:
    """What Rahnama says. Channels render `buttons` natively or as a numbered list.

    `menu_title` asks for a list menu (WhatsApp list message) rather than reply buttons;
    `from_person` marks a reply written by a staff member (shown as such on every channel).
    """

    text: str
    buttons: tuple[Button, ...] = ()
    menu_title: str | None = None
    location: tuple[float, float, str] | None = None
    from_person: bool = False
    lang: str | None = None
    rtl: bool = False

    def to_payload(self) -> dict[str, Any]:
        """JSON for the outbox; empty fields left out (this runs for every reply, so no asdict)."""
        data: dict[str, Any] = {"text": self.text}
        if self.buttons:
            data["buttons"] = [{"label": b.label, "payload": b.payload, **({"url": b.url} if b.url else {})}
                               for b in self.buttons]
        for key in ("menu_title", "location", "from_person", "lang", "rtl"):
            value = getattr(self, key)
            if value:
                data[key] = list(value) if key == "location" else value
        return data

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> "OutboundMessage":
        location = data.get("location")
        return cls(
            text=data.get("text", ""),
            buttons=tuple(Button(**button) for button in data.get("buttons", [])),
            menu_title=data.get("menu_title"),
            location=tuple(location) if location else None,  # type: ignore[arg-type]
            from_person=data.get("from_person", False),
            lang=data.get("lang"),
            rtl=data.get("rtl", False),
        )

    def numbered_text(self) -> str:
        """The text with the buttons as a numbered list: works on every channel."""
        choices = [b for b in self.buttons if not b.url]
        links = [b for b in self.buttons if b.url]
        lines = [self.text] if self.text else []
        if choices:
            lines.append("")
            lines.extend(f"{index}. {button.label}" for index, button in enumerate(choices, 1))
        for button in links:
            lines.append(f"{button.label}: {button.url}")
        return "\n".join(lines)
