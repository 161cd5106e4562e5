"""Hypothesis strategies for state machine definitions and their inputs.

The definitions cover every state type and both query languages, with the fields that
read data at run time (paths, payload templates, intrinsic functions, JSONata
expressions, Choice rules, Wait times, Map items and concurrency, Fail errors, Assign)
drawn from small vocabularies, so that paths sometimes match the input and sometimes do
not, and values sometimes have the type a field wants and sometimes not. Tasks call the
local functions of ``FUNCTIONS``, which succeed, raise or return odd values.
"""

from __future__ import annotations

import math
from typing import Any

from hypothesis import strategies as st

REGION = "us-east-1"
ACCOUNT = "123456789012"


class BoomFailure(Exception):
    """What the ``boom`` function raises (a name no Python built-in error has)."""


def _ok(event: Any) -> Any:
    return event


def _boom(event: Any) -> Any:
    raise BoomFailure("boom")


def _odd_set(event: Any) -> Any:
    return {1, 2}  # not JSON


def _odd_nan(event: Any) -> Any:
    return math.nan  # not JSON either


def _none(event: Any) -> Any:
    return None


def _big(event: Any) -> Any:
    return "x" * (256 * 1024 + 1)  # past the payload limit


def _deep(event: Any) -> Any:
    value: Any = 1
    for _ in range(3000):  # deeper than JSON encoders recurse
        value = [value]
    return value


def _wrapped(event: Any) -> Any:
    return {"Payload": event, "items": [1, {"a": 2}], "n": None}


FUNCTIONS = {"ok": _ok, "boom": _boom, "odd_set": _odd_set, "odd_nan": _odd_nan,
             "none": _none, "big": _big, "deep": _deep, "wrapped": _wrapped}

# -- data ------------------------------------------------------------------------------
KEYS = ["a", "b", "c", "d", "s", "n", "t", "ts", "items"]
_STRINGS = ["", "x", "2016-03-14T01:59:00Z", "2016-03-14T01:59:00", "2999-01-01T00:00:00Z",
            "{\"k\": 1}", "[1, 2]", "{", "aGVsbG8=", "SHA-256", "a,b", "MyError"]
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 12), st.sampled_from([0.5, -1.5, 1e20, 2.0]),
    st.sampled_from(_STRINGS), st.text(alphabet="abc{}'\\$,", max_size=4))
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(st.sampled_from(KEYS), inner, max_size=3)),
    max_leaves=8)
# Inputs shaped as the paths below expect (some keys left out), and arbitrary ones.
fitting_documents = st.fixed_dictionaries(
    {"a": st.integers(0, 5), "c": st.lists(st.integers(0, 3), min_size=1, max_size=3),
     "items": st.lists(st.fixed_dictionaries({"a": st.integers(0, 3)}), max_size=3)},
    optional={"b": st.sampled_from(["x", "y"]), "d": st.fixed_dictionaries({"a": scalars}),
              "s": st.sampled_from(["x", "a,b", "aGk="]), "n": st.none(),
              "ts": st.sampled_from(["2016-03-14T01:59:00Z", "2016-03-14T01:59:00.123Z"]),
              "t": st.booleans()})
documents = st.one_of(fitting_documents, fitting_documents,
                      st.dictionaries(st.sampled_from(KEYS), json_values, max_size=6),
                      json_values)

# -- JSONPath --------------------------------------------------------------------------
DATA_PATHS = ["$", "$.a", "$.b", "$.c", "$.c[0]", "$.c[2]", "$.d", "$.d.a", "$.s", "$.n",
              "$.t", "$.ts", "$.items", "$.items[0]", "$.missing", "$.a.b.c", "$.c[*]",
              "$..a", "$.items[?(@.a > 1)]"]
CONTEXT_PATHS = ["$$.Execution.Input", "$$.Execution.Name", "$$.State.Name",
                 "$$.State.RetryCount", "$$.Map.Item.Value", "$$.Map.Item.Index",
                 "$$.Task.Token", "$$.Execution.Input.a", "$$.Nope"]
