"""What goes wrong with a template, and where.

Every problem found while loading or resolving a template is a ``TemplateError``: one
message naming the place (``template.yaml:14:9: Resources/MyMachine/Properties/...``),
so that the command line can print it as one ``error:`` line.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

#: A place inside a template: the keys and list indexes from its root.
TemplatePath = tuple[str | int, ...]


def render_path(path: Sequence[str | int]) -> str:
    """``("Resources", "Fn", "Properties", "Layers", 0)`` as ``Resources/Fn/.../0``."""
    return "/".join(str(part) for part in path)


def property_path(path: Sequence[str | int]) -> tuple[str | int, ...]:
    """``path`` up to the first intrinsic function in it: the property it is the value
    of (``.../TableName``, not ``.../TableName/Fn::ImportValue``)."""
    for i, part in enumerate(path):
        if isinstance(part, str) and (part == "Ref" or part.startswith("Fn::")):
            return tuple(path[:i])
    return tuple(path)


@dataclass(frozen=True)
class Location:
    """A file, the path inside it, and the line and column where that path starts
    (1-based; None when not known, e.g. inside what the SAM transform generated)."""

    file: Path | None
    path: TemplatePath = ()
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        parts = []
        if self.file is not None:
            where = str(self.file)
            if self.line is not None:
                where += f":{self.line}" + (f":{self.column}" if self.column else "")
            parts.append(where)
        if self.path:
            parts.append(render_path(property_path(self.path)))
        return ": ".join(parts)


class TemplateError(Exception):
    """A template that cannot be loaded or resolved; ``str()`` is the one line."""

    def __init__(self, message: str, location: Location | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.location = location

    def __str__(self) -> str:
        where = str(self.location) if self.location is not None else ""
        return f"{where}: {self.message}" if where else self.message
