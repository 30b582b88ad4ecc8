"""How services look in a chat: a results list with short cards, and the full service card."""
from __future__ import annotations

from datetime import timedelta

from bot.content import bidi
from bot.content import hours as opening
from bot.content.geo import directions_link
from bot.content.i18n import NATIVE_NAMES, N_
from bot.content.schema import Service
from bot.content.search import Hit, Results
from bot.core.messages import Button
from bot.core.turn import Turn
from bot.handlers.menu import back_to_menu

COST = {"free": N_("Free"), "low-cost": N_("Low cost"), "paid": N_("Paid")}
PAGE = 5


def service_name(turn: Turn, service: Service) -> str:
    return turn.content.field(turn.lang, "service", service, "name")


def when(turn: Turn, minutes: int) -> str:
    """"today at 14:00", "tomorrow at 09:00", "on Monday at 09:00" from minutes ahead."""
    local = turn.now.astimezone(turn.content.tz) + timedelta(minutes=minutes)
    clock = turn.tr.time(local)
    days = (local.date() - turn.now.astimezone(turn.content.tz).date()).days
    if days == 0:
        return turn.t("today at {time}", time=clock)
    if days == 1:
        return turn.t("tomorrow at {time}", time=clock)
    return turn.t("on {weekday} at {time}", weekday=turn.tr.weekday(local.weekday()), time=clock)


def open_status(turn: Turn, service: Service) -> str:
    status = opening.status(service.hours, turn.now.astimezone(turn.content.tz))
    if not status.known:
        return turn.t("⚪ Opening hours not known")
    if status.always:
        return turn.t("🟢 Open 24 hours")
    if status.open:
        closes = turn.now.astimezone(turn.content.tz) + timedelta(minutes=status.closes_in or 0)
        return turn.t("🟢 Open now, until {time}", time=turn.tr.time(closes))
    return turn.t("🔴 Closed now. Opens {when}", when=when(turn, status.opens_in or 0))


def hours_lines(turn: Turn, weekly: dict[str, tuple[str, ...]]) -> list[str]:
    """Mon–Fri 09:00–17:00 lines, weekday names in the person's language."""
    lines = []
    for days, ranges in opening.week_lines(weekly):
        first = turn.tr.locale.days["format"]["abbreviated"][days[0]]
        last = turn.tr.locale.days["format"]["abbreviated"][days[-1]]
        label = first if len(days) == 1 else f"{first}–{last}"
        times = ", ".join(turn.tr.native(span.replace("-", "–")) for span in ranges)
        lines.append(f"   {label} {bidi.ltr(times)}")
    return lines


def short_card(turn: Turn, number: int, hit: Hit) -> str:
    service = hit.service
    icon = turn.content.categories[service.categories[0]].icon
    organisation = turn.content.organisations[service.organisation]
    details = [turn.content.field(turn.lang, "organisation", organisation, "name"), open_status(turn, service)]
    if hit.distance_km is not None:
        details.append(turn.tr.distance(hit.distance_km))
    return f"{number}. {icon} {service_name(turn, service)}\n   " + " · ".join(details)


def results_message(turn: Turn, results: Results, title: str, spec: dict) -> None:
    """One message: numbered short cards, a button per service, then more / filters / menu."""
    offset = spec.get("offset", 0)
    lines = [title, ""]
    buttons: list[Button] = []
    for number, hit in enumerate(results.hits, 1):
        lines.append(short_card(turn, number, hit))
        buttons.append(turn.button(service_name(turn, hit.service)[:60], f"svc:{hit.service.id}"))
    if offset + len(results.hits) < results.total:
        buttons.append(turn.button(turn.t("➕ More results"), f"more:{offset + PAGE}"))
    if not spec.get("open"):
        buttons.append(turn.button(turn.t("🟢 Only places open now"), "opennow"))
    if not spec.get("near"):
        buttons.append(turn.button(turn.t("📍 Near me"), "cmd:near"))
    buttons.append(back_to_menu(turn))
    turn.say("\n".join(lines), buttons, menu_title=turn.t("Results"))


def full_card(turn: Turn, service: Service) -> None:
    content = turn.content
    organisation = content.organisations[service.organisation]
    icon = content.categories[service.categories[0]].icon
    lines = [f"{icon} {service_name(turn, service)}",
             content.field(turn.lang, "organisation", organisation, "name"), ""]
    description = content.field(turn.lang, "service", service, "description")
    if description:
        lines += [description, ""]
    if service.address:
        lines.append(f"📍 {bidi.auto(service.address)}")
    directions = content.field(turn.lang, "service", service, "directions")
    if directions:
        lines.append(f"🚌 {directions}")
    phone = service.phone or organisation.phone
    if phone:
        lines.append(f"📞 {bidi.ltr(phone)}")
    lines.append(f"🕘 {open_status(turn, service)}")
    lines += hours_lines(turn, service.hours)
    note = content.field(turn.lang, "service", service, "hours_note")
    if note:
        lines.append(f"   {note}")
    if service.languages:
        spoken = ", ".join(NATIVE_NAMES.get(code, code) for code in service.languages)
        lines.append(turn.t("🗣️ Spoken there: {languages}", languages=spoken))
    cost = [turn.t(COST[service.cost])] if service.cost else []
    eligibility = content.field(turn.lang, "service", service, "eligibility")
    if cost or eligibility:
        lines.append("💶 " + " · ".join(cost + ([eligibility] if eligibility else [])))
    if service.checked:
        lines.append(turn.t("ℹ️ Information last checked on {date}", date=turn.tr.date(service.checked)))
    turn.say("\n".join(lines), card_buttons(turn, service, phone))


def card_buttons(turn: Turn, service: Service, phone: str | None) -> list[Button]:
    buttons = []
    if service.location:
        buttons.append(Button(turn.t("🧭 Directions"), f"dir:{service.id}",
                              url=directions_link(service.location.lat, service.location.lon)))
    if phone:
        buttons.append(Button(turn.t("📞 Call"), f"call:{service.id}", url="tel:" + phone.replace(" ", "")))
    buttons += [
        turn.button(turn.t("🙋 Ask a person about this"), f"asg:svc:{service.id}"),
        turn.button(turn.t("👍 This helped"), f"fb:{service.id}:1"),
        turn.button(turn.t("👎 Not helpful"), f"fb:{service.id}:0"),
        turn.button(turn.t("⚠️ Report wrong information"), f"wrong:{service.id}"),
    ]
    if turn.state.data.get("results"):
        buttons.append(turn.button(turn.t("↩ Back to the list"), "back:results"))
    buttons.append(back_to_menu(turn))
    return buttons
