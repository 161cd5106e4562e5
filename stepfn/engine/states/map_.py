"""Map: runs the item processor on every item of an array (inline), or as child
executions over items that may come from an ItemReader (distributed)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from ... import jsonutil
from ...asl.model import StateModel
from ...errors import StatesError
from ..concurrency import run_all, run_all_sync
from ..frame import Frame, iso_timestamp
from ..map_run import EXCEEDED, ChildExecution, MapRun, MapRunView
from .base import State, Step
from .io import Outcome
from .item_reader import ItemBatcher, ItemReader
from .recoverable import Recovery
from .result_writer import ResultWriter

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
        writer = spec.get("ResultWriter")
        self.result_writer = ResultWriter(writer, compiler.region, io) if writer else None
        self.execution_type = (model.processor.fields.get("ProcessorConfig") or {}).get(
            "ExecutionType", "STANDARD")
        # What a child execution runs when it runs apart from its parent (see run_child)
        processor = model.processor
        self.child_definition = jsonutil.dumps({
            "QueryLanguage": processor.query_language,
            "StartAt": processor.fields.get("StartAt"),
            "States": processor.fields.get("States")})
        self.recovery = Recovery(self)
        self.effect_free = (not self.distributed and not self.recovery.retriers
                            and self.processor.effect_free)

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
        items = MapItems() if self.item_reader else self.iteration_items(frame, effective)
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
        """A Distributed Map: a Map Run whose iterations are child executions with
        histories of their own (see ``engine.map_run``); the parent records only the
        Map Run's start and end."""
        map_run = await self.start_map_run(frame, effective, limit)
        try:
            await map_run.begin()
            items, sizes = await self.child_items(frame, effective, items)
            try:
                await map_run.run(
                    len(items), sizes,
                    lambda index: self.item_input(frame, effective, items, index),
                    lambda child, value: self.run_child(frame, map_run, child, value))
            except StatesError as err:
                if err.error != EXCEEDED or self.result_writer is None:
                    raise
                await self.write_results(frame, effective, map_run)  # AWS writes them too
                raise
            output = await self.write_results(frame, effective, map_run)
        except StatesError as err:
            await map_run.finish("FAILED")
            details = {"error": err.error}
            if err.cause is not None:
                details["cause"] = err.cause
            frame.emit("MapRunFailed", details)
            raise err from None
        except asyncio.CancelledError:  # the execution is stopped (or shut down)
            await _quietly(map_run.finish("ABORTED"))
            frame.emit_side("MapRunAborted")
            raise
        await map_run.finish("SUCCEEDED")
        frame.emit("MapRunSucceeded")
        frame.emit_side("MapStateSucceeded")
        return self.io.result_output(frame, raw_input, output)

    async def start_map_run(self, frame: Frame, effective: Any, limit: int) -> MapRun:
        """Check the thresholds, record MapRunStarted (committed before any child is
        stored) and make the Map Run; a resumed parent finds its recorded ARN."""
        run = frame.run
        tolerated_count = self.tolerated_count(frame, effective)
        tolerated_percentage = self.tolerated_percentage(frame, effective)
        if tolerated_percentage is not None and not 0 <= tolerated_percentage <= 100:
            raise run.runtime_error(frame, "ToleratedFailurePercentage must be between 0 and 100.")
        if tolerated_count is not None and tolerated_count < 0:
            raise run.runtime_error(frame, "ToleratedFailureCount cannot be negative.")
        previous = _previous_map_run(frame)
        redrive_count, redrive_date = 0, None
        if previous is None:
            map_run_arn = run.map_run_arn(self.label)
            frame.emit("MapRunStarted", {"mapRunArn": map_run_arn})
        else:  # a redriven parent redrives the Map Run it ran before (AWS)
            map_run_arn, redrive_count = previous[0], previous[1] + 1
            frame.emit("MapRunRedriven", {"mapRunArn": map_run_arn,
                                          "redriveCount": redrive_count})
        replayed = run.history.replayed
        if replayed is not None and replayed.details:  # resumed: the same Map Run
            map_run_arn = replayed.details.get("mapRunArn", map_run_arn)
        if previous is not None:  # the event's time: the same when replayed
            redrive_date = (replayed or run.history.events[-1]).timestamp
        await run.checkpoint()
        view = MapRunView(map_run_arn, run.execution_arn, run.now(),
                          execution_type=self.execution_type, max_concurrency=limit,
                          tolerated_count=tolerated_count,
                          tolerated_percentage=tolerated_percentage,
                          definition=self.child_definition, role_arn=run.role_arn,
                          redrive_count=redrive_count, redrive_date=redrive_date)
        return MapRun(frame, view, run.map_runs,
                      tolerated_count is not None, tolerated_percentage is not None)

    async def child_items(self, frame: Frame, effective: Any,
                          items: list) -> tuple[list, list[int]]:
        """What each child processes (an item, or a batch) and the number of items it
        carries; the ItemSelector makes its input when it starts (``item_input``)."""
        if self.item_reader is not None:
            items = await self.item_reader.read(frame, effective)
        sizes = [1] * len(items)
        if self.item_batcher is not None:
            items = self.item_batcher.batches(frame, effective, items)
            sizes = [len(batch["Items"]) for batch in items]
        return items, sizes

    async def write_results(self, frame: Frame, effective: Any, map_run: MapRun) -> Any:
        """The Map's result: the children's outputs in order, or what the ResultWriter
        makes of them (exported to S3: where they went). Read a chunk of children at a
        time: only the results are held, never every child."""
        writer = self.result_writer
        if writer is None:
            results: list = []
            async for chunk in map_run.ended_children():
                results.extend(child.output if child.status == "SUCCEEDED"
                               else {"Error": child.error, "Cause": child.cause}
                               for child in chunk)
            return results
        if not writer.exports:
            shaped: list = []
            async for chunk in map_run.ended_children():
                shaped.extend(writer.shaped(chunk))
            return shaped
        await frame.run.checkpoint()
        result, items, executions = await writer.export(frame, effective, map_run.view.arn,
                                                        map_run.ended_children())
        map_run.results_written(items, executions)
        return result

    async def run_child(self, frame: Frame, map_run: MapRun, child: ChildExecution,
                        value: Any) -> None:
        """Run one child execution here, in the parent's process, to its end; its
        status says how it ended (in memory, or EXPRESS children, at least once as on
        AWS; a service that keeps executions stores STANDARD children instead, for any
        worker to claim: see ``engine.map_run``)."""
        run = frame.run
        # The child is an execution of its own: $$.Execution and $$.StateMachine are its.
        started = run.now()
        context = ({"Id": child.arn, "Input": value, "StartTime": iso_timestamp(started),
                    "Name": child.name, "RoleArn": run.role_arn, "RedriveCount": 0},
                   {"Id": child.machine_arn, "Name": child.machine_arn.rsplit(":", 1)[-1]})
        child_frame = run.child_execution_frame(frame, context)
        history = child_frame.run.history
        history.add("ExecutionStarted", {"input": child.input_text, "roleArn": run.role_arn},
                    0)
        await map_run.child_started(child)
        try:
            output = await run.run_branch(self.processor, child_frame, value)
        except StatesError as err:
            status, child.error, child.cause = "FAILED", err.error, err.cause
            details = {"error": err.error}
            if err.cause is not None:
                details["cause"] = err.cause
            history.add("ExecutionFailed", details, child_frame.prev, True)
        except asyncio.CancelledError:
            history.add("ExecutionAborted", None, child_frame.prev, True)
            await _quietly(map_run.child_ended(child, "ABORTED", history.events))
            raise
        else:
            text = run.serialize(output)
            status, child.output, child.output_text = "SUCCEEDED", output, text
            history.add("ExecutionSucceeded", {"output": text}, child_frame.prev, True)
        await map_run.child_ended(child, status, history.events)

    def iteration_items(self, frame: Frame, effective: Any) -> MapItems:
        """What ItemsPath (JSONPath) or Items (JSONata) selects, as the iterations see
        it: an array's items, or an object's key-value pairs."""
        return MapItems(self.items(frame, effective))

    def item_input(self, frame: Frame, effective: Any, items: list, index: int) -> Any:
        """The input of iteration ``index``: the item, or what the item selector makes
        of it while the context object shows it as ``Map.Item``."""
        item = items[index]
        select = self.select_item
        if select is None:
            return item
        saved = frame.map_item
        frame.set_map_item(items.context(index) if isinstance(items, MapItems)
                           else {"Index": index, "Value": item})
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


