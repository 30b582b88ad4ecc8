"""Privacy notice: what is kept, who else can see messages, how to delete."""
from __future__ import annotations

from bot.core.dispatcher import Router
from bot.core.turn import Turn
from bot.handlers.menu import back_to_menu

router = Router("privacy")


@router.command("privacy", public=True)
async def show_privacy(turn: Turn) -> None:
    if turn.user.consent_at is None:
        # Asked from the consent question: answer it, then let them decide.
        turn.say(turn.text_of("privacy"), [
            turn.button(turn.t("Yes, continue"), "consent:yes"),
            turn.button(turn.t("No, thank you"), "consent:no"),
        ])
        return
    turn.say(turn.text_of("privacy"), [
        turn.button(turn.t("Delete my data"), "cmd:delete"),
        back_to_menu(turn),
    ])
