"""The commands of the template guides (docs/templates.md, docs/from-step-functions-
local.md, docs/from-localstack.md): each `stepfn ...` line parses as the CLI takes it,
names files that exist, and the ones that need no server run to exit 0 here (moto's
server as the local AWS). The `stepfn serve --template` lines run in test_serve.py with
the same options."""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path

import pytest

from stepfn.cli import build_parser, main

ROOT = Path(__file__).resolve().parents[2]
GUIDES = ["docs/templates.md", "docs/from-step-functions-local.md", "docs/from-localstack.md"]
RUN_HERE = {"validate", "invoke", "run", "export"}


def commands() -> list[tuple[str, str]]:
    found = []
    for guide in GUIDES:
        for block in re.findall(r"```sh\n(.*?)```", (ROOT / guide).read_text(), re.S):
            for line in block.splitlines():
                line = line.split("  #")[0].strip()
                inner = re.search(r"\$\((stepfn [^)]*)\)", line)  # eval "$(stepfn env)"
                words = shlex.split(inner.group(1) if inner else line)
                while words and "=" in words[0] and not words[0].startswith("-"):
                    words = words[1:]  # VAR=value before the command
                for stop in (">", "|", "&&", "&"):  # the shell's part of the line
                    if stop in words:
                        words = words[:words.index(stop)]
                if words and words[0] == "stepfn":
                    found.append((guide, shlex.join(words[1:])))
    return found


@pytest.mark.parametrize("guide, command", commands())
def test_a_guide_command_is_real(guide: str, command: str, tmp_path: Path,
                                 moto_endpoint: str, monkeypatch: pytest.MonkeyPatch,
                                 capsys: pytest.CaptureFixture) -> None:
    argv = shlex.split(command)
    if argv[0] == "env":  # `eval "$(stepfn env)"`: no files, nothing to start
        assert main(argv) == 0
        return
    args = build_parser().parse_args(argv)  # a flag the CLI lacks fails here
    paths = [p for p in [*(getattr(args, "template", None) or []),
                         getattr(args, "definition", None)] if p]
    # The project's examples must exist; a bare template.yaml stands for the reader's.
    ours = [p for p in paths if p.startswith("examples/")]
    for path in ours:
        assert (ROOT / path).exists(), f"{guide}: {path} does not exist"
    if argv[0] not in RUN_HERE or "--state-machine-arn" in argv or len(ours) < len(paths):
        return
    monkeypatch.chdir(ROOT)
    code = main(argv)
    out = capsys.readouterr()
    assert code == 0, (command, out.err[-2000:])
    assert "Traceback" not in out.err


def test_the_guides_have_commands() -> None:
    found = {command.split()[0] for _, command in commands()}
    assert {"serve", "validate", "run", "invoke", "export", "env"} <= found
    assert os.path.exists(ROOT / "examples" / "cdk_greeting" / "app.py")
