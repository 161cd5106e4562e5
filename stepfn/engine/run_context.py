"""What a state may ask of the execution it runs in.

States see the execution only through ``frame.run``, typed as ``RunContext``: this is
the whole of the interpreter's services to them (``ExecutionRun`` implements it; a
Distributed Map child is the same run over a history of its own). Anything a state
needs beyond this list belongs here first, so the dependencies stay visible.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from ..errors import StatesError
    from ..tasks.base import TaskDispatcher
    from .frame import Frame
    from .history import History
    from .machine import Branch


class RunContext(Protocol):
    """The services of one execution, as states and frames use them."""

    execution_arn: str
    history: History  # the events of this run (a Distributed Map child: its own)
    tasks: TaskDispatcher  # runs task resources, callbacks and activities
    role_arn: str  # the execution's role (recorded in child executions' histories)
    clock: Any  # the clock the run waits on (``now()`` is the replay-aware time)
    # Where Distributed Map runs and their children are kept (a MapRunHost), or None
    map_runs: Any

    # -- the context object ------------------------------------------------------------
    @property
    def execution_context(self) -> dict:
        """``$$.Execution``."""
        ...

    @property
    def machine_context(self) -> dict:
        """``$$.StateMachine``."""
        ...

    # -- payloads, time and durability -------------------------------------------------
    def serialize(self, value: Any) -> str:
        """The JSON text of a payload, as recorded in the history."""
        ...

    def now(self) -> float:
        """The current time (the recorded one when replaying)."""
        ...

    async def checkpoint(self) -> None:
        """Make the events recorded so far durable before a side effect."""
        ...

    async def sleep(self, frame: Frame, seconds: float) -> None:
        """Wait (a retry back-off), within the execution's timeout."""
        ...

    async def sleep_until(self, frame: Frame, deadline: float) -> None:
        """Checkpoint, then wait until an epoch time (a Wait state)."""
        ...

    # -- errors --------------------------------------------------------------------------
    def runtime_error(self, frame: Frame, detail: str) -> StatesError:
        """``States.Runtime`` with AWS's sentence locating the current state."""
        ...

    def locate(self, err: StatesError, frame: Frame) -> StatesError:
        """The error with AWS's state-and-event prefix on its cause, where AWS puts one."""
        ...

    # -- nested work -----------------------------------------------------------------------
    def map_run_arn(self, label: str | None) -> str:
        """A new Distributed Map run ARN."""
        ...

    def child_execution_frame(self, parent: Frame,
                              context: tuple[dict, dict] | None = None) -> Frame:
        """A frame over a history of its own (a Distributed Map child execution)."""
        ...

    async def run_branch(self, branch: Branch, frame: Frame, value: Any) -> Any:
        """Run a branch (Parallel branch, Map iteration) to its end; its output."""
        ...

    def run_branch_sync(self, branch: Branch, frame: Frame, value: Any) -> Any:
        """``run_branch`` for a branch of pure states (``branch.pure``)."""
        ...
