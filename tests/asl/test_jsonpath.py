"""JSONPath engine: Jayway semantics as AWS Step Functions exposes them."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from stepfn.asl.jsonpath import JsonPathSyntaxError, compile_jsonpath
from stepfn.errors import PathNotFound

STORE: dict = {
    "store": {
        "book": [
            {"category": "reference", "author": "Nigel Rees", "title": "Sayings",
             "price": 8.95},
            {"category": "fiction", "author": "Evelyn Waugh", "title": "Sword",
             "price": 12.99},
            {"category": "fiction", "author": "Herman Melville", "title": "Moby Dick",
             "isbn": "0-553", "price": 8.99},
            {"category": "fiction", "author": "J. R. R. Tolkien", "title": "LOTR",
             "isbn": "0-395", "price": 22.99},
        ],
        "bicycle": {"color": "red", "price": 19.95},
    },
    "expensive": 10,
}

TITLES = ["Sayings", "Sword", "Moby Dick", "LOTR"]


def evaluate(path: str, doc: Any) -> Any:
    return compile_jsonpath(path).evaluate(doc)


# ------------------------------------------------------------------ definite paths

DEFINITE_CASES = [
    ("$", {"a": 1}, {"a": 1}),
    ("$.a", {"a": 1}, 1),
    ("$.a", {"a": None}, None),
    ("$.a.b.c", {"a": {"b": {"c": [1]}}}, [1]),
    ("$['a']", {"a": 1}, 1),
    ('$["a"]', {"a": 1}, 1),
    ("$['a b']", {"a b": 2}, 2),
    ("$['a.b']", {"a.b": 3, "a": {"b": 4}}, 3),
    ("$['it\\'s']", {"it's": 5}, 5),
    ('$["say \\"hi\\""]', {'say "hi"': 6}, 6),
    ("$['tab\\tname']", {"tab\tname": 7}, 7),
    ("$['\\u00e9']", {"é": 8}, 8),
    ("$['']", {"": 9}, 9),
    ("$.delivery-partner", {"delivery-partner": "x"}, "x"),
    ("$.café.naïve", {"café": {"naïve": 1}}, 1),
    ("$.a:b", {"a:b": 1}, 1),
    ("$.0", {"0": "zero"}, "zero"),
    ("$.a.['b']", {"a": {"b": 1}}, 1),
    ("$[0]", [10, 20], 10),
    ("$[1]", [10, 20], 20),
    ("$[-1]", [10, 20], 20),
    ("$[-2]", [10, 20], 10),
    ("$[ 1 ]", [10, 20], 20),
    ("$.a[0].b", {"a": [{"b": 1}]}, 1),
    ("$.a[1][0]", {"a": [[1], [2, 3]]}, 2),
    ("$.a[0]['b c']", {"a": [{"b c": True}]}, True),
    ("$.a ", {"a": 1}, 1),
]


@pytest.mark.parametrize(("path", "doc", "expected"), DEFINITE_CASES)
def test_definite_path_returns_the_value(path: str, doc: Any, expected: Any) -> None:
    jp = compile_jsonpath(path)
    assert jp.is_definite
    result = jp.evaluate(doc)
    assert result == expected and type(result) is type(expected)


def test_root_returns_the_document_itself() -> None:
    doc = {"a": [1]}
    assert compile_jsonpath("$").evaluate(doc) is doc


def test_definite_path_returns_values_without_copying() -> None:
    inner = {"b": [1, 2]}
    assert evaluate("$.a", {"a": inner}) is inner


MISSING_CASES = [
    ("$.a", {}),
    ("$.a", []),
    ("$.a", "text"),
    ("$.a", 5),
    ("$.a", None),
    ("$.a", True),
    ("$.a.b", {"a": None}),
    ("$.a.b", {"a": [{"b": 1}]}),       # a name on an array does not map over it
    ("$.a.b", {"a": "bcd"}),
    ("$.a.b", {"a": 1}),
    ("$.a.b.c", {"a": {"b": {}}}),
    ("$[0]", {}),
    ("$[0]", {"0": 1}),                  # an index never reads an object key
    ("$[0]", "abc"),                     # nor a character of a string
    ("$[0]", []),
    ("$[2]", [1, 2]),
    ("$[-3]", [1, 2]),
    ("$.a[0]", {"a": "xyz"}),
    ("$.a[0]", {"a": True}),
    ("$.a[0]", {"a": {"0": 1}}),
    ("$['0']", [1]),                     # a quoted name on an array is missing
    ("$.a[0].b", {"a": []}),
    ("$.a[0].b", {"a": [1]}),
]


@pytest.mark.parametrize(("path", "doc"), MISSING_CASES)
def test_definite_path_missing_raises_path_not_found(path: str, doc: Any) -> None:
    jp = compile_jsonpath(path)
    assert jp.is_definite
    with pytest.raises(PathNotFound) as info:
        jp.evaluate(doc)
    assert info.value.path == path


# ------------------------------------------------------------------ segments

SEGMENT_CASES = [
    ("$", ()),
    ("$.a", ("a",)),
    ("$.a.b", ("a", "b")),
    ("$['a']['b c']", ("a", "b c")),
    ("$.a[0]", ("a", 0)),
    ("$.a[-1].b", ("a", -1, "b")),
    ("$[3]", (3,)),
    ("$.a[*]", None),
    ("$.a[0,1]", None),
    ("$.a[1:2]", None),
    ("$..a", None),
    ("$.a[?(@.b)]", None),
    ("$.a.length()", None),
    ("$['a','b']", None),
]


@pytest.mark.parametrize(("path", "segments"), SEGMENT_CASES)
def test_segments(path: str, segments: tuple | None) -> None:
    assert compile_jsonpath(path).segments == segments


DEFINITENESS_CASES = [
    ("$", True), ("$.a", True), ("$.a[0]", True), ("$[-1]", True), ("$['a']", True),
    ("$.a.length()", True),             # a function returns one value
    ("$['a','b']", True),               # Jayway merges a trailing multi-name
    ("$..a.length()", True),            # rewritten to length($..a.*)
    ("$.a[*]", False), ("$.*", False), ("$.a[0,1]", False), ("$.a[1:]", False),
    ("$..a", False), ("$.a[?(@.b)]", False), ("$['a','b'].c", False),
    ("$.a[*].length()", False), ("$..*", False), ("$[:1]", False),
]


@pytest.mark.parametrize(("path", "definite"), DEFINITENESS_CASES)
def test_is_definite(path: str, definite: bool) -> None:
    assert compile_jsonpath(path).is_definite is definite


def test_text_is_the_original_text() -> None:
    assert compile_jsonpath("$.a ").text == "$.a "
    assert compile_jsonpath("$['x']").text == "$['x']"


def test_compiled_paths_are_cached() -> None:
    assert compile_jsonpath("$.cache.me[0]") is compile_jsonpath("$.cache.me[0]")


# ------------------------------------------------------------------ indefinite paths

INDEFINITE_CASES = [
    # wildcards
    ("$.store.book[*].title", STORE, TITLES),
    ("$.store.book.*.title", STORE, TITLES),
    ("$.a.*", {"a": {"x": 1, "y": [2]}}, [1, [2]]),
    ("$.a[*]", {"a": {"x": 1, "y": 2}}, [1, 2]),
    ("$[*]", [3, 4], [3, 4]),
    ("$[*][*]", [[1, 2], [3], "s", {"k": 4}], [1, 2, 3, 4]),
    ("$.a[*]", {"a": "str"}, []),
    ("$.a[*]", {"a": 5}, []),
    ("$[ * ]", [1], [1]),
    # unions
    ("$[0,1]", ["a", "b", "c"], ["a", "b"]),
    ("$[2, 0]", ["a", "b", "c"], ["c", "a"]),
    ("$[0,0]", ["a"], ["a", "a"]),
    ("$[0,5,-1]", ["a", "b"], ["a", "b"]),
    ("$['a','b'].x", {"a": {"x": 1}, "b": {"x": 2}}, [1, 2]),
    ("$['a','zz','b'].x", {"a": {"x": 1}, "b": {"y": 2}}, [1]),
    # slices
    ("$[1:3]", [0, 1, 2, 3, 4], [1, 2]),
    ("$[:2]", [0, 1, 2, 3, 4], [0, 1]),
    ("$[-2:]", [0, 1, 2, 3, 4], [3, 4]),
    ("$[2:]", [0, 1, 2, 3, 4], [2, 3, 4]),
    ("$[:-1]", [0, 1, 2, 3, 4], [0, 1, 2, 3]),
    ("$[-10:]", [0, 1, 2], [0, 1, 2]),
    ("$[:10]", [0, 1, 2], [0, 1, 2]),
    ("$[1:100]", [0, 1, 2], [1, 2]),
    ("$[5:]", [0, 1, 2], []),
    ("$[2:1]", [0, 1, 2], []),
    ("$[1:-1]", [0, 1, 2, 3], []),                 # Jayway never wraps 'to' here
    ("$[-3:2]", [0, 1, 2, 3, 4], [2, 3, 4, 0, 1]),  # nor 'from' the Python way
    ("$[-2:-1]", [0, 1, 2, 3, 4], [3]),
    ("$[0:4:2]", [0, 1, 2, 3, 4], [0, 1, 2, 3]),   # a step is accepted and ignored
    ("$[1:]", "string", []),
    ("$[1:]", {"1": 1}, []),
    # recursive descent
    ("$..author", STORE, ["Nigel Rees", "Evelyn Waugh", "Herman Melville",
                          "J. R. R. Tolkien"]),
    ("$.store..price", STORE, [8.95, 12.99, 8.99, 22.99, 19.95]),
    ("$..book[2].title", STORE, ["Moby Dick"]),
    ("$..book[-1].title", STORE, ["LOTR"]),
    ("$..book[0,1].title", STORE, ["Sayings", "Sword"]),
    ("$..book[:2].title", STORE, ["Sayings", "Sword"]),
    ("$..a", {"a": {"a": 1}, "b": [{"a": 2}]}, [{"a": 1}, 1, 2]),
    ("$..*", {"a": {"b": 1}, "c": [2]}, [{"b": 1}, [2], 1, 2]),
    ("$..[0]", {"a": [[1, 2], [3]]}, [[1, 2], 1, 3]),
    ("$..x", [1, "a", None], []),
    ("$..['a','b']", {"a": 1, "b": 2, "c": {"a": 3}}, [{"a": 1, "b": 2}]),
    # Jayway quirk: after '..[0]', an array hands all its elements on
    ("$..[0].n", {"l": [{"n": 1}, {"n": 2}]}, [1, 2]),
    # a tail on every kind of selector
    ("$.items[*].itemValue", {"items": [{"itemValue": 1}, {}, {"itemValue": 3}]},
     [1, 3]),
    ("$.items[*].itemValue", {"items": [1, "x", None, [1]]}, []),
]


@pytest.mark.parametrize(("path", "doc", "expected"), INDEFINITE_CASES)
def test_indefinite_path_returns_all_matches(path: str, doc: Any, expected: list) -> None:
    jp = compile_jsonpath(path)
    assert not jp.is_definite
    assert jp.evaluate(doc) == expected


# The base/*json_path_array_wildcard_or_slice_with_no_input* conformance cases: AWS
# gives [] for every one of these on an empty input.
AWS_NO_INPUT_PATHS = [
    "$.item.items[*]", "$.item.items[1:5]", "$.item.items[1:5].itemValue",
    "$.item.items[1:]", "$.item.items[:1]", "$.items[*]", "$.items[*].itemValue",
    "$.items[1:]", "$.items[1:].itemValue", "$.items[:1]", "$.items[:1].itemValue",
    "$[*]",
]


@pytest.mark.parametrize("path", AWS_NO_INPUT_PATHS)
def test_indefinite_path_on_missing_input_is_empty(path: str) -> None:
    assert compile_jsonpath(path).evaluate({}) == []


@pytest.mark.parametrize("path", [p for p in AWS_NO_INPUT_PATHS if p != "$[*]"])
@pytest.mark.parametrize("doc", [{"item": None, "items": None}, {"item": 5, "items": "s"},
                                 {"item": {"items": {}}, "items": {}}])
def test_indefinite_path_through_wrong_types_is_empty(path: str, doc: Any) -> None:
    assert compile_jsonpath(path).evaluate(doc) == []


def test_indefinite_result_is_a_new_list_of_original_values() -> None:
    inner = {"k": 1}
    result = evaluate("$.a[*]", {"a": [inner]})
    assert result == [inner] and result[0] is inner


def test_merge_of_names_is_one_object_of_the_names_present() -> None:
    doc = {"a": 1, "b": [2], "c": 3}
    assert evaluate("$['a','b']", doc) == {"a": 1, "b": [2]}
    assert evaluate("$['a','zz']", doc) == {"a": 1}
    assert evaluate("$.x['a','b']", {"x": {}}) == {}
    with pytest.raises(PathNotFound):
        evaluate("$.x['a','b']", {})


# ------------------------------------------------------------------ filters

FILTER_CASES = [
    ("$.store.book[?(@.price < 10)].title", ["Sayings", "Moby Dick"]),
    ("$.store.book[?(@.price <= 8.99)].title", ["Sayings", "Moby Dick"]),
    ("$.store.book[?(@.price > 20)].title", ["LOTR"]),
    ("$.store.book[?(@.price >= 22.99)].title", ["LOTR"]),
    ("$.store.book[?(@.category == 'reference')].title", ["Sayings"]),
    ('$.store.book[?(@.category == "reference")].title', ["Sayings"]),
    ("$.store.book[?(@.category != 'fiction')].title", ["Sayings"]),
    ("$.store.book[?(@.isbn)].title", ["Moby Dick", "LOTR"]),
    ("$.store.book[?(!@.isbn)].title", ["Sayings", "Sword"]),
    ("$.store.book[?(@.price < $.expensive)].title", ["Sayings", "Moby Dick"]),
    ("$.store.book[?($.expensive > @.price)].title", ["Sayings", "Moby Dick"]),
    ("$.store.book[?(@.isbn && @.price < 10)].title", ["Moby Dick"]),
    ("$.store.book[?(@.price > 20 || @.category == 'reference')].title",
     ["Sayings", "LOTR"]),
    ("$.store.book[?(@.price > 10 && (@.category == 'x' || @.isbn))].title", ["LOTR"]),
    ("$.store.book[?(!(@.price > 10))].title", ["Sayings", "Moby Dick"]),
    ("$.store.book[?(@.author =~ /.*rees/i)].title", ["Sayings"]),
    ("$.store.book[?(@.author =~ /Rees/)].title", []),          # a full match
    ("$.store.book[?(@.category in ['reference', 'x'])].title", ["Sayings"]),
    ("$.store.book[?(@.category nin ['fiction'])].title", ["Sayings"]),
    ("$..book[?(@.price<10)].title", ["Sayings", "Moby Dick"]),
    ("$..[?(@.price > 19)].price", [22.99, 19.95]),
    ("$.store.bicycle[?(@.color == 'red')].price", [19.95]),  # on an object: itself
    ("$.store[?(@.color == 'red')].price", []),        # not its children
    ("$.store.bicycle[?(@.color == 'blue')].price", []),
    ("$.store.bicycle.color[?(@ == 'red')]", []),      # a filter on a string
    ("$.store.book[?(@.title =~ /S.*/)].price.length()", [None, None]),
]


@pytest.mark.parametrize(("path", "expected"), FILTER_CASES)
def test_filters_on_the_store(path: str, expected: list) -> None:
    assert evaluate(path, STORE) == expected


def test_aws_recorded_filter_case() -> None:
    doc = {"users": [{"year": 1997, "status": 0}, {"year": 1998, "status": 1}]}
    assert evaluate("$.users[?(@.status == 0)]", doc) == [{"year": 1997, "status": 0}]


ITEMS = [
    {"id": 1, "n": 1, "s": "a", "flag": True, "tags": ["x", "y"], "o": {"k": 1}},
    {"id": 2, "n": 2.0, "s": "b", "flag": False, "tags": [], "o": {}},
    {"id": 3, "n": "1", "s": "", "flag": None, "tags": ["z"]},
    {"id": 4, "n": True, "s": "abc", "tags": "x"},
    {"id": 5},
]

ITEM_FILTER_CASES = [
    ("@.n == 1", [1, 3]),              # 1 == true is false; '1' == 1 as text
    ("@.n == 2", [2]),                 # 2.0 == 2
    ("@.n == true", [4]),
    ("@.n === 1", [1]),
    ("@.n == '1'", [1, 3]),            # a number on the left meets a numeric string
    ("'1' == @.n", [1, 3]),
    ("@.n != 1", [2, 4, 5]),           # missing values are unequal to everything
    ("@.n !== 1", [2, 3, 4, 5]),       # strict: '1' is not the number 1
    ("@.flag", [1, 2, 3]),             # existence, whatever the value
    ("@.flag == true", [1]),
    ("@.flag == false", [2]),
    ("@.flag == null", [3]),
    ("@.missing == null", []),
    ("!@.flag", [4, 5]),
    ("@.n < 2", [1]),
    ("@.n > '0'", [3]),                # no ordering across types: only '1' > '0'
    ("@.s > 'a'", [2, 4]),
    ("@.s < 'b'", [1, 3, 4]),
    ("@.s =~ /a.*/", [1, 4]),
    ("@.s =~ /A/i", [1]),
    ("@.n =~ /1/", [1, 3]),
    ("@.flag =~ /true/", [1]),
    ("@.missing =~ /^$/", [1, 2, 3, 4, 5]),   # Jayway matches missing as ''
    ("@.s in ['a', 'b']", [1, 2]),
    ('@.s in ["abc"]', [4]),
    ("@.n in [1]", [1, 3]),
    ("@.s nin ['a', 'b']", [3, 4, 5]),
    ("@.tags subsetof ['x', 'y', 'z']", [1, 2, 3]),
    ("@.tags anyof ['y', 'q']", [1]),
    ("@.tags noneof ['y']", [2, 3]),
    ("@.tags size 2", [1]),
    ("@.s size 3", [4]),
    ("@.tags empty true", [2]),
    ("@.tags empty false", [1, 3, 4]),
    ("@.s empty true", [3]),
    ("@.o empty true", [2]),
    ("@.tags contains 'x'", [1, 4]),   # a list holding it, or a string
    ("@.s contains 'b'", [2, 4]),
    ("@.tags[0] == 'x'", [1]),
    ("@.tags[*] == 'x'", []),          # an indefinite operand is a list
    ("@.tags == ['x', 'y']", [1]),
    ("@.o == {'k': 1}", [1]),
    ("@.tags.length() == 2", [1]),
    ("@.id == 1 || @.id == 5", [1, 5]),
    ("@.id > 1 && @.id < 4 && @.s", [2, 3]),
    ("(@.id == 1 || @.id == 2) && @.flag == false", [2]),
    ("!(@.id == 1)", [2, 3, 4, 5]),
    ("@.id == $.wanted", [3]),
    ("@.id in $.several", [2, 4]),
    ("$.wanted", [1, 2, 3, 4, 5]),     # the root exists for every item
    ("$.nothing", []),
    ("@", [1, 2, 3, 4, 5]),
    ("@.id==1", [1]),
    ("  @.id   ==   1  ", [1]),
    ("@.id == -1", []),
    ("@.id < 1.5e0", [1]),
]


@pytest.mark.parametrize(("condition", "ids"), ITEM_FILTER_CASES)
def test_filter_operators(condition: str, ids: list[int]) -> None:
    doc = {"items": ITEMS, "wanted": 3, "several": [2, 4]}
    assert evaluate(f"$.items[?({condition})].id", doc) == ids


def test_true_never_equals_one() -> None:
    assert evaluate("$[?(@.v == 1)]", [{"v": True}, {"v": 1}]) == [{"v": 1}]
    assert evaluate("$[?(@.v == true)]", [{"v": True}, {"v": 1}]) == [{"v": True}]
    assert evaluate("$[?(@.v in [1])]", [{"v": True}]) == []
    assert evaluate("$[?(@.v == [1])]", [{"v": [True]}]) == []


def test_filter_on_scalars_in_an_array() -> None:
    assert evaluate("$.a[?(@ > 2)]", {"a": [1, 2, 3, 4, True]}) == [3, 4]


def test_nested_filter() -> None:
    doc = [{"c": [{"d": 1}]}, {"c": [{"d": 2}]}]
    assert evaluate("$[?(@.c[?(@.d == 2)])]", doc) == [{"c": [{"d": 2}]}]


def test_filter_sees_a_comparison_of_strings_by_utf16_units() -> None:
    # U+FFFD sorts after U+1F600 in UTF-16 (a surrogate pair starts at U+D83D).
    doc = [{"s": "\U0001F600"}, {"s": "\uFFFD"}]
    assert evaluate("$[?(@.s < '\uFFFD')].s", doc) == ["\U0001F600"]


# ------------------------------------------------------------------ functions

FUNCTION_CASES = [
    ("$.a.length()", {"a": [1, 2, 3]}, 3),
    ("$.a.length()", {"a": {"x": 1}}, 1),
    ("$.a.length()", {"a": "abc"}, None),
    ("$.a.size()", {"a": [1]}, 1),
    ("$.length()", [1, 2], 2),
    ("$.a.sum()", {"a": [1, 2, 3.5]}, 6.5),
    ("$.a.sum()", {"a": [1, 2]}, 3.0),
    ("$.a.min()", {"a": [3, 1, 2]}, 1.0),
    ("$.a.max()", {"a": [3, 1, 2]}, 3.0),
    ("$.a.max()", {"a": [-3, -1]}, 5e-324),   # Jayway starts max at Double.MIN_VALUE
    ("$.a.avg()", {"a": [1, 2, 3, 4]}, 2.5),
    ("$.a.stddev()", {"a": [2, 4, 4, 4, 5, 5, 7, 9]}, 2.0),
    ("$.a.sum()", {"a": [1, "2", True, None, 2]}, 3.0),  # only numbers count
    ("$.a.sum(10)", {"a": [1]}, 11.0),
    ("$.a.sum($.b)", {"a": [1], "b": [2, 3]}, 6.0),
    ("$.a.keys()", {"a": {"x": 1, "y": 2}}, ["x", "y"]),
    ("$.a.keys()", {"a": [1]}, None),
    ("$.a.first()", {"a": [1, 2]}, 1),
    ("$.a.last()", {"a": [1, 2]}, 2),
    ("$.a.first()", {"a": []}, None),
    ("$.a.concat('x', \"y\")", {"a": ["p", 1, "q"]}, "pqxy"),
    ("$.a.concat($.b)", {"a": [], "b": "B"}, "B"),
    ("$.a.append(3, 'x')", {"a": [1]}, [1, 3, "x"]),
    ("$.a.append(3)", {"a": "s"}, "s"),
    ("$..price.sum()", STORE, 73.87),
    ("$..book.length()", STORE, 4),
    ("$..price.length()", STORE, 0),          # length($..price.*): no children
    ("$.a[0].length()", {"a": [[1]]}, 1),
]


@pytest.mark.parametrize(("path", "doc", "expected"), FUNCTION_CASES)
def test_functions(path: str, doc: Any, expected: Any) -> None:
    jp = compile_jsonpath(path)
    assert jp.is_definite
    result = jp.evaluate(doc)
    if isinstance(expected, float):
        assert isinstance(result, float) and math.isclose(result, expected)
    else:
        assert result == expected


def test_append_does_not_modify_the_document() -> None:
    doc = {"a": [1]}
    assert evaluate("$.a.append(2)", doc) == [1, 2]
    assert doc == {"a": [1]}


def test_function_after_an_indefinite_path_applies_per_match() -> None:
    assert evaluate("$.a[*].length()", {"a": [[1], [1, 2], "s"]}) == [1, 2, None]


@pytest.mark.parametrize(("path", "doc"), [
    ("$.a.sum()", {"a": []}),
    ("$.a.avg()", {"a": ["x"]}),
    ("$.a.min()", {"a": 5}),
    ("$.missing.length()", {}),
    ("$..nothing.sum()", {"a": 1}),
])
def test_function_without_input_raises_path_not_found(path: str, doc: Any) -> None:
    with pytest.raises(PathNotFound):
        evaluate(path, doc)


def test_failing_function_in_an_indefinite_path_matches_nothing() -> None:
    assert evaluate("$.a[*].sum()", {"a": [1, 2]}) == []


# ------------------------------------------------------------------ syntax errors

SYNTAX_ERRORS = [
    ("", "start with '$'"),
    ("a.b", "start with '$'"),
    ("$a", "expected '.' or '['"),
    ("$.", "must not end with '.'"),
    ("$..", "must not end with '.'"),
    ("$.a.", "must not end with '.'"),
    ("$.a..", "must not end with '.'"),
    ("$...a", "'.' is not valid"),
    ("$.a b", "bracket notation"),
    ("$[", "unclosed '['"),
    ("$.a[0", "unclosed '['"),
    ("$['a'", "expected ']'"),
    ("$['a]", "unclosed string"),
    ("$[]", "expected ?"),
    ("$[a]", "expected ?"),
    ("$[1a]", "array index"),
    ("$[-]", "array index"),
    ("$[0,]", "array index"),
    ("$[99999999999]", "out of range"),
    ("$[::2]", "slice"),
    ("$[:]", "slice"),
    ("$[1 : 2]", "slice"),
    ("$['a',]", "quoted name"),
    ("$['a'b]", "expected ']'"),
    ("$[*", "expected ']'"),
    ("$['a']b", "unexpected character"),
    ("$.a()", "unknown function"),
    ("$.length(1)", "takes no arguments"),
    ("$.sum(1", "arguments of sum()"),
    ("$[?(@.a)", "expected ']'"),
    ("$[?@.a]", "'(' after '[?'"),
    ("$[?()]", "expected a value"),
    ("$[?(@.a ==)]", "right operand"),
    ("$[?(@.a ~~ 1)]", "unknown operator"),
    ("$[?(@.a like 1)]", "unknown operator"),
    ("$[?(@.a == 'x)]", "unclosed string"),
    ("$[?(@.a == 1 &&)]", "expected a value"),
    ("$[?(@.a =~ /(/)]", "bad regular expression"),
    ("$[?(@.a =~ /x/q)]", "regular expression flag"),
    ("$[?(@.a =~ /x)]", "unclosed regular expression"),
    ("$[?((@.a == 1)]", "expected ')'"),
    ("$[?(1)]", "comparison or a path"),
    ("$[?(@.a == [1,)]", "expected a value"),
    ("$[?(@. == 1)]", "must not end with '.'"),
]


@pytest.mark.parametrize(("path", "message"), SYNTAX_ERRORS)
def test_syntax_errors(path: str, message: str) -> None:
    with pytest.raises(JsonPathSyntaxError) as info:
        compile_jsonpath(path)
    assert message in str(info.value)
    assert isinstance(info.value, ValueError)


def test_syntax_error_names_the_path_and_position() -> None:
    with pytest.raises(JsonPathSyntaxError, match=r"'\$\.a\.b c'.*position 5"):
        compile_jsonpath("$.a.b c")


# ------------------------------------------------------------------ conformance

CASES = Path("/work/shared/conformance/cases/base")


def _recorded_json_path_cases() -> list[tuple[str, str, Any]]:
    """(path, input, AWS output) for single-Parameter Pass states in base/."""
    found = []
    if not CASES.is_dir():
        return found
    for case_file in sorted(CASES.glob("*json_path*.json")):
        case = json.loads(case_file.read_text())
        if case.get("unreliable") or case["expected"].get("status") != "SUCCEEDED":
            continue
        state = next(iter(json.loads(case["definition"])["States"].values()))
        params = state.get("Parameters") or {}
        if len(params) != 1:
            continue
        key, path = next(iter(params.items()))
        found.append((path, case["input"], case["expected"]["output"][key[:-2]]))
    return found


@pytest.mark.parametrize(("path", "doc", "expected"), _recorded_json_path_cases())
def test_recorded_aws_cases(path: str, doc: str, expected: Any) -> None:
    assert evaluate(path, json.loads(doc)) == expected


def test_recorded_cases_were_found() -> None:
    if not CASES.is_dir():
        pytest.skip("no shared conformance folder")
    assert len(_recorded_json_path_cases()) >= 12


# ------------------------------------------------------- unquoted words in filters
# Deployed workflows compare to unquoted words, e.g. [?(@.Name==Receipt)]. AWS accepts
# them: the word is the string it spells (Jayway's inline filter parser kept a bare
# operand as its text; json-smart's permissive mode reads bare words in [...] literals).

UNQUOTED_CASES = [
    ("@.s == abc", [4]),
    ("@.s==abc", [4]),
    ("abc == @.s", [4]),
    ("@.s != abc", [1, 2, 3, 5]),
    ("@.s == abc && @.id == 4", [4]),
    ("@.s == a || @.s == b", [1, 2]),
    ("(@.s == a)", [1]),
    ("@.s == nothing", []),
    ("@.s == trueish", []),            # a keyword only as a whole word
    ("@.s in [a, b]", [1, 2]),         # bare words inside a list literal
    ("@.s nin [a , b]", [3, 4, 5]),
    ("@.tags anyof [y, q]", [1]),
    ("@.o == {k: 1}", [1]),            # json-smart: unquoted key, number value
    ("@.n == 1", [1, 3]),              # digits are still a number
    ("@.flag == true", [1]),           # and keywords still keywords
]


@pytest.mark.parametrize(("condition", "ids"), UNQUOTED_CASES)
def test_unquoted_word_is_a_string(condition: str, ids: list[int]) -> None:
    doc = {"items": ITEMS, "wanted": 3, "several": [2, 4]}
    assert evaluate(f"$.items[?({condition})].id", doc) == ids


def test_unquoted_word_keeps_dots_and_dashes() -> None:
    attributes = [{"name": "ecs.availability-zone", "value": "eu-west-1a"},
                  {"name": "ecs.os-type", "value": "linux"}]
    path = "$.attributes[?(@.name==ecs.availability-zone)].value"
    assert evaluate(path, {"attributes": attributes}) == ["eu-west-1a"]


def test_issue_filters_compile_and_select() -> None:
    translations = [{"TargetLanguageCode": "fr", "TranslatedText": "Bonjour"},
                    {"TargetLanguageCode": "es", "TranslatedText": "Hola"}]
    assert evaluate("$[?(@.TargetLanguageCode==es)].TranslatedText",
                    translations) == ["Hola"]
    labels = {"Labels": [{"Name": "Receipt", "Confidence": 99.1}, {"Name": "Paper"}]}
    assert evaluate("$.Labels[?(@.Name==Receipt)]", labels) == [
        {"Name": "Receipt", "Confidence": 99.1}]


UNQUOTED_SYNTAX_ERRORS = [
    "$[?(@.a == b c)]",     # a word ends at a blank; what follows is not an operator
    "$[?(@.a == [b,])]",    # an empty list item
    "$[?(@.a == {b})]",     # a key without ':'
    "$[?(b)]",              # a word alone is not a test
]


@pytest.mark.parametrize("path", UNQUOTED_SYNTAX_ERRORS)
def test_unquoted_word_syntax_errors(path: str) -> None:
    with pytest.raises(JsonPathSyntaxError):
        compile_jsonpath(path)


# Forms seen in deployed workflows; each parses and evaluates as Jayway does.
COMMON_FORMS = [
    ("$.items[?(@.s == 'a' && @.n > 0)].id", [1]),
    ("$.items[?(@.s=='abc'||@.id==5)].id", [4, 5]),
    ("$.items[?(@.s =~ /A.*/i)].id", [1, 4]),
    ("$.items[?(@.s == \"b\")].id", [2]),
    ("$.items[ ?( @.id >= 4 ) ].id", [4, 5]),
    ("$.items[?(@.tags)].id", [1, 2, 3, 4]),
    ("$.items[-1:].id", [5]),
    ("$.items[?(@.id in [1, 5])].id", [1, 5]),
    ("$.items[?(@.tags subsetof ['x', 'y'])].id", [1, 2]),
    ("$.items[?(@.tags size 1)].id", [3, 4]),   # a string has a size too
    ("$.items[?(@.tags empty false)].id", [1, 3, 4]),
    ("$..k", [1]),
    ("$.items.length()", 5),
    ("$.items[?(@.tags.length() > 0)].id", [1, 3]),
]


@pytest.mark.parametrize(("path", "expected"), COMMON_FORMS)
def test_common_deployed_forms(path: str, expected: Any) -> None:
    assert evaluate(path, {"items": ITEMS}) == expected


def test_definition_with_unquoted_filters_validates_and_runs() -> None:
    """End to end: the validator accepts both filters and the engine selects as AWS."""
    from stepfn import Engine
    from stepfn.asl.validate import parse_definition, validate_definition

    definition = {
        "StartAt": "Pick",
        "States": {"Pick": {
            "Type": "Pass",
            "Parameters": {
                "spanish.$": "$.Translations[?(@.TargetLanguageCode==es)].TranslatedText",
                "receipts.$": "$.Labels[?(@.Name==Receipt)]",
            },
            "End": True,
        }},
    }
    text = json.dumps(definition)
    diagnostics = validate_definition(parse_definition(text), "STANDARD")
    assert [d for d in diagnostics if d.severity == "ERROR"] == []
    result = Engine().run(text, {
        "Translations": [{"TargetLanguageCode": "fr", "TranslatedText": "Bonjour"},
                         {"TargetLanguageCode": "es", "TranslatedText": "Hola"}],
        "Labels": [{"Name": "Receipt", "Confidence": 98.5}, {"Name": "Text"}],
    })
    assert result.status == "SUCCEEDED"
    assert result.output == {"spanish": ["Hola"],
                             "receipts": [{"Name": "Receipt", "Confidence": 98.5}]}


@pytest.mark.parametrize(("condition", "ids"), [
    ("@.s IN ['a', 'b']", [1, 2]),
    ("@.s In [a, b]", [1, 2]),
    ("@.tags ANYOF ['y', 'q']", [1]),
    ("@.tags Size 2", [1]),
])
def test_word_operators_ignore_case(condition: str, ids: list[int]) -> None:
    """Jayway's RelationalOperator.fromString upper-cases the operator it reads."""
    assert evaluate(f"$.items[?({condition})].id", {"items": ITEMS}) == ids