VARIABLE_PATHS = ["$v", "$v.a", "$w", "$w[0]", "$undefined"]
reference_paths = st.sampled_from(DATA_PATHS + CONTEXT_PATHS + VARIABLE_PATHS)
result_paths = st.one_of(st.none(), st.sampled_from(
    ["$", "$.r", "$.a", "$.a.r", "$.c[0]", "$.c[5]", "$.d.r", "$.s.r", "$.n.r"]))

_LITERALS = ["'text'", "'{} and {}'", "'{}'", "1", "-2", "1.5", "0", "3", "true", "false",
             "null", "'SHA-256'", "'MD5'", "'a,b'", "','", "'{\\\"k\\\": 1}'", "'aGk='", "''"]
_ARITY = {"Format": (1, 3), "StringToJson": (1, 1), "JsonToString": (1, 1), "Array": (0, 3),
          "ArrayPartition": (2, 2), "ArrayContains": (2, 2), "ArrayRange": (3, 3),
          "ArrayGetItem": (2, 2), "ArrayLength": (1, 1), "ArrayUnique": (1, 1),
          "Base64Encode": (1, 1), "Base64Decode": (1, 1), "Hash": (2, 2),
          "JsonMerge": (3, 3), "MathRandom": (2, 3), "MathAdd": (2, 2),
          "StringSplit": (2, 2), "UUID": (0, 0)}


@st.composite
def intrinsics(draw: st.DrawFn, depth: int = 2) -> str:
    """An intrinsic call whose arguments are literals, paths or (nested) calls."""
    name = draw(st.sampled_from(sorted(_ARITY)))
    low, high = _ARITY[name]
    count = draw(st.integers(low, high))
    options = [st.sampled_from(_LITERALS), reference_paths]
    if depth > 0:
        options.append(intrinsics(depth - 1))
    args = [draw(st.one_of(*options)) for _ in range(count)]
    return f"States.{name}({', '.join(args)})"


dynamic_values = st.one_of(reference_paths, intrinsics())


@st.composite
def templates(draw: st.DrawFn, depth: int = 1) -> dict:
    """A JSONPath payload template: constants, ``key.$`` paths and intrinsics, nested."""
    out: dict[str, Any] = {}
    for key in draw(st.lists(st.sampled_from(["p", "q", "r", "a"]), max_size=3, unique=True)):
        kind = draw(st.sampled_from(["dynamic", "dynamic", "constant", "nested"]))
        if kind == "dynamic":
            out[key + ".$"] = draw(dynamic_values)
        elif kind == "nested" and depth > 0:
            out[key] = draw(templates(depth - 1))
        else:
            out[key] = draw(json_values)
    return out


@st.composite
def assigns(draw: st.DrawFn) -> dict:
    out: dict[str, Any] = {}
    for name in draw(st.lists(st.sampled_from(["v", "w"]), min_size=1, max_size=2,
                              unique=True)):
        if draw(st.booleans()):
            out[name + ".$"] = draw(dynamic_values)
        else:
            out[name] = draw(st.one_of(json_values, templates(0)))
    return out


# -- JSONata ---------------------------------------------------------------------------
_EXPRESSIONS = [
    "$states.input", "$states.input.a", "$states.input.a + 1", "$states.input.missing",
    "$states.context.Execution.Name", "$states.context.Map.Item.Value", "$v", "$w.a",
    "$number('x')", "$error('boom')", "1/0", "$states.input.c[0]", "[1, 2, 3]", "'text'",
    "$count($states.input.c)", "$string($states.input)", "$parse('{')",
    "$partition([1, 2, 3], 0)", "$hash('x', 'nope')", "$random()", "$uuid()",
    "$states.input.ts", "$now()", "true", "false", "null", "5", "0", "-1", "2.5",
    "{'a': $states.input}", "$states.input.s & 'x'", "$sum($states.input.c)",
    "$states.input.items", "$states.input.items.a", "$toMillis($states.input.ts)",
    "$fromMillis(0)", "'2016-03-14T01:59:00Z'", "$states.input.d", "$range(0, 3, 1)",
    "$x := 1", "$states.input.a > 1", "$exists($states.input.a)", "[]", "{}",
]
_RESULT_EXPRESSIONS = ["$states.result", "$states.result.Payload", "$states.result[0]"]
_ERROR_EXPRESSIONS = ["$states.errorOutput", "$states.errorOutput.Error"]


