"""Request assistance: topic → describe (several messages, voice notes, photos) → how to answer
→ confirm → a reference like A-7Q3K and when to expect an answer. While the request is open,
what the person writes here is added to it, until they leave with a menu command."""
from __future__ import annotations

import re
from typing import Any

from bot.content import bidi
from bot.content import hours as opening
from bot.content.normalize import to_ascii_digits
from bot.content.i18n import N_
from bot.core.dispatcher import Router
from bot.core.messages import OutboundMessage
from bot.core.turn import Turn
from bot.handlers.cards import hours_lines, when
from bot.handlers.menu import back_to_menu, menu_entry, show_main_menu
from bot.staff import tickets
from bot.storage.models import Ticket

router = Router("assistance")
# TRANSLATORS: a main-menu button: at most 24 characters, keep the emoji.
menu_entry(40, N_("🙋 Ask a person"), "cmd:assistance")

MAX_PARTS = 20
PHONE = re.compile(r"^\+?[0-9]{7,15}$")
OTHER = "other"


def topic_label(turn: Turn, topic: str) -> str:
    if topic in turn.content.categories:
        return f"{turn.content.categories[topic].icon} {turn.content.category_label(turn.lang, topic)}"
    return turn.t("💬 Something else")


def cancel_button(turn: Turn):
    return turn.button(turn.t("Cancel"), "cmd:cancel")


@router.command("assistance")
async def start(turn: Turn) -> None:
    turn.go("assist", "topic", messages=[])
    topics = [turn.button(topic_label(turn, c), f"asg:topic:{c}") for c in turn.content.categories]
    turn.say(turn.t("A staff member of a partner organisation will read your request and answer you here. "
                    "Only they can see it. What is it about?"),
             topics + [turn.button(topic_label(turn, OTHER), f"asg:topic:{OTHER}"), cancel_button(turn)],
             menu_title=turn.t("Topics"))


@router.payload("asg")
async def choice(turn: Turn) -> None:
    action, _, value = turn.arg.partition(":")
    if action == "svc" and value in turn.content.services:  # "Ask a person" on a service card
        turn.go("assist", "describe", messages=[], topic=turn.content.services[value].categories[0], service=value)
        return ask_describe(turn)
    if turn.state.flow != "assist":
        return await start(turn)
    if action == "topic" and (value in turn.content.categories or value == OTHER):
        turn.go("assist", "describe", topic=value)
        return ask_describe(turn)
    if action == "done":
        return ask_contact(turn) if turn.state.data.get("messages") else ask_describe(turn)
    if action == "contact" and value == "chat":
        turn.go("assist", "confirm", contact="chat", phone=None)
        return confirm(turn)
    if action == "contact" and value == "phone":
        turn.go("assist", "phone", contact="phone")
        return turn.say(turn.t("Please write the phone number we should call, with the country code, "
                               "for example +359 88 123 4567."), [cancel_button(turn)])
    if action == "send":
        return await submit(turn)
    if action == "again":
        return await start(turn)
    await start(turn)


def ask_describe(turn: Turn) -> None:
    turn.say(turn.t("Please describe what you need. You can send several messages, voice messages or photos. "
                    "Please do not send passport or ID numbers unless a staff member asks for them. "
                    "When you have finished, press ✅ Done."),
             [turn.button(turn.t("✅ Done"), "asg:done"), cancel_button(turn)])


@router.step("assist", "describe")
async def describe(turn: Turn) -> None:
    parts: list[dict[str, Any]] = turn.state.data.setdefault("messages", [])
    if not (turn.text or turn.message.media):
        return ask_describe(turn)
    if len(parts) >= MAX_PARTS:
        return ask_contact(turn)
    parts.append({"text": turn.text, "media_kind": turn.message.media, "media_ref": turn.message.media_ref})
    turn.say(turn.t("Added. Write more, or press ✅ Done."),
             [turn.button(turn.t("✅ Done"), "asg:done"), cancel_button(turn)])


