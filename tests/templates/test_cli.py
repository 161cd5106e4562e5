"""The command line with templates: the mistakes a person makes (one `error:` line,
exit 2, never a traceback), `validate`, `run`, `invoke` and `export` (round trip
through --template, cfn-lint clean)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stepfn.cli import main
from tests.templates.conftest import APPS


def one_error(capsys: pytest.CaptureFixture, *argv: str) -> str:
    assert main(list(argv)) == 2
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "Traceback" not in err
    return lines[0]


def edited(template: Path, old: str, new: str) -> str:
    text = template.read_text()
    assert old in text
    template.write_text(text.replace(old, new, 1))
    return str(template)


@pytest.mark.parametrize("old, new, expected", [
    # a template that does not parse: its line and column
    ("Resources:\n  OrderMachine:", "Resources:\n OrderMachine: [\n", "template.yaml:"),
    # a DefinitionUri file that is missing
    ("statemachine/orders.asl.json", "statemachine/gone.json",
     "Resources/OrderMachine/Properties/DefinitionUri: definition file "),
    # an unknown intrinsic function
    ("TableName: !Ref OrdersTable", "TableName: !Bogus OrdersTable",
     "Resources/OrderMachine/Properties/DefinitionSubstitutions/TableName: unknown intrinsic "
     "function Fn::Bogus"),
    # an import nothing exports
    ("QueueUrl: !Ref NotifyQueue", "QueueUrl: !ImportValue shared-queue",
     "Resources/OrderMachine/Properties/DefinitionSubstitutions/QueueUrl: Fn::ImportValue "
     "'shared-queue'"),
    # a parameter without a value
    ("    Default: EUR\n", "", "Parameters/Currency: parameter Currency has no value: give it "
                              "with --parameter-overrides Currency=VALUE"),
    # a handler module that does not exist
    ("CodeUri: functions/price/\n      Handler: app.lambda_handler",
     "CodeUri: functions/price/\n      Handler: pricing.lambda_handler",
     "Resources/PriceFunction/Properties/Handler: handler module pricing not found"),
])
def test_a_broken_template_is_one_error_line(orders_app: Path, capsys: pytest.CaptureFixture,
                                             old: str, new: str, expected: str) -> None:
    assert expected in one_error(capsys, "validate", "--template",
                                 edited(orders_app, old, new))


def test_the_parse_error_names_line_and_column(orders_app: Path,
                                               capsys: pytest.CaptureFixture) -> None:
    line = one_error(capsys, "validate", "--template", edited(
        orders_app, "  OrdersTable:\n    Type:", "  OrdersTable:\n   Type: ["))
    assert line.startswith(f"error: {orders_app}:")
    where = line.removeprefix(f"error: {orders_app}:").split(":")
    assert where[0].isdigit() and where[1].isdigit() and "not valid YAML" in line


@pytest.mark.parametrize("argv, expected", [
    (["--parameter-overrides", "Stage=test"], "'test' is not one of its AllowedValues"),
    (["--parameter-overrides", "Colour=red"], "no template declares that parameter"),
    (["--parameter-overrides", "oops"], "expected KEY=VALUE"),
])
def test_bad_overrides(capsys: pytest.CaptureFixture, argv: list[str], expected: str) -> None:
    assert expected in one_error(capsys, "validate", "--template",
                                 str(APPS / "sam_orders" / "template.yaml"), *argv)


def test_an_invalid_definition_points_into_template_and_file(
        orders_app: Path, capsys: pytest.CaptureFixture) -> None:
    definition = orders_app.parent / "statemachine" / "orders.asl.json"
    definition.write_text(definition.read_text().replace('"Next": "Save"', '"Next": "Sav"'))
    assert main(["validate", "--template", str(orders_app)]) == 1
    err = capsys.readouterr().err
    assert "Resources/OrderMachine/Properties/DefinitionUri (" in err
    assert "orders.asl.json:15 /States/Price/Next): MISSING_TRANSITION_TARGET" in err
    line = one_error(capsys, "run", "--template", str(orders_app), "--machine",
                     "OrderMachine")
    assert line.startswith("error: invalid definition: ") and "more problems" in line


def test_run_a_cdk_machine_by_its_construct_path(capsys: pytest.CaptureFixture) -> None:
    # No local AWS here: the DynamoDB step fails once the function has answered.
    code = main(["run", "--template", str(APPS / "cdk_greeting" / "cdk.out"), "--machine",
                 "GreetingStack/GreetingMachine", "--input", '{"name": "Ada"}', "--json"])
    result = json.loads(capsys.readouterr().out)
    [greeted] = [e for e in result["events"] if e["type"] == "LambdaFunctionSucceeded"]
    output = json.loads(greeted["lambdaFunctionSucceededEventDetails"]["output"])
    assert output == {"name": "Ada", "greeting": "Hello, Ada!", "table": "Greetings4CE51A51"}
    assert code == 1 and result["error"].startswith("DynamoDB.")
    line = one_error(capsys, "run", "--template", str(APPS / "sam_orders" / "template.yaml"))
    assert "give --machine NAME" in line and "OrderMachine" in line


def test_invoke_a_function_as_sam_local_invoke(capsys: pytest.CaptureFixture) -> None:
    template = str(APPS / "sam_orders" / "template.yaml")
    assert main(["invoke", "PriceFunction", "--template", template,
                 "--parameter-overrides", "Stage=prod", "--payload", '{"total": 100}']) == 0
    assert json.loads(capsys.readouterr().out) == {"total": 100, "price": 95.0,
                                                   "price_text": "95.00 EUR"}
    assert main(["invoke", "ValidateFunction", "--template", template,
                 "--payload", '{"total": 1}']) == 1
    error = json.loads(capsys.readouterr().out)
    assert error["errorType"] == "ValueError"
    assert "no Python function 'Nope'" in one_error(capsys, "invoke", "Nope", "--template",
                                                    template)


def test_a_handler_that_raises_at_import_fails_with_lambdas_shape(
        orders_app: Path, capsys: pytest.CaptureFixture) -> None:
    price = orders_app.parent / "functions" / "price" / "app.py"
    price.write_text("raise RuntimeError('no config')\n" + price.read_text())
    assert main(["invoke", "PriceFunction", "--template", str(orders_app),
                 "--payload", '{"total": 1}']) == 1
    error = json.loads(capsys.readouterr().out)
    assert error["errorType"] == "RuntimeError" and error["errorMessage"] == "no config"
    code = main(["run", "--template", str(orders_app), "--machine", "OrderMachine",
                 "--input", '{"id": "x", "total": 50}', "--json"])
    result = json.loads(capsys.readouterr().out)
    assert code == 1 and result["error"] == "RuntimeError"
    assert json.loads(result["cause"])["errorMessage"] == "no config"


def test_export_round_trips_and_passes_cfn_lint(tmp_path: Path,
                                                capsys: pytest.CaptureFixture) -> None:
    from cfnlint.api import lint_all

    definition = {
        "StartAt": "Odd",
        "States": {
            "Odd": {"Type": "Task", "Next": "Tell",
                    "Resource": "arn:aws:lambda:us-east-1:123456789012:function:odd"},
            "Tell": {"Type": "Task", "Resource": "arn:aws:states:::sns:publish",
                     "Parameters": {"TopicArn": "arn:aws:sns:us-east-1:123456789012:news",
                                    "Message.$": "$"}, "Next": "Queue"},
            "Queue": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage",
                      "Parameters": {"QueueUrl":
                                     "https://sqs.us-east-1.amazonaws.com/123456789012/jobs",
                                     "MessageBody.$": "$"}, "End": True}}}
    source = tmp_path / "orders.asl.json"
    source.write_text(json.dumps(definition))
    for template_format in ("sam", "cloudformation"):
        out = tmp_path / f"{template_format}.yaml"
        assert main(["export", str(source), "--format", template_format,
                     "--output", str(out)]) == 0
        text = out.read_text()
        assert "${OddFunctionArn}" in text and "${NewsTopicArn}" in text
        assert "${JobsQueueUrl}" in text
        # cfn-lint's errors and warnings (its informational notes do not fail it either)
        assert [str(m) for m in lint_all(text)
                if m.rule.severity in ("error", "warning")] == []
        capsys.readouterr()
        assert main(["validate", "--template", str(out)]) == 0
        assert capsys.readouterr().out.strip() == "OK: Orders (orders)"
        from stepfn.templates import load_application

        assert json.loads(load_application([out]).machine("orders").definition) == definition