def jsonata(extra: list[str] | None = None) -> st.SearchStrategy[str]:
    return st.sampled_from(_EXPRESSIONS + (extra or [])).map(lambda e: "{% " + e + " %}")


def jsonata_values(extra: list[str] | None = None) -> st.SearchStrategy[Any]:
    """A JSONata field value: an expression, or JSON with expressions inside."""
    expression = jsonata(extra)
    return st.one_of(expression, json_values,
                     st.dictionaries(st.sampled_from(["p", "q"]), st.one_of(
                         expression, json_values), max_size=2),
                     st.lists(expression, max_size=2))


def jsonata_assigns(extra: list[str] | None = None) -> st.SearchStrategy[dict]:
    return st.dictionaries(st.sampled_from(["v", "w"]), jsonata_values(extra), min_size=1,
                           max_size=2)


# -- states ----------------------------------------------------------------------------
def lambda_arn(name: str) -> str:
    return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"


_ERRORS = ["States.ALL", "States.TaskFailed", "States.Runtime", "BoomFailure",
           "States.IntrinsicFailure", "States.QueryEvaluationError",
           "States.ResultPathMatchFailure", "Runtime.MarshalError"]


@st.composite
def retriers(draw: st.DrawFn) -> list[dict]:
    out = []
    for _ in range(draw(st.integers(0, 1))):
        error = draw(st.sampled_from(_ERRORS))
        out.append({"ErrorEquals": [error], "MaxAttempts": draw(st.integers(0, 2)),
                    "IntervalSeconds": 1})
    return out


@st.composite
def catchers(draw: st.DrawFn, next_name: str, language: str) -> list[dict]:
    out = []
    for _ in range(draw(st.integers(0, 1))):
        catcher: dict[str, Any] = {"ErrorEquals": [draw(st.sampled_from(_ERRORS))],
                                   "Next": next_name}
        if language == "JSONPath":
            if draw(st.booleans()):
                catcher["ResultPath"] = draw(result_paths)
            if draw(st.booleans()):
                catcher["Assign"] = draw(assigns())
        else:
            if draw(st.booleans()):
                catcher["Output"] = draw(jsonata_values(_ERROR_EXPRESSIONS))
            if draw(st.booleans()):
                catcher["Assign"] = draw(jsonata_assigns(_ERROR_EXPRESSIONS))
        out.append(catcher)
    return out


def _maybe(draw: st.DrawFn, spec: dict, key: str, strategy: st.SearchStrategy) -> None:
    if draw(st.booleans()):
        spec[key] = draw(strategy)


def _jsonpath_io(draw: st.DrawFn, spec: dict, results: bool) -> None:
    """InputPath/OutputPath (and ResultPath, Assign for result-producing states)."""
    if draw(st.integers(0, 3)) == 0:
        spec["InputPath"] = draw(st.one_of(st.none(), reference_paths))
    if draw(st.integers(0, 3)) == 0:
        spec["OutputPath"] = draw(st.one_of(st.none(), reference_paths))
    if results and draw(st.integers(0, 2)) == 0:
        spec["ResultPath"] = draw(result_paths)
    if draw(st.integers(0, 3)) == 0:
        spec["Assign"] = draw(assigns())


