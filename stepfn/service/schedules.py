"""Schedules: ``rate(...)``, ``cron(...)`` and ``at(...)`` expressions that start a state
machine or invoke a function on time, in the service's clock (EventBridge rules with a
ScheduleExpression, EventBridge Scheduler schedules; SAM's ``Schedule``/``ScheduleV2``).

Fleet-safe: every process that runs the application computes the same due times (a
``rate`` schedule's runs are the multiples of its period since the epoch; a ``cron``
schedule's are the minutes it matches), and only the process that takes the due run's
lease in the store starts it: a work item of kind ``schedule`` keyed by the schedule
and the due time (``Batch.lease_work``; another owner's live lease is a Conflict). The
lease outlives the window in which a late process could still fire that run
(``LATE_SECONDS``), so no two processes start the same run; expired items are swept.
"""

from __future__ import annotations

import asyncio
import calendar
import contextlib
import datetime as dt
import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from ..store.base import Conflict, Store

log = logging.getLogger("stepfn.service")

SCHEDULE = "schedule"  # the work-item kind of a due run's lease
#: How late (after its due time) a run is still started; a later one is skipped.
LATE_SECONDS = 60.0
_LEASE_SECONDS = 3 * LATE_SECONDS
_TICK_SECONDS = 1.0
_SWEEP_SECONDS = 60.0


@dataclass(frozen=True)
class Schedule:
    """One schedule: what it starts, when, with what input."""

    id: str  # unique among the application's schedules (e.g. the rule's logical id)
    expression: str
    target_arn: str
    target_kind: str  # "machine" | "function"
    source: str = "events"  # "events" (an EventBridge rule) | "scheduler"
    rule_arn: str = ""
    input: str | None = None  # None: the scheduled event (events) or {} (scheduler)
    enabled: bool = True
    timezone: str = "UTC"
    start: float | None = None
    end: float | None = None


# -- expressions ------------------------------------------------------------------------------
_RATE = re.compile(r"^rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)$")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
_AT = re.compile(r"^at\((\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\)$")
_MONTHS = {m: i for i, m in enumerate(
    ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), 1)}
_DAYS = {d: i for i, d in enumerate(("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"), 1)}


class ScheduleExpressionError(ValueError):
    """An expression EventBridge would refuse."""


def check_expression(expression: str) -> None:
    """ScheduleExpressionError unless ``expression`` is a rate, cron or at expression."""
    expression = expression.strip()
    if _RATE.match(expression) or _AT.match(expression):
        rate = _RATE.match(expression)
        if rate is not None and int(rate.group(1)) < 1:
            raise ScheduleExpressionError(f"{expression}: the rate must be at least 1")
        return
    if expression.startswith("cron(") and expression.endswith(")"):
        _Cron(expression[5:-1])
        return
    raise ScheduleExpressionError(f"{expression!r} is not rate(...), cron(...) or at(...)")


