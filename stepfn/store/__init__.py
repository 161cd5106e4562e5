"""Persistence behind one interface (see ``stepfn.store.base``): SQLite by default."""

from stepfn.store.base import (
    ActivityRecord,
    ActivityTask,
    AliasRecord,
    Batch,
    Conflict,
    ExecutionRecord,
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
from stepfn.store.sqlite import SqliteStore

__all__ = [
    "ActivityRecord", "ActivityTask", "AliasRecord", "Batch", "Conflict",
    "ExecutionRecord", "HistoryEvent", "MapRunRecord", "NotFound", "Page",
    "RevisionRecord", "RoutingEntry", "SqliteStore", "StateMachineRecord", "Store",
    "StoreError", "TaskTokenRecord", "Timer", "VersionRecord", "WorkItem",
]