@st.composite
def task_states(draw: st.DrawFn, next_name: str, language: str) -> dict:
    function = draw(st.sampled_from(sorted(FUNCTIONS)))
    optimized = draw(st.booleans())
    spec: dict[str, Any] = {"Type": "Task"}
    if optimized:
        spec["Resource"] = "arn:aws:states:::lambda:invoke"
    else:
        spec["Resource"] = lambda_arn(function)
    if language == "JSONPath":
        _jsonpath_io(draw, spec, results=True)
        if optimized:
            payload = draw(st.one_of(st.just({"FunctionName": function, "Payload.$": "$"}),
                                     templates().map(lambda t, f=function: {
                                         "FunctionName": f, "Payload": t})))
            spec["Parameters"] = payload
        else:
            _maybe(draw, spec, "Parameters", templates())
        _maybe(draw, spec, "ResultSelector", templates())
        timeout = draw(st.sampled_from(["none", "none", "value", "path"]))
        if timeout == "value":
            spec["TimeoutSeconds"] = draw(st.integers(1, 3))
        elif timeout == "path":
            spec["TimeoutSecondsPath"] = draw(reference_paths)
        if draw(st.integers(0, 4)) == 0:
            spec["HeartbeatSecondsPath"] = draw(reference_paths)
    else:
        if optimized:
            spec["Arguments"] = {"FunctionName": function,
                                 "Payload": draw(jsonata_values())}
        else:
            _maybe(draw, spec, "Arguments", jsonata_values())
        _maybe(draw, spec, "Output", jsonata_values(_RESULT_EXPRESSIONS))
        _maybe(draw, spec, "Assign", jsonata_assigns(_RESULT_EXPRESSIONS))
        if draw(st.integers(0, 4)) == 0:
            spec["TimeoutSeconds"] = draw(st.one_of(jsonata(), st.integers(1, 3)))
    spec["Retry"] = draw(retriers())
    spec["Catch"] = draw(catchers(next_name, language))
    return _drop_empty(spec)


@st.composite
def pass_states(draw: st.DrawFn, next_name: str, language: str) -> dict:
    spec: dict[str, Any] = {"Type": "Pass"}
    if language == "JSONPath":
        _jsonpath_io(draw, spec, results=True)
        kind = draw(st.sampled_from(["none", "parameters", "result"]))
        if kind == "parameters":
            spec["Parameters"] = draw(templates())
        elif kind == "result":
            spec["Result"] = draw(json_values)
    else:
        _maybe(draw, spec, "Output", jsonata_values())
        _maybe(draw, spec, "Assign", jsonata_assigns())
    return spec


_COMPARISONS = [
    ("NumericEquals", st.integers(0, 3)), ("NumericGreaterThan", st.just(1.5)),
    ("StringEquals", st.sampled_from(["x", ""])), ("StringMatches", st.just("x*")),
    ("BooleanEquals", st.booleans()), ("IsPresent", st.booleans()),
    ("IsNull", st.booleans()), ("IsNumeric", st.booleans()), ("IsString", st.booleans()),
    ("IsTimestamp", st.booleans()), ("TimestampLessThan", st.just("2020-01-01T00:00:00Z")),
    ("NumericEqualsPath", reference_paths), ("StringLessThanPath", reference_paths),
    ("TimestampGreaterThanPath", reference_paths), ("BooleanEqualsPath", reference_paths),
]


@st.composite
def choice_rules(draw: st.DrawFn, depth: int = 1) -> dict:
    if depth > 0 and draw(st.integers(0, 3)) == 0:
        operator = draw(st.sampled_from(["And", "Or", "Not"]))
        if operator == "Not":
            return {"Not": draw(choice_rules(depth - 1))}
        return {operator: draw(st.lists(choice_rules(depth - 1), min_size=1, max_size=2))}
    operator, values = draw(st.sampled_from(_COMPARISONS))
    return {"Variable": draw(reference_paths), operator: draw(values)}


@st.composite
def choice_states(draw: st.DrawFn, next_name: str, language: str) -> dict:
    spec: dict[str, Any] = {"Type": "Choice"}
    rules = []
    for _ in range(draw(st.integers(1, 2))):
        if language == "JSONPath":
            rule = draw(choice_rules())
            if draw(st.integers(0, 3)) == 0:
                rule["Assign"] = draw(assigns())
        else:
            rule = {"Condition": draw(jsonata())}
            if draw(st.integers(0, 3)) == 0:
                rule["Output"] = draw(jsonata_values())
        rule["Next"] = next_name
        rules.append(rule)
    spec["Choices"] = rules
    if draw(st.integers(0, 3)) != 0:  # sometimes no Default: States.NoChoiceMatched
        spec["Default"] = next_name
    if language == "JSONPath":
        _jsonpath_io(draw, spec, results=False)
    return spec


