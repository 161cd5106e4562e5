"""One way in for a definition: depth guard, parse, model, validation.

Every reader of a definition goes through ``load``: ``stepfn validate`` and
``stepfn run``, the API (CreateStateMachine, UpdateStateMachine,
ValidateStateMachineDefinition, TestState), the compiler (``Engine.compile``, the
runner) and the pytest plugin. So the same text gets the same diagnostics wherever it
is given, and a definition that loads without errors compiles (the compiler reads the
model the validator judged, and the Task Resource grammar both share,
``stepfn.asl.resources``).

The steps, each answering with AWS's diagnostics instead of raising:

1. the text is not empty (``MISSING_DESCRIPTION``) and nests no deeper than
   ``jsonutil.MAX_JSON_DEPTH`` (``INVALID_JSON_DESCRIPTION``), checked on the text
   before any recursive parser or walker sees it;
2. it parses as JSON (``INVALID_JSON_DESCRIPTION``); a state name repeated in one
   ``States`` object is ``DUPLICATE_STATE_NAME`` and the rest is still validated (the
   parsed object keeps the last of the repeated states);
3. the document is loaded into its model (``stepfn.asl.model``) once;
4. the validator walks that model (``stepfn.asl.validation``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import DefinitionError, Diagnostic
from ..jsonutil import depth_message, too_deep
from .model import JSONPATH, MachineModel, StateModel, load_model
from .model import load_state as _load_state
from .validation.parsing import parse_with_duplicates
from .validation.rules import DUPLICATE_NAME, INVALID_JSON, WARNING
from .validation.validator import validate_definition, validate_state

ERROR = "ERROR"


@dataclass(frozen=True)
class Loaded:
    """A definition as loaded: the parsed document, its model and its diagnostics.

    ``definition`` is None when the text did not parse; ``model`` is None unless the
    document is a JSON object. ``diagnostics`` holds every problem at the severity
    asked for or above (``ERROR``: errors only; ``WARNING``: warnings too).
    """

    definition: Any
    model: MachineModel | None
    diagnostics: tuple[Diagnostic, ...]

    @property
    def errors(self) -> list[Diagnostic]:
        """The diagnostics that make the definition invalid."""
        return [d for d in self.diagnostics if d.severity == ERROR]

    @property
    def valid(self) -> bool:
        return self.model is not None and not self.errors

    def raise_if_invalid(self) -> Loaded:
        """This definition, or ``DefinitionError`` listing every error."""
        if not self.valid:
            raise DefinitionError(self.errors)
        return self


def load(source: Any, machine_type: str = "STANDARD", severity: str = ERROR) -> Loaded:
    """Load a definition given as JSON text (or already parsed); never raises for any
    input."""
    if isinstance(source, (str, bytes)):
        text = source.decode("utf-8", "replace") if isinstance(source, bytes) else source
        parsed, problems = _parse(text)
        if parsed is _UNPARSED:
            return Loaded(None, None, tuple(problems))
        source = parsed
    else:
        problems = []
    try:
        model = load_model(source) if isinstance(source, dict) else None
        problems += validate_definition(source, machine_type, severity, model=model)
    except RecursionError:  # a document built in Python, deeper than any text may be
        return Loaded(source, None, (Diagnostic(INVALID_JSON, None, depth_message()),))
    return Loaded(source, model, tuple(_at_least(problems, severity)))


def load_valid(source: Any, machine_type: str = "STANDARD") -> Loaded:
    """``load``, raising ``DefinitionError`` when the definition has errors."""
    return load(source, machine_type).raise_if_invalid()


def load_test_state(text: str, name: str = "TestState") -> StateModel:
    """One state as TestState takes it (a state object, not a machine), validated as a
    state of a machine: its fields, its I/O, its Retry and Catch (not whether its
    ``Next`` exists: the state is tested alone). ``DefinitionError`` when invalid."""
    parsed, problems = _parse(text)
    if parsed is _UNPARSED or problems:
        raise DefinitionError(problems)
    try:
        errors = [d for d in validate_state(name, parsed) if d.severity == ERROR]
    except RecursionError:
        errors = [Diagnostic(INVALID_JSON, None, depth_message())]
    if errors:
        raise DefinitionError(errors)
    return _load_state(name, parsed, JSONPATH)


def validate_text(text: str, machine_type: str = "STANDARD",
                  severity: str = ERROR) -> list[Diagnostic]:
    """Every diagnostic for definition ``text`` (``load``'s, as a list)."""
    return list(load(text, machine_type, severity).diagnostics)


def load_definition(text: Any, machine_type: str = "STANDARD") -> dict:
    """The parsed document of a valid definition; ``DefinitionError`` otherwise."""
    definition: dict = load_valid(text, machine_type).definition
    return definition


_UNPARSED = object()


def _parse(text: str) -> tuple[Any, list[Diagnostic]]:
    """The parsed document (or ``_UNPARSED``) and the parse diagnostics."""
    if not text.strip():
        return _UNPARSED, [Diagnostic("MISSING_DESCRIPTION", "/",
                                      "Received a null or empty workflow input")]
    if too_deep(text):  # refused before any recursive parser or walker sees it
        return _UNPARSED, [Diagnostic(INVALID_JSON, None, depth_message())]
    try:
        document, duplicates = parse_with_duplicates(text)
    except DefinitionError as exc:
        return _UNPARSED, list(exc.diagnostics)
    except RecursionError:
        return _UNPARSED, [Diagnostic(INVALID_JSON, None, depth_message())]
    return document, [d for d in duplicates if d.code == DUPLICATE_NAME]


def _at_least(diagnostics: list[Diagnostic], severity: str) -> list[Diagnostic]:
    if severity == WARNING:
        return diagnostics
    return [d for d in diagnostics if d.severity != WARNING]


__all__ = ["Loaded", "load", "load_definition", "load_test_state", "load_valid",
           "validate_text"]
