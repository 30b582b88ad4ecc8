"""First contact: choose a language, read a short privacy notice, consent. Also language change."""
from __future__ import annotations

from bot.content.i18n import NATIVE_NAMES, N_
from bot.content.langdetect import detect_language, same_family
from bot.core.dispatcher import Router
from bot.core.turn import Turn
from bot.handlers.menu import menu_entry, show_main_menu

router = Router("start")
# TRANSLATORS: a main-menu button: at most 24 characters, keep the emoji.
menu_entry(80, N_("🌐 Language"), "cmd:language")


def onboarded(turn: Turn) -> bool:
    return bool(turn.user.lang and turn.user.consent_at)


def language_buttons(turn: Turn, first: str | None = None) -> list:
    codes = list(turn.content.languages)
    if first in codes:
        codes.remove(first)
        codes.insert(0, first)
    return [turn.button(NATIVE_NAMES.get(code, code), f"lang:{code}") for code in codes]


def show_language_menu(turn: Turn, suggested: str | None = None) -> None:
    """The language question, asked in several languages at once (we do not know theirs yet)."""
    order = [suggested] if suggested else []
    order += [code for code in turn.content.languages if code not in order]
    lines = []
    for code in order[:6]:
        # TRANSLATORS: shown before the person chose a language: very short, in your language.
        line = turn.content.translator(code).t("Choose your language")
        if line not in lines:
            lines.append(line)
    turn.say("👋 Rahnama\n" + "\n".join(lines), language_buttons(turn, suggested), menu_title="🌐")


def ask_consent(turn: Turn) -> None:
    turn.go("onboarding", "consent")
    turn.say(turn.text_of("welcome", city=turn.content.city_name(turn.lang)))
    turn.say(turn.text_of("consent"), [
        turn.button(turn.t("Yes, continue"), "consent:yes"),
        turn.button(turn.t("Tell me more"), "cmd:privacy"),
        turn.button(turn.t("No, thank you"), "consent:no"),
    ])


@router.gate(lambda turn: not onboarded(turn))
async def first_contact(turn: Turn) -> None:
    from bot.handlers import safety

    if safety.in_danger(turn):
        safety.show_emergency(turn)
    if turn.message.start_payload:
        apply_start_payload(turn)
    if not turn.user.lang:
        suggested = detect_language(turn.text, turn.content.languages) if turn.text else None
        show_language_menu(turn, suggested)
    else:
        ask_consent(turn)


def apply_start_payload(turn: Turn) -> None:
    """Deep links such as t.me/RahnamaBot?start=ar__legal-aid preset the language and a target."""
    lang, _, target = turn.message.start_payload.partition("__")
    lang = lang.replace("-", "_")
    if lang in turn.content.languages:
        turn.user.lang = lang
    if target:
        turn.state.prefs["after_onboarding"] = target  # prefs survive the consent question


@router.payload("lang", public=True)
async def choose_language(turn: Turn) -> None:
    code = turn.arg
    if code not in turn.content.languages:
        return show_language_menu(turn)
    turn.user.lang = code
    if not turn.user.consent_at:
        return ask_consent(turn)
    # TRANSLATORS: name YOUR language here, not English ("…in Arabic from now on").
    show_main_menu(turn, turn.t("I will write to you in English from now on."))


@router.command("language", public=True)
async def change_language(turn: Turn) -> None:
    show_language_menu(turn, turn.user.lang)


@router.payload("consent", public=True)
async def consent(turn: Turn) -> None:
    if turn.arg == "no":
        from bot.core import users

        goodbye = turn.text_of("consent_declined")
        await users.erase(turn.session, turn.user)
        turn.erased = True
        turn.say(goodbye)
        return
    if not turn.user.lang:
        return show_language_menu(turn)
    turn.user.consent_at = turn.now
    target = turn.state.prefs.pop("after_onboarding", None)
    turn.end()
    if turn.content.city.sample:
        turn.say(turn.text_of("sample_notice"))
    if target and await open_target(turn, target):
        return
    show_main_menu(turn)


async def open_target(turn: Turn, target: str) -> bool:
    """Open a deep-link target (a category id) once onboarding is done."""
    for opener in TARGET_OPENERS:
        if await opener(turn, target):
            return True
    return False


# Features that can be opened by a deep link register a coroutine(turn, target) -> bool here.
TARGET_OPENERS: list = []


def offer_switch(turn: Turn) -> None:
    """Free text clearly in another supported language: offer, in that language, to switch."""
    if len(turn.text) < 4:
        return
    found = detect_language(turn.text, turn.content.languages)
    declined = turn.state.prefs.get("keep_language", [])
    if not found or same_family(found, turn.lang) or found in declined:
        return
    theirs = turn.content.translator(found)
    # TRANSLATORS: shown in YOUR language to someone who writes in it; {language} is its own name.
    turn.say(theirs.t("It looks like you write in {language}. Shall I answer in {language}?",
                      language=NATIVE_NAMES[found]), [
        turn.button(f"✅ {NATIVE_NAMES[found]}", f"lang:{found}"),
        turn.button(f"{NATIVE_NAMES[turn.lang]} ↩", f"keeplang:{found}"),
    ])


@router.payload("keeplang")
async def keep_language(turn: Turn) -> None:
    declined = turn.state.prefs.setdefault("keep_language", [])
    if turn.arg and turn.arg not in declined:
        declined.append(turn.arg)
    # TRANSLATORS: name YOUR language here, not English.
    show_main_menu(turn, turn.t("I will keep writing in English."))


@router.intercept(lambda turn: turn.message.start_payload is not None and onboarded(turn))
async def deep_link(turn: Turn) -> None:
    """A poster's QR code opened the bot again: its language and topic, whatever the flow."""
    apply_start_payload(turn)
    target = turn.state.prefs.pop("after_onboarding", None)
    turn.end()
    if target and await open_target(turn, target):
        return
    show_main_menu(turn)
