"""The package's dependencies point one way: api -> service -> engine -> asl (with
store and tasks below the service). Read from the import statements of every module,
so a forbidden import fails here even if it is never executed."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "stepfn"

# layer -> the stepfn packages it must not import (directly or lazily, in any module)
FORBIDDEN = {
    "service": {"api", "ui", "cli", "templates", "cli_templates"},
    "engine": {"api", "ui", "cli", "service", "templates"},
    "asl": {"api", "ui", "cli", "service", "engine", "store", "tasks", "templates"},
    "store": {"api", "ui", "cli", "service", "engine", "tasks", "templates"},
    "tasks": {"api", "ui", "cli", "service", "templates"},
    # A layer above the service: it creates machines and functions through the service;
    # the command line sits above it.
    "templates": {"api", "ui", "cli", "cli_templates"},
    # The Lambda runtime sits below the task layer (which calls it) and knows nothing of
    # the rest: its bootstrap runs in the functions' own processes, with no stepfn there.
    "lambda_runtime": {"api", "ui", "cli", "service", "engine", "templates", "tasks", "store",
                       "asl", "runtime", "testing"},
}


def package_of(path: Path) -> str:
    """The dotted name of the package module ``path`` is in."""
    name = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return name if path.name == "__init__.py" else name.rsplit(".", 1)[0]


def imported_modules(source: str, package: str) -> set[str]:
    """Every module ``source`` (a module of ``package``) imports, as an absolute
    dotted name, wherever the import statement is (a function body too)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parent + ([base] if base else []))
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def layer_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "stepfn" else None


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_imports_nothing_above_it(layer: str) -> None:
    offending = []
    for path in sorted((PACKAGE / layer).rglob("*.py")):
        for module in imported_modules(path.read_text(), package_of(path)):
            if layer_of(module) in FORBIDDEN[layer]:
                offending.append(f"{path.relative_to(PACKAGE.parent)} imports {module}")
    assert offending == []


def test_the_check_sees_relative_and_lazy_imports() -> None:
    """``from ..api import x`` inside a function of stepfn.service is stepfn.api."""
    source = "def f():\n    from ..api.errors import ApiError\n    return ApiError\n"
    found = imported_modules(source, "stepfn.service")
    assert "stepfn.api.errors" in found
    assert layer_of("stepfn.api.errors") in FORBIDDEN["service"]


def test_the_settings_module_imports_nothing_of_stepfn() -> None:
    """stepfn/settings.py is read by every layer's composition root (the CLI, the
    service's wiring, the Python API), so it may depend on none of them."""
    source = (PACKAGE / "settings.py").read_text()
    assert [m for m in imported_modules(source, "stepfn") if m.startswith("stepfn")] == []