@st.composite
def wait_states(draw: st.DrawFn, next_name: str, language: str) -> dict:
    spec: dict[str, Any] = {"Type": "Wait"}
    if language == "JSONPath":
        field = draw(st.sampled_from(["Seconds", "SecondsPath", "Timestamp", "TimestampPath"]))
        if field == "Seconds":
            spec[field] = draw(st.integers(0, 2))
        elif field == "Timestamp":
            spec[field] = draw(st.sampled_from(["2016-03-14T01:59:00Z", "2016-03-14T01:59:00.5Z"]))
        else:
            spec[field] = draw(reference_paths)
        _jsonpath_io(draw, spec, results=False)
    else:
        field = draw(st.sampled_from(["Seconds", "Timestamp"]))
        spec[field] = draw(st.one_of(jsonata(), st.integers(0, 2)) if field == "Seconds"
                           else jsonata())
        _maybe(draw, spec, "Output", jsonata_values())
        _maybe(draw, spec, "Assign", jsonata_assigns())
    return spec


@st.composite
def fail_states(draw: st.DrawFn, language: str) -> dict:
    spec: dict[str, Any] = {"Type": "Fail"}
    for field in ("Error", "Cause"):
        kind = draw(st.sampled_from(["none", "constant", "dynamic"]))
        if kind == "constant":
            spec[field] = draw(st.sampled_from(["MyError", "it broke", ""]))
        elif kind == "dynamic" and language == "JSONPath":
            spec[field + "Path"] = draw(dynamic_values)
        elif kind == "dynamic":
            spec[field] = draw(jsonata())
    return spec


@st.composite
def succeed_states(draw: st.DrawFn, language: str) -> dict:
    spec: dict[str, Any] = {"Type": "Succeed"}
    if language == "JSONPath":
        _jsonpath_io(draw, spec, results=False)
        spec.pop("Assign", None)
    else:
        _maybe(draw, spec, "Output", jsonata_values())
    return spec


