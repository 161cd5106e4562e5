"""Errors shared by every layer of stepfn.

Two families:

* ``StatesError`` is a *runtime* error as the Amazon States Language names it
  (``States.Runtime``, ``States.TaskFailed``, ``MyCustomError``...). The interpreter
  matches it against Retry and Catch.
* ``DefinitionError`` rejects a state machine definition before it runs. It carries
  every problem found as a ``Diagnostic`` with AWS's code, location and wording.
"""

from __future__ import annotations

from dataclasses import dataclass


class StatesError(Exception):
    """A runtime error with an ASL error name and an optional cause."""

    #: Set once the error's EvaluationFailed event is in the history (JSONata).
    recorded: bool = False

    def __init__(self, error: str, cause: str | None = None) -> None:
        super().__init__(error, cause)
        self.error = error
        self.cause = cause

    def __str__(self) -> str:
        return f"{self.error}: {self.cause}" if self.cause else self.error


class PathNotFound(Exception):
    """A definite JSONPath matched nothing in the document it was applied to.

    The interpreter turns it into ``States.Runtime`` with the cause text AWS uses for
    the field that held the path.
    """

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.path = path


@dataclass(frozen=True)
class Diagnostic:
    """One problem in a definition, shaped like ValidateStateMachineDefinition's."""

    code: str  # e.g. SCHEMA_VALIDATION_FAILED, MISSING_TRANSITION_TARGET
    location: str | None  # e.g. /States/Choose/Choices[0]/Next; None: the whole machine
    message: str
    severity: str = "ERROR"

    def to_json(self) -> dict:
        out = {"code": self.code, "message": self.message, "severity": self.severity}
        if self.location is not None:
            out["location"] = self.location
        return out


class DefinitionError(Exception):
    """An invalid definition; ``diagnostics`` lists every problem found."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        self.diagnostics = diagnostics
        super().__init__(self.aws_message())

    def aws_message(self) -> str:
        """The message CreateStateMachine answers with ``InvalidDefinition``."""
        # AWS prints a machine-wide problem's missing location as "null".
        parts = [f"{d.code}: {d.message} at {d.location or 'null'}" for d in self.diagnostics
                 if d.severity == "ERROR"]
        return "Invalid State Machine Definition: '" + ", ".join(parts) + "'"
