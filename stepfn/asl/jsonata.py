"""JSONata for JSONata-language states, as AWS Step Functions runs it.

The JSONata engine is ``jsonata2py``: it translates an expression once into Python and
then evaluates it directly on our Python values (no conversion of the input, the
variables or the result), and it passes the whole JSONata reference test suite (see
docs/jsonata.md for the comparison that chose it).

On top of the engine this module adds what AWS changes:

* AWS's extra functions: ``$partition``, ``$range``, ``$hash``, ``$random([seed])``,
  ``$uuid`` and ``$parse``; ``$eval`` is not available;
* results made JSON-ready: integral numbers as ``int`` (JSONata numbers are doubles
  and AWS prints ``2``, not ``2.0``), no ``Infinity``/``NaN``;
* AWS's error shapes: a failed evaluation raises ``JsonataEvaluationError`` (a
  ``StatesError`` named ``States.QueryEvaluationError``) whose cause is the tail AWS
  writes (``T0410: Argument 1 ...``), and ``Template`` fields name the field in AWS's
  sentence (``The JSONata expression '...' specified for the field 'Output/v' ...``);
* JSON templates (``Arguments``, ``Output``, ``Assign``, ``Items``...) where a string
  ``"{% expr %}"`` is an expression, compiled once with constant sub-trees shared.

The engine prefixes the state sentence (``An error occurred while executing the state
'S' (entered at the event id #N). ``) with ``state_error_cause``.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from jsonata2py import JsonataError, JsonataExpressionFactory
from jsonata2py import JsonataEvaluationError as _LibraryEvaluationError
from jsonata2py.bindings import as_bound_function
from jsonata2py.parser import ast_nodes as ast
from jsonata2py.parser.lexer import Lexer
from jsonata2py.parser.parser import Parser, is_builtin
from jsonata2py.parser.tokens import TokenType
from jsonata2py.runtime.values import MISSING

from ..errors import StatesError
from ..jsonutil import json_type_name
from . import budgets

__all__ = [
    "UNDEFINED",
    "QUERY_EVALUATION_ERROR",
    "CompiledJsonata",
    "JsonataEvaluationError",
    "JsonataSyntaxError",
    "Template",
    "compile_jsonata",
    "compile_template",
    "expression_text",
    "is_expression",
    "json_ready",
    "state_error_cause",
    "unexpected_type_cause",
]

#: The value of an expression that yields nothing (JSONata's ``undefined``).
UNDEFINED: Any = MISSING

QUERY_EVALUATION_ERROR = "States.QueryEvaluationError"

# AWS's own functions replace two JSONata built-ins; the engine binds built-ins at
# translation time, so their references are renamed to names we bind ourselves.
_RENAMED_BUILTINS = {"random": "__sfn_random", "eval": "__sfn_eval"}

# jsonata-js's wording where the engine words an error differently (AWS runs a
# jsonata-js-compatible engine and prints its message).
_JSONATA_JS_MESSAGES = {
    "T1006": "Attempted to invoke a non-function",
    "D3030": "Unable to cast value to a number",
    "D1001": "Number out of range",
}

_factory = JsonataExpressionFactory()


class JsonataSyntaxError(ValueError):
    """An expression that does not parse; ``code`` is JSONata's (``S0202``...)."""

    def __init__(self, expression: str, code: str | None, message: str,
                 position: int | None = None) -> None:
        super().__init__(f"{code}: {message}" if code else message)
        self.expression = expression
        self.code = code
        self.message = message
        self.position = position


class JsonataEvaluationError(StatesError):
    """``States.QueryEvaluationError`` raised while evaluating an expression.

    ``cause`` is what AWS writes after its sentence about the expression:
    ``"<CODE>: <message>"`` for a JSONata error, the bare message otherwise.
    ``detail_separator`` is what AWS puts between its sentence and that tail.
    """

    def __init__(self, cause: str, coded: bool = True, location: str | None = None) -> None:
        super().__init__(QUERY_EVALUATION_ERROR, cause)
        self.detail_separator = ". " if coded else ": "
        #: The field that failed (``Items``, ``Output/v``), for the EvaluationFailed event.
        self.location = location


class _FunctionFailure(Exception):
    """An AWS function rejected its arguments (message without a JSONata code)."""


# --------------------------------------------------------------------------- numbers


