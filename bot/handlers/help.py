"""Help: how to use Rahnama."""
from __future__ import annotations

from bot.content.i18n import N_
from bot.core.dispatcher import Router
from bot.core.turn import Turn
from bot.handlers.menu import back_to_menu, menu_entry

router = Router("help")
# TRANSLATORS: a main-menu button: at most 24 characters, keep the emoji.
menu_entry(90, N_("🔒 Privacy and help"), "cmd:help")


@router.command("help", public=True)
async def show_help(turn: Turn) -> None:
    turn.say(turn.text_of("help"), [
        turn.button(turn.t("What do you keep about me?"), "cmd:privacy"),
        turn.button(turn.t("Change language"), "cmd:language"),
        back_to_menu(turn),
    ])
