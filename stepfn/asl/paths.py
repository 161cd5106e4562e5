"""Reference paths with their three roots, compiled once into getters.

A path in a JSONPath-language state can read from three documents:

* ``$...``      the current document (state input, effective input, result...);
* ``$$...``     the context object;
* ``$name...``  the workflow variable ``name`` (issue: variables / Assign).

``compile_reference`` returns a ``Getter``: ``getter(doc, env) -> value``. ``env`` is an
``EvalEnv`` that carries the context object and the variables, so one compiled getter
serves every execution of a definition.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from ..errors import PathNotFound, StatesError
from .jsonpath import JsonPathSyntaxError, compile_jsonpath


class EvalEnv:
    """What a path may read besides the current document: the context object and the
    variables. The interpreter's ``Frame`` is one (it builds its context on first read)."""

    __slots__ = ("_context", "variables")

    def __init__(self, context: dict, variables: dict | None = None) -> None:
        self._context: dict | None = context
        self.variables: dict = variables if variables is not None else {}

    @property
    def context(self) -> dict:
        """The context object ``$$``."""
        return self._context or {}


Getter = Callable[[Any, EvalEnv], Any]

_VARIABLE_ROOT = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


def compile_reference(text: str) -> Getter:
    """Compile ``text`` (``$.a``, ``$$.Execution.Id``, ``$var.x``) into a getter.

    Raises ``JsonPathSyntaxError`` for a malformed path.
    """
    if not isinstance(text, str) or not text.startswith("$"):
        raise JsonPathSyntaxError(f"not a path: {text!r}")
    if text.startswith("$$"):
        jp = compile_jsonpath(text[1:])
        evaluate = jp.evaluate

        def get_context(doc: Any, env: EvalEnv) -> Any:
            return evaluate(env.context)

        return get_context
    m = _VARIABLE_ROOT.match(text)
    if m:
        name = m.group(1)
        jp = compile_jsonpath("$" + text[m.end():])
        evaluate = jp.evaluate

        def get_variable(doc: Any, env: EvalEnv) -> Any:
            try:
                value = env.variables[name]
            except KeyError:
                raise StatesError(
                    "States.Runtime",
                    f"Invalid path '{text}': The variable '${name}' is not defined",
                ) from None
            return evaluate(value)

        return get_variable
    jp = compile_jsonpath(text)
    if jp.segments == ():
        return lambda doc, env: doc
    return jp.evaluate  # takes (doc, env) and ignores env: no wrapper frame per read


def path_and_document(text: str, doc: Any, env: EvalEnv) -> tuple[str, Any]:
    """The ``$``-rooted JSONPath that the reference path ``text`` applies, and the
    document it applies it to: ``$$.x`` reads the context object, ``$name.x`` the
    variable ``name`` (None when undefined), ``$.x`` the document itself. Error causes
    describe a path that matched nothing against these two."""
    if text.startswith("$$"):
        return text[1:], env.context
    m = _VARIABLE_ROOT.match(text)
    if m:
        return "$" + text[m.end():], env.variables.get(m.group(1))
    return text, doc


__all__ = ["EvalEnv", "Getter", "compile_reference", "path_and_document", "PathNotFound"]
