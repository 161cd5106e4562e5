"""The JSONata boundary: expressions come from definitions anyone allowed to create a
state machine can write, and jsonata2py turns them into Python source run with exec.
These tests pin that nothing in an expression reaches Python itself (see
docs/security.md)."""

from __future__ import annotations

from pathlib import Path

import pytest
from jsonata2py import JsonataExpressionFactory

from stepfn.asl.jsonata import (
    UNDEFINED,
    JsonataEvaluationError,
    JsonataSyntaxError,
    compile_jsonata,
)

INPUT = {"a": 1, "nested": {"b": [1, 2]}}


def run(expr: str) -> object:
    return compile_jsonata(expr).evaluate({"states": {"input": INPUT}, "v": {"k": 1}})


@pytest.mark.parametrize("expr", [
    "$states.input.__class__", "$states.input.`__class__`", "$states.input.__dict__",
    "$states.input.__init__.__globals__", "$states.`__class__`.`__mro__`",
    '$lookup($states.input, "__class__")', '$lookup($, "__globals__")',
    "$states.input.*.__class__", "$v.__class__.__bases__", "$states.input.keys",
    "$states.input.items", "$__builtins__", "$globals", "$_root", "$_ctx",
])
def test_python_attributes_and_internals_are_not_reachable(expr: str) -> None:
    assert run(expr) is UNDEFINED


@pytest.mark.parametrize("expr", [
    '$eval("1 + 1")', '$__import__("os")', '$import("os")', '$exec("x = 1")',
    '$open("/etc/passwd")', '$compile("1", "f", "eval")', '$getattr($states, "input")',
    '$type.__call__(1)',
])
def test_no_python_callable_is_exposed(expr: str) -> None:
    with pytest.raises((JsonataEvaluationError, JsonataSyntaxError)):
        run(expr)


def test_string_literals_and_field_names_stay_data(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    payload = f"__import__('os').system('touch {marker}')"
    assert run(f'"\\"); {payload}; (\\""') == f'"); {payload}; ("'
    double = payload.replace("'", '"')
    assert run(f"'\\'); {double}; (\\''") == f"'); {double}; ('"
    assert run(f'$states.input.`a"); {payload}; ("`') is UNDEFINED
    assert run(f'{{"k\\"); {payload} #": 1}}') == {f'k"); {payload} #': 1}
    assert not marker.exists()
    source = JsonataExpressionFactory().translate(f'$states.input.`a"); {payload}; ("`')
    # The field name appears in the generated Python only as a string literal.
    assert repr(f'a"); {payload}; ("') in source


@pytest.mark.parametrize("expr,expected", [
    ('"{0.__class__}"', "{0.__class__}"),
    ('"%s%n%x" & "{}"', "%s%n%x{}"),
    ('$string($states.input)', '{"a":1,"nested":{"b":[1,2]}}'),
    ('($f := function($x){ $x }; $string($f))', ""),
    ('$type($states.input)', "object"),
    ('$states.input ~> |$|{"__class__": 1}|', {**INPUT, "__class__": 1}),
])
def test_formatting_and_constructors_build_plain_json(expr: str, expected: object) -> None:
    assert run(expr) == expected


def test_huge_range_fails_cleanly() -> None:
    with pytest.raises(JsonataEvaluationError) as info:
        run("[1..100000000]")
    assert info.value.cause.startswith("D2014")


def test_unbounded_recursion_fails_cleanly() -> None:
    with pytest.raises(JsonataEvaluationError) as info:
        run("(function($f){ $f($f) })(function($f){ $f($f) })")
    assert info.value.cause.startswith("U1001")


def test_very_long_expression_fails_to_compile_cleanly() -> None:
    with pytest.raises(JsonataSyntaxError):
        compile_jsonata("1" + "+1" * 20000)


def test_variable_names_python_refuses_fail_to_compile_cleanly() -> None:
    with pytest.raises(JsonataSyntaxError):
        compile_jsonata("($a\u00b2 := 1; $a\u00b2)".encode().decode("unicode_escape"))
