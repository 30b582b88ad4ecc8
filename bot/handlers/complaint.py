"""Complaint or feedback, anonymously: honest explanation → category → organisation (optional)
→ what happened → confirm → a receipt. The receipt, typed in any chat on any channel (in any
digits), shows the answers; sent with a message, it adds information.

Every turn of this flow is marked sensitive (the router says so): no handler name in the logs,
and its outbox rows are deleted (not just wiped) once delivered, so no delivery time remains
either. A receipt is caught before any flow step, so it can never end up in a request's text. The draft lives
in the conversation state only while it is written and is erased when the complaint is filed.
"""
from __future__ import annotations

from datetime import timedelta

from bot.content import bidi
from bot.content.normalize import fold
from bot.core import ratelimit
from bot.content.i18n import N_
from bot.core.dispatcher import Router
from bot.core.turn import Turn
from bot.handlers.menu import back_to_menu, menu_entry, show_main_menu
from bot.handlers.safety import emergency_text
from bot.staff import complaints

router = Router("complaint", sensitive=True)
# TRANSLATORS: a main-menu button: at most 24 characters, keep the emoji.
menu_entry(60, N_("📝 Complaint or feedback"), "cmd:complaint")

LABELS = {
    "quality": N_("The quality of a service"),
    "staff": N_("How a staff member or volunteer behaved"),
    "discrimination": N_("Discrimination or racism"),
    "fraud": N_("Fraud, bribes or someone asking for money"),
    "sea": N_("Sexual exploitation or abuse"),
    "safety": N_("A threat to my safety"),
    "other": N_("Something else, or a suggestion"),
}
MAX_PARTS = 10


def cancel(turn: Turn):
    return turn.button(turn.t("Cancel"), "cmd:cancel")


def category_label(turn: Turn, category: str) -> str:
    return turn.t(LABELS.get(category, LABELS["other"]))


@router.command("complaint")
async def start(turn: Turn) -> None:
    turn.go("complaint", "intro")
    turn.say(turn.text_of("complaint_intro"), [
        turn.button(turn.t("Continue"), "cmp:go"),
        turn.button(turn.t("I have a receipt number"), "cmp:have"),
        cancel(turn)])


@router.payload("cmp")
async def choice(turn: Turn) -> None:
    action, _, value = turn.arg.partition(":")
    if action == "have":
        turn.end()
        return turn.say(turn.t("Send your 16-digit receipt number. To add information, send the number and your message together."),
                        [back_to_menu(turn)])
    if action == "close":
        return await close_by_person(turn, value)
    if turn.state.flow != "complaint":
        return await start(turn)
    if action == "go":
        turn.go("complaint", "category")
        return turn.say(turn.t("What is your complaint about?"),
                        [turn.button(category_label(turn, c), f"cmp:cat:{c}") for c in complaints.CATEGORIES] + [cancel(turn)])
    if action == "cat" and value in complaints.CATEGORIES:
        turn.go("complaint", "organisation", category=value)
        if value in complaints.URGENT:
            turn.say(emergency_text(turn))
        return ask_organisation(turn)
    if action == "org":
        turn.go("complaint", "text", org=value if value in turn.content.organisations else None)
        return ask_text(turn)
    if action == "done":
        return confirm(turn) if turn.state.data.get("texts") else ask_text(turn)
    if action == "send":
        return await submit(turn)
    await start(turn)


def ask_organisation(turn: Turn) -> None:
    orgs = [turn.button(turn.content.field(turn.lang, "organisation", o, "name")[:60], f"cmp:org:{o.id}")
            for o in turn.content.organisations.values()]
    turn.say(turn.t("Which organisation is it about? You can skip this, or write its name."),
             [turn.button(turn.t("Skip / I am not sure"), "cmp:org:-")] + orgs + [cancel(turn)],
             menu_title=turn.t("Organisations"))


@router.step("complaint", "organisation")
async def organisation_typed(turn: Turn) -> None:
    """A typed organisation name, matched loosely against the directory (or skipped)."""
    typed = set(fold(turn.text).split())
    best, best_overlap = None, 0
    for organisation in turn.content.organisations.values():
        names = {w for lang in turn.content.catalog_languages
                 for w in fold(turn.content.field(lang, "organisation", organisation, "name")).split() if len(w) > 3}
        overlap = len(typed & names)
        if overlap > best_overlap:
            best, best_overlap = organisation.id, overlap
    turn.go("complaint", "text", org=best)
    if best:
        turn.say(turn.t("Organisation: {name}", name=turn.content.field(turn.lang, "organisation",
                                                                          turn.content.organisations[best], "name")))
    ask_text(turn)


def ask_text(turn: Turn) -> None:
    turn.say(turn.t("Write what happened: where, when, and what was done or said. Please do not write your name or phone number. "
                    "You can send several messages, then press ✅ Done."),
             [turn.button(turn.t("✅ Done"), "cmp:done"), cancel(turn)])


@router.step("complaint", "text")
async def text(turn: Turn) -> None:
    parts = turn.state.data.setdefault("texts", [])
    if not turn.text:
        if turn.message.media:
            turn.say(turn.t("Sorry, for your safety complaints take only written text. Please write it."))
        return ask_text(turn)
    if len(parts) < MAX_PARTS:
        parts.append(turn.text)
    turn.say(turn.t("Added. Write more, or press ✅ Done."), [turn.button(turn.t("✅ Done"), "cmp:done"), cancel(turn)])


