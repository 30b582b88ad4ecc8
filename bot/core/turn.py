"""A turn: one inbound message being handled, with everything a handler may touch."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.messages import Button, InboundMessage, OutboundMessage
from bot.core.state import State
from bot.core.users import UserRecord

if TYPE_CHECKING:
    from bot.content.i18n import Translator
    from bot.content.store import ContentVersion
    from bot.runtime import Runtime


@dataclass
class Turn:
    """Handlers read the message and state, and answer with `say`; the dispatcher commits."""

    message: InboundMessage
    user: UserRecord
    state: State
    session: AsyncSession
    runtime: "Runtime"
    content: "ContentVersion"
    now: datetime
    text: str = ""           # cleaned of invisible characters, length-capped
    norm: str = ""           # folded matching key of `text`
    payload: str | None = None
    command: str | None = None
    arg: str = ""            # what follows a matched payload prefix
    was_cut: bool = False
    sensitive: bool = False  # anonymous flow: no identifiers in logs
    erased: bool = False     # the person deleted their data during this turn
    replies: list[OutboundMessage] = field(default_factory=list)
    # Messages to other recipients (a staff group): (channel, address, message).
    extra_outbox: list[tuple[str, str, OutboundMessage]] = field(default_factory=list)
    after_commit: list[Any] = field(default_factory=list)
    handler_name: str = ""
    # Bookkeeping for saving only what changed (set by the conversation engine).
    user_before: UserRecord | None = None
    state_before: str = ""
    state_existed: bool = True

    # -- language ------------------------------------------------------------------------
    @property
    def lang(self) -> str:
        return self.user.lang or self.content.default_language

    @property
    def tr(self) -> "Translator":
        return self.content.translator(self.lang)

    def t(self, msgid: str, /, **values: Any) -> str:
        """Translate an interface string into the person's language."""
        return self.tr.t(msgid, None, **values)

    def tn(self, singular: str, plural: str, n: int, /, **values: Any) -> str:
        return self.tr.tn(singular, plural, n, **values)

    def text_of(self, text_id: str, **values: Any) -> str:
        """A bot text from content/texts.yaml."""
        return self.content.text(self.lang, text_id, **values)

    # -- answering -----------------------------------------------------------------------
    def say(self, text: str, buttons: list[Button] | tuple[Button, ...] = (), *,
            menu_title: str | None = None, location: tuple[float, float, str] | None = None) -> None:
        """Queue a reply; it is written to the outbox in this turn's transaction."""
        self.replies.append(OutboundMessage(
            text=text, buttons=tuple(buttons), menu_title=menu_title, location=location,
            lang=self.lang, rtl=self.tr.rtl,
        ))

    def button(self, label: str, payload: str) -> Button:
        return Button(label=label, payload=payload)

    # -- conversation state --------------------------------------------------------------
    def go(self, flow: str, step: str, **data: Any) -> None:
        """Enter (or move within) a flow."""
        if self.state.flow != flow:
            self.state.data = {}
        self.state.flow, self.state.step = flow, step
        self.state.data.update(data)

    def end(self) -> None:
        """Leave any flow and forget its draft data."""
        self.state.flow = self.state.step = None
        self.state.data = {}
