"""My requests: the person's open (and recently closed) requests, with their status."""
from __future__ import annotations

from datetime import timedelta

from bot.content import bidi
from bot.content.i18n import N_
from bot.core.dispatcher import Router
from bot.core.turn import Turn
from bot.handlers.assistance import topic_label
from bot.handlers.menu import back_to_menu, menu_entry
from bot.staff import tickets
from bot.storage.models import Ticket

router = Router("my_requests")
# TRANSLATORS: a main-menu button: at most 24 characters, keep the emoji.
menu_entry(50, N_("📨 My requests"), "cmd:my_requests")

STATUS = {"new": "⏳ Waiting for a staff member", "open": "💬 A staff member is working on it", "closed": "✅ Closed"}


def status_text(turn: Turn, ticket: Ticket) -> str:
    return turn.t(STATUS[ticket.status])


@router.command("my_requests")
async def list_requests(turn: Turn) -> None:
    found = await tickets.of_person(turn.session, turn.user.id, turn.now - timedelta(days=30))
    if not found:
        turn.say(turn.t("You have no requests. A person can help you: choose 🙋 Ask a person."),
                 [turn.button(turn.t("🙋 Ask a person"), "cmd:assistance"), back_to_menu(turn)])
        return
    lines = [turn.t("Your requests:"), ""]
    lines += [f"{bidi.ltr(t.ref)} · {topic_label(turn, t.topic)} · {status_text(turn, t)}" for t in found]
    turn.say("\n".join(lines), [turn.button(f"{t.ref} · {topic_label(turn, t.topic)}"[:60], f"tkt:show:{t.id}")
                                for t in found] + [back_to_menu(turn)])


async def show_ticket(turn: Turn, ticket: Ticket) -> None:
    answers = [m for m in await tickets.messages(turn.session, ticket.id) if m.author == "staff"]
    lines = [f"{bidi.ltr(ticket.ref)} · {topic_label(turn, ticket.topic)}", status_text(turn, ticket),
             turn.t("Sent on {date}", date=turn.tr.date(ticket.created_at.astimezone(turn.content.tz)))]
    if answers:
        lines += ["", turn.t("Last answer:"), answers[-1].text]
    buttons = [turn.button(turn.t("✍️ Write to this request"), f"tkt:write:{ticket.id}")] if ticket.status != "closed" else []
    turn.say("\n".join(lines), buttons + [turn.button(turn.t("📨 My requests"), "cmd:my_requests"), back_to_menu(turn)])
