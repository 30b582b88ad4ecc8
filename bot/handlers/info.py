"""Short, vetted information pages ("How to apply for asylum", "Your rights at work"...)."""
from __future__ import annotations

from bot.content.i18n import N_
from bot.core.dispatcher import Router
from bot.core.turn import Turn
from bot.handlers.cards import service_name
from bot.handlers.menu import back_to_menu, menu_entry

router = Router("info")
# TRANSLATORS: a main-menu button: at most 24 characters, keep the emoji.
menu_entry(30, N_("📖 Useful information"), "cmd:info")


@router.command("info")
async def list_pages(turn: Turn) -> None:
    pages = list(turn.content.pages.values())
    turn.say(turn.t("What would you like to read about?"),
             [turn.button(turn.content.field(turn.lang, "page", page, "title")[:60], f"page:{page.id}") for page in pages]
             + [back_to_menu(turn)], menu_title=turn.t("Information"))


@router.payload("page")
async def show_page(turn: Turn) -> None:
    page = turn.content.pages.get(turn.arg)
    if page is None:
        return await list_pages(turn)
    field = turn.content.field
    text = f"📖 {field(turn.lang, 'page', page, 'title')}\n\n{field(turn.lang, 'page', page, 'body').strip()}"
    if page.checked:
        text += "\n\n" + turn.t("ℹ️ Information last checked on {date}", date=turn.tr.date(page.checked))
    related = [turn.content.services[s] for s in page.related_services if s in turn.content.services]
    turn.say(text, [turn.button(f"➡️ {service_name(turn, s)}"[:60], f"svc:{s.id}") for s in related]
             + [turn.button(turn.t("📖 Other information"), "cmd:info"), back_to_menu(turn)])
