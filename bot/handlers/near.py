"""Near me: a shared location, or a district or postcode typed by the person."""
from __future__ import annotations

from bot.content.i18n import N_
from bot.core.dispatcher import Router
from bot.core.turn import Turn
from bot.handlers import search
from bot.handlers.menu import back_to_menu, menu_entry

router = Router("near")
# TRANSLATORS: a main-menu button: at most 24 characters, keep the emoji.
menu_entry(20, N_("📍 Near me"), "cmd:near")


def ask_location(turn: Turn) -> None:
    turn.say(turn.t("Send your location (📎 → Location), or write your district or postcode, for example {example}.",
                    example=_example(turn)), [back_to_menu(turn)])


def _example(turn: Turn) -> str:
    area = next(iter(turn.content.areas.values()), None)
    return turn.content.field(turn.lang, "area", area, "name") if area else "1000"


@router.command("near")
async def near(turn: Turn) -> None:
    pending = {k: v for k, v in (turn.state.data.get("results") or {}).items() if k in ("q", "cat", "open")}
    turn.go("near", "where", pending=pending)
    ask_location(turn)


def show_near(turn: Turn, point: tuple[float, float], pending: dict | None = None) -> None:
    spec = {**(pending or {}), "near": [point[0], point[1]], "offset": 0}
    if not search.run(turn, spec):
        turn.say(turn.t("I found no place near you for this. Here are all places near you instead."), [])
        search.run(turn, {"near": spec["near"]})


@router.step("near", "where")
async def where(turn: Turn) -> None:
    pending = turn.state.data.get("pending") or {}
    if turn.message.location:
        return show_near(turn, turn.message.location, pending)
    _rest, area, _open, _near = turn.content.search.understand(turn.text)
    if area is not None:
        return show_near(turn, (area.location.lat, area.location.lon), pending)
    if turn.text:
        turn.end()
        return await search.search_text(turn, turn.text)  # they wrote a need instead
    ask_location(turn)
