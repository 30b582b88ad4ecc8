"""Delete my data: remove the person's identity, conversation and pending messages."""
from __future__ import annotations

from bot.core import users
from bot.core.dispatcher import Router
from bot.core.turn import Turn
from bot.handlers.menu import back_to_menu

router = Router("delete_data")


@router.command("delete", public=True)
async def ask(turn: Turn) -> None:
    turn.say(turn.text_of("delete_confirm"), [
        turn.button(turn.t("Yes, delete my data"), "del:yes"),
        back_to_menu(turn),
    ])


@router.payload("del", public=True)
async def delete(turn: Turn) -> None:
    if turn.arg != "yes":
        return await ask(turn)
    goodbye = turn.text_of("delete_done")
    for erase in ERASERS:
        await erase(turn)
    await users.erase(turn.session, turn.user)
    turn.erased = True
    turn.say(goodbye)


# Features that keep data about a person (tickets...) add a coroutine here that unlinks it.
ERASERS: list = []
