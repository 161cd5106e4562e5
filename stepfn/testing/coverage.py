"""Workflow coverage: which parts of a definition the executions of a test run exercised.

Computed from the executions' histories against the definition model
(``stepfn.asl.model``): every state, every Choice rule and Default, every Retry and Catch
clause, every Parallel branch and Map item processor is an item, covered when some
history shows it taken. A Choice rule is credited when it is the rule that matched (the
engine records it with the run; for bare histories, the first rule leading to the state
taken); a Retry clause when a Task, Map or Parallel state failed with an error it is the
first to match and was tried again; a Catch clause when a failure it is the first to
match led to its ``Next``. Distributed Map child executions keep histories of their own,
as in AWS; they are counted with the run that started them.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from ..asl.model import StateModel, load_model
from ..engine.history import Event

_FAILED = ("TaskFailed", "TaskTimedOut", "LambdaFunctionFailed", "LambdaFunctionTimedOut",
           "ActivityFailed", "ActivityTimedOut", "MapStateFailed", "ParallelStateFailed")
_SCHEDULED = ("TaskScheduled", "LambdaFunctionScheduled", "ActivityScheduled")
# A Map or Parallel state starting its work again within one visit is a retry.
_STARTED = ("MapStateStarted", "ParallelStateStarted", "MapRunStarted")


class RunRecord(NamedTuple):
    """One execution as coverage reads it: its events; the Choice rules that matched
    (ChoiceStateExited event id -> rule index, None when unknown); and the records of its
    Distributed Map child executions."""

    events: list[Event]
    choice_rules: dict[int, int] | None = None
    children: tuple[RunRecord, ...] = ()

    @classmethod
    def of(cls, result: Any) -> RunRecord:
        """The record of an ``ExecutionResult`` (children's histories included)."""
        # An untraced run (an Engine without trace=True) has no rule record: coverage then
        # credits the first rule leading to the state taken.
        children = tuple(cls(list(h.events), _copy(h.choice_rules))
                         for h in getattr(result, "children", ()))
        return cls(list(result.events), _copy(getattr(result, "choice_rules", None)),
                   children)


def _copy(rules: dict[int, int] | None) -> dict[int, int] | None:
    return None if rules is None else dict(rules)


@dataclass
class Item:
    """One coverable part of a definition."""

    kind: str  # State | Choice | Default | Retry | Catch | Branch | ItemProcessor
    state: str
    location: str
    target: str | None = None
    hits: int = 0

    @property
    def covered(self) -> bool:
        return self.hits > 0

    def label(self) -> str:
        arrow = f" -> {self.target}" if self.target else ""
        return f"{self.kind} {self.location}{arrow}"

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "state": self.state, "location": self.location,
                "target": self.target, "hits": self.hits, "covered": self.covered}


@dataclass
class DefinitionCoverage:
    """The coverage items of one definition, and the executions counted."""

    name: str
    items: list[Item]
    executions: int = 0
    _by_key: dict[tuple[str, str, int], Item] = field(default_factory=dict, repr=False)

    @property
    def covered(self) -> int:
        return sum(item.covered for item in self.items)

    @property
    def percent(self) -> float:
        return 100.0 * self.covered / len(self.items) if self.items else 100.0

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "executions": self.executions, "covered": self.covered,
                "total": len(self.items), "percent": round(self.percent, 1),
                "items": [item.to_json() for item in self.items]}


class CoverageCollector:
    """Collects executions per definition; ``report()`` computes the coverage."""

    def __init__(self) -> None:
        self._definitions: dict[str, dict] = {}
        self._runs: dict[str, list[RunRecord]] = {}

    def add(self, definition: dict, name: str, run: RunRecord | list[Event]) -> None:
        """Count one execution of ``definition`` (a ``RunRecord``, or bare events)."""
        key = name
        if key in self._definitions and self._definitions[key] != definition:
            key = f"{name} ({len(self._definitions)})"  # two definitions, one name
        self._definitions.setdefault(key, definition)
        self._runs.setdefault(key, []).append(
            run if isinstance(run, RunRecord) else RunRecord(list(run)))

    def report(self) -> list[DefinitionCoverage]:
        return [measure(name, self._definitions[name], runs)
                for name, runs in sorted(self._runs.items())]


def measure(name: str, definition: dict,
            runs: Iterable[RunRecord | list[Event]]) -> DefinitionCoverage:
    """The coverage of ``definition`` by the executions ``runs`` (records or events)."""
    model = load_model(definition)
    coverage = DefinitionCoverage(name, [])
    states: dict[str, StateModel] = {}
    for state in model.walk_states():
        states[state.name] = state
        _items_of(state, coverage)
    for run in runs:
        coverage.executions += 1
        _credit_run(run if isinstance(run, RunRecord) else RunRecord(run), states, coverage)
    return coverage