def json_ready(value: Any) -> Any:
    """``value`` with integral floats as ints and engine containers as plain ones.

    Copy-on-write: containers without anything to change are returned as they are.
    Raises ``JsonataEvaluationError`` for an infinite or NaN number.
    """
    kind = type(value)
    if kind is float:
        if value.is_integer():
            return int(value)
        if not math.isfinite(value):
            raise JsonataEvaluationError("D1001: Number out of range")
        return value
    if kind is dict:
        return _json_ready_dict(value)
    if kind is list:
        return _json_ready_list(value)
    if kind in (str, int, bool) or value is None:
        return value
    if isinstance(value, dict):
        return _json_ready_dict(dict(value))
    if isinstance(value, (list, tuple)):
        return _json_ready_list(list(value))
    return value


def _json_ready_list(items: list) -> list:
    out: list | None = None
    for i, item in enumerate(items):
        ready = json_ready(item)
        if ready is not item or type(ready) is not type(item):
            if out is None:
                out = items[:i]
            out.append(ready)
        elif out is not None:
            out.append(item)
    return items if out is None else out


def _json_ready_dict(obj: dict) -> dict:
    out: dict | None = None
    for key, item in obj.items():
        ready = json_ready(item)
        if ready is not item or type(ready) is not type(item):
            if out is None:
                out = dict(obj)
            out[key] = ready
    return obj if out is None else out


# --------------------------------------------------------------------------- AWS functions


def _is_integer(value: Any) -> bool:
    return (type(value) is int) or (type(value) is float and value.is_integer())


def _fn_partition(array: Any = MISSING, size: Any = MISSING) -> Any:
    if not isinstance(array, list):
        raise _FunctionFailure("The first argument of $partition must be an array")
    if not _is_integer(size) or size <= 0:
        raise _FunctionFailure(
            "The second argument of $partition must be a positive integer")
    size = int(size)
    return [array[i:i + size] for i in range(0, len(array), size)]


_RANGE_LIMIT = 1000


def _fn_range(start: Any = MISSING, end: Any = MISSING, step: Any = MISSING) -> Any:
    if not (_is_integer(start) and _is_integer(end) and _is_integer(step)):
        raise _FunctionFailure("The arguments of $range must be integers")
    start, end, step = int(start), int(end), int(step)
    if step == 0:
        raise _FunctionFailure("The step of $range must not be zero")
    # Sized before it is built: len() of a range object costs nothing, the list could
    # hold 10^8 values and stall the process for seconds.
    span = range(start, end + (1 if step > 0 else -1), step)
    if len(span) > _RANGE_LIMIT:
        raise _FunctionFailure(
            f"The $range result must not exceed {_RANGE_LIMIT} elements")
    values = list(span)
    # AWS returns a JSONata sequence: one value comes back as that value (recorded).
    return values[0] if len(values) == 1 else values


_HASH_ALGORITHMS = {"MD5": "md5", "SHA-1": "sha1", "SHA-256": "sha256",
                    "SHA-384": "sha384", "SHA-512": "sha512"}


def _fn_hash(value: Any = MISSING, algorithm: Any = MISSING) -> Any:
    if not isinstance(value, str):
        raise _FunctionFailure("The first argument of $hash must be a string")
    name = _HASH_ALGORITHMS.get(algorithm) if isinstance(algorithm, str) else None
    if name is None:
        raise _FunctionFailure(
            "The hashing algorithm must be one of: " + ", ".join(_HASH_ALGORITHMS))
    return hashlib.new(name, value.encode("utf-8")).hexdigest()


class _JavaRandom:
    """java.util.Random's generator, so a seed gives the same number every time."""

    _MULTIPLIER = 0x5DEECE66D
    _MASK = (1 << 48) - 1

    def __init__(self, seed: int) -> None:
        self._seed = (seed ^ self._MULTIPLIER) & self._MASK

    def _next(self, bits: int) -> int:
        self._seed = (self._seed * self._MULTIPLIER + 0xB) & self._MASK
        return self._seed >> (48 - bits)

    def next_double(self) -> float:
        return ((self._next(26) << 27) + self._next(27)) * (1.0 / (1 << 53))


def _fn_random(seed: Any = MISSING) -> Any:
    if seed is MISSING:
        import random
        return random.random()
    if not _is_integer(seed):
        raise _FunctionFailure("The seed of $random must be an integer")
    return _JavaRandom(int(seed)).next_double()


def _fn_uuid() -> Any:
    return str(uuid.uuid4())


