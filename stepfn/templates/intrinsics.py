"""CloudFormation's intrinsic functions, resolved as CloudFormation resolves them.

``Resolver.resolve(value, path)`` turns a property value of the (SAM-transformed)
template into plain JSON: ``Ref`` (parameters, pseudo parameters, resources),
``Fn::GetAtt``, ``Fn::Sub`` (both forms, ``${!Literal}``), ``Fn::Join``, ``Fn::Select``,
``Fn::Split``, ``Fn::If`` (with ``AWS::NoValue``), ``Fn::FindInMap`` (with
``DefaultValue``), ``Fn::Base64``, ``Fn::GetAZs``, ``Fn::Cidr``, ``Fn::ImportValue``
(from the exports of the other templates loaded), and the language extensions'
``Fn::Length`` and ``Fn::ToJsonString``. Conditions (``Fn::Equals``, ``Fn::And``,
``Fn::Or``, ``Fn::Not``, ``Condition``) are evaluated by ``condition(name)``.

What a resource's ``Ref`` or ``Fn::GetAtt`` gives is asked of a ``ResourceValues``
(the application decides: a machine's ARN, a created queue's URL, ...). It may answer
``Deferred``: a value only the local AWS's CloudFormation will know (a resource of the
stack ``--create-resources`` creates). Any function of a deferred value is then
deferred too, kept as the intrinsic it was (its other arguments resolved), so that the
part of the template handed to that CloudFormation keeps its own references.

Anything that cannot be resolved is a ``TemplateError`` naming its place in the
template (``Resources/MyMachine/Properties/DefinitionSubstitutions/TableName``).
"""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from .errors import Location, TemplateError, TemplatePath


class _NoValue:
    """``AWS::NoValue``: the property (or list item) it stands for is removed."""

    def __repr__(self) -> str:
        return "AWS::NoValue"


NO_VALUE: Any = _NoValue()


@dataclass(frozen=True)
class Deferred:
    """A value the local AWS's CloudFormation resolves: ``expr`` is the intrinsic
    (its own arguments resolved as far as they could be)."""

    expr: Any


class Unresolvable(Exception):
    """Raised by a ``ResourceValues`` for a reference it cannot answer (the resolver
    adds the place in the template)."""


class ResourceValues(Protocol):
    """What the resources of a template give to ``Ref`` and ``Fn::GetAtt``."""

    def has(self, logical_id: str) -> bool:
        """Whether the template declares ``logical_id`` (and its Condition holds)."""
        ...

    def ref(self, logical_id: str) -> Any:
        """``Ref`` of the resource (raises Unresolvable; may return Deferred)."""
        ...

    def get_att(self, logical_id: str, attribute: str) -> Any:
        """``Fn::GetAtt`` of the resource (raises Unresolvable; may return Deferred)."""
        ...


_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_CONDITION_FUNCTIONS = ("Fn::Equals", "Fn::And", "Fn::Or", "Fn::Not")


def is_intrinsic(value: Any) -> bool:
    """Whether ``value`` is a one-key mapping naming an intrinsic function."""
    if not isinstance(value, Mapping) or len(value) != 1:
        return False
    key = next(iter(value))
    return isinstance(key, str) and (key == "Ref" or key.startswith("Fn::"))


def has_deferred(value: Any) -> bool:
    """Whether a resolved value still holds a Deferred anywhere."""
    if isinstance(value, Deferred):
        return True
    if isinstance(value, dict):
        return any(has_deferred(v) for v in value.values())
    if isinstance(value, list):
        return any(has_deferred(v) for v in value)
    return False


