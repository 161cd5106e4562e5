"""`stepfn serve --template` as a user runs a SAM application: real processes, boto3,
moto's server as the local AWS (``--create-resources``), the Lambda runtime running the
template's functions, the SQS callback pattern end to end, and ``--watch``."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from tests.cli.conftest import running_server
from tests.templates.conftest import finished, sfn_client, wait_until


def test_a_sam_application_runs_with_one_command(orders_app: Path, tmp_path: Path,
                                                 moto_endpoint: str, aws: Any) -> None:
    stack = f"shop{uuid.uuid4().hex[:6]}"
    outputs = tmp_path / "outputs.json"
    with running_server(tmp_path, "--template", str(orders_app), "--create-resources",
                        "--stack-name", stack, "--outputs", str(outputs),
                        "--parameter-overrides", "Currency=USD", "--watch") as (port, log):
        client = sfn_client(port)
        values = json.loads(outputs.read_text())[stack]
        table = values["Outputs"]["OrdersTableName"]
        assert table.startswith(f"{stack}-OrdersTable-")  # created on the local AWS
        assert values["Resources"]["NotifyQueue"]["RunBy"] == "aws"
        machine = values["Outputs"]["OrderMachineArn"]
        assert machine.endswith(f":stateMachine:{stack}-orders")

        # Validate and Price (both app.lambda_handler, each with its environment and the
        # layer), Save in the created table, Notify through the created queue: the
        # queue's function answers the task token on this stepfn.
        started = client.start_execution(stateMachineArn=machine,
                                         input=json.dumps({"id": "o-1", "total": 40}))
        done = finished(client, started["executionArn"])
        assert done["status"] == "SUCCEEDED", done
        assert json.loads(done["output"]) == {"id": "o-1", "confirmed": True,
                                              "price_text": "40.00 USD"}
        item = aws.client("dynamodb").get_item(TableName=table, Key={"id": {"S": "o-1"}})
        assert item["Item"]["total"] == {"S": "40.00 USD"}

        # `stepfn export` of the running machine: its ARNs lifted into substitutions.
        exported = tmp_path / "exported.yaml"
        from stepfn.cli import main

        assert main(["export", "--state-machine-arn", machine, "--endpoint-url",
                     f"http://127.0.0.1:{port}", "--output", str(exported)]) == 0
        text = exported.read_text()
        assert "Resource: ${ValidateFunctionArn}" in text
        assert "ValidateFunctionArn: arn:aws:lambda:us-east-1:123456789012:function:" \
               "ValidateFunction" in text

        # A function's exception is Lambda's error shape in the execution.
        started = client.start_execution(stateMachineArn=machine,
                                         input=json.dumps({"id": "o-2", "total": 3}))
        failed = finished(client, started["executionArn"])
        assert failed["status"] == "FAILED" and failed["error"] == "ValueError"
        assert json.loads(failed["cause"])["errorMessage"] == "order total below 10.00 units"

        # --watch: a definition edit is a new revision of the machine...
        before = client.describe_state_machine(stateMachineArn=machine)
        definition_file = orders_app.parent / "statemachine" / "orders.asl.json"
        definition_file.write_text(definition_file.read_text().replace(
            '"Comment": "Validate, price', '"Comment": "Edited: validate, price'))
        after = wait_until(lambda: (d := client.describe_state_machine(
            stateMachineArn=machine))["definition"] != before["definition"] and d)
        assert "Edited: validate" in after["definition"]
        assert after["revisionId"] != before.get("revisionId")
        wait_until(lambda: "reloaded" in log.read_text())

        # ... a code edit restarts the function's processes ...
        price = orders_app.parent / "functions" / "price" / "app.py"
        price.write_text(price.read_text().replace('"price": price,', '"price": price, '
                                                   '"edited": True,'))
        wait_until(lambda: log.read_text().count("reloaded") >= 2)
        started = client.start_execution(stateMachineArn=machine,
                                         input=json.dumps({"id": "o-3", "total": 50}))
        assert finished(client, started["executionArn"])["status"] == "SUCCEEDED"
        history = client.get_execution_history(executionArn=started["executionArn"])
        price_result = next(e for e in history["events"] if e["type"] == "TaskSucceeded"
                            and '"edited"' in e["taskSucceededEventDetails"]["output"])
        assert price_result

        # ... and a template that no longer loads keeps the last good application.
        orders_app.write_text(orders_app.read_text().replace("Resources:", "Resources: ["))
        wait_until(lambda: "no longer loads" in log.read_text())
        started = client.start_execution(stateMachineArn=machine,
                                         input=json.dumps({"id": "o-4", "total": 50}))
        assert finished(client, started["executionArn"])["status"] == "SUCCEEDED"
    text = log.read_text()
    # Only the function's own traceback (its log, as CloudWatch would have it), none of
    # stepfn's.
    assert [line for line in text.splitlines() if "Traceback" in line
            and "[ValidateFunction " not in line] == []
    assert f"output OrderMachineArn = {machine}" in text  # the outputs, printed at start