def _fn_parse(text: Any = MISSING) -> Any:
    if not isinstance(text, str):
        raise _FunctionFailure("The argument of $parse must be a string")
    try:
        return json.loads(text)
    except ValueError:
        raise _FunctionFailure("The argument of $parse must be a valid JSON string") \
            from None


_AWS_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "partition": _fn_partition,
    "range": _fn_range,
    "hash": _fn_hash,
    "__sfn_random": _fn_random,
    "uuid": _fn_uuid,
    "parse": _fn_parse,
}
_BOUND_FUNCTIONS = {name: as_bound_function(fn) for name, fn in _AWS_FUNCTIONS.items()}
#: Names AWS adds to JSONata, as written in expressions (without ``$``).
AWS_FUNCTION_NAMES = frozenset({"partition", "range", "hash", "random", "uuid", "parse"})


class _Bindings:
    """The engine's bindings protocol over the caller's dict, without copying it."""

    __slots__ = ("_values",)

    def __init__(self, values: dict) -> None:
        self._values = values

    def is_empty(self) -> bool:
        return False

    def get_values(self) -> dict:
        return self._values

    def get_functions(self) -> dict:
        return _BOUND_FUNCTIONS

    def get_value(self, name: str) -> Any:
        return self._values.get(name, MISSING)

    def get_function(self, name: str) -> Any:
        return _BOUND_FUNCTIONS.get(name)


# --------------------------------------------------------------------------- expressions


class CompiledJsonata:
    """One JSONata expression, compiled once and evaluated any number of times."""

    __slots__ = ("text", "variables_referenced", "top_level_fields", "sole_builtin",
                 "states_fields", "_evaluate")

    def __init__(self, text: str, evaluate: Callable[[Any, Any], Any],
                 variables_referenced: frozenset[str],
                 top_level_fields: tuple[str, ...], sole_builtin: str | None = None,
                 states_fields: frozenset[str] = frozenset()) -> None:
        self.text = text
        #: Fields of ``$states`` the expression reads (``input``, ``result``...);
        #: ``*`` when it uses ``$states`` otherwise (as a whole value).
        self.states_fields = states_fields
        # The only built-in the expression calls, if one: the engine's signature
        # errors do not name the function, jsonata-js's (and so AWS's) do.
        self.sole_builtin = sole_builtin
        #: ``$names`` the expression reads from outside itself (without ``$``).
        self.variables_referenced = variables_referenced
        #: Bare field names (and ``$``/``$$``) read at the top level, which AWS
        #: rejects (``Reference to 'x' at the top level is not supported``).
        self.top_level_fields = top_level_fields
        self._evaluate = evaluate

    def evaluate(self, bindings: dict, *, inputs_ready: bool = False) -> Any:
        """Evaluate with ``bindings`` (``{"states": {...}, "myVar": 3}``).

        Returns a JSON-ready value, or ``UNDEFINED``. Raises
        ``JsonataEvaluationError`` when the expression fails.

        The engine already gives integral numbers it computes as ints; a float
        like ``2.0`` can only come from the bindings. With ``inputs_ready`` the
        caller promises its bindings hold none (see ``json_ready``), and the
        result is not walked: a path that returns a large input costs nothing.
        """
        try:
            result = self._evaluate(MISSING, _Bindings(bindings))
        except RecursionError:  # deep data the library's own guard did not catch
            raise JsonataEvaluationError(f"U1001: {_STACK_OVERFLOW}") from None
        except JsonataError as exc:
            raise _evaluation_error(exc, self.sole_builtin) from None
        except _FunctionFailure as exc:
            raise JsonataEvaluationError(str(exc), coded=False) from None
        if result is MISSING:
            return UNDEFINED
        if inputs_ready and type(result) is not float:
            return result
        return json_ready(result)

    def __repr__(self) -> str:
        return f"CompiledJsonata({self.text!r})"


_STACK_OVERFLOW = ("Stack overflow error: Check for circular reference or too many "
                   "function calls")


def _evaluation_error(exc: JsonataError, function: str | None) -> JsonataEvaluationError:
    cause = exc.__cause__
    if isinstance(cause, _FunctionFailure):  # an AWS function's own rejection
        return JsonataEvaluationError(str(cause), coded=False)
    code = exc.error_code
    if not code:
        return JsonataEvaluationError(exc.message, coded=False)
    if code == "U1001" and "timeout" in exc.message:  # the library's deadline passed
        return JsonataEvaluationError(
            f"U1001: Expression evaluation timeout: the expression exceeded the evaluation "
            f"time limit of {budgets.EXPRESSION_TIMEOUT_MS} ms")
    message = _JSONATA_JS_MESSAGES.get(code, exc.message)
    if code in _SIGNATURE_CODES and function is not None:
        message = _name_function(message, function)
    return JsonataEvaluationError(f"{code}: {message}")


