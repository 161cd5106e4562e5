"""The SAM transform, as AWS's own ``aws-sam-translator`` does it, offline.

The translator expects what ``sam package`` leaves: code and definitions in S3. So, as
SAM CLI does before it translates, every local ``CodeUri``, ``ContentUri`` and
``DefinitionUri`` is first replaced by a placeholder S3 location
(``s3://stepfn-local/<n>``) remembered in ``LocalArtifacts``; after the transform the
``AWS::Lambda::Function``'s ``Code``, the ``AWS::Lambda::LayerVersion``'s ``Content``
and the ``AWS::StepFunctions::StateMachine``'s ``DefinitionS3Location`` that carry a
placeholder are mapped back to the local files. The translator needs no AWS access
otherwise: a boto3 session that only names the region, and an empty managed-policy map
(policy names stay names; stepfn does not enforce IAM).
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import Location, TemplateError

SAM_TRANSFORM = "AWS::Serverless-2016-10-31"
PLACEHOLDER_BUCKET = "stepfn-local"

# SAM resource type -> the properties that may name a local path.
_LOCAL_PATH_PROPERTIES = {
    "AWS::Serverless::Function": ("CodeUri",),
    "AWS::Serverless::LayerVersion": ("ContentUri",),
    "AWS::Serverless::StateMachine": ("DefinitionUri",),
    "AWS::Serverless::Api": ("DefinitionUri",),
    "AWS::Serverless::HttpApi": ("DefinitionUri",),
}


@dataclass
class LocalArtifacts:
    """Placeholder S3 keys -> the local files and folders they stand for."""

    paths: dict[str, Path] = field(default_factory=dict)

    def add(self, path: Path) -> str:
        key = str(len(self.paths))
        self.paths[key] = path
        return f"s3://{PLACEHOLDER_BUCKET}/{key}"

    def path_of(self, bucket: Any, key: Any) -> Path | None:
        """The local path behind a placeholder location (None for a real one)."""
        if bucket == PLACEHOLDER_BUCKET and isinstance(key, str):
            return self.paths.get(key)
        return None


def transforms_of(body: Mapping[str, Any]) -> list[str]:
    """The template's ``Transform`` names."""
    value = body.get("Transform")
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    return [str(item) if isinstance(item, str) else str(item.get("Name", ""))
            for item in items if isinstance(item, str | dict)]


def is_sam(body: Mapping[str, Any]) -> bool:
    return SAM_TRANSFORM in transforms_of(body)


def transform(body: Mapping[str, Any], *, base_dir: Path, file: Path,
              parameter_values: Mapping[str, Any], region: str,
              artifacts: LocalArtifacts) -> dict:
    """The CloudFormation template the SAM template ``body`` stands for."""
    from samtranslator.model.exceptions import InvalidDocumentException
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator

    template = _plain(body)
    _patch_local_paths(template, base_dir, artifacts)
    translator = Translator(None, Parser(), boto_session=_session(region))
    try:
        translated = translator.translate(template, parameter_values=dict(parameter_values),
                                          get_managed_policy_map=dict)
    except InvalidDocumentException as exc:
        causes = [getattr(cause, "message", str(cause)) for cause in exc.causes]
        raise TemplateError("the SAM transform failed: " + " ".join(causes),
                            Location(file)) from None
    except Exception as exc:  # noqa: BLE001 - the translator's own failures
        raise TemplateError(f"the SAM transform failed: {type(exc).__name__}: {exc}",
                            Location(file)) from None
    finally:
        translator.metrics.publish()  # to its dummy publisher (else it warns at exit)
    return translated


def _session(region: str) -> Any:
    import boto3

    # Only the region is read (for ARNs and AWS::Region); no credentials are asked for.
    return boto3.session.Session(region_name=region, aws_access_key_id="stepfn",
                                 aws_secret_access_key="stepfn")


def _plain(value: Any) -> Any:
    """cfn-lint's nodes as plain dicts, lists and strings (the translator copies and
    compares them; the marks stay on the original for error locations)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, str):
        return str(value)
    if isinstance(value, dt.date):  # an unquoted 2012-10-17: CloudFormation's text
        return value.isoformat()
    return copy.copy(value)


def _patch_local_paths(template: dict, base_dir: Path, artifacts: LocalArtifacts) -> None:
    globals_function = ((template.get("Globals") or {}).get("Function") or {})
    if _is_local(globals_function.get("CodeUri")):
        globals_function["CodeUri"] = artifacts.add(base_dir / globals_function["CodeUri"])
    for resource in (template.get("Resources") or {}).values():
        if not isinstance(resource, dict):
            continue
        kind = resource.get("Type")
        if kind not in _LOCAL_PATH_PROPERTIES:
            continue
        props = resource.get("Properties")
        if not isinstance(props, dict):
            props = resource["Properties"] = {}
        for name in _LOCAL_PATH_PROPERTIES.get(str(kind), ()):
            if _is_local(props.get(name)):
                props[name] = artifacts.add(base_dir / props[name])
        if (kind == "AWS::Serverless::Function" and "CodeUri" not in props
                and "InlineCode" not in props and "ImageUri" not in props
                and props.get("PackageType") != "Image"
                and "CodeUri" not in globals_function):
            # SAM CLI runs a function without CodeUri from the template's folder.
            props["CodeUri"] = artifacts.add(base_dir)


def _is_local(value: Any) -> bool:
    return isinstance(value, str) and bool(value) and not value.startswith("s3://")
