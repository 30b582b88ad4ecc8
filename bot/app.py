"""The ASGI application: web chat, channel webhooks, staff dashboard, health check."""
from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from bot.runtime import Runtime
from bot.staff.routes import staff_routes


def create_app(runtime: Runtime, *, handle: bool = True, deliver: bool = False, watch: bool = True) -> Starlette:
    """Build the web app around a runtime; the lifespan starts and stops it."""

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        await runtime.start(handle=handle, deliver=deliver, watch=watch)
        try:
            yield
        finally:
            await runtime.stop()

    async def health(_request: Request) -> JSONResponse:
        await runtime.db.ping()
        return JSONResponse({
            "status": "ok",
            "content": runtime.content.current.fingerprint,
            "content_error": runtime.content.last_error,
            "delivering": runtime.delivering,
            "channels": {name: channel.status() for name, channel in runtime.channels.items()},
        })

    routes: list[BaseRoute] = [Route("/healthz", health)]
    for channel in runtime.channels.values():
        routes.extend(channel.routes())
    routes.extend(staff_routes(runtime))
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.runtime = runtime
    return app