class MapItems(list):
    """The items a Map iterates over: an array's items, or an object's key-value pairs.

    input-output-itemspath: "If the input to the Map state is a JSON object, it runs an
    iteration for each key-value pair in the object, passing the pair to the iteration
    as input". A pair is ``{"Key": <key>, "Value": <value>}`` (the object's order), and
    while the ItemSelector makes an iteration's input, ``$$.Map.Item`` holds its
    ``Index``, ``Key`` and ``Value``.
    """

    __slots__ = ("pairs",)

    def __init__(self, value: list | dict | None = None) -> None:
        self.pairs = isinstance(value, dict)
        if isinstance(value, dict):
            super().__init__({"Key": key, "Value": item} for key, item in value.items())
        else:
            super().__init__(value or ())

    def context(self, index: int) -> dict:
        """``$$.Map.Item`` for iteration ``index``."""
        item = self[index]
        if self.pairs:
            return {"Index": index, "Key": item["Key"], "Value": item["Value"]}
        return {"Index": index, "Value": item}


def _previous_map_run(frame: Frame) -> tuple[str, int] | None:
    """For a redriven execution, the Map Run this state ran (in the same thread) before
    the last redrive, and how many times it was redriven then; None otherwise (not
    redriven, or the state had not started a Map Run: a new one starts)."""
    run = frame.run
    if not getattr(run, "redrive_count", 0):
        return None
    events = run.history.events
    last_redrive = max((i for i, e in enumerate(events) if e.type == "ExecutionRedriven"),
                       default=-1)
    entered: dict[str, str] = {}  # thread -> the last state entered there
    found: tuple[str, int] | None = None
    for event in events[:max(last_redrive, 0)]:
        details = event.details or {}
        if event.type.endswith("StateEntered"):
            entered[event.thread] = details.get("name", "")
        elif event.type in ("MapRunStarted", "MapRunRedriven") and (
                event.thread == frame.thread and entered.get(event.thread) == frame.state_name
                and details.get("mapRunArn")):
            found = (details["mapRunArn"], int(details.get("redriveCount", 0)))
    return found


async def _quietly(step: Any) -> None:
    """Record an end while being cancelled: a store that fails then (or a process
    shutting down, which must write nothing) does not hide the cancellation."""
    try:
        await step
    except Exception:  # noqa: BLE001 - best effort; replay or the next run completes it
        pass


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


