"""Intent handlers, one module per feature; `routers()` is the order the dispatcher uses."""
from __future__ import annotations

from bot.core.dispatcher import Router


def routers() -> list[Router]:
    # Imported here so each module registers its menu entry exactly once, in this order.
    from bot.handlers import delete_data, fallback, help, menu, privacy, safety, start

    return [start.router, menu.router, help.router, privacy.router, delete_data.router,
            safety.router, fallback.router]
