"""Map: runs the item processor on every item of an array (inline), or as child
executions over items that may come from an ItemReader (distributed)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from ...asl.model import StateModel
from ...errors import StatesError
from ..concurrency import run_all, run_all_sync
from ..frame import Frame
from .base import State, Step
from .io import Outcome
from .item_reader import ItemBatcher, ItemReader
from .recoverable import Recovery

if TYPE_CHECKING:
    from ..machine import Compiler


class MapState(State):
    type_name = "Map"
    failed_event = "MapStateFailed"

    def __init__(self, model: StateModel, compiler: Compiler) -> None:
        spec = model.fields
        # The legacy "Parameters" plays the role of "ItemSelector" on a Map state.
        super().__init__(model, compiler,
                         "Parameters" if "Parameters" in spec else "ItemSelector")
        io = self.io
        if model.processor is None:
            raise ValueError(f"Map state '{model.name}' has no ItemProcessor")
        self.processor = compiler.compile_branch(model.processor)
        self.distributed = (model.processor.fields.get("ProcessorConfig") or {}).get(
            "Mode") == "DISTRIBUTED"
        self.items = io.map_items()
        self.select_item = io.item_selector()
        self.max_concurrency = io.max_concurrency()
        self.label = spec.get("Label")
        self.tolerated_count = io.tolerated("ToleratedFailureCount", int)
        self.tolerated_percentage = io.tolerated("ToleratedFailurePercentage", float)
        reader, batcher = spec.get("ItemReader"), spec.get("ItemBatcher")
        self.item_reader = ItemReader(reader, compiler.region, io) if reader else None
        self.item_batcher = ItemBatcher(batcher, io) if batcher else None
        self.recovery = Recovery(self)

    async def execute(self, frame: Frame, raw_input: Any) -> Step:
        io = self.io
        try:
            self.record_entered(frame, raw_input)
            effective = io.effective_input(frame, raw_input)
            return await self.recovery.run(self.attempt, frame, raw_input, effective)
        except StatesError as err:
            raise io.escalate(frame, err) from None

    async def attempt(self, frame: Frame, raw_input: Any, effective: Any) -> Outcome:
        # With an ItemReader the items are only known once the map run has started.
        items = [] if self.item_reader else self.items(frame, effective)
        limit = self.max_concurrency(frame, effective)
        started = frame.emit("MapStateStarted", {"length": len(items)})
        if self.distributed:
            return await self.run_distributed(frame, raw_input, effective, items, limit)
        outcome = _IterationTracker(frame, started)
        try:
            if self.processor.pure:  # iterations that cannot suspend: no coroutines
                results = run_all_sync(len(items), lambda i: self.run_iteration_sync(
                    frame, effective, items, i, outcome), limit or None)
            else:
                results = await run_all(
                    len(items),
                    lambda i: self.run_iteration(frame, effective, items, i, outcome),
                    limit or None)
        except (StatesError, asyncio.CancelledError):  # failed, or aborted from outside
            outcome.abort_in_flight()
            raise
        frame.prev = outcome.last_succeeded or frame.prev
        frame.emit_side("MapStateSucceeded")
        return self.io.result_output(frame, raw_input, results)

    async def run_distributed(self, frame: Frame, raw_input: Any, effective: Any,
                              items: list, limit: int) -> Outcome:
        """A Distributed Map: a map run whose iterations are child executions.

        The children keep their own histories; the parent records only the map run.
        """
        run = frame.run
        tolerated_count = self.tolerated_count(frame, effective)
        tolerated_percentage = self.tolerated_percentage(frame, effective)
        if tolerated_percentage is not None and not 0 <= tolerated_percentage <= 100:
            raise run.runtime_error(frame, "ToleratedFailurePercentage must be between 0 and 100.")
        if tolerated_count is not None and tolerated_count < 0:
            raise run.runtime_error(frame, "ToleratedFailureCount cannot be negative.")
        map_run_arn = run.map_run_arn(self.label)
        frame.emit("MapRunStarted", {"mapRunArn": map_run_arn})
        failures = 0

        async def iterate(index: int) -> Any:
            nonlocal failures
            item_input = self.item_input(frame, effective, items, index)
            child = run.child_execution_frame(frame)
            try:
                return await run.run_branch(self.processor, child, item_input)
            except StatesError as err:
                failures += 1
                if not _tolerated(failures, len(items), tolerated_count, tolerated_percentage):
                    raise
                return {"Error": err.error, "Cause": err.cause}

        try:
            if self.item_reader is not None:
                items = await self.item_reader.read(frame, effective)
            if self.item_batcher is not None:
                items = self.item_batcher.batches(frame, effective, items)
            results = await run_all(len(items), iterate, limit or None)
        except StatesError as err:
            tolerating = tolerated_count is not None or tolerated_percentage is not None
            if tolerating and err.error != "States.ItemReaderFailed":
                err = StatesError("States.ExceedToleratedFailureThreshold",
                                  "The specified tolerated failure threshold was exceeded")
            details = {"error": err.error}
            if err.cause is not None:
                details["cause"] = err.cause
            frame.emit("MapRunFailed", details)
            raise err from None
        frame.emit("MapRunSucceeded")
        frame.emit_side("MapStateSucceeded")
        return self.io.result_output(frame, raw_input, results)

    def item_input(self, frame: Frame, effective: Any, items: list, index: int) -> Any:
        """The input of iteration ``index``: the item, or what the item selector makes
        of it while the context object shows it as ``Map.Item``."""
        item = items[index]
        select = self.select_item
        if select is None:
            return item
        saved = frame.map_item
        frame.set_map_item((index, item))
        try:
            return select(frame, effective)
        finally:
            frame.set_map_item(saved)

    async def run_iteration(self, frame: Frame, effective: Any, items: list, index: int,
                            tracker: _IterationTracker) -> Any:
        item_input = self.item_input(frame, effective, items, index)
        details = {"index": index, "name": self.name}
        child = frame.child(tracker.started, index, 0)
        child.emit_first("MapIterationStarted", details, frame.prev)
        tracker.in_flight[index] = child
        try:
            output = await frame.run.run_branch(self.processor, child, item_input)
        except StatesError:
            del tracker.in_flight[index]
            child.emit_side("MapIterationFailed", details)
            frame.prev = child.prev
            raise
        except asyncio.CancelledError:
            raise
        del tracker.in_flight[index]
        tracker.last_succeeded = child.emit_side("MapIterationSucceeded", details)
        frame.prev = child.prev
        return output

    def run_iteration_sync(self, frame: Frame, effective: Any, items: list, index: int,
                           tracker: _IterationTracker) -> Any:
        """``run_iteration`` for a processor of pure states, which ends without ever
        suspending (so it is never in flight when the Map is aborted)."""
        item_input = self.item_input(frame, effective, items, index)
        details = {"index": index, "name": self.name}
        child = frame.child(tracker.started, index, 0)
        child.emit_first("MapIterationStarted", details, frame.prev)
        try:
            output = frame.run.run_branch_sync(self.processor, child, item_input)
        except StatesError:
            child.emit_side("MapIterationFailed", details)
            frame.prev = child.prev
            raise
        tracker.last_succeeded = child.emit_side("MapIterationSucceeded", details)
        frame.prev = child.prev
        return output


def _tolerated(failures: int, total: int, count: int | None, percentage: float | None) -> bool:
    if count is None and percentage is None:
        return False
    if count is not None and failures <= count:
        return True
    return percentage is not None and total > 0 and failures * 100 / total <= percentage


class _IterationTracker:
    """What the Map state knows of its iterations while they run."""

    def __init__(self, frame: Frame, started: int) -> None:
        self.frame = frame
        self.started = started  # the MapStateStarted event id: names the iterations' threads
        self.in_flight: dict[int, Frame] = {}
        self.last_succeeded: int | None = None

    def abort_in_flight(self) -> None:
        for index, child in sorted(self.in_flight.items()):
            child.emit_side("MapIterationAborted",
                            {"index": index, "name": self.frame.state_name})
        self.in_flight.clear()


