"""Service lookup: the search engine, opening hours, distances, and a conversation around a card."""
from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.config import ROOT, SUPPORTED_LANGUAGES
from bot.content import hours
from bot.content.geo import distance_km
from bot.content.schema import CATEGORY_IDS
from bot.content.search import transliterate
from bot.content.store import load
from bot.storage.models import ContentGap, Feedback
from helpers import payloads, texts

SOFIA = ZoneInfo("Europe/Sofia")


@pytest.fixture(scope="module")
def content():
    return load(ROOT / "content", ROOT / "locales", list(SUPPORTED_LANGUAGES))


def top_categories(content, query: str, lang: str, n: int = 3) -> set[str]:
    return {c for hit in content.search.search(query, lang, limit=n).hits for c in hit.service.categories}


@pytest.mark.parametrize("query, lang, category", [
    ("ډاکتر", "ps", "health"),                  # Pashto letters
    ("ډاکتتر", "ps", "health"),                 # ... with a typo
    ("داکتر", "ps", "health"),                  # ... typed on a Persian keyboard
    ("شغل", "ar", "employment"),                # Arabic dialect word
    ("دكتر براي بچه", "fa", "health"),          # Farsi typed with Arabic ي and ك
    ("داکتر اطفال", "fa_AF", "children-family"),  # Dari words that differ from Iranian Farsi
    ("mu7ami", "ar", "legal-aid"),              # Arabizi
    ("wein fi shoghl", "ar", "employment"),
    ("vrach", "ru", "health"),                  # Cyrillic typed in Latin letters
    ("lekar", "bg", "health"),
    ("курс болгарської", "uk", "language-classes"),
    ("lawer", "en", "legal-aid"),
    ("ሓኪም", "ti", "health"), ("ሐኪም", "ti", "health"),  # Ge'ez -a/-ä spelling
    ("مساعده ماليه", "ar", "social-benefits"),  # a filler word completing a synonym phrase
])
def test_finds_the_right_kind_of_place(content, query, lang, category):
    assert category in top_categories(content, query, lang)


def test_every_category_is_reachable_in_every_language_by_its_common_words(content):
    """For each lexicon and category, its first three words each find that category in the top 3."""
    failures = []
    for lang, lexicon in content.lexicons.items():
        for category in CATEGORY_IDS:
            for word in lexicon.categories.get(category, ())[:3]:
                if category not in top_categories(content, word, lang.split("_")[0]):
                    failures.append((lang, category, word))
    assert len(failures) <= 0.03 * 19 * 3 * len(content.lexicons), failures
    per_category = {c: sum(1 for f in failures if f[1] == c) for c in CATEGORY_IDS}
    assert max(per_category.values()) <= 3, per_category


def test_category_labels_find_their_category_in_every_language(content):
    for lang in SUPPORTED_LANGUAGES:
        for category in CATEGORY_IDS:
            label = content.category_label(lang, category)
            assert category in top_categories(content, label, lang, n=5), (lang, category, label)


def test_nonsense_finds_nothing(content):
    assert not content.search.search("qzxwv plomk", "en").found


def test_near_me_orders_by_distance(content):
    point = (42.6977, 23.3219)  # Sofia centre
    results = content.search.nearby(point, limit=10)
    distances = [hit.distance_km for hit in results.hits]
    assert distances == sorted(distances) and distances[0] < 2


def test_a_need_near_a_place_prefers_relevant_then_close(content):
    point = (42.6790, 23.3220)
    hits = content.search.search("dentist", "en", near=point, limit=3).hits
    assert "health" in hits[0].service.categories and hits[0].distance_km is not None


def test_understands_areas_postcodes_and_open_now(content):
    rest, area, open_now, near = content.search.understand("doctor open now in Лозенец")
    assert (rest, area.id, open_now, near) == ("doctor in", "lozenets", True, False)
    assert content.search.understand("1164")[1].id == "lozenets"
    assert content.search.understand("open a bank account")[2] is False  # "open" alone is a need here


def test_distance():
    assert distance_km((42.6977, 23.3219), (42.6977, 23.3219)) == 0
    assert 300 < distance_km((42.6977, 23.3219), (42.1354, 24.7453)) * 2.5 < 400  # Sofia–Plovdiv ≈ 132 km


@pytest.mark.parametrize("when, is_open", [
    (datetime(2026, 11, 20, 23, 30, tzinfo=SOFIA), True),   # Friday night, inside 22:00-06:00
    (datetime(2026, 11, 21, 5, 59, tzinfo=SOFIA), True),    # Saturday morning, still Friday's night
    (datetime(2026, 11, 21, 6, 0, tzinfo=SOFIA), False),
    (datetime(2026, 11, 22, 12, 0, tzinfo=SOFIA), False),   # Sunday: a day off
    (datetime(2026, 11, 23, 0, 30, tzinfo=SOFIA), True),    # Sunday night's range into Monday
])
def test_open_now_across_midnight_and_days_off(when, is_open):
    schedule = {"fri": ("22:00-06:00",), "sun": ("23:00-01:00",), "mon": ("09:00-17:00",)}
    assert hours.status(schedule, when).open is is_open