def as_template(value: Any) -> Any:
    """A resolved value with every Deferred turned back into its intrinsic."""
    if isinstance(value, Deferred):
        return as_template(value.expr)
    if isinstance(value, dict):
        return {k: as_template(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_template(v) for v in value]
    return value


def scalar_text(value: Any) -> str | None:
    """A scalar as CloudFormation renders it in a string (None for lists, maps)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return str(value)
    return None


class Resolver:
    """Resolves the intrinsic functions of one template.

    ``pseudo`` holds the pseudo parameters (``AWS::Region``, ``AWS::StackName``...),
    ``parameters`` the parameters' values (lists for the list types), ``mappings`` and
    ``conditions`` the template's sections, ``exports`` the ``Export`` names of the
    templates loaded before it, ``locate`` maps a path to its place in the file.
    """

    def __init__(self, *, pseudo: Mapping[str, Any], parameters: Mapping[str, Any],
                 mappings: Mapping[str, Any], conditions: Mapping[str, Any],
                 resources: ResourceValues, exports: Mapping[str, Any],
                 locate: Callable[[TemplatePath], Location],
                 parameter_value: Callable[[str], Any] | None = None) -> None:
        self.pseudo = pseudo
        self.parameters = parameters
        self.mappings = mappings
        self.conditions = conditions
        self.resources = resources
        self.exports = exports
        self.locate = locate
        self._parameter_value = parameter_value
        self._condition_values: dict[str, bool] = {}
        self._evaluating: set[str] = set()

    def error(self, message: str, path: TemplatePath) -> TemplateError:
        return TemplateError(message, self.locate(path))

    # -- values -----------------------------------------------------------------------------
    def resolve(self, value: Any, path: TemplatePath) -> Any:
        """``value`` with every intrinsic function resolved (``NO_VALUE`` when it is
        ``AWS::NoValue``; Deferred parts where the local AWS must resolve)."""
        if isinstance(value, Mapping):
            if is_intrinsic(value):
                name, argument = next(iter(value.items()))
                return self._call(str(name), argument, path + (str(name),))
            out = {}
            for key, item in value.items():
                resolved = self.resolve(item, path + (str(key),))
                if resolved is not NO_VALUE:
                    out[str(key)] = resolved
            return out
        if isinstance(value, list):
            items = [self.resolve(item, path + (i,)) for i, item in enumerate(value)]
            return [item for item in items if item is not NO_VALUE]
        if isinstance(value, str):
            return str(value)  # cfn-lint's str_node, as a plain str
        if isinstance(value, dt.date):
            # YAML reads an unquoted 2012-10-17 as a date; CloudFormation, as the text.
            return value.isoformat()
        return value

    def resolve_text(self, value: Any, path: TemplatePath, what: str) -> str:
        """``resolve`` for a value that must be a string (a number is rendered)."""
        resolved = self.resolve(value, path)
        text = scalar_text(resolved)
        if text is None:
            raise self.error(f"{what} must be a string, not {_kind(resolved)}", path)
        return text

    def _call(self, name: str, argument: Any, path: TemplatePath) -> Any:
        function = _FUNCTIONS.get(name)
        if function is None:
            if name in _CONDITION_FUNCTIONS:
                raise self.error(f"{name} belongs in the Conditions section (use Fn::If "
                                 "with a condition's name here)", path)
            if name == "Fn::Transform":
                raise self.error("Fn::Transform runs a CloudFormation macro, which stepfn "
                                 "cannot run locally", path)
            raise self.error(f"unknown intrinsic function {name}", path)
        return function(self, argument, path)

    def _ref(self, argument: Any, path: TemplatePath) -> Any:
        name = self.resolve(argument, path) if is_intrinsic(argument) else argument
        if not isinstance(name, str):
            raise self.error("Ref takes the name of a parameter or resource", path)
        return self.reference(str(name), path)

    def reference(self, name: str, path: TemplatePath) -> Any:
        """What ``Ref`` of ``name`` gives (pseudo parameter, parameter, resource)."""
        if name in self.pseudo:
            return self.pseudo[name]
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in self.parameters:
            if self._parameter_value is not None:
                try:
                    return self._parameter_value(name)
                except Unresolvable as exc:
                    raise self.error(str(exc), path) from None
            return self.parameters[name]
        if name.startswith("AWS::"):
            raise self.error(f"unknown pseudo parameter {name}", path)
        if not self.resources.has(name):
            raise self.error(f"Ref to {name}: the template has no parameter or resource "
                             "of that name (or its Condition is false)", path)
        try:
            return self.resources.ref(name)
        except Unresolvable as exc:
            raise self.error(str(exc), path) from None

    def _get_att(self, argument: Any, path: TemplatePath) -> Any:
        if isinstance(argument, str):
            logical_id, _, attribute = argument.partition(".")
        elif isinstance(argument, list) and len(argument) == 2:
            logical_id = argument[0]
            attribute = self.resolve(argument[1], path + (1,))
        else:
            raise self.error("Fn::GetAtt takes [LogicalId, Attribute] or "
                             "'LogicalId.Attribute'", path)
        if not isinstance(logical_id, str) or not isinstance(attribute, str) or not attribute:
            raise self.error("Fn::GetAtt takes [LogicalId, Attribute] or "
                             "'LogicalId.Attribute'", path)
        return self.attribute(str(logical_id), str(attribute), path)

    def attribute(self, logical_id: str, attribute: str, path: TemplatePath) -> Any:
        """What ``Fn::GetAtt`` of ``logical_id.attribute`` gives."""
        if not self.resources.has(logical_id):
            raise self.error(f"Fn::GetAtt {logical_id}.{attribute}: the template has no "
                             "resource of that name (or its Condition is false)", path)
        try:
            return self.resources.get_att(logical_id, attribute)
        except Unresolvable as exc:
            raise self.error(str(exc), path) from None

    def _sub(self, argument: Any, path: TemplatePath) -> Any:
        if isinstance(argument, str):
            text, variables, text_path = argument, {}, path
        elif (isinstance(argument, list) and len(argument) == 2
              and isinstance(argument[0], str) and isinstance(argument[1], Mapping)):
            text, text_path = argument[0], path + (0,)
            variables = {str(k): self.resolve(v, path + (1, str(k)))
                         for k, v in argument[1].items()}
        else:
            raise self.error("Fn::Sub takes a string, or [string, {variables}]", path)
        deferred: dict[str, Any] = {}  # variables of the second form left to the local AWS
        any_deferred = False
        final: list[str] = []
        partial: list[str] = []  # the same text for the local AWS, when deferred
        position = 0
        for match in _SUB_VARIABLE.finditer(text):
            final.append(text[position:match.start()])
            partial.append(text[position:match.start()])
            position = match.end()
            name = match.group(1).strip()
            if name.startswith("!"):  # ${!Literal} is the text ${Literal}
                final.append("${" + match.group(1)[1:] + "}")
                partial.append(match.group(0))
                continue
            if name in variables:
                value = variables[name]
            elif "." in name and not name.startswith("AWS::"):
                logical_id, _, attribute = name.partition(".")
                value = self.attribute(logical_id, attribute, text_path)
            else:
                value = self.reference(name, text_path)
            if isinstance(value, Deferred):
                any_deferred = True
                if name in variables:
                    deferred[name] = value.expr
                partial.append(match.group(0))
                continue
            rendered = scalar_text(value)
            if rendered is None:
                raise self.error(f"Fn::Sub: ${{{name}}} is {_kind(value)}, not a string",
                                 text_path)
            final.append(rendered)
            partial.append(rendered.replace("${", "${!"))
        final.append(text[position:])
        partial.append(text[position:])
        if not any_deferred:
            return "".join(final)
        if deferred:
            return Deferred({"Fn::Sub": ["".join(partial), deferred]})
        return Deferred({"Fn::Sub": "".join(partial)})

    def _join(self, argument: Any, path: TemplatePath) -> Any:
        if not isinstance(argument, list) or len(argument) != 2:
            raise self.error("Fn::Join takes [delimiter, [values]]", path)
        delimiter = self.resolve(argument[0], path + (0,))
        items = self.resolve(argument[1], path + (1,))
        if isinstance(items, Deferred) or has_deferred(items):
            return Deferred({"Fn::Join": [delimiter, as_template(items)]})
        if not isinstance(delimiter, str) or not isinstance(items, list):
            raise self.error("Fn::Join takes [delimiter, [values]]", path)
        texts = []
        for i, item in enumerate(items):
            text = scalar_text(item)
            if text is None:
                raise self.error(f"Fn::Join: item {i} is {_kind(item)}, not a string", path)
            texts.append(text)
        return delimiter.join(texts)

    def _select(self, argument: Any, path: TemplatePath) -> Any:
        if not isinstance(argument, list) or len(argument) != 2:
            raise self.error("Fn::Select takes [index, [values]]", path)
        index = self.resolve(argument[0], path + (0,))
        items = self.resolve(argument[1], path + (1,))
        if isinstance(items, Deferred):
            return Deferred({"Fn::Select": [index, items.expr]})
        try:
            position = int(index)
        except (TypeError, ValueError):
            raise self.error(f"Fn::Select: the index {index!r} is not a number", path) from None
        if not isinstance(items, list) or not 0 <= position < len(items):
            raise self.error(f"Fn::Select: index {position} is outside the list of "
                             f"{len(items) if isinstance(items, list) else 0}", path)
        return items[position]

    def _split(self, argument: Any, path: TemplatePath) -> Any:
        if not isinstance(argument, list) or len(argument) != 2:
            raise self.error("Fn::Split takes [delimiter, string]", path)
        delimiter = self.resolve(argument[0], path + (0,))
        text = self.resolve(argument[1], path + (1,))
        if isinstance(text, Deferred):
            return Deferred({"Fn::Split": [delimiter, text.expr]})
        if not isinstance(delimiter, str) or not isinstance(text, str):
            raise self.error("Fn::Split takes [delimiter, string]", path)
        return text.split(delimiter)

    def _if(self, argument: Any, path: TemplatePath) -> Any:
        if not isinstance(argument, list) or len(argument) != 3 or not isinstance(
                argument[0], str):
            raise self.error("Fn::If takes [condition name, value if true, value if false]",
                             path)
        chosen = 1 if self.condition(str(argument[0]), path + (0,)) else 2
        return self.resolve(argument[chosen], path + (chosen,))

    def _find_in_map(self, argument: Any, path: TemplatePath) -> Any:
        if not isinstance(argument, list) or len(argument) not in (3, 4):
            raise self.error("Fn::FindInMap takes [map, top-level key, second-level key]",
                             path)
        keys = [self.resolve(argument[i], path + (i,)) for i in range(3)]
        default = argument[3] if len(argument) == 4 else None
        found: Any = self.mappings
        for i, key in enumerate(keys):
            text = scalar_text(key)
            if not isinstance(found, Mapping) or text is None or text not in found:
                if isinstance(default, Mapping) and "DefaultValue" in default:
                    return self.resolve(default["DefaultValue"], path + (3, "DefaultValue"))
                where = "Mappings" if i == 0 else "/".join(str(k) for k in keys[:i])
                raise self.error(f"Fn::FindInMap: {where} has no key {key!r}", path)
            found = found[text]
        return self.resolve(found, ("Mappings", *(str(k) for k in keys)))

    def _base64(self, argument: Any, path: TemplatePath) -> Any:
        value = self.resolve(argument, path)
        if isinstance(value, Deferred):
            return Deferred({"Fn::Base64": value.expr})
        text = scalar_text(value)
        if text is None:
            raise self.error("Fn::Base64 takes a string", path)
        return base64.b64encode(text.encode()).decode()

    def _get_azs(self, argument: Any, path: TemplatePath) -> Any:
        region = self.resolve(argument, path) or self.pseudo["AWS::Region"]
        if isinstance(region, Mapping) and not region:
            region = self.pseudo["AWS::Region"]
        return [f"{region}{zone}" for zone in "abc"]

    def _cidr(self, argument: Any, path: TemplatePath) -> Any:
        if not isinstance(argument, list) or len(argument) != 3:
            raise self.error("Fn::Cidr takes [ipBlock, count, cidrBits]", path)
        block, count, bits = (self.resolve(a, path + (i,)) for i, a in enumerate(argument))
        try:
            network = ipaddress.ip_network(str(block), strict=False)
            prefix = network.max_prefixlen - int(bits)
            subnets = network.subnets(new_prefix=prefix)
            return [str(next(subnets)) for _ in range(int(count))]
        except (ValueError, StopIteration) as exc:
            raise self.error(f"Fn::Cidr: {exc or 'not enough addresses'}", path) from None

    def _import_value(self, argument: Any, path: TemplatePath) -> Any:
        name = self.resolve(argument, path)
        if name in self.exports:
            return self.exports[name]
        raise self.error(f"Fn::ImportValue {name!r}: no template given with --template "
                         "exports that name (stepfn resolves imports only from the "
                         "templates it loads; list the exporting one first)", path)

    def _length(self, argument: Any, path: TemplatePath) -> Any:
        value = self.resolve(argument, path)
        if not isinstance(value, list):
            raise self.error("Fn::Length takes a list", path)
        return len(value)

    def _to_json_string(self, argument: Any, path: TemplatePath) -> Any:
        value = self.resolve(argument, path)
        if has_deferred(value):
            return Deferred({"Fn::ToJsonString": as_template(value)})
        return json.dumps(value, separators=(",", ":"))

    # -- conditions -------------------------------------------------------------------------
    def condition(self, name: str, path: TemplatePath) -> bool:
        """The value of condition ``name`` of the Conditions section."""
        if name in self._condition_values:
            return self._condition_values[name]
        if name not in self.conditions:
            raise self.error(f"condition {name} is not in the Conditions section", path)
        if name in self._evaluating:
            raise self.error(f"condition {name} depends on itself", ("Conditions", name))
        self._evaluating.add(name)
        try:
            value = self._evaluate(self.conditions[name], ("Conditions", name))
        finally:
            self._evaluating.discard(name)
        self._condition_values[name] = value
        return value

    def _evaluate(self, expr: Any, path: TemplatePath) -> bool:
        if isinstance(expr, bool):
            return expr
        if not isinstance(expr, Mapping) or len(expr) != 1:
            raise self.error("a condition is Fn::Equals, Fn::And, Fn::Or, Fn::Not or "
                             "{Condition: name}", path)
        key, argument = next(iter(expr.items()))
        here = path + (str(key),)
        if key == "Condition" and isinstance(argument, str):
            return self.condition(str(argument), here)
        if key == "Fn::Equals":
            if not isinstance(argument, list) or len(argument) != 2:
                raise self.error("Fn::Equals takes [value, value]", here)
            left, right = (self.resolve(a, here + (i,)) for i, a in enumerate(argument))
            if has_deferred(left) or has_deferred(right):
                raise self.error("a condition cannot use a resource's value", here)
            return _comparable(left) == _comparable(right)
        if key in ("Fn::And", "Fn::Or"):
            if not isinstance(argument, list) or not 2 <= len(argument) <= 10:
                raise self.error(f"{key} takes 2 to 10 conditions", here)
            values = (self._evaluate(a, here + (i,)) for i, a in enumerate(argument))
            return all(values) if key == "Fn::And" else any(values)
        if key == "Fn::Not":
            if not isinstance(argument, list) or len(argument) != 1:
                raise self.error("Fn::Not takes [condition]", here)
            return not self._evaluate(argument[0], here + (0,))
        if key == "Fn::If":
            return bool(self._if(argument, here))
        if key == "Fn::FindInMap" or key == "Ref":
            value = self.resolve(expr, path)
            return _comparable(value) == "true"
        raise self.error(f"{key} is not a condition function", here)


def _comparable(value: Any) -> Any:
    text = scalar_text(value)
    return text if text is not None else value


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, Deferred):
        return "a value of the local AWS"
    return type(value).__name__


_FUNCTIONS: dict[str, Callable[[Resolver, Any, TemplatePath], Any]] = {
    "Ref": Resolver._ref,
    "Fn::GetAtt": Resolver._get_att,
    "Fn::Sub": Resolver._sub,
    "Fn::Join": Resolver._join,
    "Fn::Select": Resolver._select,
    "Fn::Split": Resolver._split,
    "Fn::If": Resolver._if,
    "Fn::FindInMap": Resolver._find_in_map,
    "Fn::Base64": Resolver._base64,
    "Fn::GetAZs": Resolver._get_azs,
    "Fn::Cidr": Resolver._cidr,
    "Fn::ImportValue": Resolver._import_value,
    "Fn::Length": Resolver._length,
    "Fn::ToJsonString": Resolver._to_json_string,
}
