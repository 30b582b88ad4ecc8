"""Intent handlers, one module per feature; `routers()` is the order the dispatcher uses."""
from __future__ import annotations

from bot.core.dispatcher import Router


def routers() -> list[Router]:
    # Imported here so each module registers its menu entry exactly once, in this order.
    from bot.handlers import (assistance, browse, complaint, delete_data, help, info, menu, my_requests, near,
                              privacy, safety, search, service_card, start)

    return [start.router, menu.router, browse.router, near.router, info.router, service_card.router,
            assistance.router, my_requests.router, complaint.router, search.router, help.router,
            privacy.router, delete_data.router, safety.router]
