"""Persistence behind one interface (see ``stepfn.store.base``): SQLite by default,
PostgreSQL when the database is named by a ``postgresql://`` URL (``store_for``)."""

from stepfn.store.base import (
    ActivityRecord,
    ActivityTask,
    AliasRecord,
    Batch,
    Conflict,
    ExecutionRecord,
    FleetMember,
    HistoryEvent,
    MapRunRecord,
    NotFound,
    Page,
    RevisionRecord,
    RoutingEntry,
    StateMachineRecord,
    Store,
    StoreError,
    TaskTokenRecord,
    Timer,
    VersionRecord,
    WorkItem,
)
from stepfn.store.postgres import PostgresStore, is_postgres_url
from stepfn.store.sqlite import SqliteStore


def store_for(db: str, *, migrate: bool = True) -> Store:
    """The store a ``--db`` value names: a ``postgresql://`` or ``postgres://`` URL
    gives a PostgresStore (its schema upgraded at open unless ``migrate`` is False);
    anything else is the path of a SQLite file."""
    if is_postgres_url(db):
        return PostgresStore(db, migrate=migrate)
    return SqliteStore(db)


__all__ = [
    "ActivityRecord", "ActivityTask", "AliasRecord", "Batch", "Conflict",
    "ExecutionRecord", "FleetMember", "HistoryEvent", "MapRunRecord", "NotFound", "Page",
    "PostgresStore",
    "RevisionRecord", "RoutingEntry", "SqliteStore", "StateMachineRecord", "Store",
    "StoreError", "TaskTokenRecord", "Timer", "VersionRecord", "WorkItem", "store_for",
]
