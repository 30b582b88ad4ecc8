"""Alembic, driven from code: `rahnama db upgrade` and the start-up schema check."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage.db import null_pool_engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


async def current_revision(engine: AsyncEngine) -> str | None:
    async with engine.connect() as conn:
        return await conn.run_sync(lambda sync: MigrationContext.configure(sync).get_current_revision())


async def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at `url` up to `revision` (creating the SQLite file if needed)."""
    engine = null_pool_engine(url)
    config = alembic_config()
    try:
        async with engine.begin() as conn:
            config.attributes["connection"] = conn
            await conn.run_sync(lambda sync: _run(config, sync, revision))
    finally:
        await engine.dispose()


def _run(config: Config, sync_connection: object, revision: str) -> None:
    config.attributes["connection"] = sync_connection
    command.upgrade(config, revision)
