"""What is checked about functions before they run: which cannot run here at all, and
what may not behave as on Lambda (notes, never failures).

The interpreter checks (its version against the declared ``Runtime``, the packages a
``requirements.txt`` of the code folder or of a layer lists) start each interpreter
once, with ``bootstrap.py --probe``, for all the functions it runs.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from .environment import BOOTSTRAP, RESERVED
from .spec import FunctionSpec

_PYTHON_RUNTIME = re.compile(r"^python(?P<major>\d+)\.(?P<minor>\d+)$")
_REQUIREMENT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*")
PROBE_SECONDS = 60.0


def unsupported_reason(spec: FunctionSpec) -> str | None:
    """Why ``spec`` cannot run here (None: it can)."""
    runtime = spec.runtime
    if runtime is not None:
        match = _PYTHON_RUNTIME.match(runtime)
        if match is None or match["major"] != "3":
            return (f"its runtime is {runtime}: stepfn runs Python 3 functions only "
                    "(mock it, or give a Python stand-in with --functions)")
    if not spec.handler:
        return "it has no Handler"
    if spec.code_dir is None:
        if spec.inline_code is None:
            return "it has no code (no code folder, no inline code)"
    elif not Path(spec.code_dir).is_dir():
        return f"its code folder {spec.code_dir} does not exist"
    return None


def requirement_names(text: str) -> list[str]:
    """The distribution names a requirements file lists (normalised as pip does);
    options, URLs and local paths are left out."""
    names = []
    for raw in text.splitlines():
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith(("#", "-", ".", "/")) or "://" in line.split("@")[0]:
            continue
        match = _REQUIREMENT_NAME.match(line)
        if match:
            names.append(re.sub(r"[-_.]+", "-", match.group()).lower())
    return names


def _requirements_of(folders: Sequence[Path]) -> dict[Path, list[str]]:
    found = {}
    for folder in folders:
        file = folder / "requirements.txt"
        if file.is_file():
            found[file] = requirement_names(file.read_text(encoding="utf-8", errors="replace"))
    return found


class StartupChecks:
    """The notes on ``specs`` (runnable ones), computed on the first ``notes()``."""

    def __init__(self, specs: Sequence[FunctionSpec], default_python: str | None) -> None:
        self.specs = list(specs)
        self.default_python = default_python
        self._notes: list[str] | None = None

    def notes(self) -> list[str]:
        if self._notes is None:
            self._notes = self._compute()
        return list(self._notes)

    def _compute(self) -> list[str]:
        notes: list[str] = []
        by_python: dict[str, list[FunctionSpec]] = {}
        for spec in self.specs:
            reserved = sorted(key for key in spec.environment if key in RESERVED)
            if reserved:
                notes.append(f"function {spec.name}: its Environment sets "
                             f"{', '.join(reserved)}, which Lambda reserves: Lambda's value "
                             "is kept")
            for layer in spec.layers:
                if not Path(layer).is_dir():
                    notes.append(f"function {spec.name}: layer folder {layer} does not "
                                 "exist")
            python = spec.python or self.default_python or sys.executable
            by_python.setdefault(python, []).append(spec)
        for python, specs in by_python.items():
            notes += self._probe(python, specs)
        return notes

    def _probe(self, python: str, specs: list[FunctionSpec]) -> list[str]:
        """Start ``python`` once: its version against each declared runtime, and the
        requirements its functions list that it cannot find."""
        checks = {}
        files: dict[str, dict[Path, list[str]]] = {}
        for spec in specs:
            folders = [Path(spec.code_dir)] if spec.code_dir is not None else []
            folders += [Path(layer) for layer in spec.layers]
            files[spec.name] = _requirements_of(folders)
            checks[spec.name] = {
                "task_root": str(spec.code_dir or ""),
                "layers": [str(layer) for layer in spec.layers],
                "requirements": sorted({n for names in files[spec.name].values()
                                        for n in names})}
        try:
            done = subprocess.run([python, str(BOOTSTRAP), "--probe"],
                                  input=json.dumps({"checks": checks}), text=True,
                                  capture_output=True, timeout=PROBE_SECONDS, check=True)
            answer = json.loads(done.stdout)
        except (OSError, subprocess.SubprocessError, ValueError) as exc:
            names = ", ".join(spec.name for spec in specs)
            return [f"interpreter {python} (functions {names}) cannot be started: "
                    f"{_first_line(exc)}"]
        notes = []
        version = "python{}.{}".format(*answer["version"])
        for spec in specs:
            if spec.runtime is not None and spec.runtime != version:
                notes.append(f"function {spec.name}: declared runtime {spec.runtime}, run "
                             f"by {version} ({python}); give --function-python for another")
            missing = answer["missing"].get(spec.name) or []
            if missing:
                sources = ", ".join(str(file) for file, names in files[spec.name].items()
                                    if set(names) & set(missing))
                notes.append(f"function {spec.name}: {sources} lists {', '.join(missing)}, "
                             f"not installed for {python} (pip install them, or give "
                             "--function-python)")
        return notes


def _first_line(exc: BaseException) -> str:
    stderr = getattr(exc, "stderr", None)
    text = stderr.strip() if isinstance(stderr, str) and stderr.strip() else str(exc)
    return text.splitlines()[-1] if text else type(exc).__name__
