"""Stores for the contract suite: a SQLite file in tmp_path, and a PostgreSQL schema of
its own on 127.0.0.1:5432 (dropped afterwards).

PostgreSQL tests skip, saying why, when no server answers, except under CI (``CI`` set),
where the server is part of the machine and a missing one is a failure.
"""

from __future__ import annotations

import asyncio
import functools
import os
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from stepfn.store import PostgresStore, SqliteStore, Store

PG_URL = os.environ.get("STEPFN_TEST_POSTGRES", "postgresql://127.0.0.1:5432/test")


def postgres_or_skip() -> str:
    """The test server's URL; skips (fails under CI) when it does not answer."""
    reason = _unreachable()
    if reason is None:
        return PG_URL
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI must run the PostgreSQL tests)")
    pytest.skip(reason)


@functools.cache
def _unreachable() -> str | None:
    """Why the test server cannot be used (None: it can); asked once per session."""
    try:
        import psycopg
    except ImportError:
        reason = "psycopg is not installed (pip install 'stepfn[postgres]')"
    else:
        try:
            psycopg.connect(PG_URL, connect_timeout=3).close()
            return None
        except psycopg.Error as exc:
            reason = f"PostgreSQL at {PG_URL} is unreachable: {str(exc).strip()}"
    return reason


def pg_execute(statement: str, *, schema: str | None = None) -> list[tuple]:
    """Run one statement on the test server in autocommit (set-up and inspection),
    with ``schema`` as the search path."""
    import psycopg

    options = f"-c search_path={schema}" if schema else ""
    with psycopg.connect(PG_URL, autocommit=True, options=options) as conn:
        cur = conn.execute(statement)
        return cur.fetchall() if cur.description else []


def new_schema() -> str:
    """A schema name no other test uses."""
    return "stepfn_t_" + uuid.uuid4().hex[:12]


@dataclass
class Backend:
    """One store kind with a fresh database: makes stores on it and peeks at its rows."""

    name: str
    make: Callable[..., Store]
    rows: Callable[[str], list[tuple]]  # run a SELECT on the database, for inspection

    def run(self, body: Callable[[Any], Awaitable[None]], **kw: Any) -> None:
        """Open a store, run ``body(store)``, close it (each call: a new store)."""
        async def main() -> None:
            store = self.make(**kw)
            await store.open()
            try:
                await body(store)
            finally:
                await store.close()
        asyncio.run(main())


def sqlite_backend(tmp_path: Path) -> Backend:
    import sqlite3

    path = tmp_path / "s.db"

    def rows(statement: str) -> list[tuple]:
        with sqlite3.connect(path) as con:
            return con.execute(statement).fetchall()
    return Backend("sqlite", lambda **kw: SqliteStore(str(path), **kw), rows)


@pytest.fixture
def pg_schema() -> Iterator[str]:
    """A schema of its own on the test server, dropped afterwards."""
    postgres_or_skip()
    schema = new_schema()
    yield schema
    pg_execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    """Each contract test runs once per store."""
    if request.param == "sqlite":
        return sqlite_backend(tmp_path)
    schema = request.getfixturevalue("pg_schema")
    return Backend("postgres", lambda **kw: PostgresStore(PG_URL, schema=schema, **kw),
                   lambda statement: pg_execute(statement, schema=schema))
