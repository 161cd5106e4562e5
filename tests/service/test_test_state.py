"""TestState's newer fields through boto3 against a real ``stepfn serve``: mock (result
and errorOutput), stateName of a whole definition (Map and Parallel included), context,
variables, stateConfiguration, nextState, the four statuses and every inspection stage."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from .conftest import ROLE, Server

LAMBDA = "arn:aws:states:::lambda:invoke"
FAIL_FN = "arn:aws:lambda:us-east-1:123456789012:function:fail_always"


@pytest.fixture(scope="module")
def sfn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    root = tmp_path_factory.mktemp("test-state")
    server = Server(root / "stepfn.db", root / "serve.log")
    server.start()
    yield server.client()
    server.stop()


def test_state(sfn: Any, definition: dict, **members: Any) -> dict:
    """Call TestState with ``definition`` (as JSON) and ``members``."""
    return sfn.test_state(definition=json.dumps(definition), roleArn=ROLE, **members)


test_state.__test__ = False  # type: ignore[attr-defined]  # a helper, not a test

TASK = {"Type": "Task", "Resource": LAMBDA,
        "Parameters": {"FunctionName": "charge", "Payload.$": "$.order"},
        "ResultSelector": {"paid.$": "$.Payload.ok"}, "ResultPath": "$.charge",
        "Next": "Ship"}


def test_mock_result_goes_through_result_processing_with_every_stage(sfn: Any) -> None:
    answer = test_state(sfn, TASK, input='{"order": {"id": 7}}', inspectionLevel="DEBUG",
                        mock={"result": '{"Payload": {"ok": true}, "StatusCode": 200}'})
    assert answer["status"] == "SUCCEEDED"
    assert answer["nextState"] == "Ship"
    assert json.loads(answer["output"]) == {"order": {"id": 7}, "charge": {"paid": True}}
    data = answer["inspectionData"]
    assert json.loads(data["afterInputPath"]) == {"order": {"id": 7}}
    assert json.loads(data["afterParameters"]) == {"FunctionName": "charge",
                                                   "Payload": {"id": 7}}
    assert json.loads(data["result"]) == {"Payload": {"ok": True}, "StatusCode": 200}
    assert json.loads(data["afterResultSelector"]) == {"paid": True}
    assert json.loads(data["afterResultPath"]) == {"order": {"id": 7},
                                                   "charge": {"paid": True}}
    assert json.loads(data["variables"]) == {}


def test_mock_error_without_handlers_fails(sfn: Any) -> None:
    answer = test_state(sfn, TASK, input='{"order": {}}',
                        mock={"errorOutput": {"error": "Card.Declined",
                                                         "cause": "no funds"}})
    assert answer["status"] == "FAILED"
    assert (answer["error"], answer["cause"]) == ("Card.Declined", "no funds")
    assert "output" not in answer and "nextState" not in answer


RETRY_CATCH = dict(TASK, Retry=[{"ErrorEquals": ["Other"]},
                                {"ErrorEquals": ["Card.Declined"], "MaxAttempts": 2,
                                 "IntervalSeconds": 3, "BackoffRate": 2}],
                   Catch=[{"ErrorEquals": ["Other"], "Next": "Nope"},
                          {"ErrorEquals": ["States.ALL"], "ResultPath": "$.err",
                           "Next": "Refund"}])


def test_error_a_retrier_accepts_is_retriable(sfn: Any) -> None:
    answer = test_state(sfn, RETRY_CATCH, inspectionLevel="DEBUG", input='{"order": {}}',
                        mock={"errorOutput": {"error": "Card.Declined", "cause": "c"}},
                        stateConfiguration={"retrierRetryCount": 1})
    assert answer["status"] == "RETRIABLE"
    assert answer["error"] == "Card.Declined"
    assert "nextState" not in answer
    assert answer["inspectionData"]["errorDetails"] == {
        "retryIndex": 1, "retryBackoffIntervalSeconds": 6}


def test_retries_used_up_the_catcher_takes_it(sfn: Any) -> None:
    answer = test_state(sfn, RETRY_CATCH, input='{"order": {}}', inspectionLevel="DEBUG",
                        mock={"errorOutput": {"error": "Card.Declined", "cause": "c"}},
                        stateConfiguration={"retrierRetryCount": 2})
    assert answer["status"] == "CAUGHT_ERROR"
    assert answer["nextState"] == "Refund"
    assert json.loads(answer["output"]) == {"order": {}, "err": {"Error": "Card.Declined",
                                                                 "Cause": "c"}}
    assert answer["inspectionData"]["errorDetails"] == {"catchIndex": 1}


def test_a_real_task_error_runs_one_attempt_only(sfn: Any) -> None:
    definition = {"Type": "Task", "Resource": FAIL_FN, "End": True,
                  "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 30}]}
    answer = test_state(sfn, definition)  # would take 30 s and more if it retried
    assert answer["status"] == "RETRIABLE"
    assert answer["error"] == "ValueError"


MACHINE = {
    "StartAt": "First",
    "States": {
        "First": {"Type": "Pass", "Next": "Fan"},
        "Fan": {"Type": "Parallel", "Next": "Each", "ResultPath": "$.fan",
                "Branches": [{"StartAt": "B1", "States": {"B1": {"Type": "Pass",
                                                                 "End": True}}},
                             {"StartAt": "B2", "States": {"B2": {"Type": "Task",
                                                                 "Resource": FAIL_FN,
                                                                 "End": True}}}],
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Done"}]},
        "Each": {"Type": "Map", "ItemsPath": "$.items", "ToleratedFailureCount": 1,
                 "ItemProcessor": {"StartAt": "Double", "States": {
                     "Double": {"Type": "Pass", "End": True}}},
                 "Next": "Done"},
        "Done": {"Type": "Succeed"},
    },
}


def test_state_name_picks_a_state_of_a_whole_definition(sfn: Any) -> None:
    answer = test_state(sfn, MACHINE, stateName="Each", input='{"items": [1, 2]}',
                        mock={"result": "[2, 4]"})
    assert answer["status"] == "SUCCEEDED"
    assert json.loads(answer["output"]) == [2, 4]
    assert answer["nextState"] == "Done"


@pytest.mark.parametrize("name", ["Fan", "Each"])
def test_map_and_parallel_need_a_mock(sfn: Any, name: str) -> None:
    with pytest.raises(sfn.exceptions.InvalidDefinition) as refused:
        test_state(sfn, MACHINE, stateName=name, input='{"items": [1, 2]}')
    assert refused.value.response["Error"]["Message"] == (
        "TestState API does not support Map or Parallel states. Supported state types "
        "include: [Task, Wait, Pass, Succeed, Fail, Choice]")


@pytest.mark.parametrize(("members", "message"), [
    ({"mock": {"result": "{}"}, "definition": {"Type": "Pass", "End": True}},
     "State type 'Pass' is not supported when a mock is specified"),
    ({"mock": {"result": "{}", "errorOutput": {"error": "E"}}, "definition": TASK},
     "A test mock should have only one of the following fields: [result, errorOutput]."),
    ({"mock": {"result": "{}"}, "revealSecrets": True, "definition": TASK},
     "TestState does not support RevealSecrets when a mock is specified."),
    ({"mock": {"result": "{nope"}, "definition": TASK}, "Mocked result must be valid JSON"),
    ({"mock": {"result": '{"a": 1}'}, "stateName": "Each", "definition": MACHINE},
     "Mocked result must be an array."),
])
def test_refusals_worded_as_aws_words_them(sfn: Any, members: dict, message: str) -> None:
    definition = members.pop("definition")
    with pytest.raises(sfn.exceptions.ValidationException) as refused:
        test_state(sfn, definition, **members)
    assert refused.value.response["Error"]["Message"] == message


def test_mocked_parallel_with_error_caused_by_inner_state(sfn: Any) -> None:
    answer = test_state(sfn, MACHINE, stateName="Fan",
                        mock={"errorOutput": {"error": "Boom", "cause": "b2"}},
                        stateConfiguration={"errorCausedByState": "B2"})
    assert answer["status"] == "CAUGHT_ERROR"
    assert answer["nextState"] == "Done"
    with pytest.raises(sfn.exceptions.ValidationException):
        test_state(sfn, MACHINE, stateName="Fan",
                   mock={"errorOutput": {"error": "Boom"}},
                   stateConfiguration={"errorCausedByState": "Elsewhere"})


def test_mocked_parallel_result(sfn: Any) -> None:
    answer = test_state(sfn, MACHINE, stateName="Fan", input='{"a": 1}',
                        mock={"result": '[{"a": 1}, "two"]'})
    assert answer["status"] == "SUCCEEDED"
    assert json.loads(answer["output"]) == {"a": 1, "fan": [{"a": 1}, "two"]}


def test_map_iteration_failures_past_the_tolerance_fail_the_map(sfn: Any) -> None:
    within = test_state(sfn, MACHINE, stateName="Each", input='{"items": [1, 2, 3]}',
                        mock={"result": "[1, 2, 3]"},
                        stateConfiguration={"mapIterationFailureCount": 1})
    assert within["status"] == "SUCCEEDED"
    beyond = test_state(sfn, MACHINE, stateName="Each", input='{"items": [1, 2, 3]}',
                        mock={"result": "[1, 2, 3]"},
                        stateConfiguration={"mapIterationFailureCount": 2})
    assert beyond["status"] == "FAILED"
    assert beyond["error"] == "States.ExceedToleratedFailureThreshold"


def test_context_is_merged_into_the_context_object(sfn: Any) -> None:
    definition = {"Type": "Task", "Resource": LAMBDA, "End": True,
                  "Parameters": {"FunctionName": "f", "Payload": {
                      "exec.$": "$$.Execution.Name", "retry.$": "$$.State.RetryCount"}},
                  "ResultPath": None}
    answer = test_state(sfn, definition, inspectionLevel="DEBUG", mock={"result": "{}"},
                        context=json.dumps({"Execution": {"Name": "from-context"},
                                            "State": {"RetryCount": 2}}))
    sent = json.loads(answer["inspectionData"]["afterParameters"])
    assert sent["Payload"] == {"exec": "from-context", "retry": 2}


def test_jsonata_state_shows_arguments_and_variables(sfn: Any) -> None:
    definition = {"Type": "Task", "QueryLanguage": "JSONata", "Resource": LAMBDA,
                  "Arguments": {"FunctionName": "f", "Payload": "{% $states.input.n + $k %}"},
                  "Assign": {"got": "{% $states.result.Payload %}"},
                  "Output": "{% $states.result.Payload * 2 %}", "End": True}
    answer = test_state(sfn, definition, input='{"n": 1}', variables='{"k": 10}',
                        inspectionLevel="TRACE", mock={"result": '{"Payload": 21}'})
    assert answer["status"] == "SUCCEEDED" and answer["output"] == "42"
    data = answer["inspectionData"]
    assert json.loads(data["afterArguments"]) == {"FunctionName": "f", "Payload": 11}
    assert json.loads(data["result"]) == {"Payload": 21}
    assert json.loads(data["variables"]) == {"k": 10, "got": 21}


@pytest.mark.parametrize("members", [
    {"mock": {"result": "{}"}, "definition": {"Type": "Pass", "End": True}},
    {"mock": {"result": "{}", "errorOutput": {"error": "E"}}, "definition": TASK},
    {"mock": {"result": "not json"}, "definition": TASK},
    {"context": "{}", "definition": TASK},
    {"stateConfiguration": {"mapIterationFailureCount": 1}, "mock": {"result": "{}"},
     "definition": TASK},
])
def test_requests_the_api_refuses(sfn: Any, members: dict) -> None:
    definition = members.pop("definition")
    with pytest.raises(sfn.exceptions.ValidationException):
        test_state(sfn, definition, **members)


def test_trace_shows_the_http_request_and_response(sfn: Any) -> None:
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    class Answer(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers["Content-Length"]))
            reply = json.dumps({"echo": json.loads(body)}).encode()
            self.send_response(201, "Made")
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args: Any) -> None:
            pass

    web = HTTPServer(("127.0.0.1", 0), Answer)
    threading.Thread(target=web.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{web.server_address[1]}/orders"
    try:
        definition = {"Type": "Task", "Resource": "arn:aws:states:::http:invoke",
                      # (no connection: tests/tasks/test_connections.py reads them)
                      "Parameters": {"ApiEndpoint": url, "Method": "POST",
                                     "RequestBody": {"n": 1}},
                      "End": True}
        answer = test_state(sfn, definition, inspectionLevel="TRACE")
        debug = test_state(sfn, definition, inspectionLevel="DEBUG")
    finally:
        web.shutdown()
    assert answer["status"] == "SUCCEEDED", answer
    request = answer["inspectionData"]["request"]
    response = answer["inspectionData"]["response"]
    assert (request["method"], request["url"], request["protocol"]) == ("POST", url, "HTTP")
    assert json.loads(request["body"]) == {"n": 1}
    assert response["statusCode"] == "201" and response["statusMessage"] == "Made"
    assert json.loads(response["body"]) == {"echo": {"n": 1}}
    assert "Content-Type: application/json" in response["headers"]
    assert "request" not in debug["inspectionData"]


def test_map_item_reader_data_stands_in_for_the_s3_object(sfn: Any) -> None:
    definition = {"Type": "Map", "End": True,
                  "ItemBatcher": {"MaxItemsPerBatch": 2},
                  "ItemSelector": {"rows.$": "$$.Map.Item.Value.Items"},
                  "ItemReader": {"Resource": "arn:aws:states:::s3:getObject",
                                 "ReaderConfig": {"InputType": "CSV",
                                                  "CSVHeaderLocation": "FIRST_ROW"},
                                 "Parameters": {"Bucket": "b", "Key": "k.csv"}},
                  "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED",
                                                        "ExecutionType": "EXPRESS"},
                                    "StartAt": "Keep",
                                    "States": {"Keep": {"Type": "Pass", "End": True}}}}
    answer = test_state(sfn, definition, inspectionLevel="DEBUG",
                        mock={"result": '[{"ok": true}, {"ok": true}]'},
                        stateConfiguration={"mapItemReaderData": "id\n1\n2\n3\n"})
    assert answer["status"] == "SUCCEEDED", answer
    assert json.loads(answer["output"]) == [{"ok": True}, {"ok": True}]
    data = answer["inspectionData"]
    assert json.loads(data["afterItemBatcher"]) == [{"Items": [{"id": "1"}, {"id": "2"}]},
                                                    {"Items": [{"id": "3"}]}]
    assert json.loads(data["afterItemSelector"]) == [{"rows": [{"id": "1"}, {"id": "2"}]},
                                                     {"rows": [{"id": "3"}]}]
    with pytest.raises(sfn.exceptions.ValidationException):
        test_state(sfn, MACHINE, stateName="Each", mock={"result": "[]"},
                   stateConfiguration={"mapItemReaderData": "[]"})


def test_after_items_pointer_and_a_map_over_an_object(sfn: Any) -> None:
    processor = {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
                 "StartAt": "Keep", "States": {"Keep": {"Type": "Pass", "End": True}}}
    reader = {"Type": "Map", "End": True, "ItemProcessor": processor,
              "ItemReader": {"Resource": "arn:aws:states:::s3:getObject",
                             "ReaderConfig": {"InputType": "JSON", "ItemsPointer": "/a/b"},
                             "Parameters": {"Bucket": "b", "Key": "k.json"}}}
    answer = test_state(sfn, reader, inspectionLevel="DEBUG", mock={"result": "[]"},
                        stateConfiguration={"mapItemReaderData": '{"a": {"b": [1, 2]}}'})
    assert json.loads(answer["inspectionData"]["afterItemsPointer"]) == [1, 2]
    # ItemsPath selecting an object: one iteration per key-value pair
    pairs = {"Type": "Map", "End": True, "ItemsPath": "$.o",
             "ItemSelector": {"k.$": "$$.Map.Item.Key", "v.$": "$$.Map.Item.Value"},
             "ItemProcessor": processor}
    answer = test_state(sfn, pairs, input='{"o": {"x": 1}}', inspectionLevel="DEBUG",
                        mock={"result": "[]"})
    assert json.loads(answer["inspectionData"]["afterItemsPath"]) == {"x": 1}
    assert json.loads(answer["inspectionData"]["afterItemSelector"]) == [{"k": "x", "v": 1}]


GET_ITEM = {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:dynamodb:getItem",
            "Parameters": {"TableName": "t", "Key": {"id": {"S": "1"}}}, "End": True}


def test_mock_results_are_checked_against_the_api_model(sfn: Any) -> None:
    good = test_state(sfn, GET_ITEM, mock={"result": '{"Item": {"id": {"S": "1"}}}'})
    assert good["status"] == "SUCCEEDED"
    with pytest.raises(sfn.exceptions.ValidationException) as wrong_type:
        test_state(sfn, GET_ITEM, mock={"result": '{"Item": {"id": {"S": 1}}}'})
    assert "Item.id.S must be a string" in str(wrong_type.value)
    with pytest.raises(sfn.exceptions.ValidationException) as unknown:
        test_state(sfn, GET_ITEM, mock={"result": '{"Itemz": {}}'})
    assert "Itemz is not a field" in str(unknown.value)
    loose = test_state(sfn, GET_ITEM, mock={"result": '{"Itemz": {}}',
                                            "fieldValidationMode": "NONE"})
    assert loose["status"] == "SUCCEEDED"


def test_strict_needs_required_members_present_does_not(sfn: Any) -> None:
    send = {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:sfn:startExecution",
            "Parameters": {"StateMachineArn": "arn"}, "End": True}
    with pytest.raises(sfn.exceptions.ValidationException) as missing:
        test_state(sfn, send, mock={"result": '{"ExecutionArn": "arn:x"}'})
    assert "required field startDate is missing" in str(missing.value)
    present = test_state(sfn, send, mock={"result": '{"ExecutionArn": "arn:x"}',
                                          "fieldValidationMode": "PRESENT"})
    assert present["status"] == "SUCCEEDED"


def test_map_inspection_shows_items_and_its_limits(sfn: Any) -> None:
    definition = {"Type": "Map", "ItemsPath": "$.rows", "MaxConcurrency": 3,
                  "ToleratedFailurePercentage": 10, "End": True,
                  "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass",
                                                                     "End": True}}}}
    answer = test_state(sfn, definition, input='{"rows": [1, 2]}', inspectionLevel="DEBUG",
                        mock={"result": "[1, 2]"})
    data = answer["inspectionData"]
    assert json.loads(data["afterItemsPath"]) == [1, 2]
    assert data["maxConcurrency"] == 3
    assert data["toleratedFailurePercentage"] == 10.0
    assert "toleratedFailureCount" not in data
    assert "afterItemSelector" not in data and "afterItemBatcher" not in data


def test_map_inspection_shows_each_iteration_input(sfn: Any) -> None:
    definition = {"Type": "Map", "ItemsPath": "$.rows", "End": True,
                  "ItemSelector": {"n.$": "$$.Map.Item.Value", "i.$": "$$.Map.Item.Index",
                                   "tag.$": "$.tag"},
                  "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass",
                                                                     "End": True}}}}
    answer = test_state(sfn, definition, input='{"rows": [7, 8], "tag": "t"}',
                        inspectionLevel="DEBUG", mock={"result": "[1, 2]"})
    assert json.loads(answer["inspectionData"]["afterItemSelector"]) == [
        {"n": 7, "i": 0, "tag": "t"}, {"n": 8, "i": 1, "tag": "t"}]
