"""In-process wake-ups: the outbox worker and web-chat long polls sleep until told.

Only an optimisation: every sleeper also wakes on a timer, so a message committed by another
process is picked up a moment later even though that process cannot wake us.
"""
from __future__ import annotations

import asyncio
from collections import defaultdict


class Notifier:
    def __init__(self) -> None:
        self._events: dict[object, set[asyncio.Event]] = defaultdict(set)

    def notify(self, key: object) -> None:
        for event in self._events.get(key, ()):
            event.set()

    async def wait(self, key: object, timeout: float) -> bool:
        """Sleep until `notify(key)` or `timeout`; True if notified."""
        event = asyncio.Event()
        self._events[key].add(event)
        try:
            await asyncio.wait_for(event.wait(), timeout)
            return True
        except asyncio.TimeoutError:
            return False
        finally:
            self._events[key].discard(event)
            if not self._events[key]:
                self._events.pop(key, None)
