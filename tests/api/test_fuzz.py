"""No request makes the API answer a 5xx: a hypothesis fuzz over all 37 operations.

Requests are generated from botocore's service model: well-shaped ones (every member of
its shape's type, ARNs of real resources, JSON texts for definitions and inputs) and
malformed ones (wrong types, nulls, odd list items, unknown members, deep nesting, huge
strings, bodies that are not JSON objects). They go as raw HTTP to a real server running
the real execution service, and every answer must be below 500 and in AWS's error shape;
afterwards the server must still answer.

Bounded for CI (STEPFN_FUZZ_EXAMPLES, default 500 requests); set it higher for a long run.
"""

from __future__ import annotations

import http.client
import json
import os
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from conftest import serve_in_thread  # tests/api is not a package
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stepfn.api import ApiConfig, create_app
from stepfn.api.model import operation_names, service_model
from stepfn.service import create_execution_service
from stepfn.store import SqliteStore

EXAMPLES = int(os.environ.get("STEPFN_FUZZ_EXAMPLES", "500"))
ROLE = "arn:aws:iam::123456789012:role/fuzz"
PREFIX = "arn:aws:states:us-east-1:123456789012:"
PASS_MACHINE = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
# Operations that wait when given a real resource (GetActivityTask long-polls 60 s).
NO_REAL_ARNS = {"GetActivityTask"}


def _deep(depth: int, kind: str) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value] if kind == "list" else {"a": value}
    return value


class Pools:
    """Real resources created before fuzzing, so well-shaped requests reach handlers."""

    machine = ""
    express = ""
    activity = ""
    execution = ""


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    db = tmp_path_factory.mktemp("fuzz") / "stepfn.db"
    store = SqliteStore(str(db), synchronous="NORMAL")
    config = ApiConfig(region="us-east-1", account="123456789012")
    app = create_app(store, create_execution_service(store), config)
    with serve_in_thread(app, log_level="critical") as base:
        yield from _seeded(base)


def _seeded(base: str) -> Iterator[str]:
    """Create the machines, activity and execution the generated requests refer to."""
    sfn = boto3.client("stepfunctions", endpoint_url=base, region_name="us-east-1",
                       aws_access_key_id="k", aws_secret_access_key="s",
                       config=Config(retries={"max_attempts": 1}))
    Pools.machine = sfn.create_state_machine(name="fuzz", definition=PASS_MACHINE,
                                             roleArn=ROLE)["stateMachineArn"]
    Pools.express = sfn.create_state_machine(name="fuzz-x", definition=PASS_MACHINE,
                                             roleArn=ROLE, type="EXPRESS")["stateMachineArn"]
    Pools.activity = sfn.create_activity(name="fuzz")["activityArn"]
    Pools.execution = sfn.start_execution(stateMachineArn=Pools.machine)["executionArn"]
    yield base


# -- values ------------------------------------------------------------------------------
JSON_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70),
                         st.floats(allow_nan=False), st.text(max_size=20))
ANY_JSON = st.recursive(JSON_SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=12)
DEEP = st.builds(_deep, st.sampled_from([50, 300, 600]), st.sampled_from(["list", "dict"]))
# Deeper nesting only as text: Python's own json module could not even write it.
DEEP_TEXT = st.builds(lambda n, kind: ("[" * n + "1" + "]" * n) if kind == "list" else
                      ('{"a":' * n + "1" + "}" * n),
                      st.sampled_from([999, 1000, 1025, 1100, 5000, 100_000]),
                      st.sampled_from(["list", "dict"]))
ODD_TEXT = st.sampled_from([
    "", " ", "\x00", "\ud7ff", "a" * 300, "arn:", "arn:aws:states:::", "{", "[]", "null",
    PREFIX + "stateMachine:", PREFIX + "stateMachine:nope", PREFIX + "execution:a:b:c:d",
    PREFIX + "activity:" + "x" * 90, PREFIX + "stateMachine:fuzz:1", "$", "{% $ %}",
    "%s%n%x", "../../etc/passwd", "x" * 70_000])


