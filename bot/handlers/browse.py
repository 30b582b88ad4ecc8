"""Browse: categories (numbered, with icons) → services in that category, a page at a time."""
from __future__ import annotations

from bot.content.i18n import N_
from bot.core.dispatcher import Router
from bot.core.turn import Turn
from bot.handlers import search
from bot.handlers.menu import back_to_menu, menu_entry
from bot.handlers.start import TARGET_OPENERS

router = Router("browse")
# TRANSLATORS: a main-menu button: at most 24 characters, keep the emoji.
menu_entry(10, N_("🔎 Find help by topic"), "cmd:browse")


def category_buttons(turn: Turn) -> list:
    return [turn.button(f"{category.icon} {turn.content.category_label(turn.lang, category.id)}", f"cat:{category.id}")
            for category in turn.content.categories.values()]


@router.command("browse")
async def show_categories(turn: Turn) -> None:
    turn.end()
    turn.say(turn.t("Choose a topic, or simply write what you need:"),
             category_buttons(turn) + [back_to_menu(turn)], menu_title=turn.t("Topics"))


@router.payload("cat")
async def open_category(turn: Turn) -> None:
    if turn.arg not in turn.content.categories:
        return await show_categories(turn)
    near = (turn.state.data.get("results") or {}).get("near")
    if not search.run(turn, {"cat": turn.arg, "near": near}):
        turn.say(turn.t("There is no service in this topic yet. A person can still help you."),
                 [turn.button(turn.t("🙋 Ask a person"), "cmd:assistance"), back_to_menu(turn)])


async def open_from_link(turn: Turn, target: str) -> bool:
    """Deep links (a poster's QR code) may open a category directly."""
    if target in turn.content.categories:
        turn.arg = target
        await open_category(turn)
        return True
    return False


TARGET_OPENERS.append(open_from_link)
