"""Template parameters: their values from ``--parameter-overrides`` or their defaults,
checked as CloudFormation checks them (Type, AllowedValues, AllowedPattern,
Min/MaxLength, Min/MaxValue), and the pseudo parameters.

``--parameter-overrides`` is spelled as SAM CLI spells it: ``KEY=VALUE`` items, or
``ParameterKey=KEY,ParameterValue=VALUE``, several per argument when separated by
spaces (quotes keep a value's spaces).
"""

from __future__ import annotations

import re
import shlex
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from .errors import Location, TemplateError, TemplatePath
from .intrinsics import Unresolvable

#: CDK's bootstrap-version parameter: read by CDK's own Rules, never by resources.
CDK_BOOTSTRAP_PARAMETER = "BootstrapVersion"
_SSM_TYPE = re.compile(r"^AWS::SSM::Parameter::Value<(.+)>$")
_LIST_TYPE = re.compile(r"^List<(.+)>$")


def parse_overrides(items: Iterable[str]) -> dict[str, str]:
    """``--parameter-overrides`` arguments as {key: value}; ValueError on a malformed
    item."""
    values: dict[str, str] = {}
    for item in items:
        try:
            tokens = shlex.split(item)
        except ValueError as exc:
            raise ValueError(f"--parameter-overrides {item!r}: {exc}") from None
        for token in tokens:
            if token.startswith("ParameterKey="):
                match = re.fullmatch(r"ParameterKey=([^,]+),ParameterValue=(.*)", token)
                if match is None:
                    raise ValueError(f"--parameter-overrides {token!r}: expected "
                                     "ParameterKey=KEY,ParameterValue=VALUE")
                values[match.group(1)] = match.group(2)
                continue
            key, equals, value = token.partition("=")
            if not equals or not key:
                raise ValueError(f"--parameter-overrides {token!r}: expected KEY=VALUE")
            values[key] = value
    return values


def partition_of(region: str) -> str:
    """The AWS partition a region is in."""
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def pseudo_parameters(*, region: str, account: str, stack_name: str) -> dict[str, Any]:
    """The pseudo parameters of a stack named ``stack_name`` (its StackId is stable:
    derived from the name, region and account)."""
    partition = partition_of(region)
    stack_uuid = uuid.uuid5(uuid.NAMESPACE_URL, f"stepfn:{region}:{account}:{stack_name}")
    return {
        "AWS::AccountId": account,
        "AWS::Region": region,
        "AWS::Partition": partition,
        "AWS::StackName": stack_name,
        "AWS::StackId": f"arn:{partition}:cloudformation:{region}:{account}:stack/"
                        f"{stack_name}/{stack_uuid}",
        "AWS::URLSuffix": "amazonaws.com.cn" if partition == "aws-cn" else "amazonaws.com",
        "AWS::NotificationARNs": [],
    }