@router.step("assist", "topic")
async def topic_typed(turn: Turn) -> None:
    """They wrote their need instead of choosing a topic: guess it and keep what they wrote."""
    found = turn.content.search.search(turn.text, turn.lang, limit=1).categories if turn.text else []
    topic = found[0][0] if found and found[0][1] >= 0.5 else OTHER
    turn.go("assist", "describe", topic=topic, messages=[{"text": turn.text, "media_kind": turn.message.media,
                                                          "media_ref": turn.message.media_ref}])
    turn.say(turn.t("Thank you. Topic: {topic}. Write more, or press ✅ Done.", topic=topic_label(turn, topic)),
             [turn.button(turn.t("✅ Done"), "asg:done"), turn.button(turn.t("Change the topic"), "asg:again"),
              cancel_button(turn)])


def ask_contact(turn: Turn) -> None:
    turn.go("assist", "contact")
    turn.say(turn.t("How should we answer you?"), [
        turn.button(turn.t("💬 Here in this chat"), "asg:contact:chat"),
        turn.button(turn.t("📞 Call me"), "asg:contact:phone"),
        cancel_button(turn)])


@router.step("assist", "contact")
async def contact_typed(turn: Turn) -> None:
    ask_contact(turn)


@router.step("assist", "phone")
async def phone(turn: Turn) -> None:
    number = re.sub(r"[\s\-().]", "", to_ascii_digits(turn.text))
    if number.startswith("00"):
        number = "+" + number[2:]
    if not PHONE.match(number):
        turn.say(turn.t("This does not look like a phone number. Please write it with digits only, for example +359 88 123 4567."),
                 [turn.button(turn.t("💬 Answer me here instead"), "asg:contact:chat"), cancel_button(turn)])
        return
    turn.go("assist", "confirm", phone=number)
    confirm(turn)


def confirm(turn: Turn) -> None:
    data = turn.state.data
    texts = [part["text"] for part in data.get("messages", []) if part.get("text")]
    attachments = sum(1 for part in data.get("messages", []) if part.get("media_kind"))
    preview = " / ".join(texts)[:300] + ("…" if len(" / ".join(texts)) > 300 else "")
    how = (turn.t("by phone at {phone}", phone=data["phone"]) if data.get("contact") == "phone"
           else turn.t("here in this chat"))
    lines = [turn.t("Please check your request:"), "",
             turn.t("Topic: {topic}", topic=topic_label(turn, data.get("topic", OTHER))),
             turn.t("Your message: {text}", text=preview or "—")]
    if attachments:
        lines.append(turn.tn("{n} attachment", "{n} attachments", attachments))
    lines.append(turn.t("We will answer you {how}.", how=how))
    turn.say("\n".join(lines), [turn.button(turn.t("✅ Send"), "asg:send"),
                                turn.button(turn.t("✏️ Start again"), "asg:again"), cancel_button(turn)])


@router.step("assist", "confirm")
async def confirm_typed(turn: Turn) -> None:
    confirm(turn)


async def submit(turn: Turn) -> None:
    data = turn.state.data
    if turn.state.step != "confirm" or not data.get("messages"):
        return await start(turn)
    draft = tickets.Draft(topic=data.get("topic", OTHER), messages=data["messages"], contact=data.get("contact", "chat"),
                          phone=data.get("phone"), service_id=data.get("service"))
    ticket = await tickets.create(turn.session, turn.content, turn.user.id, turn.lang, draft, turn.now)
    turn.go("ticket", "open", ticket=ticket.id, ref=ticket.ref)
    turn.state.data = {"ticket": ticket.id, "ref": ticket.ref}
    turn.say("\n\n".join([
        turn.t("✅ Your request has been sent. Your reference is {ref}.", ref=bidi.ltr(ticket.ref)),
        expectation(turn, ticket.org_id),
        turn.t("Until you write 0 or choose the menu, what you write here is added to this request."),
    ]), [back_to_menu(turn)])
    notify_staff(turn, ticket)


def expectation(turn: Turn, org_id: str) -> str:
    """When to expect an answer: the responsible team's office hours, in the person's language."""
    partner = tickets.partner(turn.content, org_id)
    organisation = turn.content.organisations.get(org_id)
    name = turn.content.field(turn.lang, "organisation", organisation, "name") if organisation else org_id
    within = partner.answer_within_hours if partner else 48
    lines = [turn.tn("{team} usually answers within {n} hour.", "{team} usually answers within {n} hours.",
                     within, team=name)]
    if partner and partner.office_hours:
        local = turn.now.astimezone(turn.content.tz)
        status = opening.status(partner.office_hours, local)
        if not status.open and status.opens_in is not None:
            lines.append(turn.t("The office is closed now and opens {when}.", when=when(turn, status.opens_in)))
        lines.append(turn.t("Office hours:"))
        lines += hours_lines(turn, partner.office_hours)
    return "\n".join(lines)


