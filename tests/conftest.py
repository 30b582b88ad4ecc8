"""Shared fixtures: a migrated database per test (SQLite by default, PostgreSQL when
RAHNAMA_TEST_DATABASE_URL points at one), a runtime, and a scripted person to talk to it."""
from __future__ import annotations

import asyncio
import os
import shutil
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.config import ROOT, SUPPORTED_LANGUAGES, load_settings
from bot.content.store import ContentStore
from bot.runtime import Runtime
from bot.storage.db import null_pool_engine
from bot.storage.migrate import upgrade
from bot.storage.models import Base

sys.path.insert(0, str(Path(__file__).parent))
from helpers import FakeChannel, Person  # noqa: E402

TEST_DB = os.environ.get("RAHNAMA_TEST_DATABASE_URL", "")
ON_POSTGRES = TEST_DB.startswith("postgresql")


def pytest_report_header(config: pytest.Config) -> str:
    return f"rahnama database: {'PostgreSQL ' + TEST_DB.rsplit('/', 1)[-1] if ON_POSTGRES else 'SQLite'}"


@pytest.fixture(scope="session")
def _migrated_template(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Migrate once per session; each test gets a copy (SQLite) or truncated tables (PostgreSQL)."""
    if ON_POSTGRES:
        asyncio.run(upgrade(TEST_DB))
        return TEST_DB
    path = tmp_path_factory.mktemp("template") / "template.db"
    asyncio.run(upgrade(f"sqlite+aiosqlite:///{path}"))
    return str(path)


async def _truncate(url: str) -> None:
    engine = null_pool_engine(url)
    tables = ", ".join(table.name for table in Base.metadata.sorted_tables)
    async with engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    await engine.dispose()


@pytest.fixture
async def db_url(_migrated_template: str, tmp_path: Path) -> str:
    if ON_POSTGRES:
        await _truncate(_migrated_template)
        return _migrated_template
    target = tmp_path / "rahnama.db"
    shutil.copyfile(_migrated_template, target)
    return f"sqlite+aiosqlite:///{target}"


@pytest.fixture
def settings(db_url: str):
    return load_settings(database_url=db_url, content_dir=ROOT / "content", locales_dir=ROOT / "locales",
                         content_watch_seconds=0, worker_poll_seconds=0.05, inbox_poll_seconds=0.2)


@pytest.fixture(scope="session")
def shared_content():
    """The shipped content, loaded and indexed once for the whole session (it is immutable)."""
    store = ContentStore(ROOT / "content", ROOT / "locales", list(SUPPORTED_LANGUAGES), "en", "Europe/Sofia")
    store.current  # noqa: B018 - load now
    return store


@pytest.fixture
async def runtime(settings, shared_content):
    """A started runtime with web, console and a recording push channel ("fake")."""
    rt = Runtime(settings, content=shared_content)
    fake = FakeChannel()
    fake.bind(rt.receive)
    rt.channels["fake"] = fake
    await rt.start(handle=True, deliver=False, watch=False)
    yield rt
    await rt.stop()


@pytest.fixture
def person(runtime):
    """A console user with a fresh id; `await person.say("...")` returns the replies."""
    return Person(runtime, f"p-{uuid.uuid4().hex[:8]}")


@pytest.fixture
async def onboarded(person):
    """A console user who chose English and consented."""
    await person.onboard("en")
    return person
