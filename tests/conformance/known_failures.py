"""The exact list of recorded cases known not to match AWS, and the gate that uses it.

``known_failures.txt`` holds one case id a line, then whitespace, ``#`` and why::

    choice_operators/test_x.py::T::test_y#3  # why it does not match yet
    history: base/test_base.py::T::test_z#0  # why the event sequence differs
    server: validation/test_v.py::T::test_w#0  # why it differs only through the API

* a bare id: the *outcome* (status, output, error, cause) differs, in-process and
  through the server;
* ``history:``: the outcome matches but the (event type, state name) sequence does not
  (in-process);
* ``server:``: the outcome matches in-process but not through ``stepfn serve`` with the
  shared runner.

The gate fails on a mismatch that is not listed, and on a listed case that now matches
(so the list stays exact). ``python -m tests.conformance.harness --write-known-failures``
rewrites the ids from a fresh run and keeps the reasons of the ids still failing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

FILE = Path(__file__).with_name("known_failures.txt")
KINDS = ("outcome", "history", "server")
NEW_REASON = "new failure: reason to be written"
NEW_SERVER_REASON = "new failure through the server: reason to be written"
# Case ids contain '#' (``...::test#0``) but never whitespace before it; the reason is
# what follows the first whitespace-then-'#'.
_LINE = re.compile(r"^(?:(history|server):\s*)?((?!history:|server:)\S.*?)\s+#\s?(.*)$")

HEADER = """\
# Recorded AWS conformance cases (../shared/conformance) known not to match stepfn.
# tests/conformance fails on any other mismatch and on a listed case that now matches.
# One case id a line, then "  # " and why. Bare id: the outcome (status, output, error,
# cause) differs; "history:": outcome matches, the event sequence does not (in-process);
# "server:": matches in-process but not through `stepfn serve` (shared run.py, tier 1).
# Rewrite after changes (reasons of ids still failing are kept):
#   python -m tests.conformance.harness --write-known-failures
"""


class KnownFailuresError(ValueError):
    """A line of the file that is not ``[kind:] id  # reason``."""


@dataclass
class KnownFailures:
    """Listed ids per kind, each with its reason."""

    entries: dict[str, dict[str, str]] = field(
        default_factory=lambda: {kind: {} for kind in KINDS})

    def ids(self, kind: str) -> set[str]:
        return set(self.entries[kind])

    def reason(self, kind: str, case_id: str) -> str | None:
        return self.entries[kind].get(case_id)


def parse(text: str) -> KnownFailures:
    """Read the file's text; every entry must carry a reason."""
    known = KnownFailures()
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = _LINE.match(line)
        if not match or not match.group(3).strip():
            raise KnownFailuresError(f"line {number}: expected '[history:|server:] <case id>"
                                     f"  # <reason>', got {raw!r}")
        kind = match.group(1) or "outcome"
        known.entries[kind][match.group(2)] = match.group(3).strip()
    return known


def load(path: Path = FILE) -> KnownFailures:
    return parse(path.read_text()) if path.exists() else KnownFailures()


def render(known: KnownFailures) -> str:
    """The file's text: the header, then outcome, history and server entries, sorted."""
    lines = [HEADER]
    for kind in KINDS:
        prefix = "" if kind == "outcome" else f"{kind}: "
        for case_id in sorted(known.entries[kind]):
            lines.append(f"{prefix}{case_id}  # {known.entries[kind][case_id]}\n")
    return "".join(lines)


@dataclass(frozen=True)
class Verdict:
    """What a run says of one case: None where the run did not judge it."""

    outcome: bool | None
    history: bool | None = None


@dataclass(frozen=True)
class GateReport:
    """Mismatches not listed (``unexpected``) and listed cases that matched (``stale``)."""

    unexpected: list[tuple[str, str]]
    stale: list[tuple[str, str]]

    @property
    def ok(self) -> bool:
        return not self.unexpected and not self.stale

    def describe(self, path: Path = FILE) -> str:
        parts = []
        if self.unexpected:
            parts.append(f"{len(self.unexpected)} mismatches not listed in {path.name}:\n"
                         + "\n".join(f"  {kind}: {cid}" for kind, cid in self.unexpected))
        if self.stale:
            parts.append(f"{len(self.stale)} listed cases now match (remove them):\n"
                         + "\n".join(f"  {kind}: {cid}" for kind, cid in self.stale))
        if parts:
            parts.append("update the list: python -m tests.conformance.harness "
                         "--write-known-failures")
        return "\n".join(parts)


def failing(verdicts: Mapping[str, Verdict], through_server: bool = False) -> dict[str, set]:
    """The ids each kind of entry should list, given one run's verdicts."""
    outcome = {cid for cid, v in verdicts.items() if v.outcome is False}
    if through_server:
        return {"outcome": outcome}
    history = {cid for cid, v in verdicts.items() if v.outcome and v.history is False}
    return {"outcome": outcome, "history": history}


def gate(known: KnownFailures, verdicts: Mapping[str, Verdict],
         through_server: bool = False) -> GateReport:
    """Compare a run with the list; only the cases the run judged count.

    In-process, bare ids must be exactly the outcome mismatches and ``history:`` ids
    exactly the history-only ones. Through the server, an outcome mismatch must be
    listed as a bare id or as ``server:``, and a ``server:`` id must still mismatch.
    """
    judged = set(verdicts)
    found = failing(verdicts, through_server)
    unexpected: list[tuple[str, str]] = []
    stale: list[tuple[str, str]] = []
    if through_server:
        allowed = known.ids("outcome") | known.ids("server")
        unexpected += [("outcome", c) for c in sorted(found["outcome"] - allowed)]
        stale += [("server", c) for c in sorted((known.ids("server") & judged)
                                                 - found["outcome"])]
        return GateReport(unexpected, stale)
    for kind in ("outcome", "history"):
        listed = known.ids(kind) & judged
        unexpected += [(kind, c) for c in sorted(found[kind] - known.ids(kind))]
        stale += [(kind, c) for c in sorted(listed - found[kind])]
    return GateReport(unexpected, stale)


def rewrite(known: KnownFailures, in_process: Mapping[str, Verdict],
            server: Mapping[str, Verdict] | None, reasons_for_new: Mapping[str, str]
            ) -> KnownFailures:
    """A new list from fresh runs, keeping the reasons of ids that still fail.

    Ids the runs did not judge keep their entries (a run of part of the corpus must not
    drop the rest). ``reasons_for_new`` proposes a reason per id for new in-process
    entries.
    """
    fresh = KnownFailures()
    found = failing(in_process)
    judged = set(in_process)
    for kind in ("outcome", "history"):
        kept = {c: r for c, r in known.entries[kind].items() if c not in judged}
        fresh.entries[kind] = kept | {
            c: known.reason(kind, c) or reasons_for_new.get(c, NEW_REASON)
            for c in found[kind]}
    if server is None:
        fresh.entries["server"] = dict(known.entries["server"])
    else:
        server_found = failing(server, through_server=True)["outcome"]
        kept = {c: r for c, r in known.entries["server"].items() if c not in server}
        fresh.entries["server"] = kept | {
            c: known.reason("server", c) or NEW_SERVER_REASON
            for c in server_found - fresh.ids("outcome")}
    return fresh


def check_ids_exist(known: KnownFailures, corpus_ids: Iterable[str]) -> list[str]:
    """Listed ids that name no case of the corpus (a typo or a removed case)."""
    ids = set(corpus_ids)
    return sorted(c for kind in KINDS for c in known.entries[kind] if c not in ids)
