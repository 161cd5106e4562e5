"""What the Lambda runtime needs to know about one function (``FunctionSpec``).

A plain value built by whoever declares functions (the templates loader, a test); the
runtime reads it and never changes it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class FunctionSpec:
    """One Lambda function to run locally, as a template declares it."""
    name: str                                  # FunctionName, else the logical id
    handler: str                               # "app.lambda_handler", "src/my-mod.handler"
    code_dir: Path | None                      # CodeUri / CDK asset folder; None: inline
    inline_code: str | None = None             # Code.ZipFile / InlineCode
    runtime: str | None = None                 # "python3.12"; None when not declared
    environment: Mapping[str, str] = field(default_factory=dict)  # resolved variables
    timeout_seconds: float = 3.0               # SAM's and Lambda's default
    memory_mb: int = 128
    layers: tuple[Path, ...] = ()              # local layer folders (as /opt: python/ on the path)
    python: str | None = None                  # interpreter; None: the server's own
    reserved_concurrency: int | None = None
    aliases: tuple[str, ...] = ()              # e.g. AutoPublishAlias "live"
    logical_id: str | None = None
