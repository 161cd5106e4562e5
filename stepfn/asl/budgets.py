"""Time and size budgets for expressions a definition evaluates.

A definition is user input: a JSONPath filter regex with catastrophic backtracking
or a JSONata expression that builds a huge range would otherwise hold the process
(and, in ``stepfn serve``, every API call sharing its event loop) for as long as it
runs. Each regex match and each JSONata evaluation runs under
``EXPRESSION_TIMEOUT_MS`` (default 1000 ms); a JSONata range may hold at most
``RANGE_LIMIT`` values (default 1,000,000). They hold for the whole process (a regex
match cannot be told its budget any other way), so they are set once, at start, with
``configure`` (the command line does, from ``STEPFN_EXPRESSION_TIMEOUT_MS`` and
``STEPFN_JSONATA_RANGE_LIMIT``: stepfn.settings).
"""

from __future__ import annotations

from ..errors import StatesError

__all__ = ["EXPRESSION_TIMEOUT_MS", "RANGE_LIMIT", "ExpressionTimeout", "configure",
           "timeout_seconds"]

#: How long one regex match or one JSONata evaluation may run, in milliseconds.
EXPRESSION_TIMEOUT_MS: int = 1000
#: How many values one JSONata range (``[a..b]``) may produce.
RANGE_LIMIT: int = 1_000_000


def configure(expression_timeout_ms: int, range_limit: int) -> None:
    """Set this process's budgets (positive numbers; ValueError otherwise)."""
    global EXPRESSION_TIMEOUT_MS, RANGE_LIMIT
    if expression_timeout_ms < 1 or range_limit < 1:
        raise ValueError("expression budgets must be positive")
    EXPRESSION_TIMEOUT_MS, RANGE_LIMIT = int(expression_timeout_ms), int(range_limit)


def timeout_seconds() -> float:
    """The expression budget in seconds (what the ``regex`` package takes)."""
    return EXPRESSION_TIMEOUT_MS / 1000.0


class ExpressionTimeout(StatesError):
    """A JSONPath expression ran out of its time budget (``States.Runtime``).

    AWS has no such limit, so the wording is stepfn's, shaped like AWS's path causes.
    ``with_field`` gives the cause naming the field that held the path, where the
    interpreter knows it.
    """

    def __init__(self, path: str, field: str | None = None) -> None:
        self.path = path
        self.field = field
        where = f" specified for the field '{field}'" if field else ""
        super().__init__(
            "States.Runtime",
            f"The JSONPath expression '{path}'{where} exceeded the evaluation time limit "
            f"of {EXPRESSION_TIMEOUT_MS} ms")

    def with_field(self, field: str) -> ExpressionTimeout:
        """The same error, its cause naming ``field`` (kept if one is named already)."""
        return self if self.field else ExpressionTimeout(self.path, field)