def _credit_run(run: RunRecord, states: dict[str, StateModel],
                coverage: DefinitionCoverage) -> None:
    _credit(run.events, run.choice_rules, states, coverage)
    for child in run.children:
        _credit_run(child, states, coverage)


def _items_of(state: StateModel, coverage: DefinitionCoverage) -> None:
    def add(kind: str, location: str, index: int = 0, target: str | None = None) -> None:
        item = Item(kind, state.name, location, target)
        coverage.items.append(item)
        coverage._by_key[(kind, state.name, index)] = item

    add("State", state.location)
    for transition in state.transitions:
        if transition.kind in ("Choice", "Default"):
            add(transition.kind, transition.location.rsplit("/", 1)[0]
                if transition.kind == "Choice" else transition.location,
                transition.index or 0, transition.target)
    for index, _ in enumerate(_clauses(state, "Retry")):
        add("Retry", f"{state.location}/Retry[{index}]", index)
    for transition in state.transitions:
        if transition.kind == "Catch":
            add("Catch", transition.location.rsplit("/", 1)[0], transition.index or 0,
                transition.target)
    for index, branch in enumerate(state.branches):
        add("Branch", branch.location, index, branch.start_at)
    if state.processor is not None:
        add("ItemProcessor", state.processor.location, 0, state.processor.start_at)


def _clauses(state: StateModel, name: str) -> list[dict]:
    clauses = state.fields.get(name)
    return [c for c in clauses if isinstance(c, dict)] if isinstance(clauses, list) else []


def _matches(error: str, equals: Any) -> bool:
    """Whether a Retry/Catch ``ErrorEquals`` list matches ``error``."""
    if not isinstance(equals, list):
        return False
    if error in equals:
        return True
    if "States.ALL" in equals:
        return error != "States.Runtime"
    return ("States.TaskFailed" in equals and error not in ("States.Timeout",
                                                            "States.Runtime"))


def _first_matching(clauses: list[dict], error: str) -> int | None:
    for index, clause in enumerate(clauses):
        if _matches(error, clause.get("ErrorEquals")):
            return index
    return None


_DEFAULT = -1  # the Choice state took its Default


def _ancestors(thread: str) -> Iterable[str]:
    """``thread`` and the threads it runs within (a Map iteration's Map, and so on)."""
    while True:
        yield thread
        if not thread:
            return
        thread = thread.rsplit("/", 1)[0]


class _Threads:
    """What the history has shown so far, per thread of the execution."""

    def __init__(self) -> None:
        self.current: dict[str, str] = {}  # thread -> the state it is in
        self.last: dict[str, str] = {}  # thread -> the state it left last
        self.failed: dict[str, str] = {}  # thread -> the error of its state's failure
        self.latest_error: dict[str, str] = {}  # thread -> last error within it
        self.started: dict[str, set[str]] = {}  # thread -> Map/Parallel starts this visit
        self.chosen: dict[str, int] = {}  # thread -> rule its Choice state just took

    def note_error(self, thread: str, error: str) -> None:
        for each in _ancestors(thread):
            self.latest_error[each] = error


def _credit(events: list[Event], choice_rules: dict[int, int] | None,
            states: dict[str, StateModel], coverage: DefinitionCoverage) -> None:
    by_key = coverage._by_key
    threads = _Threads()

    def hit(kind: str, state: str, index: int = 0) -> None:
        item = by_key.get((kind, state, index))
        if item is not None:
            item.hits += 1

    for event in events:
        thread = event.thread
        details = event.details or {}
        if details.get("error"):
            threads.note_error(thread, details["error"])
        if event.type.endswith("StateEntered"):
            _entered(thread, details.get("name", ""), threads, states, hit)
        elif event.type in _FAILED and thread in threads.current:
            threads.failed[thread] = (details.get("error")
                                      or threads.latest_error.get(thread, ""))
        elif event.type in _SCHEDULED and thread in threads.failed:
            _credit_retry(states.get(threads.current.get(thread, "")),
                          threads.failed.pop(thread), hit)
        elif event.type in _STARTED and thread in threads.current:
            seen = threads.started.setdefault(thread, set())
            if event.type in seen:  # the Map or Parallel state runs again: a retry
                _credit_retry(states.get(threads.current[thread]),
                              threads.latest_error.get(thread, ""), hit)
            seen.add(event.type)
        elif event.type == "ChoiceStateExited" and choice_rules is not None:
            threads.chosen[thread] = choice_rules.get(event.id, _DEFAULT)
        if event.type.endswith("StateExited"):
            threads.last[thread] = threads.current.pop(thread, details.get("name", ""))


