"""The JSON pre-checks of ``service/limits.py`` on adversarial and random texts (their
speed is measured in benchmarks/input_checks.py, not here)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stepfn.service.limits import MAX_JSON_DEPTH, json_depth, too_deep, utf8_size_exceeds


def depth_of(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max(map(depth_of, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(depth_of, value), default=0)
    return 0


@pytest.mark.parametrize("text,depth", [
    ('"' + '\\"' * 32_000, 0),              # unterminated, escaped quotes (was quadratic)
    ('["' + '\\"' * 1000 + '[[[[', 1),       # the brackets after it are inside the string
    ("[" * 300_000, 300_000),
    ("[]" * 5000 + "[[[" + "]" * 3, 3),      # across the chunks the scan sums by
    ('["]]]", {"a": "}}\\"]"}]', 2),
    ('"\\\\"[[', 2),                         # an escaped backslash ends the string
    ('"\\', 0),                              # a lone backslash at the end
    ('{"a": [1, {"b": "[{"}]}', 3),
    ("", 0), ("42", 0), ("[]", 1),
])
def test_depth_of_adversarial_texts(text: str, depth: int) -> None:
    assert json_depth(text) == depth


def test_too_deep_at_the_limit() -> None:
    assert not too_deep("[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH)
    assert too_deep("[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1))


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet='[]{}"\\ab\n'),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(alphabet='[]{}"\\k'), children, max_size=4),
    max_leaves=40)


@settings(max_examples=300, deadline=None)
@given(JSON)
def test_depth_matches_the_parsed_value(value: Any) -> None:
    assert json_depth(json.dumps(value)) == depth_of(value)


@pytest.mark.parametrize("text,limit,exceeds", [
    ("a" * 10, 10, False), ("a" * 11, 10, True),
    ("é" * 5, 10, False), ("é" * 6, 10, True),   # two bytes each
    ("😀" * 2, 8, False), ("😀" * 3, 8, True),    # four bytes each
])
def test_utf8_size(text: str, limit: int, exceeds: bool) -> None:
    assert utf8_size_exceeds(text, limit) is exceeds