class Parameters:
    """The parameter values of one template.

    Values are checked at load; an SSM-typed parameter (``AWS::SSM::Parameter::Value<>``)
    is read from the local AWS's SSM only when something refers to it (CDK's
    ``BootstrapVersion`` never is).
    """

    def __init__(self, declared: Mapping[str, Any], overrides: Mapping[str, str],
                 locate: Callable[[TemplatePath], Location],
                 ssm_reader: Callable[[str], str] | None = None) -> None:
        self._declared = declared
        self._locate = locate
        self._ssm_reader = ssm_reader
        self.values: dict[str, Any] = {}
        self._ssm: dict[str, str] = {}  # parameter -> the SSM parameter name to read
        for name, spec in declared.items():
            self._add(str(name), spec if isinstance(spec, Mapping) else {}, overrides)

    def _add(self, name: str, spec: Mapping[str, Any], overrides: Mapping[str, str]) -> None:
        path = ("Parameters", name)
        kind = str(spec.get("Type", "String"))
        if name in overrides:
            raw: Any = overrides[name]
        elif "Default" in spec:
            raw = spec["Default"]
        elif name == CDK_BOOTSTRAP_PARAMETER:
            return
        else:
            raise TemplateError(f"parameter {name} has no value: give it with "
                                f"--parameter-overrides {name}=VALUE", self._locate(path))
        if isinstance(raw, bool):
            raw = "true" if raw else "false"
        if isinstance(raw, list):
            raw = ",".join(str(item) for item in raw)
        text = str(raw)
        ssm = _SSM_TYPE.match(kind)
        if ssm is not None:
            self._ssm[name] = text
            self.values[name] = text
            return
        self.values[name] = self._checked(name, kind, text, spec, path)

    def _checked(self, name: str, kind: str, text: str, spec: Mapping[str, Any],
                 path: TemplatePath) -> Any:
        listed = _LIST_TYPE.match(kind)
        if kind == "CommaDelimitedList" or listed is not None:
            items = [item.strip() for item in text.split(",")] if text else []
            item_kind = listed.group(1) if listed is not None else "String"
            for item in items:
                self._check_one(name, item_kind, item, spec, path)
            return items
        self._check_one(name, kind, text, spec, path)
        return text

    def _check_one(self, name: str, kind: str, text: str, spec: Mapping[str, Any],
                   path: TemplatePath) -> None:
        def fail(why: str) -> TemplateError:
            return TemplateError(f"parameter {name}: {why}", self._locate(path))

        allowed = spec.get("AllowedValues")
        if isinstance(allowed, list) and text not in [str(v) for v in allowed]:
            raise fail(f"{text!r} is not one of its AllowedValues "
                       f"({', '.join(str(v) for v in allowed)})")
        if kind == "Number":
            try:
                number = float(text)
            except ValueError:
                raise fail(f"{text!r} is not a number") from None
            for key, ok in (("MinValue", lambda limit: number >= limit),
                            ("MaxValue", lambda limit: number <= limit)):
                if key in spec and not ok(float(spec[key])):
                    raise fail(f"{text} is outside its {key} {spec[key]}")
            return
        pattern = spec.get("AllowedPattern")
        if isinstance(pattern, str):
            try:
                matched = re.fullmatch(pattern, text) is not None
            except re.error:
                matched = True  # a Java-only pattern: CloudFormation would judge it
            if not matched:
                raise fail(f"{text!r} does not match its AllowedPattern {pattern}")
        for key, ok in (("MinLength", lambda limit: len(text) >= limit),
                        ("MaxLength", lambda limit: len(text) <= limit)):
            if key in spec and not ok(int(spec[key])):
                raise fail(f"{text!r} is outside its {key} {spec[key]}")

    def value(self, name: str) -> Any:
        """A parameter's value (an SSM-typed one read from SSM the first time)."""
        if name not in self._ssm:
            return self.values[name]
        if self._ssm_reader is None:
            raise Unresolvable(f"parameter {name} is read from SSM parameter "
                               f"{self._ssm[name]}, which stepfn cannot read here: give "
                               f"--parameter-overrides {name}=VALUE")
        try:
            value = self._ssm_reader(self._ssm[name])
        except Exception as exc:  # noqa: BLE001 - whatever the local AWS answers
            raise Unresolvable(f"parameter {name}: cannot read SSM parameter "
                               f"{self._ssm[name]} ({exc}); give --parameter-overrides "
                               f"{name}=VALUE") from None
        self.values[name] = value
        del self._ssm[name]
        return value

    @property
    def translator_values(self) -> dict[str, Any]:
        """The values the SAM translator is given (SSM ones left out: it would take
        the parameter's name for its value)."""
        return {k: v for k, v in self.values.items() if k not in self._ssm}


def read_ssm_parameter(name: str, region: str) -> str:
    """An SSM parameter's value on the AWS endpoint boto3's configuration names."""
    import boto3

    client = boto3.client("ssm", region_name=region)
    return str(client.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"])
