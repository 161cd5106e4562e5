"""TestState's ``mock.fieldValidationMode``: a mocked result checked against the API
model of the service the Task calls (botocore's model of the operation's output).

``STRICT`` (the default): required members present and every present member of the
model's type; ``PRESENT``: only the present members checked; ``NONE``: no check. The
``aws-sdk:*`` resources and the request-response form of the optimized integrations
whose result is their operation's output (``tasks/integrations``: Athena's
``getQueryResults``, SageMaker's ``createModel``, ...) have an API model to check
against; other resources' results are taken as they are.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from ..tasks.base import parse_resource
from .errors import InvalidRequest

_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,), "blob": (str,), "boolean": (bool,),
    "integer": (int,), "long": (int,), "float": (int, float), "double": (int, float),
    "timestamp": (str, int, float),
}


def check_mock_result(resource: str, result: Any, mode: str | None) -> None:
    """Raise ValidationException when ``result`` does not fit the operation's output."""
    mode = mode or "STRICT"
    if mode == "NONE":
        return
    try:
        ref = parse_resource(resource)
    except ValueError:
        return
    if ref.resource_type.startswith("aws-sdk:"):
        shape = _output_shape(ref.resource_type.split(":", 1)[1], ref.resource)
    else:
        shape = _optimized_output_shape(ref.resource_type, ref.resource, ref.pattern)
    if shape is None:
        return
    problems: list[str] = []
    _check(shape, result, "", mode == "STRICT", problems)
    if problems:
        raise InvalidRequest(f"The mocked result does not match the API model of "
                       f"{ref.resource_type}:{ref.resource} ({mode}): {problems[0]}")


@lru_cache(maxsize=64)
def _output_shape(service: str, action: str) -> Any:
    from ..tasks.aws_sdk import _KNOWN_RENAMES

    session = _session()
    available = set(session.get_available_services())
    name = _KNOWN_RENAMES.get(service, service)
    if name not in available:
        by_plain = {candidate.replace("-", ""): candidate for candidate in available}
        name = by_plain.get(service, "")
    if not name:
        return None
    model = session.get_service_model(name)
    wanted = {op.lower(): op for op in model.operation_names}.get(action.lower())
    if wanted is None:
        return None
    return model.operation_model(wanted).output_shape


@lru_cache(maxsize=64)
def _optimized_output_shape(service: str, action: str, pattern: str) -> Any:
    """The output shape of an optimized action whose result is its operation's output
    as is (request-response or .waitForTaskToken), else None."""
    from ..tasks.integrations import SERVICES

    found = SERVICES.get(service)
    spec = found.actions.get(action) if found is not None else None
    if spec is None or pattern not in ("", "waitForTaskToken") or spec.result or \
            spec.custom or spec.prepare:
        return None
    model = _session().get_service_model(found.boto)  # type: ignore[union-attr]
    return model.operation_model(spec.operation).output_shape


@lru_cache(maxsize=1)
def _session() -> Any:
    import botocore.session

    return botocore.session.get_session()


def _check(shape: Any, value: Any, where: str, strict: bool, problems: list[str]) -> None:
    kind = shape.type_name
    label = where or "the result"
    if kind == "structure":
        if not isinstance(value, dict):
            problems.append(f"{label} must be an object")
            return
        members = {name.lower(): (name, member) for name, member in shape.members.items()}
        for key, item in value.items():
            found = members.get(key.lower())
            if found is None:
                problems.append(f"{_join(where, key)} is not a field of {shape.name}")
                continue
            _check(found[1], item, _join(where, found[0]), strict, problems)
        if strict:
            present = {key.lower() for key in value}
            for required in shape.required_members:
                if required.lower() not in present:
                    problems.append(f"required field {_join(where, required)} is missing")
    elif kind == "list":
        if not isinstance(value, list):
            problems.append(f"{label} must be an array")
            return
        for index, item in enumerate(value):
            _check(shape.member, item, f"{where}[{index}]", strict, problems)
    elif kind == "map":
        if not isinstance(value, dict):
            problems.append(f"{label} must be an object")
            return
        for key, item in value.items():
            _check(shape.value, item, _join(where, key), strict, problems)
    else:
        allowed = _TYPES.get(kind)
        wrong_bool = isinstance(value, bool) and kind not in ("boolean",)
        if allowed is not None and (not isinstance(value, allowed) or wrong_bool):
            problems.append(f"{label} must be a {kind}")


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key
