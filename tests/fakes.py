"""Small local stand-ins for the Telegram Bot API, Twilio's REST API and Meta's Cloud API.

The real client libraries (python-telegram-bot, twilio, httpx) talk HTTP to these; only the
internet is replaced. Each fake records what it was asked and can be told to fail.
"""
from __future__ import annotations

import asyncio
import itertools
import json
import socket
import time
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Served:
    """Runs a Starlette app on a local port inside the test's event loop."""

    def __init__(self, app: Starlette) -> None:
        self.port = free_port()
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_config=None,
                                                    lifespan="off", timeout_graceful_shutdown=1))
        self.task: asyncio.Task[Any] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def __aenter__(self) -> "Served":
        self.task = asyncio.create_task(self.server.serve())
        while not self.server.started:
            await asyncio.sleep(0.01)
        return self

    async def __aexit__(self, *exc: Any) -> None:
        self.server.should_exit = True
        if self.task:
            await self.task


@dataclass
class Failure:
    status: int
    body: dict[str, Any]


@dataclass
class Recorder:
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    failures: dict[str, list[Failure]] = field(default_factory=dict)

    def fail_next(self, method: str, status: int, body: dict[str, Any]) -> None:
        self.failures.setdefault(method, []).append(Failure(status, body))

    def take_failure(self, method: str) -> Failure | None:
        queue = self.failures.get(method)
        return queue.pop(0) if queue else None

    def of(self, method: str) -> list[dict[str, Any]]:
        return [params for name, params in self.calls if name == method]


async def _params(request: Request) -> dict[str, Any]:
    if request.headers.get("content-type", "").startswith("application/json"):
        return json.loads(await request.body() or b"{}")
    form = await request.form()
    return {key: value for key, value in form.multi_items() if isinstance(value, str)}


# -- Telegram ----------------------------------------------------------------------------------

class FakeTelegram(Recorder):
    """POST /bot<token>/<method> and GET /file/bot<token>/<path>, as the Bot API serves them."""

    def __init__(self) -> None:
        super().__init__()
        self.updates: list[dict[str, Any]] = []
        self.message_ids = itertools.count(100)
        self.down = False  # answer like a server that is unreachable (for start-up without internet)

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/bot{token}/{method}", self.method, methods=["POST", "GET"]),
                                 Route("/file/bot{token}/{path:path}", self.file, methods=["GET"])])

    async def method(self, request: Request) -> Response:
        name = request.path_params["method"]
        if self.down:
            return Response(status_code=502)
        params = await _params(request)
        self.calls.append((name, params))
        failure = self.take_failure(name)
        if failure:
            return JSONResponse({"ok": False, **failure.body}, status_code=failure.status)
        return JSONResponse({"ok": True, "result": await self.result(name, params)})

    async def result(self, name: str, params: dict[str, Any]) -> Any:
        if name == "getMe":
            return {"id": 7000001, "is_bot": True, "first_name": "Rahnama", "username": "RahnamaTestBot",
                    "can_join_groups": False, "can_read_all_group_messages": False, "supports_inline_queries": False}
        if name in ("sendMessage", "sendLocation"):
            return {"message_id": next(self.message_ids), "date": int(time.time()),
                    "chat": {"id": int(params["chat_id"]), "type": "private"}, "text": params.get("text", "")}
        if name == "getUpdates":
            offset = int(params.get("offset") or 0)
            for _ in range(10):
                ready = [u for u in self.updates if u["update_id"] >= offset]
                if ready:
                    return ready
                await asyncio.sleep(0.05)
            return []
        if name == "getFile":
            return {"file_id": params["file_id"], "file_unique_id": "u1", "file_size": 5, "file_path": "voice/file_1.oga"}
        return True

    async def file(self, request: Request) -> Response:
        return Response(b"OggS\x00", media_type="audio/ogg")

    def sent_texts(self, chat_id: int | str | None = None) -> list[str]:
        return [p["text"] for p in self.of("sendMessage") if chat_id is None or str(p["chat_id"]) == str(chat_id)]

    def keyboards(self) -> list[list[dict[str, Any]]]:
        boards = []
        for params in self.of("sendMessage"):
            markup = params.get("reply_markup")
            if markup:
                markup = json.loads(markup) if isinstance(markup, str) else markup
                boards.append([button for row in markup["inline_keyboard"] for button in row])
        return boards


def tg_message(update_id: int, chat_id: int, text: str | None = None, **extra: Any) -> dict[str, Any]:
    """An update as Telegram documents it (a private chat)."""
    message = {"message_id": update_id, "date": int(time.time()),
               "chat": {"id": chat_id, "type": "private", "first_name": "Zahra"},
               "from": {"id": chat_id, "is_bot": False, "first_name": "Zahra", "language_code": "fa"}}
    if text is not None:
        message["text"] = text
    message.update(extra)
    return {"update_id": update_id, "message": message}


def tg_callback(update_id: int, chat_id: int, data: str) -> dict[str, Any]:
    return {"update_id": update_id, "callback_query": {
        "id": f"cb{update_id}", "chat_instance": "ci", "data": data,
        "from": {"id": chat_id, "is_bot": False, "first_name": "Zahra"},
        "message": {"message_id": 1, "date": int(time.time()), "chat": {"id": chat_id, "type": "private"},
                    "from": {"id": 7000001, "is_bot": True, "first_name": "Rahnama"}, "text": "menu"}}}


# -- Twilio ----------------------------------------------------------------------------------------

class FakeTwilio(Recorder):
    """POST /2010-04-01/Accounts/<sid>/Messages.json as Twilio's REST API answers it."""

    def __init__(self) -> None:
        super().__init__()
        self.sids = itertools.count(1)

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/2010-04-01/Accounts/{sid}/Messages.json", self.create, methods=["POST"]),
                                 Route("/media/{name}", self.media, methods=["GET"])])

    async def create(self, request: Request) -> Response:
        params = await _params(request)
        self.calls.append(("Messages", params))
        failure = self.take_failure("Messages")
        if failure:
            return JSONResponse(failure.body, status_code=failure.status)
        sid = f"SM{next(self.sids):032d}"
        return JSONResponse({"sid": sid, "account_sid": request.path_params["sid"], "status": "queued",
                             "to": params.get("To"), "from": params.get("From"), "body": params.get("Body", "")},
                            status_code=201)

    async def media(self, request: Request) -> Response:
        if not request.headers.get("authorization", "").startswith("Basic "):
            return Response(status_code=401)
        return Response(b"\xff\xd8photo", media_type="image/jpeg")

    def messages(self) -> list[dict[str, Any]]:
        return self.of("Messages")


def twilio_error(code: int, status: int = 400) -> dict[str, Any]:
    return {"code": code, "message": f"Twilio error {code}", "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status}


# -- Meta Cloud API ------------------------------------------------------------------------------

class FakeMeta(Recorder):
    def __init__(self) -> None:
        super().__init__()
        self.ids = itertools.count(1)

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/{phone_id}/messages", self.send, methods=["POST"])])

    async def send(self, request: Request) -> Response:
        params = json.loads(await request.body())
        self.calls.append(("messages", params))
        failure = self.take_failure("messages")
        if failure:
            return JSONResponse(failure.body, status_code=failure.status)
        return JSONResponse({"messaging_product": "whatsapp", "contacts": [{"input": params.get("to"), "wa_id": params.get("to")}],
                             "messages": [{"id": f"wamid.OUT{next(self.ids)}"}]})
