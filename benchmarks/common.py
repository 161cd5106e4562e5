"""What the benchmark runner and its workers share. Standard library only: the workers
run under other interpreters (moto's virtualenv) that must not need stepfn.

A *workload* is one file of shared/perf/workloads: a definition, its input, the exact
output every engine must produce, and how many state transitions one run makes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
# The repository's checkout and shared/ sit side by side (locally and in CI).
DEFAULT_WORKLOADS_DIR = REPO.parent / "shared" / "perf" / "workloads"

# The order of the table: cheap per-state overhead first, throughput last.
WORKLOAD_ORDER = (
    "pass_chain_1000", "choice_loop_10k", "map_10k", "map_10k_c40", "parallel_100",
    "intrinsics_heavy", "payload_large", "retry_catch", "retry_once",
    "many_small_executions",
)


@dataclass
class Workload:
    """One benchmark workload, possibly shrunk for --quick."""

    name: str
    definition: dict
    input: Any
    expected_output: Any
    transitions: int  # per execution
    executions: int = 1  # executions per timed run (many_small_executions)
    min_expected_seconds: float | None = None  # a run faster than this skipped a back-off
    history_events_estimate: int | None = None
    extra: dict = field(default_factory=dict)

    @property
    def transitions_per_run(self) -> int:
        return self.transitions * self.executions

    def to_json(self) -> dict:
        return {"name": self.name, "definition": self.definition, "input": self.input,
                "expected_output": self.expected_output, "transitions": self.transitions,
                "executions": self.executions,
                "min_expected_seconds": self.min_expected_seconds,
                "history_events_estimate": self.history_events_estimate}

    @classmethod
    def from_json(cls, doc: dict) -> Workload:
        return cls(name=doc["name"], definition=doc["definition"], input=doc["input"],
                   expected_output=doc["expected_output"], transitions=doc["transitions"],
                   executions=doc.get("executions") or 1,
                   min_expected_seconds=doc.get("min_expected_seconds"),
                   history_events_estimate=doc.get("history_events_estimate"))


def load_workloads(directory: Path) -> dict[str, Workload]:
    """All workloads of a directory, in table order (unknown names last, sorted)."""
    found = {}
    for path in sorted(directory.glob("*.json")):
        doc = json.loads(path.read_text())
        doc.setdefault("name", path.stem)
        found[doc["name"]] = Workload.from_json(doc)
    order = [n for n in WORKLOAD_ORDER if n in found] + sorted(set(found) - set(WORKLOAD_ORDER))
    return {name: found[name] for name in order}


# -- --quick: the same shapes at small sizes, with their expected outputs -------------------
def shrink(workload: Workload) -> Workload:
    """A small version of a workload whose expected output is still known exactly."""
    shrinker = _SHRINKERS.get(workload.name)
    return shrinker(workload) if shrinker else workload


def _shrink_counter_loop(w: Workload, limit: int = 200) -> Workload:
    return Workload(w.name, w.definition, {"limit": limit}, {"i": limit, "limit": limit},
                    1 + 2 * limit + 2)


def _shrink_map(w: Workload, items: int = 200) -> Workload:
    return Workload(w.name, w.definition, {**w.input, "items": w.input["items"][:items]},
                    w.expected_output[:items], 1 + 2 * items)


def _shrink_retry_catch(w: Workload, n: int = 30) -> Workload:
    expected = {**w.expected_output, "i": n, "n": n, "caught": n}
    return Workload(w.name, w.definition, {**w.input, "n": n}, expected, 4 * n + 2)


def _shrink_many(w: Workload, executions: int = 100) -> Workload:
    return Workload(w.name, w.definition, w.input, w.expected_output, w.transitions,
                    executions)


_SHRINKERS = {
    "choice_loop_10k": _shrink_counter_loop,
    "map_10k": _shrink_map,
    "map_10k_c40": _shrink_map,
    "retry_catch": _shrink_retry_catch,
    "many_small_executions": _shrink_many,
}


# -- checking outputs -------------------------------------------------------------------------
def first_difference(expected: Any, actual: Any, path: str = "$") -> str | None:
    """Where two JSON values differ (None when equal). ``true`` never equals ``1``;
    ``1`` equals ``1.0`` since JSON does not tell them apart."""
    if isinstance(expected, bool) or isinstance(actual, bool):
        same = type(expected) is type(actual) and expected == actual
        return None if same else _describe(path, expected, actual)
    if isinstance(expected, (int, float)) and isinstance(actual, (int, float)):
        return None if expected == actual else _describe(path, expected, actual)
    if isinstance(expected, dict) and isinstance(actual, dict):
        if expected.keys() != actual.keys():
            missing = sorted(set(expected) - set(actual))
            extra = sorted(set(actual) - set(expected))
            return f"{path}: missing keys {missing}, unexpected keys {extra}"
        for key, value in expected.items():
            diff = first_difference(value, actual[key], f"{path}.{key}")
            if diff:
                return diff
        return None
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            return f"{path}: expected {len(expected)} items, got {len(actual)}"
        for index, (e, a) in enumerate(zip(expected, actual, strict=True)):
            diff = first_difference(e, a, f"{path}[{index}]")
            if diff:
                return diff
        return None
    if type(expected) is type(actual) and expected == actual:
        return None
    return _describe(path, expected, actual)


def _describe(path: str, expected: Any, actual: Any) -> str:
    return f"{path}: expected {_clip(expected)}, got {_clip(actual)}"


def _clip(value: Any, limit: int = 160) -> str:
    text = json.dumps(value)
    return text if len(text) <= limit else text[:limit] + "..."


@dataclass
class Outcome:
    """How one execution ended, as an engine reported it."""

    status: str
    output: Any = None
    error: str | None = None
    cause: str | None = None


def check_outcome(workload: Workload, outcome: Outcome) -> str | None:
    """Why an execution's outcome is wrong (None when it is right)."""
    if outcome.status != "SUCCEEDED":
        return (f"status {outcome.status}, error {outcome.error!r}, "
                f"cause {_clip(outcome.cause, 400)}")
    return first_difference(workload.expected_output, outcome.output)
