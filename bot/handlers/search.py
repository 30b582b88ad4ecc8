"""Free text is a search by default: type what you need, in any language, with typos."""
from __future__ import annotations

import re
from typing import Any

from bot.core.dispatcher import Router
from bot.core.turn import Turn
from bot.handlers import cards
from bot.handlers.menu import back_to_menu, main_menu_buttons, show_main_menu
from bot.handlers.start import offer_switch
from bot.storage.db import dialect_insert
from bot.storage.models import ContentGap

router = Router("search")

SUGGESTED = ("legal-aid", "health", "shelter-housing", "food", "employment")


def run(turn: Turn, spec: dict[str, Any]) -> bool:
    """Run a search/browse/near query described by `spec`, show the page; False if empty.

    spec: {"q": words, "cat": category, "near": [lat, lon], "open": bool, "offset": int}
    """
    index = turn.content.search
    near = tuple(spec["near"]) if spec.get("near") else None
    options = {"near": near, "open_now": bool(spec.get("open")), "now": turn.now,
               "limit": cards.PAGE, "offset": spec.get("offset", 0)}
    if spec.get("q"):
        results = index.search(spec["q"], turn.lang, category=spec.get("cat"), **options)
    elif spec.get("cat"):
        results = index.browse(spec["cat"], lang=turn.lang, **options)
    elif near:
        options.pop("near")
        results = index.nearby(near, **options)
    else:
        return False
    if not results.found:
        return False
    turn.go("results", "list", results=spec)
    cards.results_message(turn, results, _title(turn, spec, results.total), spec)
    return True


def _title(turn: Turn, spec: dict[str, Any], total: int) -> str:
    if spec.get("cat") and not spec.get("q"):
        category = turn.content.categories[spec["cat"]]
        title = f"{category.icon} {turn.content.category_label(turn.lang, category.id)}"
    elif spec.get("q"):
        title = turn.t("🔎 {query}", query=spec["q"])
    else:
        title = turn.t("📍 Near you")
    count = turn.tn("{n} place", "{n} places", total)
    extra = [turn.t("open now")] if spec.get("open") else []
    return " · ".join([title, count, *extra])


async def search_text(turn: Turn, text: str) -> None:
    """Understand a free-text need and answer with results, or kindly with alternatives."""
    rest, area, open_now, near = turn.content.search.understand(text)
    spec: dict[str, Any] = {"q": rest, "open": open_now}
    if area is not None:
        spec["near"] = [area.location.lat, area.location.lon]
    elif near:
        turn.go("near", "where", pending={"q": rest, "open": open_now})
        from bot.handlers.near import ask_location

        return ask_location(turn)
    if not rest and not spec.get("near"):
        if open_now and turn.state.data.get("results"):
            return await only_open_now(turn)
        return show_main_menu(turn)
    if not run(turn, spec):
        await nothing_found(turn, text)


async def nothing_found(turn: Turn, text: str) -> None:
    turn.say(turn.t("Sorry, I found nothing for {query}. Try other words, or choose a topic:", query=text[:80]),
             [turn.button(f"{turn.content.categories[c].icon} {turn.content.category_label(turn.lang, c)}", f"cat:{c}")
              for c in SUGGESTED if c in turn.content.categories]
             + [turn.button(turn.t("🙋 Ask a person"), "cmd:assistance"), back_to_menu(turn)],
             menu_title=turn.t("Topics"))
    await record_gap(turn, text)


_DIGITS = re.compile(r"\d")


async def record_gap(turn: Turn, text: str) -> None:
    """Tell editors what people looked for in vain: folded words, digits masked, no person."""
    from bot.content.normalize import fold

    query = _DIGITS.sub("#", fold(text))[:80]
    if not query:
        return
    conn = await turn.session.connection()
    today = turn.now.astimezone(turn.content.tz).date()
    stmt = dialect_insert(conn, ContentGap).values(query=query, lang=turn.lang, seen_on=today, count=1)
    await conn.execute(stmt.on_conflict_do_update(index_elements=["query", "lang", "seen_on"],
                                                  set_={"count": ContentGap.count + 1}))


@router.fallback()
async def free_text(turn: Turn) -> None:
    if turn.message.location:
        from bot.handlers.near import show_near

        return show_near(turn, turn.message.location)
    if turn.message.media and not turn.text:
        turn.say(turn.t("Thank you. I cannot open voice messages or files here. Please write in a few words what you need, or choose a number."),
                 main_menu_buttons(turn), menu_title=turn.t("Main menu"))
        return
    if not turn.norm:  # only emoji or punctuation
        return show_main_menu(turn)
    await search_text(turn, turn.text)
    offer_switch(turn)


@router.payload("more")
async def more(turn: Turn) -> None:
    spec = dict(turn.state.data.get("results") or {})
    if not spec:
        return show_main_menu(turn)
    spec["offset"] = int(turn.arg or 0) if (turn.arg or "0").isdigit() else 0
    if not run(turn, spec):
        turn.say(turn.t("There are no more results."), [back_to_menu(turn)])


@router.command("more")
async def more_command(turn: Turn) -> None:
    spec = turn.state.data.get("results")
    turn.payload = f"more:{(spec or {}).get('offset', 0) + cards.PAGE}"
    turn.arg = turn.payload.split(":", 1)[1]
    await more(turn)


@router.payload("opennow")
async def only_open_now(turn: Turn) -> None:
    spec = dict(turn.state.data.get("results") or {})
    if not spec:
        return show_main_menu(turn)
    spec.update(open=True, offset=0)
    if not run(turn, spec):
        turn.say(turn.t("None of these places is open right now."),
                 [turn.button(turn.t("↩ Back to the list"), "back:results"), back_to_menu(turn)])


@router.command("open_now")
async def open_now_command(turn: Turn) -> None:
    if turn.state.data.get("results"):
        return await only_open_now(turn)
    turn.say(turn.t("What are you looking for? Write it in a few words, for example \"doctor open now\"."),
             [back_to_menu(turn)])


@router.payload("back")
async def back_to_results(turn: Turn) -> None:
    spec = turn.state.data.get("results")
    if turn.arg == "results" and spec and run(turn, dict(spec)):
        return
    show_main_menu(turn)


@router.command("greeting")
async def greeting(turn: Turn) -> None:
    show_main_menu(turn, turn.t("Hello! How can I help you? Write what you need, or choose a number."))


@router.command("thanks")
async def thanks(turn: Turn) -> None:
    show_main_menu(turn, turn.t("You are welcome. Is there anything else I can do for you?"))


async def danger_follow_up(turn: Turn) -> bool:
    """After the emergency numbers, the places that match the same words (a shelter, protection)."""
    rest, area, open_now, _near = turn.content.search.understand(turn.text)
    spec: dict[str, Any] = {"q": rest, "open": open_now}
    if area is not None:
        spec["near"] = [area.location.lat, area.location.lon]
    return bool(rest) and run(turn, spec)


def _register() -> None:
    from bot.handlers import safety

    if danger_follow_up not in safety.FOLLOW_UPS:
        safety.FOLLOW_UPS.append(danger_follow_up)


_register()
