"""Schedules: EventBridge's rate/cron/at expressions, and runs started exactly once by
a fleet sharing one store (two runners on one SQLite file, on a virtual clock)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from pathlib import Path

import pytest

from stepfn.service.schedules import (
    Schedule,
    ScheduleExpressionError,
    ScheduleRunner,
    check_expression,
    due_times,
)
from stepfn.store.sqlite import SqliteStore


def at(text: str) -> float:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC).timestamp()


def dues(expression: str, start: str, end: str, **kwargs: object) -> list[str]:
    schedule = Schedule("s", expression, "arn", "machine", **kwargs)  # type: ignore[arg-type]
    return [dt.datetime.fromtimestamp(t, dt.UTC).strftime("%Y-%m-%dT%H:%M")
            for t in due_times(schedule, at(start), at(end))]


@pytest.mark.parametrize("expression, start, end, expected", [
    ("rate(5 minutes)", "2026-03-02T10:01", "2026-03-02T10:16",
     ["2026-03-02T10:05", "2026-03-02T10:10", "2026-03-02T10:15"]),
    ("rate(1 hour)", "2026-03-02T10:00", "2026-03-02T12:00",
     ["2026-03-02T11:00", "2026-03-02T12:00"]),
    # The EventBridge user guide's examples:
    ("cron(0 10 * * ? *)", "2026-03-02T00:00", "2026-03-04T00:00",
     ["2026-03-02T10:00", "2026-03-03T10:00"]),
    ("cron(15 12 * * ? *)", "2026-03-02T12:00", "2026-03-02T13:00", ["2026-03-02T12:15"]),
    ("cron(0 18 ? * MON-FRI *)", "2026-03-06T00:00", "2026-03-10T00:00",  # Fri..Mon
     ["2026-03-06T18:00", "2026-03-09T18:00"]),
    ("cron(0 8 1 * ? *)", "2026-01-15T00:00", "2026-03-15T00:00",
     ["2026-02-01T08:00", "2026-03-01T08:00"]),
    ("cron(0/15 * * * ? *)", "2026-03-02T10:00", "2026-03-02T10:45",
     ["2026-03-02T10:15", "2026-03-02T10:30", "2026-03-02T10:45"]),
    ("cron(0 9 ? * 2#1 *)", "2026-03-01T00:00", "2026-04-30T00:00",  # first Monday
     ["2026-03-02T09:00", "2026-04-06T09:00"]),
    ("cron(0 0 L * ? *)", "2026-02-01T00:00", "2026-03-31T01:00",
     ["2026-02-28T00:00", "2026-03-31T00:00"]),
    ("at(2026-03-02T10:30:00)", "2026-03-02T10:00", "2026-03-02T11:00", ["2026-03-02T10:30"]),
])
def test_due_times(expression: str, start: str, end: str, expected: list[str]) -> None:
    assert dues(expression, start, end) == expected


def test_a_schedule_in_a_time_zone_fires_at_local_time() -> None:
    assert dues("cron(0 9 * * ? *)", "2026-07-01T00:00", "2026-07-02T00:00",
                timezone="Europe/Paris") == ["2026-07-01T07:00"]


@pytest.mark.parametrize("expression", ["rate(0 minutes)", "rate(5 weeks)",
                                        "cron(0 10 * * * *)", "cron(0 10 * *)",
                                        "every day", "cron(99 * * * ? *)"])
def test_expressions_eventbridge_refuses(expression: str) -> None:
    with pytest.raises(ScheduleExpressionError):
        check_expression(expression)


class SharedClock:
    """Virtual time the test moves; sleepers wake when it passes their deadline."""

    def __init__(self, start: float) -> None:
        self.t = start
        self.moved = asyncio.Condition()

    def now(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        deadline = self.t + seconds
        async with self.moved:
            await self.moved.wait_for(lambda: self.t >= deadline)

    async def advance(self, seconds: float) -> None:
        async with self.moved:
            self.t += seconds
            self.moved.notify_all()


def test_two_processes_on_one_store_start_each_due_run_once(tmp_path: Path) -> None:
    asyncio.run(two_processes(tmp_path))


async def two_processes(tmp_path: Path) -> None:
    store = SqliteStore(str(tmp_path / "stepfn.db"))
    await store.open()
    clock = SharedClock(at("2026-03-02T10:00:30"))
    started: list[tuple[str, dict]] = []

    def runner(node: str) -> ScheduleRunner:
        async def start_machine(arn: str, input_text: str) -> None:
            started.append((node, json.loads(input_text)))
        async def invoke(arn: str, event: object) -> None:
            raise AssertionError("no function target here")
        return ScheduleRunner(
            [Schedule("Nightly", "rate(1 minute)", "arn:aws:states:us-east-1:1:stateMachine:m",
                      "machine", rule_arn="arn:aws:events:us-east-1:1:rule/Nightly")],
            store=store, clock=clock, start_machine=start_machine, invoke_function=invoke,
            region="us-east-1", account="1")
    runners = [runner("a"), runner("b")]
    try:
        for r in runners:
            await r.start()
        for _ in range(5):
            await asyncio.sleep(0.05)
            await clock.advance(60)
        await asyncio.sleep(0.3)
    finally:
        for r in runners:
            await r.stop()
        await store.close()
    times = sorted(event["time"] for _, event in started)
    assert times == ["2026-03-02T10:01:00Z", "2026-03-02T10:02:00Z", "2026-03-02T10:03:00Z",
                     "2026-03-02T10:04:00Z", "2026-03-02T10:05:00Z"]
    event = started[0][1]
    assert event["detail-type"] == "Scheduled Event" and event["source"] == "aws.events"
    assert event["resources"] == ["arn:aws:events:us-east-1:1:rule/Nightly"]
    assert sum(len(r.fired) for r in runners) == 5
