"""When nothing else understood the message: say so kindly and offer the menu."""
from __future__ import annotations

from bot.core.dispatcher import Router
from bot.core.turn import Turn
from bot.handlers.menu import main_menu_buttons
from bot.handlers.start import offer_switch

router = Router("fallback")


@router.fallback()
async def not_understood(turn: Turn) -> None:
    if turn.message.media and not turn.text:
        turn.say(turn.t("Thank you. I cannot open voice messages or files here. Please write in a few words what you need, or choose a number."),
                 main_menu_buttons(turn), menu_title=turn.t("Main menu"))
        return
    if turn.message.location:
        turn.say(turn.t("Thank you for your location."), main_menu_buttons(turn), menu_title=turn.t("Main menu"))
        return
    turn.say(turn.t("Sorry, I did not understand. Write what you need in a few words, or choose a number."),
             main_menu_buttons(turn), menu_title=turn.t("Main menu"))
    offer_switch(turn)
