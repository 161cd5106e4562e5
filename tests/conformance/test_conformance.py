"""The AWS-recorded conformance cases, gated by the exact list of known failures.

Every recorded case (tier <= 2, in-process; tier 1 through ``stepfn serve`` with the
shared runner) must match AWS unless ``known_failures.txt`` lists it, and every listed
case must still fail: a new mismatch and a fixed-but-still-listed case both fail here.
``python -m tests.conformance.harness --write-known-failures`` rewrites the list.
"""

from __future__ import annotations

import pytest

from . import harness, known_failures
from .known_failures import GateReport, KnownFailures, Verdict

needs_corpus = pytest.mark.skipif(not harness.available(),
                                  reason="../shared/conformance is not beside the checkout")


@pytest.fixture(scope="module")
def known() -> KnownFailures:
    return known_failures.load()


@pytest.fixture(scope="module")
def in_process() -> dict[str, Verdict]:
    cases = harness.load_cases(tier=2)
    assert len(cases) > 500, "the corpus was not found whole"
    return harness.verdicts_of(cases, harness.run_cases(cases))


def _only(report: GateReport, kind: str) -> GateReport:
    return GateReport([e for e in report.unexpected if e[0] == kind],
                      [e for e in report.stale if e[0] == kind])


@needs_corpus
def test_known_failures_file_is_well_formed(known: KnownFailures) -> None:
    """Each entry has a reason and names a case of the corpus; no id is listed twice."""
    corpus = harness.load_runner().load_cases(harness.SHARED / "cases")
    assert known_failures.check_ids_exist(known, (c["id"] for c in corpus)) == []
    assert not known.ids("outcome") & (known.ids("history") | known.ids("server"))
    # The file is in the form --write-known-failures writes (sorted, with the header).
    assert known_failures.render(known) == known_failures.FILE.read_text()


@needs_corpus
def test_outcomes_match_the_known_failures(known: KnownFailures,
                                           in_process: dict[str, Verdict]) -> None:
    report = _only(known_failures.gate(known, in_process), "outcome")
    assert report.ok, report.describe()


@needs_corpus
def test_histories_match_the_known_failures(known: KnownFailures,
                                            in_process: dict[str, Verdict]) -> None:
    report = _only(known_failures.gate(known, in_process), "history")
    assert report.ok, report.describe()


@needs_corpus
def test_through_stepfn_serve_with_the_shared_runner(known: KnownFailures) -> None:
    """Tier 1 through the HTTP API: `stepfn serve` and ../shared/conformance/run.py."""
    verdicts = harness.run_through_server(tier=1)
    assert len(verdicts) > 400, "the shared runner judged too few cases"
    report = known_failures.gate(known, verdicts, through_server=True)
    assert report.ok, report.describe()


# ------------------------------------------------------- the gate itself (no corpus)
LISTED = known_failures.parse("""\
# comment
a/t.py::T::x#0  # outcome differs
history: a/t.py::T::h#0  # events differ
server: a/t.py::T::s[ ]#create0  # only through the API
""")


def test_parse_reads_kinds_ids_and_reasons() -> None:
    assert LISTED.entries == {
        "outcome": {"a/t.py::T::x#0": "outcome differs"},
        "history": {"a/t.py::T::h#0": "events differ"},
        "server": {"a/t.py::T::s[ ]#create0": "only through the API"},
    }


@pytest.mark.parametrize("line", ["a/t.py::T::x#0", "a/t.py::T::x#0  #", "history: #x"])
def test_an_entry_without_a_reason_is_refused(line: str) -> None:
    with pytest.raises(known_failures.KnownFailuresError):
        known_failures.parse(line + "\n")


def test_gate_passes_when_the_run_matches_the_list() -> None:
    run = {"a/t.py::T::x#0": Verdict(False), "a/t.py::T::h#0": Verdict(True, False),
           "a/t.py::T::ok#0": Verdict(True, True)}
    assert known_failures.gate(LISTED, run).ok


def test_gate_fails_on_an_unlisted_mismatch() -> None:
    run = {"a/t.py::T::x#0": Verdict(False), "a/t.py::T::h#0": Verdict(True, False),
           "a/t.py::T::new#0": Verdict(False), "a/t.py::T::hist#0": Verdict(True, False)}
    report = known_failures.gate(LISTED, run)
    assert report.unexpected == [("outcome", "a/t.py::T::new#0"),
                                 ("history", "a/t.py::T::hist#0")]
    assert report.stale == []


def test_gate_fails_on_a_listed_case_that_now_matches() -> None:
    run = {"a/t.py::T::x#0": Verdict(True, True), "a/t.py::T::h#0": Verdict(True, True)}
    report = known_failures.gate(LISTED, run)
    assert report.stale == [("outcome", "a/t.py::T::x#0"), ("history", "a/t.py::T::h#0")]
    assert "--write-known-failures" in report.describe()


def test_gate_judges_only_the_cases_that_ran() -> None:
    assert known_failures.gate(LISTED, {"a/t.py::T::ok#0": Verdict(True, None)}).ok


def test_gate_through_the_server() -> None:
    run = {"a/t.py::T::x#0": Verdict(False), "a/t.py::T::s[ ]#create0": Verdict(False)}
    assert known_failures.gate(LISTED, run, through_server=True).ok
    fixed = {"a/t.py::T::s[ ]#create0": Verdict(True)}
    assert known_failures.gate(LISTED, fixed, through_server=True).stale == [
        ("server", "a/t.py::T::s[ ]#create0")]
    new = {"a/t.py::T::y#0": Verdict(False)}
    assert known_failures.gate(LISTED, new, through_server=True).unexpected == [
        ("outcome", "a/t.py::T::y#0")]


def test_rewrite_keeps_reasons_and_unjudged_entries() -> None:
    run = {"a/t.py::T::x#0": Verdict(False), "a/t.py::T::new#0": Verdict(False),
           "a/t.py::T::h#0": Verdict(True, True)}
    fresh = known_failures.rewrite(LISTED, run, None, {"a/t.py::T::new#0": "why"})
    assert fresh.entries["outcome"] == {"a/t.py::T::x#0": "outcome differs",
                                        "a/t.py::T::new#0": "why"}
    assert fresh.entries["history"] == {}           # judged and now matching: dropped
    assert fresh.entries["server"] == LISTED.entries["server"]  # no server run: kept
    text = known_failures.render(fresh)
    assert known_failures.parse(text).entries == fresh.entries
