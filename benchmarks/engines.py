"""The engine-mode registry: which engines run.py can measure, and how.

An engine mode names a driver module (benchmarks/drivers/<driver>.py, see the
protocol in drivers/__init__.py) and the interpreter its worker runs under. To add a
mode (the SQLite-backed Standard engine, Express through ``stepfn serve``), write its
driver and register it here; run.py, the table and the ratios pick it up by name.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from common import REPO

BENCH_DIR = Path(__file__).resolve().parent
MOTO_VENV = BENCH_DIR / ".venv-moto"
MOTO_SETUP = (f"python3.11 -m venv {MOTO_VENV} && {MOTO_VENV}/bin/pip install "
              "'moto[stepfunctions]>5.2.1' 'jsonpath-ng>=1.16' boto3")


@dataclass(frozen=True)
class EngineMode:
    name: str  # what --engines takes
    label: str  # what the table shows
    driver: str | None  # module under drivers/; None: not written yet
    python: Callable[[], Path] = lambda: Path(sys.executable)
    is_stepfn: bool = True  # stepfn rows get the stepfn/moto ratio
    budget_seconds: float | None = None  # default time budget per workload (None: runs only)
    setup_hint: str = ""

    def unavailable_reason(self) -> str | None:
        """Why this mode cannot run here (None when it can)."""
        if self.driver is None:
            return f"not implemented yet ({self.setup_hint})"
        if not self.python().exists():
            return f"interpreter {self.python()} missing; create it with: {self.setup_hint}"
        return None


def _moto_python() -> Path:
    return MOTO_VENV / "bin" / "python"


def _main_python() -> Path:
    venv = REPO / ".venv" / "bin" / "python"
    return venv if venv.exists() else Path(sys.executable)


ENGINE_MODES: dict[str, EngineMode] = {mode.name: mode for mode in (
    EngineMode("inprocess", "stepfn in-process", "inprocess", _main_python),
    # (b) Standard executions, durable on the SQLite store (drivers/sqlite_store.py).
    EngineMode("sqlite", "stepfn Standard+SQLite", "sqlite_store", _main_python),
    # The durable floor: the in-process engine, then one fsynced SQLite commit per
    # execution (drivers/durable_floor.py); not an engine, a lower bound.
    EngineMode("floor", "floor: in-process + 1 commit", "durable_floor", _main_python,
               is_stepfn=False),
    # (c) Express executions through a `stepfn serve` subprocess over HTTP, one boto3
    # StartSyncExecution per execution (drivers/serve_http.py).
    EngineMode("serve", "stepfn serve (Express, HTTP)", "serve_http", _main_python),
    EngineMode("moto", "moto in-process", "moto_engine", _moto_python, is_stepfn=False,
               budget_seconds=60.0, setup_hint=MOTO_SETUP),
)}
REFERENCE_MODE = "moto"  # the denominator of the ratio column
