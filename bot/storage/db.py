"""Engines and sessions for SQLite (default) and PostgreSQL.

SQLite gets WAL, a busy timeout and write transactions begun IMMEDIATE, so a writer takes the
lock up front instead of failing half-way with "database is locked". Inside one process, writers
share a single connection and so queue politely instead of spinning on the lock.
"""
from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import (
    AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine,
)
from sqlalchemy.pool import NullPool

SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA busy_timeout=10000",
    "PRAGMA foreign_keys=ON",
)


class MigrationNeeded(RuntimeError):
    """The database schema is older than the code (or missing)."""


def _sqlite_file(url: str) -> Path | None:
    path = url.split("///", 1)[1] if "///" in url else ""
    return Path(path) if path and path != ":memory:" else None


def _configure_sqlite(engine: AsyncEngine, begin: str) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let us issue BEGIN ourselves (pysqlite's implicit BEGIN is DEFERRED).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql(begin)


def make_engine(url: str, *, role: str = "write", pool_size: int = 10, hide_parameters: bool = True) -> AsyncEngine:
    """An engine for `url`. On SQLite, role 'write' begins IMMEDIATE on one shared connection.

    `hide_parameters` keeps statement parameters (message text!) out of error messages.
    """
    if url.startswith("sqlite"):
        path = _sqlite_file(url)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        if role == "write":
            engine = create_async_engine(url, pool_size=1, max_overflow=0, pool_timeout=60,
                                         hide_parameters=hide_parameters)
            _configure_sqlite(engine, "BEGIN IMMEDIATE")
        else:
            engine = create_async_engine(url, pool_size=4, max_overflow=4, hide_parameters=hide_parameters)
            _configure_sqlite(engine, "BEGIN")
        return engine
    return create_async_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True,
                               hide_parameters=hide_parameters)


class Database:
    """Owns the engines; hands out write and read sessions."""

    def __init__(self, url: str, *, pool_size: int = 10, hide_parameters: bool = True) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        self.engine = make_engine(url, role="write", pool_size=pool_size, hide_parameters=hide_parameters)
        self.read_engine = (make_engine(url, role="read", hide_parameters=hide_parameters)
                            if self.is_sqlite else self.engine)
        self._writer = async_sessionmaker(self.engine, expire_on_commit=False)
        self._reader = async_sessionmaker(self.read_engine, expire_on_commit=False)

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """A transaction that will write; committed on success, rolled back on error."""
        async with self._writer() as session, session.begin():
            yield session

    @asynccontextmanager
    async def write_conn(self) -> AsyncIterator[AsyncConnection]:
        """A write transaction on a bare connection (hot paths that need no ORM)."""
        async with self.engine.begin() as conn:
            yield conn

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A read-only view (on SQLite it does not take the write lock)."""
        async with self._reader() as session, session.begin():
            yield session

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self.read_engine is not self.engine:
            await self.read_engine.dispose()

    async def check_migrated(self) -> None:
        """Refuse to run on a schema that is missing or older than the code."""
        from bot.storage.migrate import current_revision, head_revision

        current = await current_revision(self.engine)
        head = head_revision()
        if current != head:
            state = "has no tables yet" if current is None else f"is at revision {current}, the code needs {head}"
            raise MigrationNeeded(f"The database {state}. Run: rahnama db upgrade")

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))


def null_pool_engine(url: str) -> AsyncEngine:
    """A short-lived engine (for migrations and one-off commands)."""
    engine = create_async_engine(url, poolclass=NullPool, hide_parameters=True)
    if url.startswith("sqlite"):
        path = _sqlite_file(url)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        _configure_sqlite(engine, "BEGIN")
    return engine


def dialect_insert(bind: Any, table: Any) -> Any:
    """`INSERT` with ON CONFLICT support for the backend of a session or connection."""
    dialect = getattr(bind, "dialect", None) or bind.get_bind().dialect
    if dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table)
