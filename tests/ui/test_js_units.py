"""The web UI's JavaScript unit tests (``stepfn/ui/web/test``, node's test runner): the
Choice rule labels against a table of every operator, the layout engines, the execution
model's statuses. They import the UI's sources and its locked packages
(``npm ci`` in stepfn/ui/web, which .ci/run does)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

WEB = Path(__file__).parents[2] / "stepfn" / "ui" / "web"


def _require(ok: bool, message: str) -> None:
    if ok:
        return
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(message)
    pytest.skip(message)


def test_javascript_unit_tests_pass() -> None:
    node = shutil.which("node")
    _require(node is not None, "node is not installed (Debian: apt-get install nodejs npm)")
    _require((WEB / "node_modules" / "elkjs").is_dir(),
             "the UI's packages are not installed: run 'npm ci' in stepfn/ui/web")
    done = subprocess.run([str(node), "--test", "test/"], cwd=WEB, capture_output=True,
                          text=True, timeout=120)
    summary = [line for line in done.stdout.splitlines() if line.startswith("# ")]
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    assert "# fail 0" in summary, summary
    passed = next(int(line.split()[2]) for line in summary if line.startswith("# pass"))
    assert passed >= 11, summary