_SIGNATURE_CODES = frozenset({"T0410", "T0411", "T0412"})
_UNNAMED_FUNCTION = re.compile(
    r"^(Argument \d+ of function|Context value is not a compatible type with argument \d+)"
    r"(.*?)(?: must be an array of (\w+))?$")


def _name_function(message: str, function: str) -> str:
    """jsonata-js names the function (and quotes the type) in signature errors."""
    match = _UNNAMED_FUNCTION.match(message)
    if match is None:
        return message
    head, rest, array_type = match.groups()
    if head.startswith("Context"):
        return f'{head} of function "{function}"'
    if array_type:
        return f'{head} "{function}" must be an array of "{array_type}"'
    return f'{head} "{function}"{rest}'


def compile_jsonata(expr: str) -> CompiledJsonata:
    """Compile a JSONata expression (the text inside ``{% %}``).

    Raises ``JsonataSyntaxError`` when it does not parse.
    """
    source = _rename_builtins(expr)
    try:
        tree = Parser.parse(source)
        compiled = _factory.compile(source)
    except JsonataError as exc:
        raise _syntax_error(expr, exc) from None
    _apply_budgets(compiled)
    variables, fields, builtins = _scan_references(tree)
    sole = next(iter(builtins)) if len(builtins) == 1 else None
    return CompiledJsonata(expr, compiled.evaluate, variables, fields, sole,
                           _states_fields(tree))


def _apply_budgets(compiled: Any) -> None:
    """Put ``compiled`` under the expression budgets (see ``stepfn.asl.budgets``).

    Time: the library checks its deadline in its loops and function calls. Size: a
    range (``[a..b]``) is checked before it is built, by replacing the two range
    helpers in the namespace this expression's generated code runs in (its own, so
    no other expression is affected); jsonata2py is pinned, and tests/asl check the
    hook still takes effect.
    """
    compiled.set_timeout(budgets.EXPRESSION_TIMEOUT_MS)
    namespace = getattr(getattr(compiled, "_entry_point", None), "__globals__", None)
    if not isinstance(namespace, dict):
        return
    for name in ("range_", "range_flatten"):
        original = namespace.get(name)
        if callable(original):
            namespace[name] = _bounded_range(original)


def _bounded_range(original: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    """``original`` (a range helper taking its two bounds) refusing a range of more
    than ``budgets.RANGE_LIMIT`` values, as jsonata-js refuses one of more than 10^7."""

    def bounded(start: Any, end: Any) -> Any:
        if (type(start) in (int, float) and type(end) in (int, float)
                and math.isfinite(start) and math.isfinite(end)
                and end - start + 1 > budgets.RANGE_LIMIT):
            raise _LibraryEvaluationError(
                "D2014", "The size of the sequence allocated by the range operator (..) "
                f"must not exceed {budgets.RANGE_LIMIT}. Attempted to allocate "
                f"{int(end - start + 1)}.")
        return original(start, end)

    return bounded


def _syntax_error(expr: str, exc: JsonataError) -> JsonataSyntaxError:
    position = getattr(exc, "position", None)
    if position is None and exc.__cause__ is not None:
        position = getattr(exc.__cause__, "position", None)
    message = exc.message
    suffix = f" (position {position})"
    if position is not None and message.endswith(suffix):
        message = message[: -len(suffix)]
    code = exc.error_code
    if code and message.startswith(code + ": "):
        message = message[len(code) + 2:]
    return JsonataSyntaxError(expr, code, message, position)


def _rename_builtins(expr: str) -> str:
    """Point ``$random``/``$eval`` at AWS's versions, leaving strings untouched."""
    try:
        tokens = Lexer.tokenize(expr)
    except JsonataError:
        return expr  # the parser reports the error with the original text
    renames = [t for t in tokens
               if t.type is TokenType.VARIABLE and t.value in _RENAMED_BUILTINS]
    for token in reversed(renames):
        end = token.position + 1 + len(token.value)
        expr = expr[:token.position] + "$" + _RENAMED_BUILTINS[token.value] + expr[end:]
    return expr


# --------------------------------------------------------------------------- static scan


def _children(node: Any) -> Iterable[Any]:
    for name in getattr(node, "__slots__", ()):
        value = getattr(node, name, None)
        if isinstance(value, list):
            yield from value
        elif value is not None and not isinstance(value, (str, int, float, bool)):
            yield value


def _scan_references(tree: Any) -> tuple[frozenset[str], tuple[str, ...], set[str]]:
    """Outside variables read, bare fields read at the top level, built-ins called."""
    used: set[str] = set()
    bound: set[str] = set()
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.VariableRef):
            used.add(node.name)
        elif isinstance(node, ast.FunctionCall) and node.is_variable:
            used.add(node.name)
        elif isinstance(node, ast.PartialApplication):
            used.add(node.name)
        elif isinstance(node, ast.VariableBinding):
            bound.add(node.name)
        elif isinstance(node, ast.Lambda):
            bound.update(node.params)
        elif isinstance(node, (ast.PositionBinding, ast.ContextBinding)):
            bound.add(node.var_name)
        stack.extend(_children(node))
    outside = {_original_name(n) for n in used - bound}
    outside = {n for n in outside if n not in AWS_FUNCTION_NAMES and n != "eval"
               and not is_builtin(n)}
    builtins = {n for n in used - bound if is_builtin(n)}
    return frozenset(outside), tuple(_top_level_fields(tree)), builtins


