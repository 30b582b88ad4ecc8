"""Immediate danger: emergency contacts come first, before anything else we might say."""
from __future__ import annotations

from bot.content import bidi
from bot.content.i18n import N_
from bot.core.dispatcher import Router
from bot.core.turn import Turn
from bot.handlers.menu import back_to_menu, menu_entry

router = Router("safety")
# TRANSLATORS: a main-menu button: at most 24 characters, keep the emoji.
menu_entry(70, N_("🚨 Emergency numbers"), "cmd:emergency")


def same_word(danger: str, typed: str) -> bool:
    """Equal, or the same word with another ending ("beat" / "beats" / "beating")."""
    if danger == typed:
        return True
    if len(danger) == len(typed):
        return False  # "police" is not "policy"
    common = 0
    for a, b in zip(danger, typed):
        if a != b:
            break
        common += 1
    return common >= max(4, min(len(danger), len(typed)) - 1)


def in_danger(turn: Turn) -> bool:
    """True if the message contains a danger phrase of any language (after folding)."""
    words = turn.norm.split()
    index = turn.content.danger_index
    for start, word in enumerate(words):
        for phrase in index.get(word[:4], ()):
            window = words[start:start + len(phrase)]
            if len(window) == len(phrase) and all(same_word(d, w) for d, w in zip(phrase, window)):
                return True
    return False


def emergency_text(turn: Turn) -> str:
    lines = [turn.t("If you are in danger now, call:")]
    for contact in turn.content.emergency:
        label = turn.content.field(turn.lang, "emergency", contact, "label")
        note = turn.content.field(turn.lang, "emergency", contact, "note")
        line = f"📞 {bidi.ltr(contact.phone)} — {label}"
        lines.append(f"{line} ({note})" if note else line)
    lines.append(turn.t("You can also ask a person here for help."))
    return "\n".join(lines)


def show_emergency(turn: Turn) -> None:
    turn.say(emergency_text(turn))


@router.command("emergency", public=True)
async def emergency(turn: Turn) -> None:
    turn.say(emergency_text(turn), [back_to_menu(turn)])


@router.intent(in_danger, priority=100)
async def danger(turn: Turn) -> None:
    """Danger words: emergency contacts first; then what the person asked for, if we can tell."""
    show_emergency(turn)
    for follow_up in FOLLOW_UPS:
        if await follow_up(turn):
            return
    turn.say(turn.t("What else can I do for you?"), [back_to_menu(turn)])


# Features that can add something useful after the emergency contacts (search results for the
# same words) register a coroutine(turn) -> bool here.
FOLLOW_UPS: list = []
