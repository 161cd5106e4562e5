"""PLACEHOLDER (being replaced): minimal reference-path JSONPath."""

from __future__ import annotations

import re
from typing import Any

from ..errors import PathNotFound


class JsonPathSyntaxError(ValueError):
    pass


_TOKEN = re.compile(r"\.([A-Za-z_][\w-]*)|\[(\d+)\]|\['([^']*)'\]")


class JsonPath:
    def __init__(self, text: str) -> None:
        self.text = text
        if not text.startswith("$"):
            raise JsonPathSyntaxError(text)
        segs: list[str | int] = []
        pos = 1
        while pos < len(text):
            m = _TOKEN.match(text, pos)
            if not m:
                raise JsonPathSyntaxError(text)
            segs.append(m.group(1) if m.group(1) is not None else
                        int(m.group(2)) if m.group(2) is not None else m.group(3))
            pos = m.end()
        self.segments: tuple[str | int, ...] | None = tuple(segs)
        self.is_definite = True

    def evaluate(self, doc: Any) -> Any:
        for seg in self.segments:
            try:
                doc = doc[seg]
            except (KeyError, IndexError, TypeError):
                raise PathNotFound(self.text) from None
        return doc


def compile_jsonpath(text: str) -> JsonPath:
    return JsonPath(text)
