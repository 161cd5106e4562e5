"""stepfn's pytest plugin (registered through the ``pytest11`` entry point).

Fixtures: ``workflow`` (a ``stepfn.testing.WorkflowTester`` on virtual time).
Options: ``--stepfn-cov`` (workflow coverage in the terminal summary),
``--stepfn-cov-json PATH`` and ``--stepfn-cov-html DIR`` (also turn coverage on).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from . import WorkflowRun, WorkflowTester
from .coverage import CoverageCollector, RunRecord, terminal_lines, write_html, write_json

_COLLECTOR = pytest.StashKey[CoverageCollector]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("stepfn", "stepfn workflow coverage")
    group.addoption("--stepfn-cov", action="store_true", default=False,
                    help="report which states, Choice rules, Retry/Catch clauses and "
                         "branches of each workflow the tests exercised")
    group.addoption("--stepfn-cov-json", metavar="PATH", default=None,
                    help="write the workflow coverage as JSON to PATH")
    group.addoption("--stepfn-cov-html", metavar="DIR", default=None,
                    help="write the workflow coverage as HTML into DIR")


def _enabled(config: pytest.Config) -> bool:
    return bool(config.getoption("stepfn_cov") or config.getoption("stepfn_cov_json")
                or config.getoption("stepfn_cov_html"))


def pytest_configure(config: pytest.Config) -> None:
    if _enabled(config):
        config.stash[_COLLECTOR] = CoverageCollector()


@pytest.fixture
def workflow(request: pytest.FixtureRequest) -> Iterator[WorkflowTester]:
    """A ``WorkflowTester``: runs definitions on virtual time, with mocks."""
    collector = request.config.stash.get(_COLLECTOR, None)

    def record(definition: dict, name: str, run: WorkflowRun) -> None:
        if collector is not None:
            collector.add(definition, name, RunRecord.of(run.result))

    yield WorkflowTester(on_run=record)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int,
                            config: pytest.Config) -> None:
    collector = config.stash.get(_COLLECTOR, None)
    if collector is None:
        return
    report = collector.report()
    terminalreporter.write_sep("-", "stepfn workflow coverage")
    for line in terminal_lines(report) or ["no workflow was run through the fixture"]:
        terminalreporter.write_line(line)
    json_path = config.getoption("stepfn_cov_json")
    if json_path:
        write_json(report, json_path)
        terminalreporter.write_line(f"workflow coverage JSON written to {json_path}")
    html_dir = config.getoption("stepfn_cov_html")
    if html_dir:
        index = write_html(report, html_dir)
        terminalreporter.write_line(f"workflow coverage HTML written to {index}")
