"""Map (inline): runs the item processor on every item of an array."""

from __future__ import annotations

import asyncio
from typing import Any

from ...asl.paths import compile_reference
from ...errors import PathNotFound, StatesError
from ...jsonutil import json_type_name
from ..concurrency import run_all, run_all_sync
from ..frame import Frame
from .base import ResultProcessingState
from .item_reader import ItemBatcher, ItemReader
from .map_fields import number_field
from .jsonata_io import (
    ScalarField,
    compile_field,
    is_array,
    is_integer,
    is_number,
    scalar_field,
)
from .recoverable import JsonataRecoverableMixin, RecoverableMixin



class MapState(RecoverableMixin, ResultProcessingState):
    type_name = "Map"
    failed_event = "MapStateFailed"

    def __init__(self, name: str, spec: dict, compiler) -> None:
        # The legacy "Parameters" plays the role of "ItemSelector" on a Map state.
        self.parameters_field = "Parameters" if "Parameters" in spec else "ItemSelector"
        super().__init__(name, spec, compiler)
        processor = spec.get("ItemProcessor") or spec.get("Iterator")
        field = "ItemProcessor" if "ItemProcessor" in spec else "Iterator"
        self.processor = compiler.compile_branch(processor, f"{name}/{field}")
        self.items_path_text = spec.get("ItemsPath", "$")
        self.items_path = compile_reference(self.items_path_text)
        self.max_concurrency = number_field(spec, "MaxConcurrency", int, non_negative=True)
        config = (processor.get("ProcessorConfig") or {})
        self.distributed = config.get("Mode") == "DISTRIBUTED"
        self.label = spec.get("Label")
        self.tolerated_count = number_field(spec, "ToleratedFailureCount", int)
        self.tolerated_percentage = number_field(spec, "ToleratedFailurePercentage", float)
        reader, batcher = spec.get("ItemReader"), spec.get("ItemBatcher")
        self.item_reader = ItemReader(reader, compiler.region) if reader else None
        self.item_batcher = ItemBatcher(batcher) if batcher else None
        self.init_recovery(spec, compiler)

    async def execute(self, frame: Frame, raw_input: Any) -> tuple[Any, str | None]:
        self.record_entered(frame, raw_input)
        effective = self.apply_input_path(frame, raw_input)
        return await self.run_with_recovery(frame, raw_input, effective)

    async def attempt(self, frame: Frame, raw_input: Any, effective: Any) -> Any:
        # With an ItemReader the items are only known once the map run has started.
        items = [] if self.item_reader else self.read_items(frame, effective)
        limit = self.concurrency_limit(frame, effective)
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
        return self.apply_result(frame, raw_input, results)

    async def run_distributed(self, frame: Frame, raw_input: Any, effective: Any,
                              items: list, limit: int) -> Any:
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
        return self.apply_result(frame, raw_input, results)

    def item_input(self, frame: Frame, effective: Any, items: list, index: int) -> Any:
        """The input of iteration ``index``: the item, or what the item selector makes
        of it while the context object shows it as ``Map.Item``."""
        item = items[index]
        if not self.selects_items:
            return item
        saved = frame.map_item
        frame.set_map_item((index, item))
        try:
            return self.select_item(frame, effective)
        finally:
            frame.set_map_item(saved)

    @property
    def selects_items(self) -> bool:
        return self.parameters is not None

    def select_item(self, frame: Frame, effective: Any) -> Any:
        """ItemSelector (or the legacy Parameters), evaluated on the state's input."""
        return self.parameters(effective, frame)

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

    def read_items(self, frame: Frame, effective: Any) -> list:
        try:
            items = self.items_path(effective, frame)
        except PathNotFound:
            raise frame.run.runtime_error(
                frame, f"Invalid path '{self.items_path_text}' : No results for path: "
                f"{self.items_path_text}") from None
        if not isinstance(items, list):
            raise frame.run.runtime_error(
                frame, f"Items of Map state '{self.name}' must be an array; "
                f"ItemsPath '{self.items_path_text}' selected a {json_type_name(items)}.")
        return items

    def concurrency_limit(self, frame: Frame, effective: Any) -> int:
        """MaxConcurrency (or MaxConcurrencyPath); 0, the default, means no limit."""
        return self.max_concurrency(frame, effective) or 0


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


class JsonataMapState(JsonataRecoverableMixin, MapState):
    """Map in JSONata: Items (an array, or an expression yielding one; default: the
    input), ItemSelector (with ``$states.context.Map.Item``), MaxConcurrency and the
    tolerated-failure fields as values or expressions, Output (default: the results)
    and Assign."""

    def __init__(self, name: str, spec: dict, compiler) -> None:
        super().__init__(name, spec, compiler)
        self.items = scalar_field(spec, "Items", "array", is_array)
        self.item_selector = compile_field(spec, "ItemSelector")
        self.concurrency = scalar_field(spec, "MaxConcurrency", "integer", is_integer)
        count = scalar_field(spec, "ToleratedFailureCount", "integer", is_integer)
        percentage = scalar_field(spec, "ToleratedFailurePercentage", "number", is_number)
        self.tolerated_count = self._jsonata_number(count)
        self.tolerated_percentage = self._jsonata_number(percentage)
        self.init_jsonata_recovery(spec, self.items, self.item_selector, self.concurrency,
                                   count, percentage)

    async def execute_jsonata(self, frame: Frame, raw_input: Any) -> tuple[Any, str | None]:
        self.record_entered(frame, raw_input)
        return await self.run_with_recovery(frame, raw_input, raw_input)

    def read_items(self, frame: Frame, effective: Any) -> list:
        if self.items is None:
            return super().read_items(frame, effective)
        return self.items.evaluate(self.bindings(frame, effective))

    def concurrency_limit(self, frame: Frame, effective: Any) -> int:
        if self.concurrency is None:
            return 0
        value = self.concurrency.evaluate(self.bindings(frame, effective))
        if not is_integer(value) or value < 0:
            raise self.concurrency.invalid("a non-negative integer", value)
        return value

    @property
    def selects_items(self) -> bool:
        return self.item_selector is not None

    def select_item(self, frame: Frame, effective: Any) -> Any:
        """ItemSelector, with ``$states.context.Map.Item`` in its bindings."""
        return self.item_selector.evaluate(self.bindings(frame, effective), inputs_ready=True)

    def _jsonata_number(self, field: ScalarField | None):
        """A tolerated-failure field as ``f(frame, effective) -> value``."""
        if field is None:
            return lambda frame, effective: None
        return lambda frame, effective: field.evaluate(self.bindings(frame, effective))


MapState.jsonata_variant = JsonataMapState
