"""First contact, global commands in several languages and scripts, menu numbers in three digit sets."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.storage.models import ConversationState, OutboxMessage, User
from helpers import payloads, texts


async def test_first_contact_asks_language_then_consent_then_menu(person):
    first = await person.say("hello")
    assert "lang:ps" in payloads(first) and "lang:fa_AF" in payloads(first)
    consent = await person.tap("lang:en")
    assert "consent:yes" in payloads(consent)
    assert "Rahnama" in texts(consent)
    menu = await person.tap("consent:yes")
    assert "cmd:language" in payloads(menu)
    assert "example" in texts(menu).lower()  # the sample-data notice


async def test_nothing_but_the_gate_before_consent(person):
    await person.say("hello")
    replies = await person.say("0")  # "menu" must not skip the consent question
    assert "lang:en" in payloads(replies)


async def test_privacy_and_delete_work_before_consent(person):
    await person.say("hello")
    assert "Twilio" in texts(await person.say("privacy"))
    replies = await person.say("delete")
    assert "del:yes" in payloads(replies)


@pytest.mark.parametrize("word", ["menu", "Menu", "МЕНЮ", "منو", "القائمة", "/menu", "0", "٠", "۰"])
async def test_menu_command_in_many_languages_and_scripts(onboarded, word):
    replies = await onboarded.say(word)
    assert "cmd:language" in payloads(replies), word


@pytest.mark.parametrize("word", ["help", "مساعدة", "کمک", "допомога", "yardım"])
async def test_help_command(onboarded, word):
    replies = await onboarded.say(word)
    assert "How to use Rahnama" in texts(replies), word


@pytest.mark.parametrize("word", ["language", "اللغة", "زبان", "ژبه", "мова", "язык"])
async def test_language_command(onboarded, word):
    replies = await onboarded.say(word)
    assert "lang:uk" in payloads(replies), word


@pytest.mark.parametrize("word", ["privacy", "الخصوصية", "конфіденційність"])
async def test_privacy_command(onboarded, word):
    assert "Twilio" in texts(await onboarded.say(word)), word


@pytest.mark.parametrize("digit", ["2", "٢", "۲"])
async def test_menu_numbers_in_three_digit_sets(onboarded, digit):
    menu = await onboarded.say("0")
    second = payloads(menu)[1]
    replies = await onboarded.say(digit)
    expected = await onboarded.tap(second)
    assert texts(replies) == texts(expected)


async def test_number_outside_the_menu_is_not_a_choice(onboarded):
    await onboarded.say("0")
    replies = await onboarded.say("57")
    assert replies and "cmd:menu" not in [p for p in payloads(replies) if p == "cmd:nonexistent"]


async def test_change_language_answers_in_the_new_language(onboarded):
    replies = await onboarded.tap("lang:uk")
    assert all(reply.lang == "uk" for reply in replies)
    async with onboarded.runtime.db.read() as session:
        lang = await session.scalar(select(User.lang).where(User.channel_user_id == onboarded.user))
    assert lang == "uk"


async def test_rtl_replies_are_marked(onboarded):
    replies = await onboarded.tap("lang:ar")
    assert replies and all(reply.rtl for reply in replies)


async def test_delete_my_data_removes_the_person_and_says_goodbye(onboarded):
    await onboarded.say("delete")
    replies = await onboarded.tap("del:yes")
    assert "deleted" in texts(replies)
    async with onboarded.runtime.db.read() as session:
        assert await session.scalar(select(func.count()).select_from(User)
                                    .where(User.channel_user_id == onboarded.user)) == 0
        assert await session.scalar(select(func.count()).select_from(ConversationState)) == 0
        # The goodbye was delivered and wiped: no text or address left behind.
        leftovers = (await session.execute(select(OutboxMessage.payload, OutboxMessage.address)
                                           .where(OutboxMessage.status == "pending"))).all()
    assert leftovers == []
    again = await onboarded.say("hello")
    assert "lang:en" in payloads(again)


async def test_declining_consent_keeps_nothing(person):
    await person.say("hello")
    await person.tap("lang:fr")
    replies = await person.tap("consent:no")
    assert replies
    assert await person.user_id() is None


async def test_danger_words_show_emergency_numbers_even_before_consent(person):
    replies = await person.say("help he is hitting me")
    assert "112" in texts(replies)


async def test_voice_note_gets_a_kind_answer(onboarded):
    replies = await onboarded.say(media="voice")
    assert "voice" in texts(replies).lower()


async def test_very_long_message_is_cut_politely(onboarded):
    replies = await onboarded.say("housing " * 600)
    assert "very long" in texts(replies)