def notify_staff(turn: Turn, ticket: Ticket) -> None:
    """Post the new request to the staff group (no personal data: reference, topic, language, team)."""
    settings = turn.runtime.settings
    chat_id = getattr(settings, "telegram_staff_chat_id", "")
    if not chat_id or "telegram" not in turn.runtime.channels:
        return
    english = turn.content.translator("en")
    topic = (turn.content.category_label("en", ticket.topic) if ticket.topic in turn.content.categories
             else english.t("Something else"))
    link = f"{settings.public_url}/staff/tickets/{ticket.ref}" if settings.public_url else f"/staff/tickets/{ticket.ref}"
    text = f"🆕 {ticket.ref} · {topic} · {ticket.lang} · {ticket.org_id}\n{link}"
    turn.extra_outbox.append(("telegram", chat_id, OutboundMessage(text=text)))


@router.step("ticket", "open")
async def add_to_ticket(turn: Turn) -> None:
    ticket = await turn.session.get(Ticket, turn.state.data.get("ticket"))
    if ticket is None or ticket.user_id != turn.user.id or ticket.status == "closed":
        turn.end()
        return show_main_menu(turn, turn.t("This request is closed. You can ask a person again from the menu."))
    if not (turn.text or turn.message.media):
        return
    await tickets.add_person_message(turn.session, ticket, turn.text, turn.now, turn.message.media, turn.message.media_ref)
    turn.say(turn.t("✓ Added to your request {ref}.", ref=bidi.ltr(ticket.ref)), [back_to_menu(turn)])


@router.payload("tkt")
async def ticket_action(turn: Turn) -> None:
    action, _, raw_id = turn.arg.partition(":")
    ticket = await turn.session.get(Ticket, int(raw_id)) if raw_id.isdigit() else None
    if ticket is None or ticket.user_id != turn.user.id:
        return show_main_menu(turn)
    if action == "write" and ticket.status != "closed":
        turn.go("ticket", "open", ticket=ticket.id, ref=ticket.ref)
        turn.say(turn.t("Write your message for request {ref}. Write 0 when you have finished.", ref=bidi.ltr(ticket.ref)),
                 [back_to_menu(turn)])
        return
    from bot.handlers.my_requests import show_ticket

    await show_ticket(turn, ticket)


@router.payload("rate")
async def rate(turn: Turn) -> None:
    raw_id, _, value = turn.arg.partition(":")
    ticket = await turn.session.get(Ticket, int(raw_id)) if raw_id.isdigit() else None
    if ticket is None or ticket.user_id != turn.user.id or value not in ("1", "2", "3", "4", "5"):
        return show_main_menu(turn)
    from bot.storage.models import Feedback

    ticket.satisfaction = int(value)
    # The rating also goes, unlinked, to the editors' and managers' feedback view.
    turn.session.add(Feedback(kind="satisfaction", topic=ticket.topic, value=int(value), lang=turn.lang,
                              created_on=turn.now.astimezone(turn.content.tz).date(), status="done"))
    turn.go("rating", "comment", feedback_topic=ticket.topic)
    turn.say(turn.t("Thank you! If you want, write a short comment about the help you got, or press the menu."),
             [back_to_menu(turn)])


@router.step("rating", "comment")
async def rating_comment(turn: Turn) -> None:
    from bot.storage.models import Feedback

    if turn.text:
        turn.session.add(Feedback(kind="satisfaction", topic=turn.state.data.get("feedback_topic"), comment=turn.text[:500],
                                  lang=turn.lang, created_on=turn.now.astimezone(turn.content.tz).date(), status="open"))
    show_main_menu(turn, turn.t("Thank you for your comment."))


async def forget(turn: Turn) -> None:
    await tickets.forget_person(turn.session, turn.user.id, turn.now)


def _register() -> None:
    from bot.handlers import delete_data

    if forget not in delete_data.ERASERS:
        delete_data.ERASERS.append(forget)


_register()