@st.composite
def map_states(draw: st.DrawFn, next_name: str, language: str, prefix: str,
               depth: int) -> dict:
    spec: dict[str, Any] = {"Type": "Map"}
    processor = draw(machines(language, prefix + "i", depth - 1, top=False))
    distributed = draw(st.integers(0, 3)) == 0
    processor["ProcessorConfig"] = ({"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}
                                    if distributed else {"Mode": "INLINE"})
    spec["ItemProcessor"] = processor
    if distributed:
        if language == "JSONPath":
            field = draw(st.sampled_from(["ToleratedFailurePercentagePath",
                                          "ToleratedFailureCountPath", "none"]))
            if field != "none":
                spec[field] = draw(reference_paths)
        else:
            field = draw(st.sampled_from(["ToleratedFailurePercentage",
                                          "ToleratedFailureCount", "none"]))
            if field != "none":
                spec[field] = draw(st.one_of(jsonata(), st.integers(0, 2)))
        if draw(st.booleans()):
            spec["Label"] = "lbl"
    if language == "JSONPath":
        _jsonpath_io(draw, spec, results=True)
        # Mostly paths to arrays, so that the iterations run.
        spec["ItemsPath"] = draw(st.one_of(st.sampled_from(["$.items", "$.c"]),
                                           st.sampled_from(["$.items", "$.c"]),
                                           reference_paths))
        _maybe(draw, spec, "ItemSelector", templates())
        _maybe(draw, spec, "ResultSelector", templates())
        concurrency = draw(st.sampled_from(["none", "value", "path"]))
        if concurrency == "value":
            spec["MaxConcurrency"] = draw(st.integers(0, 2))
        elif concurrency == "path":
            spec["MaxConcurrencyPath"] = draw(reference_paths)
    else:
        spec["Items"] = draw(st.one_of(st.just("{% $states.input.items %}"),
                                       st.just("{% $states.input.c %}"),
                                       jsonata(), st.lists(json_values, max_size=3)))
        _maybe(draw, spec, "ItemSelector", jsonata_values())
        _maybe(draw, spec, "MaxConcurrency", st.one_of(jsonata(), st.integers(0, 2)))
        _maybe(draw, spec, "Output", jsonata_values(_RESULT_EXPRESSIONS))
        _maybe(draw, spec, "Assign", jsonata_assigns(_RESULT_EXPRESSIONS))
    spec["Retry"] = draw(retriers())
    spec["Catch"] = draw(catchers(next_name, language))
    return _drop_empty(spec)


@st.composite
def parallel_states(draw: st.DrawFn, next_name: str, language: str, prefix: str,
                    depth: int) -> dict:
    spec: dict[str, Any] = {"Type": "Parallel"}
    spec["Branches"] = [draw(machines(language, f"{prefix}b{i}", depth - 1, top=False))
                        for i in range(draw(st.integers(1, 2)))]
    if language == "JSONPath":
        _jsonpath_io(draw, spec, results=True)
        _maybe(draw, spec, "Parameters", templates())
        _maybe(draw, spec, "ResultSelector", templates())
    else:
        _maybe(draw, spec, "Arguments", jsonata_values())
        _maybe(draw, spec, "Output", jsonata_values(_RESULT_EXPRESSIONS))
        _maybe(draw, spec, "Assign", jsonata_assigns(_RESULT_EXPRESSIONS))
    spec["Retry"] = draw(retriers())
    spec["Catch"] = draw(catchers(next_name, language))
    return _drop_empty(spec)


def _drop_empty(spec: dict) -> dict:
    for key in ("Retry", "Catch"):
        if not spec.get(key):
            spec.pop(key, None)
    return spec


@st.composite
def machines(draw: st.DrawFn, language: str | None = None, prefix: str = "S",
             depth: int = 2, top: bool = True) -> dict:
    """A machine (or a branch/processor): a chain of states, then maybe a terminal."""
    if language is None:
        language = draw(st.sampled_from(["JSONPath", "JSONata"]))
    count = draw(st.integers(1, 3))
    names = [f"{prefix}{i}" for i in range(count)]
    terminal = draw(st.sampled_from(["end", "succeed", "fail"]))
    last = f"{prefix}end"
    targets = names[1:] + [last]
    states: dict[str, dict] = {}
    for name, next_name in zip(names, targets, strict=True):
        state_language = language
        if language == "JSONPath" and draw(st.integers(0, 4)) == 0:
            state_language = "JSONata"  # a JSONata state in a JSONPath machine
        kinds = ["pass", "task", "choice", "wait"]
        if depth > 0:
            kinds += ["map", "parallel"]
        kind = draw(st.sampled_from(kinds))
        if kind == "pass":
            spec = draw(pass_states(next_name, state_language))
        elif kind == "task":
            spec = draw(task_states(next_name, state_language))
        elif kind == "choice":
            spec = draw(choice_states(next_name, state_language))
        elif kind == "wait":
            spec = draw(wait_states(next_name, state_language))
        elif kind == "map":
            spec = draw(map_states(next_name, state_language, name, depth))
        else:
            spec = draw(parallel_states(next_name, state_language, name, depth))
        if spec["Type"] != "Choice":
            spec["Next"] = next_name
        if state_language != language:
            spec["QueryLanguage"] = state_language
        states[name] = spec
    if terminal == "fail":
        states[last] = draw(fail_states(language))
    elif terminal == "succeed":
        states[last] = draw(succeed_states(language))
    else:
        states[last] = {"Type": "Pass", "End": True}
    definition: dict[str, Any] = {"StartAt": names[0], "States": states}
    if top and draw(st.integers(0, 5)) == 0:
        definition["TimeoutSeconds"] = 1
    if top and language == "JSONata":
        definition["QueryLanguage"] = "JSONata"
    elif language == "JSONata":  # a branch or processor of a JSONata state
        for spec in states.values():
            spec["QueryLanguage"] = "JSONata"
    return definition


# -- Task resources --------------------------------------------------------------------
def _optimized_arns() -> list[str]:
    from stepfn.asl.resources import OPTIMIZED

    found = []
    for service, integration in OPTIMIZED.items():
        for action in integration.actions:
            for pattern in sorted(integration.patterns(action) or ()):
                found.append(f"arn:aws:states:::{service}:{action}"
                             + (f".{pattern}" if pattern else ""))
    return found


_IN_GRAMMAR = st.one_of(
    st.sampled_from(_optimized_arns()),
    st.builds(lambda partition, name, qualifier: f"arn:{partition}:lambda:{REGION}:{ACCOUNT}:"
              f"function:{name}{qualifier}",
              st.sampled_from(["aws", "aws-cn", "aws-us-gov"]), st.sampled_from(sorted(FUNCTIONS)),
              st.sampled_from(["", ":$LATEST", ":1", ":live"])),
    st.builds(lambda name: f"arn:aws:states:{REGION}:{ACCOUNT}:activity:{name}",
              st.sampled_from(["review", "a-b_c"])),
    st.builds(lambda service, action, pattern: f"arn:aws:states:::aws-sdk:{service}:{action}"
              f"{pattern}",
              st.sampled_from(["s3", "dynamodb", "sfn", "cloudwatchlogs", "nosuchservice"]),
              st.sampled_from(["getObject", "putItem", "describeExecution", "listThings"]),
              st.sampled_from(["", ".waitForTaskToken"])),
)
# Near misses and text outside the grammar: what the validator must refuse, never the
# compiler or the run.
_OUTSIDE = st.one_of(
    st.sampled_from([
        "", "lambda", "arn:aws:lambda", "arn:aws:states:::sqs:receiveMessage",
        "arn:aws:states:::lambda:invoke.sync", "arn:aws:states:::dynamodb:getItem.sync:2",
        "arn:aws:states:::aws-sdk:s3:getObject.sync", "arn:aws:states:::aws-sdk:s3",
        "arn:aws:states:::aws-sdk:s3:GetObject", "arn:aws:states:::http:invoke.sync",
        "arn:aws:states:::s3:getObject", "arn:aws:states:::states:startExecution.sync:3",
        f"arn:aws:lambda:{REGION}:123:function:f", f"arn:aws:lambda:{REGION}:{ACCOUNT}:f",
        f"arn:aws:lambda::{ACCOUNT}:function:f", "arn:aws:states:::nosuch:invoke",
        f"arn:aws:states:{REGION}:{ACCOUNT}:sqs:sendMessage", "arn:aws:s3:::bucket",
        f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:m", "arn:aws:states:::sqs:",
        "arn:aws:states:::lambda:invoke.waitForTaskToken.sync"]),
    st.text(alphabet="arnws:.-_$ 0123456789abcdefgilmnprstuv", max_size=40),
)
task_resources = st.one_of(_IN_GRAMMAR, _IN_GRAMMAR, _OUTSIDE)


def with_resources(definition: dict, draw: st.DrawFn) -> dict:
    """``definition`` with every Task's Resource (at any depth) drawn from
    ``task_resources``; some Tasks keep theirs."""
    def visit(machine: dict) -> None:
        for spec in machine.get("States", {}).values():
            if spec.get("Type") == "Task" and draw(st.integers(0, 2)) != 0:
                spec["Resource"] = draw(task_resources)
            for branch in spec.get("Branches", ()):
                visit(branch)
            if isinstance(spec.get("ItemProcessor"), dict):
                visit(spec["ItemProcessor"])
    visit(definition)
    return definition


@st.composite
def machines_with_resources(draw: st.DrawFn) -> dict:
    """A machine of ``machines()`` whose Task Resources come from ``task_resources``."""
    definition = with_resources(draw(machines()), draw)
    # one Task first, so that every example has a drawn Resource to judge
    task = {"Type": "Task", "Resource": draw(task_resources), "Next": definition["StartAt"]}
    if definition.get("QueryLanguage") != "JSONata" and draw(st.booleans()):
        task["TimeoutSeconds"] = 2
    definition["States"] = {"R0": task, **definition["States"]}
    definition["StartAt"] = "R0"
    return definition
