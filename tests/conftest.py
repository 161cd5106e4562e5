"""Suite-wide hooks."""

from __future__ import annotations

from typing import Any


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print the lines tests recorded with ``record_property("summary", text)`` (the
    fault test's statistics) after the run: a test's own output is not shown when it
    runs in one of pytest-xdist's workers, its recorded properties are."""
    lines = [str(value) for reports in terminalreporter.stats.values() for report in reports
             for name, value in getattr(report, "user_properties", ())
             if name == "summary" and getattr(report, "when", "call") == "call"]
    if lines:
        terminalreporter.write_sep("-", "test summaries")
        for line in lines:
            terminalreporter.write_line(line)