def _states_fields(tree: Any) -> frozenset[str]:
    """The ``$states.<field>`` names read; ``*`` for any other use of ``$states``."""
    found: set[str] = set()
    read_as_path: set[int] = set()
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.PathExpr) and len(node.steps) >= 2:
            head, field = node.steps[0], node.steps[1]
            # $states.input[0]: the field is under the subscript (not every node has one)
            source = getattr(field, "source", None)
            while isinstance(source, ast.AstNode):
                field, source = source, getattr(source, "source", None)
            if (isinstance(head, ast.VariableRef) and head.name == "states"
                    and isinstance(field, ast.FieldRef)):
                found.add(field.name)
                read_as_path.add(id(head))
        elif (isinstance(node, ast.VariableRef) and node.name == "states"
              and id(node) not in read_as_path):
            found.add("*")
        stack.extend(_children(node))
    return frozenset(found)


def _original_name(name: str) -> str:
    for original, renamed in _RENAMED_BUILTINS.items():
        if name == renamed:
            return original
    return name


def _top_level_fields(tree: Any) -> list[str]:
    """First steps of paths that read the (absent) input document."""
    found: list[str] = []
    stack = [(tree, True)]
    while stack:
        node, at_top = stack.pop()
        if isinstance(node, (ast.Lambda,)):
            continue  # inside a function, `$` is whatever it is applied to
        if at_top and isinstance(node, ast.FieldRef):
            found.append(node.name)
            continue
        if at_top and isinstance(node, ast.ContextRef):
            found.append("$")
            continue
        if at_top and isinstance(node, ast.RootRef):
            found.append("$$")
            continue
        if isinstance(node, ast.PathExpr):
            steps = node.steps
            if steps:
                stack.append((steps[0], at_top))
            stack.extend((s, False) for s in steps[1:])
            continue
        if isinstance(node, (ast.PredicateExpr, ast.ArraySubscript, ast.SortExpr,
                             ast.GroupByExpr)):
            for child in _children(node):
                stack.append((child, at_top and child is node.source))
            continue
        stack.extend((child, at_top) for child in _children(node))
    return found


# --------------------------------------------------------------------------- templates


def is_expression(value: Any) -> bool:
    """Whether a JSON value is a JSONata expression string ``{% ... %}``."""
    return (isinstance(value, str) and len(value) >= 4
            and value.startswith("{%") and value.endswith("%}"))


def expression_text(value: str) -> str:
    """The expression inside ``{% ... %}``, trimmed as AWS quotes it in causes."""
    return value[2:-2].strip()


