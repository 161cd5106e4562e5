"""Reading templates: SAM/CloudFormation YAML (short-form tags) or JSON, and CDK's
``cdk.out`` (its ``manifest.json`` names the stacks' templates and their names).

Parsing is cfn-lint's (``cfnlint.decode``): it reads the short-form tags (``!Ref``,
``!GetAtt``, ``!Sub``...) as CloudFormation does, and keeps where each key and value
starts, so that every later error can name its line and column.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import Location, TemplateError, TemplatePath

CDK_MANIFEST = "manifest.json"
CDK_STACK_ARTIFACT = "aws:cloudformation:stack"


@dataclass(frozen=True)
class Document:
    """One template as read: its body (dicts and lists that remember their marks),
    where it came from and, for a CDK stack, the stack's name and folder."""

    path: Path
    body: dict
    cdk_stack_name: str | None = None  # from cdk.out/manifest.json
    cdk_out: Path | None = None  # the folder holding the assets (asset.<hash>/)
    display_name: str = field(default="", compare=False)
    notes: tuple[str, ...] = ()  # what was let pass (duplicated keys)

    @property
    def base_dir(self) -> Path:
        """Relative paths in the template (CodeUri, DefinitionUri) start here."""
        return self.path.parent

    def locate(self, path: TemplatePath) -> Location:
        """Where ``path`` is in this file: the deepest part of it that exists."""
        line, column = mark_of(self.body, path)
        return Location(self.path, tuple(path), line, column)


def mark_of(body: Any, path: Sequence[str | int]) -> tuple[int | None, int | None]:
    """The 1-based line and column of the deepest node of ``path`` found in ``body``
    (parsed by cfnlint.decode; (None, None) when even the first step is missing)."""
    found: tuple[int | None, int | None] = (None, None)
    node = body
    for part in path:
        if isinstance(node, Mapping):
            key = next((k for k in node if k == part), None)
            if key is None:
                break
            mark = getattr(key, "start_mark", None) or getattr(node.get(key), "start_mark",
                                                               None)
            node = node[key]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
            mark = getattr(node, "start_mark", None)
        else:
            break
        if mark is not None:
            found = (mark.line + 1, mark.column + 1)
    return found


def parse_text(text: str, path: Path) -> Any:
    """A YAML or JSON document (CloudFormation's short-form tags read); a TemplateError
    with the line and column of the first problem when it does not parse."""
    return parse_with_notes(text, path)[0]


def parse_with_notes(text: str, path: Path) -> tuple[Any, list[str]]:
    """``parse_text``, and notes on what was let pass (a duplicated key's last value
    counts, as in CloudFormation and SAM CLI)."""
    from cfnlint.decode import cfn_json, decode_str

    if path.suffix.lower() == ".json" or text.lstrip().startswith("{"):
        try:
            return cfn_json.loads(text), []
        except cfn_json.JSONDecodeError as exc:
            first = exc.matches[0]
            raise TemplateError(f"not valid JSON: {first.message}",
                                Location(path, (), first.linenumber,
                                         first.columnnumber)) from None
        except json.JSONDecodeError as exc:
            raise TemplateError(f"not valid JSON: {exc.msg}",
                                Location(path, (), exc.lineno, exc.colno)) from None
    body, matches = decode_str(text)
    if matches and matches[0].message.startswith("Duplicate found"):
        body, found = _last_wins(text, path)
        return body, [f"{path}:{line}: the key {key} is given twice; the last one counts, "
                      "as in CloudFormation" for line, key in found]
    if matches:
        first = matches[0]
        raise TemplateError(f"not valid YAML: {first.message}",
                            Location(path, (), first.linenumber or None,
                                     first.columnnumber or None))
    return body, []


