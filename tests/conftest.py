"""Shared fixtures: a migrated database per test (SQLite by default, PostgreSQL when
RAHNAMA_TEST_DATABASE_URL points at one), a runtime, and a scripted person to talk to it."""
from __future__ import annotations

import asyncio
import os
import shutil
import socket
import sys
import uuid
from pathlib import Path

import pytest
import uvicorn
from sqlalchemy import text

from bot.config import ROOT, SUPPORTED_LANGUAGES, load_settings
from bot.content.store import ContentStore
from bot.app import create_app
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
def production_logging():
    """Configure logging as `rahnama serve` does, at the most verbose level (before the test's
    own phase, so pytest's caplog handler is added after ours)."""
    import logging

    from bot import logs

    logs.setup("DEBUG", personal=False)
    yield
    logging.getLogger().handlers.clear()


@pytest.fixture
def person(runtime):
    """A console user with a fresh id; `await person.say("...")` returns the replies."""
    return Person(runtime, f"p-{uuid.uuid4().hex[:8]}")


@pytest.fixture
async def onboarded(person):
    """A console user who chose English and consented."""
    await person.onboard("en")
    return person


def _chromium() -> str | None:
    return os.environ.get("RAHNAMA_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
async def live_server(runtime):
    """The app served by uvicorn on a free local port (the runtime is already started)."""
    port = _free_port()
    config = uvicorn.Config(create_app(runtime), host="127.0.0.1", port=port, lifespan="off", log_config=None,
                            timeout_graceful_shutdown=1)  # the page's long poll would hold it 25 s
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await task


@pytest.fixture
async def browser():
    executable = _chromium()
    if not executable:
        pytest.skip("no Chromium: install Debian's chromium (apt-get install chromium) or set RAHNAMA_CHROMIUM")
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        pytest.skip("playwright is not installed: python3 dev.py test installs it")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=executable, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        yield browser
        await browser.close()
