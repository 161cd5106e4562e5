"""What the API's checks on a request cost, on the largest, most hostile inputs the
service model allows, against parsing the text alone (``orjson.loads``, the floor).

Inputs: 262,144 characters (StartExecution ``input``, SendTaskSuccess ``output``,
TestState ``input``); definitions: 1,048,576 characters. Shapes: an unterminated
string of escaped quotes (what made the earlier depth pre-check quadratic), brackets
nested 100,000 deep, one long string, many keys, many small arrays, and for
definitions a machine of many Pass states and duplicated state names deep down.

Checks timed, each the median of ``--runs`` runs, in milliseconds:

- ``depth``: ``service.limits.too_deep``, the pre-check run before any parser;
- ``input``: the API's whole check of a JSON member (size, depth, parse: what
  StartExecution, SendTaskSuccess and TestState run on ``input``/``output``);
- ``model``: ``api.model.validate_request`` on the request carrying the text;
- ``sigv4``: ``api.auth.SigV4Verifier.verify`` of the request (hashes the body);
- ``definition``: ``service.machines.check_definition`` (depth, the parse with
  duplicate-name detection, and the whole validator), definitions only.

``--before`` also times the depth pre-check as it was (two regex passes; quadratic on
the escaped-quote shape) on smaller sizes, since at full size it runs for minutes.

    .venv/bin/python benchmarks/input_checks.py [--runs 5] [--before]
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from collections.abc import Callable
from itertools import accumulate
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from botocore.auth import SigV4Auth  # noqa: E402
from botocore.awsrequest import AWSRequest  # noqa: E402
from botocore.credentials import Credentials  # noqa: E402

from stepfn.api.auth import SigV4Verifier  # noqa: E402
from stepfn.api.errors import ApiError  # noqa: E402
from stepfn.api.handlers import _json_text  # noqa: E402
from stepfn.api.model import validate_request  # noqa: E402
from stepfn.service.limits import too_deep  # noqa: E402
from stepfn.service.machines import check_definition  # noqa: E402

INPUT_CHARS = 262_144
DEFINITION_CHARS = 1_048_576
ARN = "arn:aws:states:us-east-1:123456789012:stateMachine:m"


def escaped_quotes(size: int) -> str:
    return '"' + '\\"' * ((size - 1) // 2)


def deep(size: int) -> str:
    return "[" * 100_000 + "0" * (size - 200_000) + "]" * 100_000


def long_string(size: int) -> str:
    return '"' + "a" * (size - 2) + '"'


def many_keys(size: int) -> str:
    parts, used = [], 2
    i = 0
    while used < size - 20:
        part = f'"k{i}":{i}'
        parts.append(part)
        used += len(part) + 1
        i += 1
    return "{" + ",".join(parts) + "}"


def small_arrays(size: int) -> str:
    return "[" + ",".join(["[]"] * ((size - 2) // 3)) + "]"


def pass_states(size: int) -> str:
    states, used, i = [], 40, 0
    while used < size - 200:
        state = f'"S{i}":{{"Type":"Pass","Next":"S{i + 1}"}}'
        states.append(state)
        used += len(state) + 1
        i += 1
    states.append(f'"S{i}":{{"Type":"Pass","End":true}}')
    return '{"StartAt":"S0","States":{' + ",".join(states) + "}}"


def deep_duplicates(size: int) -> str:
    """Objects 250 deep over many ``States`` objects that repeat a state name."""
    head = '{"States":{"A":{},"A":{}},"x":' * 250
    tail = "}" * 250
    item = '{"States":{"B":{},"B":{}}}'
    count = (size - len(head) - len(tail) - 2) // (len(item) + 1)
    return head + "[" + ",".join([item] * count) + "]" + tail


INPUT_SHAPES = {"escaped quotes": escaped_quotes, "nested 100,000 deep": deep,
                "one long string": long_string, "many keys": many_keys,
                "many small arrays": small_arrays}
DEFINITION_SHAPES = {**INPUT_SHAPES, "Pass states": pass_states,
                     "duplicate names, deep": deep_duplicates}

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_DELTA = {"[": 1, "{": 1, "]": -1, "}": -1}


def depth_before(text: str) -> int:
    """The depth pre-check as it was before this benchmark existed (for --before)."""
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    return max(accumulate(map(_DELTA.__getitem__, brackets)), default=0)


def median_ms(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        try:
            fn()
        except (ApiError, ValueError):
            pass  # a refusal is an answer too: what is timed is reaching it
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def floor(text: str) -> None:
    orjson.loads(text)


def signed_verify(body: bytes) -> Callable[[], object]:
    request = AWSRequest(method="POST", url="http://127.0.0.1:8083/", data=body, headers={
        "Content-Type": "application/x-amz-json-1.0",
        "X-Amz-Target": "AWSStepFunctions.StartExecution"})
    SigV4Auth(Credentials("AKID", "secret"), "states", "us-east-1").add_auth(request)
    headers = [(k.lower(), v) for k, v in request.headers.items()]
    headers.append(("host", "127.0.0.1:8083"))
    verifier = SigV4Verifier({"AKID": "secret"}, "us-east-1")
    return lambda: verifier.verify("POST", "/", "", headers, body)


def row(kind: str, shape: str, text: str, runs: int) -> list[str]:
    cells = [kind, shape, f"{len(text):,}", f"{median_ms(lambda: floor(text), runs):.2f}",
             f"{median_ms(lambda: too_deep(text), runs):.2f}"]
    if kind == "input":
        request = {"stateMachineArn": ARN, "input": text}
        cells.append(f"{median_ms(lambda: _json_text(text, 'X', 'x'), runs):.2f}")
        model = median_ms(lambda: validate_request("StartExecution", request), runs)
        cells.append(f"{model:.2f}")
        body = orjson.dumps(request)
        cells.append(f"{median_ms(signed_verify(body), runs):.2f}")
        cells.append("")
    else:
        request = {"name": "m", "roleArn": "arn:aws:iam::123456789012:role/r",
                   "definition": text}
        cells.append("")
        model = median_ms(lambda: validate_request("CreateStateMachine", request), runs)
        cells.append(f"{model:.2f}")
        body = orjson.dumps(request)
        cells.append(f"{median_ms(signed_verify(body), runs):.2f}")
        cells.append(f"{median_ms(lambda: check_definition(text, 'STANDARD'), runs):.2f}")
    return cells


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--before", action="store_true",
                        help="also time the earlier depth pre-check at smaller sizes")
    args = parser.parse_args()
    header = ["request", "shape", "chars", "orjson ms", "depth ms", "input ms", "model ms",
              "sigv4 ms", "definition ms"]
    rows = [row("input", shape, make(INPUT_CHARS), args.runs)
            for shape, make in INPUT_SHAPES.items()]
    rows += [row("definition", shape, make(DEFINITION_CHARS), args.runs)
             for shape, make in DEFINITION_SHAPES.items()]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for cells in [header, *rows]:
        print("  ".join(c.ljust(w) if i < 2 else c.rjust(w)
                        for i, (c, w) in enumerate(zip(cells, widths, strict=True))))
    if args.before:
        print("\ndepth pre-check on escaped quotes: before (two regex passes) and now, ms")
        for size in (8_001, 16_001, 32_001, 64_001):
            text = escaped_quotes(size)
            before = median_ms(lambda t=text: depth_before(t), 1)
            now = median_ms(lambda t=text: too_deep(t), args.runs)
            print(f"{size:>8,}  before {before:>10.1f}  now {now:>8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