def _entered(thread: str, name: str, threads: _Threads, states: dict[str, StateModel],
             hit: Any) -> None:
    """Credit what entering state ``name`` shows: the state, the transition that led to
    it, the branch it starts."""
    previous = threads.current.get(thread) or threads.last.get(thread)
    _credit_transition(previous, name, threads.failed.pop(thread, None),
                       threads.chosen.pop(thread, None), states, hit)
    threads.current[thread] = name
    threads.started.pop(thread, None)
    hit("State", name)
    _credit_nested(thread, name, threads.current, states, hit)
    state = states.get(name)
    if state is not None and state.type == "Fail" and isinstance(state.fields.get("Error"),
                                                                 str):
        threads.note_error(thread, state.fields["Error"])  # no event carries it


def _credit_retry(state: StateModel | None, error: str, hit: Any) -> None:
    index = _first_matching(_clauses(state, "Retry"), error) if state else None
    if state is not None and index is not None:
        hit("Retry", state.name, index)


def _credit_transition(previous: str | None, name: str, error: str | None,
                       chosen: int | None, states: dict[str, StateModel],
                       hit: Any) -> None:
    """Credit the Choice rule, Default or Catch clause that led from ``previous``."""
    state = states.get(previous or "")
    if state is None:
        return
    if error is not None:
        index = _first_matching(_clauses(state, "Catch"), error)
        if index is not None:
            hit("Catch", state.name, index)
        return
    if chosen is not None:  # the engine recorded which rule matched
        if chosen == _DEFAULT:
            hit("Default", state.name, 0)
        else:
            hit("Choice", state.name, chosen)
        return
    for transition in state.transitions:
        if transition.kind in ("Choice", "Default") and transition.target == name:
            hit(transition.kind, state.name, transition.index or 0)
            return


def _credit_nested(thread: str, name: str, current: dict[str, str],
                   states: dict[str, StateModel], hit: Any) -> None:
    """A state that starts a branch or an item processor credits that branch."""
    if not thread:
        return
    parent_thread = thread.rsplit("/", 1)[0]
    parent = states.get(current.get(parent_thread, ""))
    if parent is None:
        return
    for index, branch in enumerate(parent.branches):
        if branch.start_at == name and name in branch.states:
            hit("Branch", parent.name, index)
    if parent.processor is not None and parent.processor.start_at == name:
        hit("ItemProcessor", parent.name, 0)


# -- reports ---------------------------------------------------------------------------
def terminal_lines(report: list[DefinitionCoverage]) -> list[str]:
    """The terminal summary: one line per definition, then what no test exercised."""
    lines: list[str] = []
    for cov in report:
        lines.append(f"{cov.name}: {cov.covered}/{len(cov.items)} items covered "
                     f"({cov.percent:.0f}%) by {cov.executions} execution(s)")
        for item in cov.items:
            if not item.covered:
                lines.append(f"    not covered: {item.label()}")
    return lines


def write_json(report: list[DefinitionCoverage], path: str | Path) -> None:
    Path(path).write_text(json.dumps(
        {"definitions": [cov.to_json() for cov in report]}, indent=2) + "\n")


def write_html(report: list[DefinitionCoverage], directory: str | Path) -> Path:
    """Write ``index.html`` (a table per definition) into ``directory``."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    parts = ["<!doctype html><html><head><meta charset='utf-8'><title>stepfn workflow "
             "coverage</title><style>body{font-family:sans-serif}td,th{padding:2px 8px}"
             ".no{background:#fdd}.yes{background:#dfd}</style></head><body>",
             "<h1>Workflow coverage</h1>"]
    for cov in report:
        parts.append(f"<h2>{html.escape(cov.name)}: {cov.covered}/{len(cov.items)} "
                     f"({cov.percent:.0f}%)</h2><table><tr><th>Kind</th><th>Location</th>"
                     "<th>Target</th><th>Hits</th></tr>")
        for item in cov.items:
            css = "yes" if item.covered else "no"
            parts.append(f"<tr class='{css}'><td>{item.kind}</td>"
                         f"<td>{html.escape(item.location)}</td>"
                         f"<td>{html.escape(item.target or '')}</td><td>{item.hits}</td></tr>")
        parts.append("</table>")
    parts.append("</body></html>")
    index = out / "index.html"
    index.write_text("\n".join(parts))
    return index


__all__ = ["CoverageCollector", "DefinitionCoverage", "Item", "RunRecord", "measure",
           "terminal_lines", "write_html", "write_json"]