@router.step("complaint")
async def elsewhere_in_flow(turn: Turn) -> None:
    """Free text at a step that expects a button: show the step again (never search with it)."""
    step = turn.state.step
    if step == "category":
        turn.payload, turn.arg = "cmp:go", "go"
        return await choice(turn)
    if step == "confirm":
        return confirm(turn)
    await start(turn)


def confirm(turn: Turn) -> None:
    data = turn.state.data
    turn.go("complaint", "confirm")
    organisation = turn.content.organisations.get(data.get("org") or "")
    lines = [turn.t("Please check your complaint:"), "",
             turn.t("About: {category}", category=category_label(turn, data.get("category", "other")))]
    if organisation:
        lines.append(turn.t("Organisation: {name}", name=turn.content.field(turn.lang, "organisation", organisation, "name")))
    lines += ["", "\n".join(data.get("texts", []))[:1200]]
    turn.say("\n".join(lines), [turn.button(turn.t("✅ Send anonymously"), "cmp:send"), cancel(turn)])


async def submit(turn: Turn) -> None:
    data = turn.state.data
    if turn.state.step != "confirm" or not data.get("texts"):
        return await start(turn)
    settings = turn.runtime.settings
    today = turn.now.astimezone(turn.content.tz).date()
    personal = ratelimit.key_for(settings.secret_key, "complaint", turn.user.channel, turn.user.channel_user_id)
    if not await ratelimit.hit(turn.session, personal, settings.complaint_daily_limit, timedelta(days=1), turn.now) or \
            not await ratelimit.hit(turn.session, "complaint:all", settings.complaint_hourly_limit, timedelta(hours=1), turn.now):
        turn.end()
        return show_main_menu(turn, turn.t("Too many complaints were sent from here today. Please try again tomorrow. "
                                           "If you are in danger, call 112."))
    draft = complaints.Draft(category=data.get("category", "other"), org_id=data.get("org"), service_id=None,
                             texts=list(data["texts"]))
    receipt = complaints.new_receipt()
    hashed = await complaints.hash_of(turn.session, receipt)
    complaint = await complaints.file(turn.session, turn.content, draft, hashed, today)
    turn.end()  # the draft is erased now: nothing of the complaint stays in this person's state
    turn.say(turn.text_of("complaint_receipt", date=turn.tr.date(today), category=category_label(turn, complaint.category),
                          receipt=bidi.ltr(complaints.format_receipt(receipt))))
    if complaint.urgent:
        turn.say(turn.t("Your complaint is marked urgent: the network's focal point sees it first.") + "\n\n" + emergency_text(turn))
    show_main_menu(turn)


# -- with a receipt, from any chat ----------------------------------------------------------------

def has_receipt(turn: Turn) -> bool:
    return complaints.find_receipt(turn.text) is not None


@router.intercept(has_receipt)
async def with_receipt(turn: Turn) -> None:
    receipt, extra = complaints.find_receipt(turn.text)  # type: ignore[misc]
    settings = turn.runtime.settings
    personal = ratelimit.key_for(settings.secret_key, "receipt", turn.user.channel, turn.user.channel_user_id)
    if not await ratelimit.hit(turn.session, personal, settings.receipt_attempts_per_hour, timedelta(hours=1), turn.now):
        return turn.say(turn.t("Too many receipt numbers were tried. Please wait an hour and try again."), [back_to_menu(turn)])
    complaint = await complaints.by_receipt(turn.session, receipt)
    if complaint is None:
        return turn.say(turn.t("I found no complaint with this receipt number. Please check the 16 digits."), [back_to_menu(turn)])
    today = turn.now.astimezone(turn.content.tz).date()
    if extra and complaint.status != "closed":
        await complaints.add_person_text(turn.session, complaint, extra, today)
        return turn.say(turn.t("Your information was added to the complaint."), [back_to_menu(turn)])
    await show_status(turn, complaint)


STATUS = {"new": N_("Received, not read yet"), "in_progress": N_("Being looked into"),
          "answered": N_("Answered"), "closed": N_("Closed")}


async def show_status(turn: Turn, complaint) -> None:  # type: ignore[no-untyped-def]
    lines = [turn.t("Complaint from {date}: {category}", date=turn.tr.date(complaint.created_on),
                    category=category_label(turn, complaint.category)),
             turn.t("Status: {status}", status=turn.t(STATUS[complaint.status]))]
    answers = [m for m in await complaints.messages(turn.session, complaint.id) if m.author == "staff"]
    for answer in answers:
        lines += ["", turn.t("Answer of {date}:", date=turn.tr.date(answer.created_on)), answer.text]
    if not answers:
        lines += ["", turn.t("There is no answer yet. Please check again in a few days.")]
    buttons = []
    if complaint.status != "closed":
        lines += ["", turn.t("To add information, send your receipt number and your message together.")]
        token = complaints.make_token(turn.runtime.settings.secret_key, complaint.id, turn.now)
        buttons.append(turn.button(turn.t("Close my complaint"), f"cmp:close:{token}"))
    turn.say("\n".join(lines), buttons + [back_to_menu(turn)])


async def close_by_person(turn: Turn, token: str) -> None:
    from bot.storage.models import Complaint

    complaint_id = complaints.read_token(turn.runtime.settings.secret_key, token, turn.now)
    complaint = await turn.session.get(Complaint, complaint_id) if complaint_id else None
    if complaint is None:
        return turn.say(turn.t("This button has expired. Send your receipt number again."), [back_to_menu(turn)])
    if complaint.status != "closed":
        await complaints.close(turn.session, complaint, None, "closed_by_person",
                               turn.now.astimezone(turn.content.tz).date())
    show_main_menu(turn, turn.t("Your complaint is closed. Thank you for telling us."))
