"""Loading local task functions from a module, a file or a directory (``--functions``).

Every public function defined in the loaded module is registered under its own name,
so ``def resize(event): ...`` answers ``arn:aws:lambda:...:function:resize``. A module
may also define ``FUNCTIONS = {"name": callable}`` for other names, and mark functions
with ``@stepfn.task_function(name=..., runs_in="process")``.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any


def task_function(name: str | None = None, *, runs_in: str | None = None):
    """Mark a function for ``--functions`` loading: another name, or where it runs
    ("thread", "process" for CPU-heavy work, "inline")."""
    def mark(fn: Callable) -> Callable:
        fn.__stepfn_name__ = name or fn.__name__  # type: ignore[attr-defined]
        fn.__stepfn_runs_in__ = runs_in  # type: ignore[attr-defined]
        return fn
    return mark


def register_all(registry: Any, spec: str) -> list[str]:
    """Load ``spec`` and register its functions; returns their names."""
    names = []
    for name, fn in load_functions(spec).items():
        registry.register(getattr(fn, "__stepfn_name__", name), fn,
                          runs_in=getattr(fn, "__stepfn_runs_in__", None))
        names.append(name)
    return names


def load_functions(spec: str) -> dict[str, Callable]:
    """Functions from a module name, a ``.py`` file or a directory of them."""
    path = Path(spec)
    if path.is_dir():
        found: dict[str, Callable] = {}
        for file in sorted(path.glob("*.py")):
            if not file.name.startswith("_"):
                found.update(functions_of(_import_file(file)))
        return found
    if path.suffix == ".py" or path.exists():
        return functions_of(_import_file(path))
    return functions_of(importlib.import_module(spec))


def functions_of(module: ModuleType) -> dict[str, Callable]:
    found: dict[str, Callable[..., Any]] = {
        name: obj for name, obj in vars(module).items()
        if inspect.isfunction(obj) and not name.startswith("_")
        and obj.__module__ == module.__name__
    }
    found.update(getattr(module, "FUNCTIONS", {}) or {})
    return found


def _import_file(path: Path) -> ModuleType:
    if not path.exists():
        raise FileNotFoundError(f"no such functions file: {path}")
    name = f"stepfn_functions_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # lets a process pool or pickle find the functions
    sys.path.insert(0, str(path.parent.resolve()))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.pop(0)
    return module
