"""The export service's AWS deployment matches what runs locally."""

from __future__ import annotations

import json
import re
from pathlib import Path

from stepfn import Engine
from stepfn.functions_loader import register_all

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "export_service"


def test_the_sam_template_passes_cfn_lint() -> None:
    from cfnlint.api import lint_file

    matches = lint_file(EXAMPLE / "template.yaml")
    assert [str(m) for m in matches] == []


def test_the_template_deploys_the_workflow_file_and_every_function_it_calls() -> None:
    template = (EXAMPLE / "template.yaml").read_text()
    assert "DefinitionUri: workflow.asl.json" in template
    deployed = dict(re.findall(
        r"FunctionName: (export-[a-z-]+)\n\s+PackageType: Image\n\s+ImageConfig: "
        r"\{Command: \[\"handlers\.(\w+)\"\]\}", template))
    called = set(re.findall(r'"FunctionName": "([\w-]+)"',
                            (EXAMPLE / "workflow.asl.json").read_text()))
    assert called and called == set(deployed)
    # Locally, --functions registers each handler under the name the workflow calls.
    engine = Engine()
    register_all(engine.functions, str(EXAMPLE / "handlers.py"))
    for name, handler in deployed.items():
        local = engine.functions.get(name)
        assert local is not None and local.fn.__name__ == handler
    assert engine.functions.get("export-batch").runs_in == "process"


def test_the_workflow_is_valid_and_uses_the_distributed_map_fields() -> None:
    definition = json.loads((EXAMPLE / "workflow.asl.json").read_text())
    Engine().compile(definition)  # raises DefinitionError when invalid
    export = definition["States"]["ExportFiles"]
    assert export["ItemProcessor"]["ProcessorConfig"]["Mode"] == "DISTRIBUTED"
    assert {"ItemReader", "ItemBatcher", "ResultWriter", "MaxConcurrency"} <= set(export)


def test_the_handlers_load_without_stepfn_as_on_lambda() -> None:
    import subprocess
    import sys

    code = ("import sys; sys.modules['stepfn'] = None; import handlers; "
            "print(sorted(n for n in ('plan_export', 'export_batch', 'finish_export', "
            "'describe_failure') if callable(getattr(handlers, n))))")
    done = subprocess.run([sys.executable, "-c", code], cwd=EXAMPLE, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(sorted(
        ["plan_export", "export_batch", "finish_export", "describe_failure"]))
