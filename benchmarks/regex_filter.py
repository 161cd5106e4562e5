"""Cost of a JSONPath ``=~`` filter under the expression budget.

Times ``$.items[?(@.name =~ /item-1.*/)]`` (linear: runs on ``re``) and
``/(item|x)-1.*/`` (may backtrack: ``regex`` with ``timeout=``) over 10,000 items with
stepfn's evaluator, and one match as ``re``, ``regex`` without and with a
timeout, so the budget's per-match cost can be read off.

    .venv/bin/python benchmarks/regex_filter.py
"""

from __future__ import annotations

import re
import sys
import timeit
from pathlib import Path

import regex

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from stepfn.asl.jsonpath import compile_jsonpath  # noqa: E402


def _best(stmt, number: int) -> float:
    """The best of 5 repeats, in microseconds per call."""
    return min(timeit.repeat(stmt, number=number, repeat=5)) / number * 1e6


def main() -> int:
    doc = {"items": [{"name": f"item-{i}"} for i in range(10_000)]}
    path = compile_jsonpath("$.items[?(@.name =~ /item-1.*/)]")
    assert len(path.evaluate(doc)) == 1111
    timed = compile_jsonpath("$.items[?(@.name =~ /(item|x)-1.*/)]")  # may backtrack
    assert len(timed.evaluate(doc)) == 1111
    std, rx = re.compile("item-1.*"), regex.compile("item-1.*")
    print(f"{'what':<44}{'us/call':>10}")
    rows = [
        ("filter over 10,000 items, linear pattern", lambda: path.evaluate(doc), 20),
        ("filter over 10,000 items, timed pattern", lambda: timed.evaluate(doc), 20),
        ("one match: re.fullmatch", lambda: std.fullmatch("item-1234"), 200_000),
        ("one match: regex.fullmatch", lambda: rx.fullmatch("item-1234"), 200_000),
        ("one match: regex.fullmatch(timeout=1.0)",
         lambda: rx.fullmatch("item-1234", timeout=1.0), 200_000),
    ]
    for name, stmt, number in rows:
        print(f"{name:<44}{_best(stmt, number):>10.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
