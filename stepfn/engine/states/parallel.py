"""Parallel: runs every branch on the same input; the output is their outputs, in order."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...asl.model import StateModel
from ...errors import StatesError
from ..concurrency import run_all, run_all_sync
from ..frame import Frame
from .base import State, Step
from .io import Outcome
from .recoverable import Recovery

if TYPE_CHECKING:
    from ..machine import Branch, Compiler


class ParallelState(State):
    type_name = "Parallel"
    failed_event = "ParallelStateFailed"

    def __init__(self, model: StateModel, compiler: Compiler) -> None:
        super().__init__(model, compiler)
        self.branches = tuple(compiler.compile_branch(branch) for branch in model.branches)
        # Branches that cannot suspend run one after another, without coroutines.
        self.pure_branches = all(branch.pure for branch in self.branches)
        self.recovery = Recovery(self)
        self.effect_free = not self.recovery.retriers and all(
            branch.effect_free for branch in self.branches)

    async def execute(self, frame: Frame, raw_input: Any) -> Step:
        io = self.io
        try:
            self.record_entered(frame, raw_input)
            effective = io.effective_input(frame, raw_input)
            if io.arguments_per_attempt:
                return await self.recovery.run(self.attempt, frame, raw_input, effective)
            arguments = io.arguments(frame, raw_input, effective)
            return await self.recovery.run(self.run_branches, frame, raw_input, arguments)
        except StatesError as err:
            raise io.escalate(frame, err) from None

    async def attempt(self, frame: Frame, raw_input: Any, effective: Any) -> Outcome:
        """One try when the branches' input is evaluated on each attempt."""
        arguments = self.io.arguments(frame, raw_input, effective)
        return await self.run_branches(frame, raw_input, arguments)

    async def run_branches(self, frame: Frame, raw_input: Any, arguments: Any) -> Outcome:
        """Run every branch on ``arguments``; the outcome of their outputs."""
        run = frame.run
        branches = self.branches
        started = frame.emit("ParallelStateStarted")
        children = [frame.child(started, i, started) for i in range(len(branches))]

        async def run_branch(i: int) -> Any:
            child = children[i]
            try:
                return await run.run_branch(branches[i], child, arguments)
            except BaseException:  # failed, or cancelled because another branch failed
                abort_open_state(branches[i], child)
                raise
            finally:
                frame.prev = child.prev  # the chain continues from the last to finish

        def run_branch_sync(i: int) -> Any:
            child = children[i]
            try:
                return run.run_branch_sync(branches[i], child, arguments)
            finally:
                frame.prev = child.prev

        if self.pure_branches:
            results = run_all_sync(len(branches), run_branch_sync)
        else:
            results = await run_all(len(branches), run_branch)
        frame.emit_side("ParallelStateSucceeded")
        return self.io.result_output(frame, raw_input, results)


# States that do work and so are "aborted" when their branch ends under them.
_ABORTABLE = frozenset({"Task", "Map", "Parallel"})


def abort_open_state(branch: Branch, child: Frame) -> None:
    """Record ``<Type>StateAborted`` for the state a failing branch was in, as AWS
    does when a Parallel branch ends with a Task (Map, Parallel) still open."""
    state = branch.states.get(child.state_name)
    if state is None or state.type_name not in _ABORTABLE:
        return
    last = child.history.events[child.prev - 1] if child.prev else None
    if last is not None and last.type.endswith("StateExited"):
        return
    child.emit(state.type_name + "StateAborted")