def test_next_opening_and_closing():
    schedule = {"mon": ("09:00-13:00", "14:00-17:00"), "tue": ("09:00-17:00",)}
    lunch = hours.status(schedule, datetime(2026, 11, 23, 13, 30, tzinfo=SOFIA))
    assert not lunch.open and lunch.opens_in == 30
    evening = hours.status(schedule, datetime(2026, 11, 23, 18, 0, tzinfo=SOFIA))
    assert evening.opens_in == 15 * 60
    saturday = hours.status(schedule, datetime(2026, 11, 28, 10, 0, tzinfo=SOFIA))
    assert saturday.opens_in == (2 * 24 - 1) * 60
    morning = hours.status(schedule, datetime(2026, 11, 24, 16, 0, tzinfo=SOFIA))
    assert morning.open and morning.closes_in == 60


def test_always_open_and_unknown():
    every_day = {day: ("00:00-24:00",) for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    assert hours.status(every_day, datetime(2026, 11, 25, 3, 0, tzinfo=SOFIA)).always
    assert not hours.status({}, datetime(2026, 11, 25, 3, 0, tzinfo=SOFIA)).known


def test_transliteration_of_cyrillic():
    assert transliterate("врач", "ru") == "vrach"
    assert transliterate("лікар", "uk") == "likar"
    assert transliterate("щастие", "bg") == "shtastie"


async def test_type_a_need_open_a_card_and_report_wrong_information(onboarded):
    results = await onboarded.say("free lawyer for asylum")
    services = [p for p in payloads(results) if p.startswith("svc:")]
    assert services and "asylum" in texts(results).lower()
    card = await onboarded.say("1")  # the first result, by number
    text = texts(card)
    assert "📍" in text and "🕘" in text and "Information last checked on" in text
    assert any(b.url and "openstreetmap.org" in b.url for r in card for b in r.buttons)
    service_id = services[0].split(":", 1)[1]
    await onboarded.tap(f"wrong:{service_id}")
    thanks = await onboarded.say("they moved to another street")
    assert "editors" in texts(thanks)
    async with onboarded.runtime.db.read() as session:
        report = (await session.scalars(select(Feedback))).one()
    assert (report.kind, report.service_id, report.comment) == ("wrong_info", service_id, "they moved to another street")


async def test_helpful_feedback_and_more_results(onboarded):
    await onboarded.say("health")
    more = await onboarded.tap("more:5")
    assert any(p.startswith("svc:") for p in payloads(more))
    card = await onboarded.tap(payloads(more)[0])
    yes = next(p for p in payloads(card) if p.startswith("fb:") and p.endswith(":1"))
    assert "Thank you" in texts(await onboarded.tap(yes))


async def test_nothing_found_is_kind_and_recorded_without_the_person(onboarded):
    replies = await onboarded.say("qzxwv plomk 0888123456")
    assert "Sorry, I found nothing" in texts(replies)
    assert "cmd:assistance" in payloads(replies)
    async with onboarded.runtime.db.read() as session:
        gap = (await session.scalars(select(ContentGap))).one()
    assert gap.query == "qzxwv plomk ##########" and gap.count == 1


async def test_danger_words_put_emergency_numbers_before_results(onboarded):
    replies = await onboarded.say("my husband beats me, I need a safe place")
    assert "112" in replies[0].text
    assert any(p.startswith("svc:") for p in payloads(replies[1:]))


async def test_location_message_shows_places_by_distance(onboarded):
    replies = await onboarded.say(location=(42.6977, 23.3219))
    text = texts(replies)
    assert "Near you" in text and "Sorry" not in text
    distances = re.findall(r"· ([\d.,]+) (km|m)\b", text)
    assert len(distances) == 5
    metres = [float(v.replace(",", "")) * (1000 if unit == "km" else 1) for v, unit in distances]
    assert metres == sorted(metres)


async def test_browse_a_category_then_near_me_by_postcode(onboarded):
    topics = await onboarded.say("0")
    await onboarded.tap("cmd:browse")
    food = await onboarded.tap("cat:food")
    assert "🍲" in texts(food)
    await onboarded.tap("cmd:near")
    near = texts(await onboarded.say("1164"))
    assert "Sorry" not in near and re.search(r"· [\d.,]+ (km|m)\b", near)
    assert topics


async def test_pashto_card_uses_pashto_weekdays(person):
    await person.onboard("ps")
    results = await person.say("ډاکتر")
    card = await person.say("۱")
    assert any(day in texts(card) for day in ("دونۍ", "درېنۍ", "څلرنۍ", "پينځنۍ", "جمعه", "اونۍ", "يونۍ"))
    assert results
