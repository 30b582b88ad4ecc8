"""The main menu. Feature modules add their entry with `menu_entry`; numbers follow `order`."""
from __future__ import annotations

from dataclasses import dataclass

from bot.core.dispatcher import Router
from bot.core.messages import Button
from bot.core.turn import Turn

router = Router("menu")


@dataclass(frozen=True)
class MenuEntry:
    order: int
    label: str  # English source, translated when shown
    payload: str


ENTRIES: list[MenuEntry] = []


def menu_entry(order: int, label: str, payload: str) -> None:
    if not any(entry.payload == payload for entry in ENTRIES):
        ENTRIES.append(MenuEntry(order, label, payload))
        ENTRIES.sort(key=lambda entry: entry.order)


def main_menu_buttons(turn: Turn) -> list[Button]:
    return [turn.button(turn.t(entry.label), entry.payload) for entry in ENTRIES]


def show_main_menu(turn: Turn, intro: str | None = None) -> None:
    """Leave any flow and show the menu (0 always comes back here)."""
    turn.end()
    turn.say(intro or turn.t("How can I help you? Write what you need, or choose a number."),
             main_menu_buttons(turn), menu_title=turn.t("Main menu"))


def back_to_menu(turn: Turn) -> Button:
    return turn.button(turn.t("Main menu"), "cmd:menu")


@router.command("menu")
async def menu(turn: Turn) -> None:
    show_main_menu(turn)


@router.command("back")
async def back(turn: Turn) -> None:
    show_main_menu(turn)


@router.command("cancel")
async def cancel(turn: Turn) -> None:
    was_in_flow = turn.state.flow is not None
    show_main_menu(turn, turn.t("Stopped. Nothing was sent.") if was_in_flow else None)
