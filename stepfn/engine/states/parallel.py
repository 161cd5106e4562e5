"""Parallel: runs every branch on the same input; the output is their outputs, in order."""

from __future__ import annotations

from typing import Any

from ..concurrency import run_all, run_all_sync
from ..frame import Frame
from .base import ResultProcessingState
from .jsonata_io import compile_field
from .recoverable import JsonataRecoverableMixin, RecoverableMixin



class ParallelState(RecoverableMixin, ResultProcessingState):
    type_name = "Parallel"
    failed_event = "ParallelStateFailed"

    def __init__(self, name: str, spec: dict, compiler) -> None:
        super().__init__(name, spec, compiler)
        self.branches = tuple(
            compiler.compile_branch(branch, f"{name}/Branches/{i}")
            for i, branch in enumerate(spec["Branches"]))
        # Branches that cannot suspend run one after another, without coroutines.
        self.pure_branches = all(branch.pure for branch in self.branches)
        self.init_recovery(spec, compiler)

    async def execute(self, frame: Frame, raw_input: Any) -> tuple[Any, str | None]:
        self.record_entered(frame, raw_input)
        effective = self.apply_input_path(frame, raw_input)
        arguments = self.apply_parameters(frame, effective)
        return await self.run_with_recovery(frame, raw_input, arguments)

    async def attempt(self, frame: Frame, raw_input: Any, arguments: Any) -> Any:
        run = frame.run
        started = frame.emit("ParallelStateStarted")
        children = [frame.child(started, i, started) for i in range(len(self.branches))]

        async def run_branch(i: int) -> Any:
            child = children[i]
            try:
                return await run.run_branch(self.branches[i], child, arguments)
            except BaseException:  # failed, or cancelled because another branch failed
                abort_open_state(self.branches[i], child)
                raise
            finally:
                frame.prev = child.prev  # the chain continues from the last to finish

        def run_branch_sync(i: int) -> Any:
            child = children[i]
            try:
                return run.run_branch_sync(self.branches[i], child, arguments)
            finally:
                frame.prev = child.prev

        if self.pure_branches:
            results = run_all_sync(len(self.branches), run_branch_sync)
        else:
            results = await run_all(len(self.branches), run_branch)
        frame.emit_side("ParallelStateSucceeded")
        return self.apply_result(frame, raw_input, results)


# States that do work and so are "aborted" when their branch ends under them.
_ABORTABLE = frozenset({"Task", "Map", "Parallel"})


def abort_open_state(branch: Any, child: Frame) -> None:
    """Record ``<Type>StateAborted`` for the state a failing branch was in, as AWS
    does when a Parallel branch ends with a Task (Map, Parallel) still open."""
    state = branch.states.get(child.state_name)
    if state is None or state.type_name not in _ABORTABLE:
        return
    last = child.run.history.events[child.prev - 1] if child.prev else None
    if last is not None and last.type.endswith("StateExited"):
        return
    child.emit(state.type_name + "StateAborted")


class JsonataParallelState(JsonataRecoverableMixin, ParallelState):
    """Parallel in JSONata: Arguments (the branches' input, default: the state input),
    Output (default: the branches' outputs) and Assign."""

    def __init__(self, name: str, spec: dict, compiler) -> None:
        super().__init__(name, spec, compiler)
        self.arguments = compile_field(spec, "Arguments")
        self.init_jsonata_recovery(spec, self.arguments)

    async def execute_jsonata(self, frame: Frame, raw_input: Any) -> tuple[Any, str | None]:
        self.record_entered(frame, raw_input)
        return await self.run_with_recovery(frame, raw_input, raw_input)

    async def attempt(self, frame: Frame, raw_input: Any, arguments: Any) -> Any:
        if self.arguments is not None:
            arguments = self.arguments.evaluate(self.bindings(frame, raw_input),
                                                inputs_ready=True)
        return await super().attempt(frame, raw_input, arguments)


ParallelState.jsonata_variant = JsonataParallelState
