"""The content store: validation, atomic hot reload while people are chatting."""
from __future__ import annotations

import asyncio
import shutil

import pytest

from bot.config import ROOT, load_settings
from bot.content.store import ContentError, load
from bot.runtime import Runtime, request_reload
from helpers import Person, texts

HELP = "How to use Rahnama"


@pytest.fixture
def content_copy(tmp_path):
    target = tmp_path / "content"
    shutil.copytree(ROOT / "content", target)
    return target


async def wait_for(predicate, timeout: float = 10.0) -> None:
    for _ in range(int(timeout / 0.05)):
        if predicate():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not reached")


async def test_hot_reload_while_messages_are_handled(db_url, content_copy):
    settings = load_settings(database_url=db_url, content_dir=content_copy, content_watch_seconds=0.05,
                             inbox_poll_seconds=0.05)
    runtime = Runtime(settings)
    await runtime.start(deliver=False, watch=True)
    try:
        people = [Person(runtime, f"reload-{i}") for i in range(5)]
        for person in people:
            await person.onboard("en")
        before = runtime.content.current.fingerprint

        async def chat(person: Person) -> list[str]:
            answers = []
            for _ in range(12):
                answers.append(texts(await person.say("help")))
            return answers

        async def edit() -> None:
            await asyncio.sleep(0.1)
            texts_file = content_copy / "texts.yaml"
            texts_file.write_text(texts_file.read_text().replace("How to use Rahnama:", "Using Rahnama, step by step:"))

        results = await asyncio.gather(*(chat(p) for p in people), edit())
        await wait_for(lambda: runtime.content.current.fingerprint != before)
        after = texts(await people[0].say("help"))
        assert "Using Rahnama, step by step:" in after
        for answers in results[:-1]:
            # Every answer came whole from one version: the old text or the new one, never a mix.
            assert all((HELP in a) != ("step by step" in a) for a in answers)
    finally:
        await runtime.stop()


async def test_broken_content_is_refused_and_the_old_version_keeps_serving(db_url, content_copy):
    settings = load_settings(database_url=db_url, content_dir=content_copy, content_watch_seconds=0.05)
    runtime = Runtime(settings)
    await runtime.start(deliver=False, watch=True)
    try:
        person = Person(runtime, "broken")
        await person.onboard("en")
        (content_copy / "services" / "food.yaml").write_text("- id: Not A Slug\n  name: x\n")
        await wait_for(lambda: runtime.content.last_error is not None)
        assert "food.yaml" in runtime.content.last_error
        assert HELP in texts(await person.say("help"))
        assert len(runtime.content.current.services) > 40
    finally:
        await runtime.stop()


async def test_reload_requested_from_another_process(db_url, content_copy):
    settings = load_settings(database_url=db_url, content_dir=content_copy, content_watch_seconds=0.05)
    runtime = Runtime(settings)
    await runtime.start(deliver=False, watch=True)
    try:
        reloads = []
        runtime.content.on_reload(reloads.append)
        await request_reload(db_url)
        await wait_for(lambda: reloads)
    finally:
        await runtime.stop()


def test_broken_reference_is_reported_with_its_file(content_copy):
    food = content_copy / "services" / "food.yaml"
    food.write_text(food.read_text().replace("organisation: ", "organisation: nobody-", 1))
    with pytest.raises(ContentError, match="unknown organisation 'nobody-"):
        load(content_copy, ROOT / "locales", ["en"])


def test_invalid_hours_are_reported(content_copy):
    food = content_copy / "services" / "food.yaml"
    text = food.read_text()
    first_range = text.split('["', 1)[1].split('"', 1)[0]
    food.write_text(text.replace(first_range, "9am-5pm", 1))
    with pytest.raises(ContentError, match="is not a range like 09:00-17:00"):
        load(content_copy, ROOT / "locales", ["en"])


def test_shipped_content_loads():
    version = load(ROOT / "content", ROOT / "locales", ["en", "ar"])
    assert len(version.services) >= 40 and len(version.pages) >= 8
    assert set(version.categories) >= {"legal-aid", "health", "disability"}
    assert version.city.sample
