"""The AWS-recorded conformance cases, run in-process (see harness.py).

Each test runs a group of cases and asserts the share that matches AWS's outcome
(status, output, error and cause) and history (event types and state names). The
failing cases are named in the assertion message; the README's issue notes list why.
"""

from __future__ import annotations

import pytest

from . import harness

pytestmark = pytest.mark.skipif(not harness.available(),
                                reason="../shared/conformance is not beside the checkout")


@pytest.fixture(scope="module")
def results() -> dict:
    cases = harness.load_cases(tier=2)
    return {"cases": cases, "results": harness.run_cases(cases)}


def _select(results: dict, predicate) -> list[tuple[dict, dict]]:
    return [(c, results["results"][c["_file"]]) for c in results["cases"] if predicate(c)]


def _rate(pairs: list[tuple[dict, dict]], key: str) -> tuple[float, list[str]]:
    judged = [(c, r) for c, r in pairs if r.get(key) is not None]
    failing = [c["_file"] for c, r in judged if not r.get(key)]
    return 1 - len(failing) / max(1, len(judged)), failing


def test_jsonpath_interpreter_matches_aws(results: dict) -> None:
    """Tier 1 outside the JSONata/variables areas: >= 95% outcomes, most histories."""
    pairs = _select(results, lambda c: c["tier"] == 1 and c["kind"] == "execution"
                    and c["area"] not in harness.JSONATA_AREAS)
    assert len(pairs) > 400
    rate, failing = _rate(pairs, "outcome")
    assert rate >= 0.95, f"{rate:.1%} match; failing: {failing}"
    hist_rate, hist_failing = _rate(pairs, "history")
    assert hist_rate >= 0.85, f"{hist_rate:.1%} histories match; failing: {hist_failing}"


def test_definition_errors_match_aws(results: dict) -> None:
    """create_error and validate cases: the definition is rejected (or accepted) as AWS."""
    pairs = _select(results, lambda c: c["kind"] in ("create_error", "validate"))
    assert pairs
    rate, failing = _rate(pairs, "outcome")
    assert rate >= 0.95, f"{rate:.1%} match; failing: {failing}"


def test_lambda_cases_match_aws(results: dict) -> None:
    """Tier 2 (local functions standing in for Lambda) outside the JSONata areas.

    The corpus records most functions' behaviour as "unknown"; the harness infers it
    from what AWS answered (see harness.infer_behaviour).
    """
    pairs = _select(results, lambda c: c["tier"] == 2 and c["kind"] == "execution"
                    and c["area"] not in harness.JSONATA_AREAS and harness.runnable(c))
    assert len(pairs) >= 5
    rate, failing = _rate(pairs, "outcome")
    assert rate >= 0.9, f"{rate:.1%} match; failing: {failing}"