class Template:
    """A JSON value with ``{% %}`` expressions in it, compiled once."""

    __slots__ = ("field", "is_constant", "expressions", "_build")

    def __init__(self, field: str, build: Callable[[dict, bool], Any], is_constant: bool,
                 expressions: tuple[CompiledJsonata, ...]) -> None:
        self.field = field
        self.is_constant = is_constant
        #: Every expression in the template, for static checks.
        self.expressions = expressions
        self._build = build

    @property
    def variables_referenced(self) -> frozenset[str]:
        """Every outside ``$name`` the template's expressions read."""
        names: set[str] = set()
        for expression in self.expressions:
            names |= expression.variables_referenced
        return frozenset(names)

    def evaluate(self, bindings: dict, *, inputs_ready: bool = False) -> Any:
        """Build the value. Constant parts are shared, never copied.

        Raises ``JsonataEvaluationError`` whose cause names the field, as AWS:
        ``The JSONata expression 'e' specified for the field 'Output/v' ...``.
        ``inputs_ready`` is as for ``CompiledJsonata.evaluate``.
        """
        return self._build(bindings, inputs_ready)


def compile_template(value: Any, field: str = "") -> Template:
    """Compile a JSONata-state field value (``Arguments``, ``Output``, ``Items``...).

    ``field`` names it in causes (``Output``); nested keys add ``/key`` and ``[i]``.
    Raises ``JsonataSyntaxError`` for an expression that does not parse.
    """
    expressions: list[CompiledJsonata] = []
    build, constant = _compile_node(value, field, expressions)
    if constant:
        frozen = value
        build = lambda bindings, ready: frozen  # noqa: E731 - the whole value is constant
    return Template(field, build, constant, tuple(expressions))


_Builder = Callable[[dict, bool], Any]


def _compile_node(value: Any, field: str, found: list[CompiledJsonata]
                  ) -> tuple[_Builder, bool]:
    if is_expression(value):
        return _compile_leaf(value, field, found), False
    if isinstance(value, dict):
        return _compile_object(value, field, found)
    if isinstance(value, list):
        return _compile_array(value, field, found)
    return (lambda bindings, ready: value), True


def _compile_leaf(value: str, field: str, found: list[CompiledJsonata]) -> _Builder:
    compiled = compile_jsonata(expression_text(value))
    found.append(compiled)
    evaluate = compiled.evaluate
    text = compiled.text

    def build(bindings: dict, ready: bool) -> Any:
        try:
            result = evaluate(bindings, inputs_ready=ready)
        except JsonataEvaluationError as exc:
            raise JsonataEvaluationError(
                f"The JSONata expression '{text}' specified for the field '{field}' "
                f"threw an error during evaluation{exc.detail_separator}{exc.cause}",
                location=field) from None
        if result is UNDEFINED:
            raise JsonataEvaluationError(
                f"The JSONata expression '{text}' specified for the field '{field}' "
                "returned nothing (undefined).", location=field)
        return result

    return build


def _compile_object(value: dict, field: str, found: list[CompiledJsonata]
                    ) -> tuple[_Builder, bool]:
    parts = [(key, *_compile_node(item, f"{field}/{key}", found))
             for key, item in value.items()]
    if all(constant for _, _, constant in parts):
        return (lambda bindings, ready: value), True
    # Constant members are shared with the definition; only expressions run.
    steps = [(key, build, constant, value[key]) for key, build, constant in parts]

    def build(bindings: dict, ready: bool) -> dict:
        return {key: (item if constant else step(bindings, ready))
                for key, step, constant, item in steps}

    return build, False


def _compile_array(value: list, field: str, found: list[CompiledJsonata]
                   ) -> tuple[_Builder, bool]:
    parts = [_compile_node(item, f"{field}[{i}]", found) for i, item in enumerate(value)]
    if all(constant for _, constant in parts):
        return (lambda bindings, ready: value), True
    steps = [(build, constant, item) for (build, constant), item in zip(parts, value, strict=True)]

    def build(bindings: dict, ready: bool) -> list:
        return [item if constant else step(bindings, ready) for step, constant, item in steps]

    return build, False


# --------------------------------------------------------------------------- causes


def state_error_cause(state_name: str, entered_event_id: int, cause: str) -> str:
    """AWS's full cause for a query error in a state: its sentence, then ``cause``."""
    return (f"An error occurred while executing the state '{state_name}' "
            f"(entered at the event id #{entered_event_id}). {cause}")


def unexpected_type_cause(expression: str, field: str, expected: str, value: Any) -> str:
    """The cause when an expression's result has the wrong JSON type (recorded)."""
    shown = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return (f"The JSONata expression '{expression}' specified for the field '{field}' "
            f"returned an unexpected result type. Expected '{expected}', but was "
            f"'{json_type_name(value)}' for value: {shown}")