def _last_wins(text: str, path: Path) -> tuple[Any, list[tuple[int, str]]]:
    """``text`` parsed with each duplicated key's last value, and the duplicates
    (line, key)."""
    from cfnlint.decode.cfn_yaml import CfnFullLoader, multi_constructor
    from yaml.nodes import ScalarNode

    found: list[tuple[int, str]] = []

    class LastWins(CfnFullLoader):
        def construct_yaml_map(self, node: Any) -> Any:
            kept: dict[Any, tuple[Any, Any]] = {}
            for key_node, value_node in node.value:
                key = key_node.value if isinstance(key_node, ScalarNode) else id(key_node)
                if key in kept:
                    found.append((key_node.start_mark.line + 1, str(key)))
                    del kept[key]
                kept[key] = (key_node, value_node)
            node.value = list(kept.values())
            return super().construct_yaml_map(node)

    LastWins.add_constructor("tag:yaml.org,2002:map", LastWins.construct_yaml_map)
    loader = LastWins(text, str(path))
    loader.add_multi_constructor("!", multi_constructor)
    try:
        body = loader.get_single_data()
    except Exception as exc:  # noqa: BLE001 - reported as the parse error it is
        raise TemplateError(f"not valid YAML: {exc}", Location(path)) from None
    return body, found


def read_document(path: Path) -> Document:
    """One template file (a CDK stack's when its folder has cdk.out's manifest)."""
    text = _read(path, "template")
    body, notes = parse_with_notes(text, path)
    if not isinstance(body, dict):
        raise TemplateError("a template is a mapping (Resources, Parameters, ...)",
                            Location(path, (), 1, 1))
    if not isinstance(body.get("Resources"), dict):
        raise TemplateError("the template has no Resources section", Location(path, (), 1, 1))
    stack = _cdk_stack_of(path)
    return Document(path, body, cdk_stack_name=stack,
                    cdk_out=path.parent if stack is not None else None,
                    display_name=stack or path.name, notes=tuple(notes))


def read_documents(path: Path) -> list[Document]:
    """The templates ``--template PATH`` names: a file, or a ``cdk.out`` folder (every
    stack its manifest lists)."""
    if path.is_dir():
        return [read_document(file) for file in cdk_stack_templates(path)]
    return [read_document(path)]


def cdk_stack_templates(cdk_out: Path) -> list[Path]:
    """The stack templates of a ``cdk.out`` folder, in the manifest's order."""
    manifest = _manifest(cdk_out)
    if manifest is None:
        raise TemplateError(f"{cdk_out} is a folder without {CDK_MANIFEST}: give a template "
                            "file, or the cdk.out folder `cdk synth` wrote")
    files = [cdk_out / artifact["properties"]["templateFile"]
             for _, artifact in _stack_artifacts(manifest)]
    if not files:
        raise TemplateError(f"{cdk_out}/{CDK_MANIFEST} lists no CloudFormation stack")
    return files


def cdk_construct_paths(body: Mapping[str, Any]) -> dict[str, str]:
    """Logical id -> CDK construct path (``Stack/Machine/Resource``), from each
    resource's ``aws:cdk:path`` metadata (what tree.json holds too)."""
    paths = {}
    for logical_id, resource in (body.get("Resources") or {}).items():
        metadata = resource.get("Metadata") if isinstance(resource, Mapping) else None
        if isinstance(metadata, Mapping) and isinstance(metadata.get("aws:cdk:path"), str):
            paths[str(logical_id)] = metadata["aws:cdk:path"]
    return paths


def _read(path: Path, what: str) -> str:
    try:
        return path.read_text()
    except FileNotFoundError:
        raise TemplateError(f"{what} file not found: {path}") from None
    except IsADirectoryError:
        raise TemplateError(f"{what} {path} is a directory") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise TemplateError(f"cannot read {what} file {path}: {exc}") from None


def _manifest(folder: Path) -> dict | None:
    file = folder / CDK_MANIFEST
    if not file.is_file():
        return None
    try:
        manifest = json.loads(file.read_text())
    except (OSError, ValueError) as exc:
        raise TemplateError(f"cannot read {file}: {exc}") from None
    return manifest if isinstance(manifest, dict) else None


def _stack_artifacts(manifest: Mapping[str, Any]) -> Iterator[tuple[str, dict]]:
    for artifact_id, artifact in (manifest.get("artifacts") or {}).items():
        if isinstance(artifact, dict) and artifact.get("type") == CDK_STACK_ARTIFACT:
            yield artifact_id, artifact


def _cdk_stack_of(path: Path) -> str | None:
    """The CDK stack name of template ``path`` when its folder is a cdk.out."""
    manifest = _manifest(path.parent)
    if manifest is None:
        return None
    for artifact_id, artifact in _stack_artifacts(manifest):
        props = artifact.get("properties") or {}
        if props.get("templateFile") == path.name:
            return str(props.get("stackName") or artifact_id)
    return None
