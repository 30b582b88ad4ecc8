"""Web chat: the page at `/` (the demo, or embedded on an NGO's website) and its small JSON API.

The browser keeps a random session id (its "channel user id"). It posts messages to
`/chat/api/send` and long-polls `/chat/api/poll`, which acknowledges what the page has shown
(so the text is wiped from the outbox) and returns anything newer. Pull, not push: the
delivery worker never sends to this channel.
"""
from __future__ import annotations

import re
import time
from collections import defaultdict, deque
from pathlib import Path
from typing import Any

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot.channels.base import Channel
from bot.core import outbox
from bot.core.messages import InboundMessage
from bot.storage.models import User

PAGE_DIR = Path(__file__).resolve().parent.parent / "web"
SESSION = re.compile(r"^[a-f0-9]{32}$")
MESSAGE_ID = re.compile(r"^[A-Za-z0-9-]{8,64}$")
MAX_TEXT = 4000
RATE = (20, 10.0)  # at most 20 messages per 10 seconds per session
POLL_MAX_SECONDS = 25.0


class WebChannel(Channel):
    name = "web"
    push = False

    def __init__(self, runtime: Any) -> None:
        super().__init__()
        self.runtime = runtime
        self._recent: dict[str, deque[float]] = defaultdict(deque)

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/", self.page, methods=["GET"]),
            Route("/chat/{asset:str}", self.asset, methods=["GET"]),
            Route("/chat/api/send", self.receive_message, methods=["POST"]),
            Route("/chat/api/poll", self.poll, methods=["GET"]),
        ]

    async def page(self, request: Request) -> Response:
        return FileResponse(PAGE_DIR / "chat.html", headers=_no_store())

    async def asset(self, request: Request) -> Response:
        name = request.path_params["asset"]
        if name not in ("chat.js", "chat.css"):
            return Response(status_code=404)
        return FileResponse(PAGE_DIR / name, headers={"Cache-Control": "no-cache"})

    async def receive_message(self, request: Request) -> Response:
        try:
            body = await request.json()
        except ValueError:
            return JSONResponse({"error": "invalid JSON"}, status_code=400)
        message = self._parse(body)
        if message is None:
            return JSONResponse({"error": "invalid message"}, status_code=400)
        if not self._allow(message.channel_user_id):
            return JSONResponse({"error": "too many messages, please wait a moment"}, status_code=429)
        assert self.accept is not None
        fresh = await self.accept(message)
        return JSONResponse({"accepted": True, "duplicate": not fresh}, status_code=202)

    def _parse(self, body: Any) -> InboundMessage | None:
        if not isinstance(body, dict):
            return None
        session, message_id = str(body.get("session", "")), str(body.get("id", ""))
        if not SESSION.match(session) or not MESSAGE_ID.match(message_id):
            return None
        text = body.get("text") or ""
        button = body.get("button")
        location = body.get("location")
        if not isinstance(text, str) or len(text) > MAX_TEXT:
            return None
        if button is not None and (not isinstance(button, str) or len(button) > 64):
            return None
        if location is not None:
            try:
                lat, lon = float(location[0]), float(location[1])
            except (TypeError, ValueError, IndexError):
                return None
            if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                return None
            location = (lat, lon)
        if not (text.strip() or button or location):
            return None
        return InboundMessage(channel=self.name, channel_user_id=session, provider_message_id=message_id,
                              text=text, button=button, location=location)

    def _allow(self, session: str) -> bool:
        limit, window = RATE
        now = time.monotonic()
        recent = self._recent[session]
        while recent and now - recent[0] > window:
            recent.popleft()
        if len(recent) >= limit:
            return False
        recent.append(now)
        if len(self._recent) > 50000:
            self._recent.clear()
        return True

    async def poll(self, request: Request) -> Response:
        session = request.query_params.get("session", "")
        if not SESSION.match(session):
            return JSONResponse({"error": "invalid session"}, status_code=400)
        try:
            after = int(request.query_params.get("after", "0"))
            wait = min(float(request.query_params.get("wait", "0")), POLL_MAX_SECONDS)
        except ValueError:
            return JSONResponse({"error": "invalid parameters"}, status_code=400)
        messages = await self.collect(session, after, wait)
        return JSONResponse({"messages": [_render(message_id, message) for message_id, message in messages]},
                            headers=_no_store())

    async def collect(self, session: str, after: int, wait: float) -> list[tuple[int, Any]]:
        """Acknowledge up to `after`, then wait up to `wait` seconds for newer messages."""
        db = self.runtime.db
        deadline = time.monotonic() + wait
        async with db.read() as s:
            user_id = await s.scalar(select(User.id).where(User.channel == self.name, User.channel_user_id == session))
        recipients = outbox.recipients_of(self.name, session, user_id)
        if after > 0:
            async with db.write() as s:
                await outbox.acknowledge(s, recipients, after)
        while True:
            async with db.read() as s:
                found = await outbox.pending_for(s, recipients, after)
            remaining = deadline - time.monotonic()
            if found or remaining <= 0:
                return found
            if user_id is None:
                async with db.read() as s:
                    user_id = await s.scalar(select(User.id).where(User.channel == self.name,
                                                                   User.channel_user_id == session))
                recipients = outbox.recipients_of(self.name, session, user_id)
            # Woken at once when this process handled their message; every second otherwise
            # (a staff reply, or a reply written by another process).
            await self.runtime.notifier.wait(("chat", self.name, session), min(1.0, remaining))


def _render(message_id: int, message: Any) -> dict[str, Any]:
    return {
        "id": message_id,
        "text": message.text,
        "buttons": [{"label": b.label, "payload": b.payload, "url": b.url} for b in message.buttons],
        "from_person": message.from_person,
        "rtl": message.rtl,
        "lang": message.lang,
    }


def _no_store() -> dict[str, str]:
    return {"Cache-Control": "no-store"}
