"""Time and size budgets for expressions a definition evaluates.

A definition is user input: a JSONPath filter regex with catastrophic backtracking
or a JSONata expression that builds a huge range would otherwise hold the process
(and, in ``stepfn serve``, every API call sharing its event loop) for as long as it
runs. Each regex match and each JSONata evaluation runs under
``STEPFN_EXPRESSION_TIMEOUT_MS`` (default 1000 ms); a JSONata range may hold at most
``STEPFN_JSONATA_RANGE_LIMIT`` values (default 1,000,000). Both are read once, at
import; tests and embedders may assign the module attributes instead.
"""

from __future__ import annotations

import os

from ..errors import StatesError

__all__ = ["EXPRESSION_TIMEOUT_MS", "RANGE_LIMIT", "ExpressionTimeout", "timeout_seconds"]


def _positive_int(name: str, default: int) -> int:
    """An integer setting from the environment; a missing or unusable value keeps the
    default, so a typo cannot switch a budget off."""
    try:
        value = int(os.environ.get(name, ""))
    except ValueError:
        return default
    return value if value > 0 else default


#: How long one regex match or one JSONata evaluation may run, in milliseconds.
EXPRESSION_TIMEOUT_MS: int = _positive_int("STEPFN_EXPRESSION_TIMEOUT_MS", 1000)
#: How many values one JSONata range (``[a..b]``) may produce.
RANGE_LIMIT: int = _positive_int("STEPFN_JSONATA_RANGE_LIMIT", 1_000_000)


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