def _json_texts() -> st.SearchStrategy[str]:
    """Texts for definition/input/output-like strings: valid JSON, machines, deep JSON,
    near-JSON, a definition just over 1 MiB."""
    machine = st.builds(lambda comment: json.dumps({
        "Comment": comment, "StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}),
        st.text(max_size=10))
    return st.one_of(
        ANY_JSON.map(json.dumps), DEEP.map(json.dumps), DEEP_TEXT, machine,
        st.just(json.dumps({"StartAt": "P", "States": {"P": {
            "Type": "Pass", "Result": _deep(900, "dict"), "End": True}}})),
        st.just("[" * 100_000), st.just('{"a":' * 3000), st.just(PASS_MACHINE + " " * (1 << 20)),
        st.just(json.dumps({"Type": "Pass", "End": True})),
        st.sampled_from(["{", "", "nul", '"\\ud800"', "1e999999", "-", "[1,]"]))


def _real_arn(name: str) -> st.SearchStrategy[str]:
    lowered = name.lower()
    if "activity" in lowered:
        return st.sampled_from([Pools.activity])
    if "execution" in lowered or "maprun" in lowered:
        return st.sampled_from([Pools.execution])
    return st.sampled_from([Pools.machine, Pools.express, Pools.machine + ":1",
                            Pools.machine + ":alias"])


def _string(name: str, shape: dict, real: bool, malformed: bool) -> st.SearchStrategy[Any]:
    """Well shaped: mostly values a handler accepts (enums, names, real ARNs, JSON
    texts); malformed: odd texts too."""
    lowered = name.lower()
    aimed: list[st.SearchStrategy[Any]] = []
    if "enum" in shape:
        aimed.append(st.sampled_from(shape["enum"]))
    if lowered in ("name", "workername", "statename"):
        aimed.append(st.from_regex(r"[a-z][a-z0-9-]{0,20}", fullmatch=True))
    if lowered == "rolearn":
        aimed.append(st.just(ROLE))
    if real and ("arn" in lowered or lowered in ("activity", "statemachine")):
        aimed.append(_real_arn(name))
    if lowered in ("definition", "input", "output", "variables", "cause", "error",
                   "tasktoken", "nexttoken"):
        aimed.append(_json_texts())
    if lowered == "tasktoken":
        aimed.append(st.sampled_from(["QUJD", "a" * 2048, "YXJuOmF3cyNtYWluIzE"]))
    if aimed and not malformed:
        return st.one_of(*aimed, st.text(max_size=20))
    return st.one_of(st.text(max_size=40), ODD_TEXT, *aimed)


def _value(shapes: dict, name: str, shape_name: str, real: bool, malformed: bool,
           depth: int = 0) -> st.SearchStrategy[Any]:
    """A value for a member: of its shape's type, or (malformed) now and then not."""
    shape = shapes[shape_name]
    kind = shape["type"]
    if depth > 4:
        return JSON_SCALARS
    if kind == "structure":
        typed = _structure(shapes, shape_name, real, malformed, depth + 1)
    elif kind == "list":
        item = _value(shapes, name, shape["member"]["shape"], real, malformed, depth + 1)
        if malformed:
            item = st.one_of(item, st.none(), st.just({}), JSON_SCALARS)
        typed = st.lists(item, max_size=6)
    elif kind == "map":
        typed = st.dictionaries(st.text(max_size=10), _value(
            shapes, name, shape["value"]["shape"], real, malformed, depth + 1), max_size=4)
    elif kind == "string":
        typed = _string(name, shape, real, malformed)
    elif kind in ("integer", "long"):
        typed = (st.one_of(st.integers(-5, 2000), st.integers(-2**64, 2**64)) if malformed
                 else st.integers(shape.get("min", 0), min(shape.get("max", 1000), 1000)))
    elif kind in ("float", "double"):
        typed = st.floats(allow_nan=False)
    elif kind == "boolean":
        typed = st.booleans()
    elif kind == "timestamp":
        typed = st.one_of(st.integers(0, 2**33), st.floats(allow_nan=False), st.text(max_size=30))
    else:  # blob
        typed = st.text(max_size=30)
    if not malformed:
        return typed
    return st.one_of(typed, typed, typed, typed, typed, ANY_JSON, DEEP, st.none())


def _structure(shapes: dict, shape_name: str, real: bool, malformed: bool,
               depth: int = 0) -> st.SearchStrategy[dict]:
    shape = shapes[shape_name]
    required = set(shape.get("required", ()))
    members = shape.get("members", {})
    if not members:
        return st.builds(dict)

    @st.composite
    def build(draw: st.DrawFn) -> dict:
        body: dict = {}
        for member, spec in members.items():
            if member in required or draw(st.booleans()):
                if malformed and member in required and draw(st.integers(0, 10)) == 0:
                    continue  # now and then, a required member is missing
                body[member] = draw(_value(shapes, member, spec["shape"], real, malformed,
                                           depth))
        if malformed and draw(st.integers(0, 10)) == 0:
            body[draw(st.text(min_size=1, max_size=8))] = draw(ANY_JSON)
        return body

    return build()


@st.composite
def requests(draw: st.DrawFn) -> tuple[str, bytes]:
    model = service_model()
    operation = draw(st.sampled_from(sorted(operation_names())))
    op = model["operations"][operation]
    real = operation not in NO_REAL_ARNS
    form = draw(st.integers(0, 19))
    members = list(model["shapes"][op["input"]["shape"]].get("members", {})) or ["x"]
    if form == 1:  # a member nested deeper than any parser should follow
        member = draw(st.sampled_from(members))
        return operation, f'{{"{member}": {draw(DEEP_TEXT)}}}'.encode()
    if form == 0:  # not a JSON object at all
        body = draw(st.one_of(
            st.binary(max_size=64), st.just(b"\xff\xfe{"), st.just(b"[1,2]"), st.just(b"null"),
            st.just(b"[" * 5000), st.just(b'"' + b"a" * 100 + b'"'),
            ANY_JSON.map(lambda v: json.dumps(v).encode())))
        return operation, body
    shape_name = op.get("input", {}).get("shape")
    malformed = form < 10  # half the requests are well shaped, half are not
    request = (draw(_structure(model["shapes"], shape_name, real, malformed))
               if shape_name else {})
    try:
        return operation, json.dumps(request).encode()
    except (RecursionError, ValueError):
        return operation, b"{}"


def _post(base: str, operation: str, body: bytes) -> tuple[int, bytes]:
    host, port = base.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=60)
    try:
        conn.request("POST", "/", body=body, headers={
            "Content-Type": "application/x-amz-json-1.0",
            "X-Amz-Target": f"AWSStepFunctions.{operation}"})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


SEEN: dict[str, int] = {}
STATUSES: dict[int, int] = {}
CODES: dict[str, int] = {}


def test_no_request_gets_a_server_error(url: str) -> None:
    failures: list[str] = []

    # Not derandomized: each run tries new requests. print_blob: a failure prints the
    # @reproduce_failure line that replays it.
    @settings(max_examples=EXAMPLES, deadline=None, database=None, print_blob=True,
              suppress_health_check=list(HealthCheck))
    @given(requests())
    def fuzz(request: tuple[str, bytes]) -> None:
        operation, body = request
        status, answer = _post(url, operation, body)
        SEEN[operation] = SEEN.get(operation, 0) + 1
        STATUSES[status] = STATUSES.get(status, 0) + 1
        if status >= 500:
            failures.append(f"{operation} {status} {answer[:200]!r} <- {body[:300]!r}")
        assert status < 500, failures[-1]
        if status >= 400:
            error = json.loads(answer)
            CODES[error["__type"]] = CODES.get(error["__type"], 0) + 1
            assert set(error) >= {"__type", "message"}
            # A refused request is not echoed back whole (a 1 MiB definition stays home).
            assert len(answer) < 64 * 1024, f"{operation}: {len(answer)}-byte error"

    fuzz()
    assert not failures
    status, _ = _post(url, "ListStateMachines", b"{}")
    assert status == 200, "the server stopped answering"
    print(f"fuzzed {sum(SEEN.values())} requests over {len(SEEN)} operations; "
          f"statuses {dict(sorted(STATUSES.items()))}; errors {CODES}")
