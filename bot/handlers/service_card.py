"""The full service card, and what people can say about it (helpful? wrong information?)."""
from __future__ import annotations

from bot.core.dispatcher import Router
from bot.core.turn import Turn
from bot.handlers import cards
from bot.handlers.menu import back_to_menu, show_main_menu
from bot.storage.models import Feedback

router = Router("service_card")


@router.payload("svc")
async def show_card(turn: Turn) -> None:
    service = turn.content.services.get(turn.arg)
    if service is None:
        return show_main_menu(turn, turn.t("Sorry, this service is no longer listed."))
    cards.full_card(turn, service)


def _feedback(turn: Turn, kind: str, service_id: str, value: int | None = None, comment: str | None = None) -> None:
    # No person, no time of day: only what editors need to improve the directory.
    turn.session.add(Feedback(kind=kind, service_id=service_id, value=value, comment=comment, lang=turn.lang,
                              created_on=turn.now.astimezone(turn.content.tz).date(), status="open"))


@router.payload("fb")
async def helpful(turn: Turn) -> None:
    service_id, _, value = turn.arg.partition(":")
    if service_id not in turn.content.services or value not in ("0", "1"):
        return show_main_menu(turn)
    _feedback(turn, "helpful", service_id, int(value))
    turn.say(turn.t("Thank you for telling us.") if value == "1" else
             turn.t("Thank you. We are sorry it did not help. A person can look at your situation."),
             [turn.button(turn.t("🙋 Ask a person"), "cmd:assistance"), back_to_menu(turn)])


@router.payload("wrong")
async def report_wrong(turn: Turn) -> None:
    if turn.arg not in turn.content.services:
        return show_main_menu(turn)
    turn.go("wrong_info", "describe", service=turn.arg)
    turn.say(turn.t("What is wrong? For example: closed, moved, wrong phone number. Please do not write your name."),
             [turn.button(turn.t("Cancel"), "cmd:cancel")])


@router.step("wrong_info", "describe")
async def wrong_described(turn: Turn) -> None:
    service_id = turn.state.data.get("service")
    if not turn.text or service_id not in turn.content.services:
        turn.say(turn.t("Please write in a few words what is wrong."), [turn.button(turn.t("Cancel"), "cmd:cancel")])
        return
    _feedback(turn, "wrong_info", service_id, comment=turn.text[:500])
    turn.end()
    turn.say(turn.t("Thank you. The editors will check this information."), [back_to_menu(turn)])