def due_times(schedule: Schedule, after: float, until: float) -> list[float]:
    """The due times of ``schedule`` in ``(after, until]`` (epoch seconds)."""
    expression = schedule.expression.strip()
    zone = ZoneInfo(schedule.timezone or "UTC")
    found: list[float] = []
    rate = _RATE.match(expression)
    if rate is not None:
        period = int(rate.group(1)) * _UNIT_SECONDS[rate.group(2).rstrip("s")]
        due = (int(after) // period + 1) * period
        while due <= until:
            found.append(float(due))
            due += period
    elif (at := _AT.match(expression)) is not None:
        moment = dt.datetime.fromisoformat(at.group(1)).replace(tzinfo=zone).timestamp()
        if after < moment <= until:
            found.append(moment)
    elif expression.startswith("cron("):
        cron = _Cron(expression[5:-1])
        minute = (int(after) // 60 + 1) * 60
        while minute <= until:
            if cron.matches(dt.datetime.fromtimestamp(minute, zone)):
                found.append(float(minute))
            minute += 60
    return [t for t in found if (schedule.start is None or t >= schedule.start)
            and (schedule.end is None or t <= schedule.end)]


class _Cron:
    """An EventBridge cron expression: minutes hours day-of-month month day-of-week
    year, with ``*``, ``?``, ranges, lists, ``/`` steps, ``L``, ``W`` and ``#``."""

    def __init__(self, text: str) -> None:
        fields = text.split()
        if len(fields) != 6:
            raise ScheduleExpressionError(f"cron({text}): six fields expected (minutes "
                                          "hours day-of-month month day-of-week year)")
        self.text = text
        self.minutes = _values(fields[0], 0, 59, {})
        self.hours = _values(fields[1], 0, 23, {})
        self.day_of_month = fields[2].upper().strip(",")
        self.months = _values(fields[3], 1, 12, _MONTHS)
        self.day_of_week = fields[4].upper().strip(",")
        self.years = _values(fields[5], 1970, 2199, {})
        if (self.day_of_month == "?") == (self.day_of_week == "?"):
            raise ScheduleExpressionError(f"cron({text}): one of day-of-month and "
                                          "day-of-week must be ?")
        if self.day_of_month not in ("?", "L") and not self.day_of_month.endswith("W"):
            self.days = _values(self.day_of_month, 1, 31, {})
        if self.day_of_week != "?" and "#" not in self.day_of_week and not (
                self.day_of_week.endswith("L") and len(self.day_of_week) > 1):
            self.weekdays = _values(self.day_of_week, 1, 7, _DAYS)

    def matches(self, moment: dt.datetime) -> bool:
        return (moment.minute in self.minutes and moment.hour in self.hours
                and moment.month in self.months and moment.year in self.years
                and self._day_matches(moment))

    def _day_matches(self, moment: dt.datetime) -> bool:
        last = calendar.monthrange(moment.year, moment.month)[1]
        weekday = (moment.isoweekday() % 7) + 1  # SUN=1 ... SAT=7
        if self.day_of_month != "?":
            if self.day_of_month == "L":
                return moment.day == last
            if self.day_of_month.endswith("W"):
                return moment.day == _nearest_weekday(moment.year, moment.month,
                                                      int(self.day_of_month[:-1]))
            return moment.day in self.days
        if "#" in self.day_of_week:
            day, nth = self.day_of_week.split("#")
            wanted = _DAYS.get(day) or int(day)
            return weekday == wanted and (moment.day - 1) // 7 + 1 == int(nth)
        if self.day_of_week.endswith("L") and len(self.day_of_week) > 1:
            day = self.day_of_week[:-1]
            wanted = _DAYS.get(day) or int(day)
            return weekday == wanted and moment.day + 7 > last
        return weekday in self.weekdays


def _nearest_weekday(year: int, month: int, day: int) -> int:
    last = calendar.monthrange(year, month)[1]
    day = min(day, last)
    weekday = dt.date(year, month, day).weekday()  # MON=0
    if weekday == 5:
        return day - 1 if day > 1 else day + 2
    if weekday == 6:
        return day + 1 if day < last else day - 2
    return day


def _values(field: str, low: int, high: int, names: dict[str, int]) -> set[int]:
    found: set[int] = set()
    # "5," reads as "5": EventBridge takes a list with an empty item (templates have it).
    for part in [p for p in field.upper().split(",") if p] or [field]:
        step = 1
        if "/" in part:
            part, step_text = part.split("/", 1)
            step = _number(step_text, names, field)
        if part in ("*", "?"):
            start, stop = low, high
        elif "-" in part:
            first, last = part.split("-", 1)
            start, stop = _number(first, names, field), _number(last, names, field)
        else:
            start = _number(part, names, field)
            stop = high if step != 1 else start
        if not (low <= start <= high and low <= stop <= high) or step < 1:
            raise ScheduleExpressionError(f"cron field {field!r} is outside {low}-{high}")
        found.update(range(start, stop + 1, step))
    return found


def _number(text: str, names: dict[str, int], field: str) -> int:
    if text in names:
        return names[text]
    try:
        return int(text)
    except ValueError:
        raise ScheduleExpressionError(f"cron field {field!r}: {text!r} is not a "
                                      "number") from None


# -- running ----------------------------------------------------------------------------------
StartMachine = Callable[[str, str], Awaitable[Any]]  # (machine ARN, input JSON)
InvokeFunction = Callable[[str, Any], Awaitable[Any]]  # (function ARN, event)


class ScheduleRunner:
    """Fires the due runs of ``schedules`` (see the module docstring)."""

    def __init__(self, schedules: Sequence[Schedule], *, store: Store, clock: Any,
                 start_machine: StartMachine, invoke_function: InvokeFunction,
                 region: str, account: str) -> None:
        for schedule in schedules:
            check_expression(schedule.expression)
        self.schedules = [s for s in schedules if s.enabled]
        self.store = store
        self.clock = clock
        self.start_machine = start_machine
        self.invoke_function = invoke_function
        self.region = region
        self.account = account
        self.owner = f"schedules:{uuid.uuid4().hex}"  # never mistaken for a dead pid's
        self.fired: list[tuple[str, float]] = []  # (schedule id, due time) started here
        self._task: asyncio.Task | None = None

    async def start(self) -> None:
        if self.schedules and self._task is None:
            self._task = asyncio.ensure_future(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _run(self) -> None:
        checked = self.clock.now()
        swept = time.monotonic()
        while True:
            await self.clock.sleep(self._sleep_for(checked))
            now = self.clock.now()
            for schedule in self.schedules:
                for due in due_times(schedule, checked, now):
                    if due >= now - LATE_SECONDS:
                        await self._fire(schedule, due)
            checked = now
            if time.monotonic() - swept > _SWEEP_SECONDS:
                swept = time.monotonic()
                await self._sweep()

    def _sleep_for(self, checked: float) -> float:
        """Until the next due run (at most a tick, so a stop is noticed)."""
        upcoming = [t for s in self.schedules for t in due_times(s, checked, checked + 60)]
        wait = (min(upcoming) - self.clock.now()) if upcoming else _TICK_SECONDS
        return max(0.0, min(wait, _TICK_SECONDS if not upcoming else wait))

    async def _fire(self, schedule: Schedule, due: float) -> None:
        key = f"{SCHEDULE}:{schedule.id}:{schedule.target_arn}:{due:.0f}"
        try:
            async with self.store.batch() as tx:
                tx.lease_work(SCHEDULE, key, self.owner, time.time() + _LEASE_SECONDS
                              + max(0.0, due - time.time()))
        except Conflict:
            return  # another process started this run
        except Exception as exc:  # noqa: BLE001 - the store is away: skip, say so
            log.warning("schedule %s: cannot record the run due at %s: %s", schedule.id,
                        _iso(due), exc)
            return
        event = self.event(schedule, due)
        try:
            if schedule.target_kind == "machine":
                await self.start_machine(schedule.target_arn, event)
            else:
                import json

                await self.invoke_function(schedule.target_arn, json.loads(event))
        except Exception as exc:  # noqa: BLE001 - EventBridge too only logs a failed target
            log.warning("schedule %s: starting %s failed: %s: %s", schedule.id,
                        schedule.target_arn, type(exc).__name__, exc)
            return
        self.fired.append((schedule.id, due))
        log.info("schedule %s started %s (due %s)", schedule.id, schedule.target_arn,
                 _iso(due))

    def event(self, schedule: Schedule, due: float) -> str:
        """The target's input: the schedule's Input, else EventBridge's scheduled event
        (a rule) or ``{}`` (EventBridge Scheduler)."""
        import json

        if schedule.input is not None:
            return schedule.input
        if schedule.source == "scheduler":
            return "{}"
        return json.dumps({
            "version": "0", "id": str(uuid.uuid5(uuid.NAMESPACE_URL,
                                                 f"{schedule.id}:{due:.0f}")),
            "detail-type": "Scheduled Event", "source": "aws.events",
            "account": self.account, "time": _iso(due), "region": self.region,
            "resources": [schedule.rule_arn] if schedule.rule_arn else [], "detail": {}})

    async def _sweep(self) -> None:
        """Remove the expired leases of due runs (this or a dead process's)."""
        with contextlib.suppress(Exception):
            items = await self.store.claim_work(self.owner, 5.0, limit=100,
                                                kinds=[SCHEDULE])
            if items:
                async with self.store.batch() as tx:
                    for item in items:
                        tx.complete_work(item.id, self.owner)


def _iso(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
