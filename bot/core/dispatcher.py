"""Routing a turn to the handler that should answer it.

Modelled on python-telegram-bot's `Handler.check_update`/`handle_update` and aiogram's routers:
each feature module owns a `Router`; the dispatcher includes them all and tries, in order:

1. global commands (menu, language, help, privacy, delete...) typed in any language or by number,
2. button payloads (a tap, or a number from the last numbered menu),
3. interceptors: messages no flow may swallow (a complaint receipt must never end up in a
   request's text), even before first contact,
4. the gate (first contact: choose a language, consent),
5. the current flow step,
6. free-text intents, highest priority first,
7. the fallback.
"""
from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.content.normalize import parse_number
from bot.core.turn import Turn

log = logging.getLogger(__name__)

Callback = Callable[[Turn], Awaitable[None]]
Check = Callable[[Turn], bool]

MAIN_MENU_NUMBER = 0


@dataclass
class Handler:
    """One way of handling a turn: `check` says whether it applies, `handle` answers."""

    name: str
    callback: Callback
    kind: str
    key: str = ""
    step: str | None = None
    predicate: Check | None = None
    priority: int = 0
    public: bool = False  # may run before first contact is complete (language, privacy...)
    sensitive: bool = False  # anonymous flows: see Turn.sensitive

    def check(self, turn: Turn) -> bool:
        if self.kind == "command":
            return turn.command == self.key
        if self.kind == "payload":
            return turn.payload is not None and (turn.payload == self.key or turn.payload.startswith(self.key + ":"))
        if self.kind == "step":
            return turn.state.flow == self.key and self.step in (None, turn.state.step)
        return self.predicate(turn) if self.predicate else True

    async def handle(self, turn: Turn) -> None:
        turn.sensitive = turn.sensitive or self.sensitive
        if self.kind == "payload":
            turn.arg = turn.payload[len(self.key) + 1:] if turn.payload and turn.payload != self.key else ""
        turn.handler_name = self.name
        await self.callback(turn)


class Router:
    """Handlers of one feature, registered with decorators."""

    def __init__(self, name: str, *, sensitive: bool = False) -> None:
        self.name = name
        self.sensitive = sensitive
        self.handlers: list[Handler] = []

    def _add(self, kind: str, key: str = "", **options: object) -> Callable[[Callback], Callback]:
        def decorator(callback: Callback) -> Callback:
            self.handlers.append(Handler(f"{self.name}.{callback.__name__}", callback, kind, key,
                                         sensitive=self.sensitive, **options))  # type: ignore[arg-type]
            return callback
        return decorator

    def command(self, name: str, *, public: bool = False) -> Callable[[Callback], Callback]:
        """A global command, matched by `cmd:<name>` payloads and lexicon words."""
        return self._add("command", name, public=public)

    def payload(self, prefix: str, *, public: bool = False) -> Callable[[Callback], Callback]:
        """A button payload `<prefix>` or `<prefix>:<arg>`; the arg is in `turn.arg`."""
        return self._add("payload", prefix, public=public)

    def intercept(self, check: Check) -> Callable[[Callback], Callback]:
        """Runs before first contact and before any flow step while `check` holds."""
        return self._add("intercept", predicate=check, public=True)

    def gate(self, check: Check) -> Callable[[Callback], Callback]:
        """Runs before flows while `check` holds (first contact)."""
        return self._add("gate", predicate=check)

    def step(self, flow: str, step: str | None = None) -> Callable[[Callback], Callback]:
        """The handler for a flow (or one step of it)."""
        return self._add("step", flow, step=step)

    def intent(self, check: Check, priority: int = 0) -> Callable[[Callback], Callback]:
        """Free text this feature recognises."""
        return self._add("intent", predicate=check, priority=priority)

    def fallback(self) -> Callable[[Callback], Callback]:
        return self._add("fallback")


STAGES = ("command", "payload", "intercept", "gate", "step", "intent", "fallback")


class Dispatcher:
    """Finds the first handler whose check passes, stage by stage."""

    def __init__(self, routers: list[Router]) -> None:
        handlers = [handler for router in routers for handler in router.handlers]
        self.stages = {stage: [h for h in handlers if h.kind == stage] for stage in STAGES}
        self.stages["intent"].sort(key=lambda h: -h.priority)
        commands = {h.key for h in self.stages["command"]}
        self.commands = commands

    def prepare(self, turn: Turn) -> None:
        """Resolve what the person meant: a button, a menu number, or a command word."""
        message = turn.message
        turn.payload = message.button
        number = parse_number(turn.text) if not turn.payload else None
        if number is not None:
            if number == MAIN_MENU_NUMBER:
                turn.payload = "cmd:menu"
            elif 1 <= number <= len(turn.state.menu):
                turn.payload = turn.state.menu[number - 1]
        if turn.payload and turn.payload.startswith("cmd:"):
            turn.command = turn.payload[4:]
        elif not turn.payload:
            word = turn.norm.lstrip("/") if turn.norm else ""
            command = turn.content.command_words.get(word) or turn.content.command_words.get(turn.norm)
            if command in self.commands:
                turn.command = command

    async def dispatch(self, turn: Turn) -> str:
        """Run the handler for this turn; returns its name (for logs and tests)."""
        self.prepare(turn)
        gated = any(handler.check(turn) for handler in self.stages["gate"])
        for stage in STAGES:
            for handler in self.stages[stage]:
                if gated and stage in ("command", "payload") and not handler.public:
                    continue
                if handler.check(turn):
                    await handler.handle(turn)
                    return handler.name
        return "none"
