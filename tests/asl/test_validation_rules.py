"""One test per row of docs/validation.md: what AWS refuses at CreateStateMachine,
UpdateStateMachine and ValidateStateMachineDefinition, and what it accepts.

Each ``Row`` names the rule id used in docs/validation.md. ``REJECTED`` rows assert the
diagnostic code, location and message stepfn reports (AWS's own wording where it is
recorded, see the doc's "wording" column); ``ACCEPTED`` rows are definitions AWS creates,
including the checks AWS leaves to run time, which stepfn must not make static.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import pytest

from stepfn.api.handlers import check_definition
from stepfn.asl.validate import parse_definition, validate_definition
from stepfn.errors import DefinitionError
from stepfn.service.arns import is_valid_name

SCHEMA = "SCHEMA_VALIDATION_FAILED"
TARGET = "MISSING_TRANSITION_TARGET"
LAMBDA = "arn:aws:lambda:us-east-1:111111111111:function:f"
PASS_END: dict[str, Any] = {"Type": "Pass", "End": True}
TASK: dict[str, Any] = {"Type": "Task", "Resource": LAMBDA, "End": True}
WAIT: dict[str, Any] = {"Type": "Wait", "Seconds": 1, "End": True}
PROCESSOR: dict[str, Any] = {"StartAt": "In", "States": {"In": PASS_END}}
DISTRIBUTED: dict[str, Any] = {
    **PROCESSOR, "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}}
MAP: dict[str, Any] = {"Type": "Map", "ItemProcessor": PROCESSOR, "End": True}
DMAP: dict[str, Any] = {"Type": "Map", "ItemProcessor": DISTRIBUTED, "End": True}


def one(state: Any, name: str = "S", **top: Any) -> dict:
    """A definition holding the single state ``name``."""
    return {"StartAt": name, "States": {name: state}, **top}


def jsonata(state: dict) -> dict:
    return one(state, QueryLanguage="JSONata")


def choice(rule: dict, **fields: Any) -> dict:
    return {"StartAt": "C", "States": {
        "C": {"Type": "Choice", "Choices": [{"Next": "E", **rule}], **fields},
        "E": PASS_END}}


class Row(NamedTuple):
    rule: str
    definition: Any
    code: str
    location: str | None
    message: str
    machine_type: str = "STANDARD"


REJECTED = [
    # ---- top level
    Row("TOP-1", {"States": {"S": PASS_END}}, SCHEMA, "/",
        "These fields are required: [StartAt]"),
    Row("TOP-2", {"StartAt": "S"}, SCHEMA, "/", "These fields are required: [States]"),
    Row("TOP-3", one(PASS_END, Foo=1), SCHEMA, "/", "Field 'Foo' is not supported"),
    Row("TOP-4", {"StartAt": 1, "States": {}}, SCHEMA, "/StartAt",
        "The value for the field 'StartAt' must be a STRING"),
    Row("TOP-5", {"StartAt": "S", "States": []}, SCHEMA, "/States",
        "The value for the field 'States' must be an OBJECT"),
    Row("TOP-6", one(PASS_END, Version="2.0"), SCHEMA, "/Version",
        "The field 'Version' should have one of these values: [1.0]"),
    Row("TOP-7", one(PASS_END, TimeoutSeconds=0), SCHEMA, "/TimeoutSeconds",
        "The value for the field 'TimeoutSeconds' must be a positive integer"),
    Row("TOP-8", one(PASS_END, QueryLanguage="JSONPATH"), SCHEMA, "/QueryLanguage",
        "The field 'QueryLanguage' should have one of these values: [JSONPath, JSONata]"),
    Row("TOP-9", {"StartAt": "Nope", "States": {"S": PASS_END}}, TARGET, "/StartAt",
        "Missing 'Next' target: Nope"),
    # ---- every state
    Row("ST-1", one({"End": True}), SCHEMA, "/States/S", "These fields are required: [Type]"),
    Row("ST-2", one({"Type": "Sleep", "End": True}), SCHEMA, "/States/S/Type",
        "The field 'Type' should have one of these values: "
        "[Task, Wait, Pass, Succeed, Fail, Choice, Parallel, Map]"),
    Row("ST-3", one([]), SCHEMA, "/States/S", "The value for a state must be an OBJECT"),
    Row("ST-4", one(PASS_END, name="x" * 81), "INVALID_STATE_NAME", "/States/" + "x" * 81,
        "State name exceeds the maximum length of 80 characters"),
    Row("ST-5", one({"Type": "Parallel", "Branches": [
        {"StartAt": "S", "States": {"S": PASS_END}}], "End": True}), "DUPLICATE_STATE_NAME",
        "/States/S/Branches[0]/States/S", "Duplicate State name: S"),
    Row("ST-6", one({**PASS_END, "Resource": LAMBDA}), SCHEMA, "/States/S",
        "Field 'Resource' is not supported"),
    Row("ST-6b", one({**TASK, "Message.$": "$.m"}), SCHEMA, "/States/S",
        "Field 'Message.$' is not supported"),
    Row("ST-6c", one({**TASK, "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "S",
                                         "_comment": "x"}]}), SCHEMA, "/States/S/Catch[0]",
        "Field '_comment' is not supported"),
    Row("ST-7", one({**PASS_END, "Output": {}}), SCHEMA, "/States/S",
        "The QueryLanguage is set to 'JSONPath', but field 'Output' is only supported for "
        "the 'JSONata' QueryLanguage"),
    Row("ST-8", one({**PASS_END, "QueryLanguage": "JSONPath"}, QueryLanguage="JSONata"),
        SCHEMA, "/States/S",
        "'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine"),
    Row("ST-9", one({**PASS_END, "Next": "S"}), SCHEMA, "/States/S",
        "These fields are mutually exclusive: [Next, End]"),
    Row("ST-10", one({"Type": "Pass"}), SCHEMA, "/States/S",
        "Exactly one of these fields is required: [Next, End]"),
    Row("ST-11", one({"Type": "Pass", "End": "yes"}), SCHEMA, "/States/S/End",
        "The value for the field 'End' must be a BOOLEAN"),
    Row("ST-12", one({"Type": "Pass", "Next": 3}), SCHEMA, "/States/S/Next",
        "The value for the field 'Next' must be a STRING"),
    Row("ST-13", {"StartAt": "S", "States": {"S": {"Type": "Pass", "Next": "Nope"},
                                             "E": {"Type": "Succeed"}}},
        TARGET, "/States/S/Next", "Missing 'Next' target: Nope"),
    Row("ST-14", {"StartAt": "S", "States": {"S": PASS_END, "Lost": PASS_END}}, TARGET,
        "/States/Lost", 'State "Lost" is not reachable.'),
    Row("ST-15", one({"Type": "Pass", "Next": "S"}), "MISSING_END_STATE", None,
        "Workflow has no terminal state"),
    # ---- JSONPath input and output processing
    Row("IO-1", one({**PASS_END, "InputPath": "foo"}), SCHEMA, "/States/S/InputPath",
        "The value for the field 'InputPath' must be a valid JSONPath"),
    Row("IO-2", one({**PASS_END, "ResultPath": "$$.x"}), SCHEMA, "/States/S/ResultPath",
        "The value for the field 'ResultPath' must be a valid ReferencePath"),
    Row("IO-3", one({**PASS_END, "Parameters": {"a.$": "nope"}}), SCHEMA,
        "/States/S/Parameters",
        "The value for the field 'a.$' must be a valid JSONPath or a valid intrinsic "
        "function call"),
    Row("IO-4", one({**PASS_END, "Parameters": {"a.$": "States.MathAdd(1)"}}), SCHEMA,
        "/States/S/Parameters",
        "The value for the field 'a.$' must be a valid JSONPath or a valid intrinsic "
        "function call"),
    Row("IO-5", one({**TASK, "ResultSelector": {"a.$": "States.Nope($)"}}), SCHEMA,
        "/States/S/ResultSelector",
        "The value for the field 'a.$' must be a valid JSONPath or a valid intrinsic "
        "function call"),
    # ---- Task
    Row("TASK-1", one({"Type": "Task", "End": True}), SCHEMA, "/States/S",
        "These fields are required: [Resource]"),
    Row("TASK-2", one({**TASK, "Resource": "lambda"}), SCHEMA,
        "/States/S/Resource", "Value is not a valid resource ARN"),
    Row("TASK-18", one({**TASK, "Resource": "arn:aws:states:::sqs:receiveMessage"}),
        "INVALID_RESOURCE", "/States/S/Resource",
        "The resource provided arn:aws:states:::sqs:receiveMessage is not recognized. The "
        "value is not a valid resource ARN, or the resource is not available in this region."),
    Row("TASK-19", one({**TASK, "Resource": "arn:aws:states:::nosuchservice:run"}),
        "INVALID_RESOURCE", "/States/S/Resource",
        "The resource provided arn:aws:states:::nosuchservice:run is not recognized. The "
        "value is not a valid resource ARN, or the resource is not available in this region."),
    Row("TASK-21", one({**TASK, "Credentials": {}}), SCHEMA, "/States/S/Credentials",
        "These fields are required: [RoleArn]"),
    Row("TASK-22", one({**TASK, "Credentials": {"RoleArn": "arn:aws:iam::1:role/r",
                                                "Role": "x"}}), SCHEMA,
        "/States/S/Credentials", "Field 'Role' is not supported"),
    Row("TASK-20", one({**TASK, "Resource": "arn:aws:lambda:us-east-1:12345:function:f"}),
        "INVALID_RESOURCE", "/States/S/Resource",
        "The resource provided arn:aws:lambda:us-east-1:12345:function:f is not recognized. "
        "The value is not a valid resource ARN, or the resource is not available in this "
        "region."),
    Row("TASK-3", one({**TASK, "TimeoutSeconds": 0}), SCHEMA, "/States/S/TimeoutSeconds",
        "The value for the field 'TimeoutSeconds' must be a positive integer"),
    Row("TASK-4", one({**TASK, "HeartbeatSeconds": 1.5}), SCHEMA,
        "/States/S/HeartbeatSeconds",
        "The value for the field 'HeartbeatSeconds' must be a positive integer"),
    Row("TASK-5", one({**TASK, "TimeoutSeconds": 5, "HeartbeatSeconds": 5}), SCHEMA,
        "/States/S/HeartbeatSeconds",
        "The value for the field 'HeartbeatSeconds' must be smaller than the value for the "
        "field 'TimeoutSeconds'"),
    Row("TASK-6", one({**TASK, "TimeoutSeconds": 5, "TimeoutSecondsPath": "$.t"}), SCHEMA,
        "/States/S", "These fields are mutually exclusive: [TimeoutSeconds, "
                     "TimeoutSecondsPath]"),
    Row("TASK-7", one({**TASK, "HeartbeatSecondsPath": "h"}), SCHEMA,
        "/States/S/HeartbeatSecondsPath",
        "The value for the field 'HeartbeatSecondsPath' must be a valid JSONPath"),
    Row("TASK-8", one({**TASK, "Resource": "arn:aws:states:us-east-1:111111111111:activity:a"}),
        SCHEMA, "/States/S/Resource", "Express state machine does not support Activity ARN",
        "EXPRESS"),
    Row("TASK-9", one({**TASK, "Resource": "arn:aws:states:::states:startExecution.sync"}),
        SCHEMA, "/States/S/Resource",
        "Express state machine does not support '.sync' service integration", "EXPRESS"),
    Row("TASK-10", one({**TASK, "Resource": "arn:aws:states:::sqs:sendMessage"
                                            ".waitForTaskToken"}),
        SCHEMA, "/States/S/Resource", "Express state machine does not support "
                                      "'.waitForTaskToken' service integration ", "EXPRESS"),
    Row("TASK-14", one({**TASK, "Resource": "arn:aws:states:::lambda:invoke.sync"}),
        "INVALID_RESOURCE", "/States/S/Resource",
        "The resource provided arn:aws:states:::lambda:invoke.sync is not recognized. The "
        "value is not a valid resource ARN, or the resource is not available in this region."),
    Row("TASK-15", one({**TASK, "Resource": "arn:aws:states:::aws-sdk:s3:getObject.sync"}),
        "INVALID_RESOURCE", "/States/S/Resource",
        "The resource provided arn:aws:states:::aws-sdk:s3:getObject.sync is not recognized. "
        "The value is not a valid resource ARN, or the resource is not available in this "
        "region."),
    Row("TASK-16", one({**TASK, "Resource": "arn:aws:states:::dynamodb:putItem"
                                            ".waitForTaskToken"}),
        "INVALID_RESOURCE", "/States/S/Resource",
        "The resource provided arn:aws:states:::dynamodb:putItem.waitForTaskToken is not "
        "recognized. The value is not a valid resource ARN, or the resource is not available "
        "in this region."),
    # ---- Wait
    Row("WAIT-1", one({"Type": "Wait", "End": True}), SCHEMA, "/States/S",
        "Exactly one of these fields is required: [Seconds, Timestamp, SecondsPath, "
        "TimestampPath]"),
    Row("WAIT-2", one({**WAIT, "SecondsPath": "$.s"}), SCHEMA, "/States/S",
        "These fields are mutually exclusive: [Seconds, SecondsPath]"),
    Row("WAIT-3", one({**WAIT, "Seconds": 100000000}), SCHEMA, "/States/S/Seconds",
        "The value for the field 'Seconds' must be a non-negative integer"),
    Row("WAIT-4", one({"Type": "Wait", "Timestamp": "2024-08-18 17:33:00", "End": True}),
        SCHEMA, "/States/S/Timestamp",
        "The value for the field 'Timestamp' must be a valid ISO-8601 timestamp"),
    Row("WAIT-5", one({"Type": "Wait", "TimestampPath": "t", "End": True}), SCHEMA,
        "/States/S/TimestampPath",
        "The value for the field 'TimestampPath' must be a valid JSONPath"),
    # ---- Choice
    Row("CH-1", {"StartAt": "C", "States": {"C": {"Type": "Choice", "Choices": [],
                                                  "Default": "E"}, "E": PASS_END}}, SCHEMA,
        "/States/C/Choices", "The value for the field 'Choices' must be a non-empty ARRAY"),
    Row("CH-2", choice({"Variable": "$.v", "IsNull": True}, Default="Nope"), TARGET,
        "/States/C/Default", "Missing 'Next' target: Nope"),
    Row("CH-3", {"StartAt": "C", "States": {"C": {"Type": "Choice", "Choices": [
        {"Variable": "$.v", "IsNull": True}], "Default": "E"}, "E": PASS_END}}, SCHEMA,
        "/States/C/Choices[0]",
        "These fields are required: [Next]"),
    Row("CH-4", choice({"Not": {"Variable": "$.v", "IsNull": True, "Next": "E"}}), SCHEMA,
        "/States/C/Choices[0]/Not", "Field 'Next' is not supported"),
    Row("CH-5", choice({"Variable": "$.v", "IsNull": True, "IsString": True}), SCHEMA,
        "/States/C/Choices[0]", "A choice rule must have exactly one comparison operator, "
                                "or one of And, Or, Not"),
    Row("CH-6", choice({"IsNull": True}), SCHEMA, "/States/C/Choices[0]",
        "These fields are required: [Variable]"),
    Row("CH-7", choice({"Variable": "$.v", "NumericEquals": "1"}), SCHEMA,
        "/States/C/Choices[0]/NumericEquals",
        "The value for the field 'NumericEquals' is not valid"),
    Row("CH-8", choice({"Variable": "$.v", "TimestampEquals": "2016-08-18"}), SCHEMA,
        "/States/C/Choices[0]/TimestampEquals",
        "The value for the field 'TimestampEquals' is not valid"),
    Row("CH-9", choice({"Variable": "$.v", "StringEqualsPath": "v"}), SCHEMA,
        "/States/C/Choices[0]/StringEqualsPath",
        "The value for the field 'StringEqualsPath' is not valid"),
    Row("CH-10", choice({"And": []}), SCHEMA, "/States/C/Choices[0]/And",
        "The value for the field 'And' must be a non-empty ARRAY"),
    Row("CH-11", choice({"Condition": True}), SCHEMA, "/States/C/Choices[0]",
        "The QueryLanguage is set to 'JSONPath', but field 'Condition' is only supported "
        "for the 'JSONata' QueryLanguage"),
    Row("CH-12", choice({"Variable": "$.v", "IsNull": True}, QueryLanguage="JSONata"), SCHEMA,
        "/States/C/Choices[0]",
        "The QueryLanguage is set to 'JSONata', but field 'Variable' is only supported for "
        "the 'JSONPath' QueryLanguage"),
    Row("CH-13", {"StartAt": "C", "States": {"C": {
        "Type": "Choice", "QueryLanguage": "JSONata", "Choices": [{"Next": "E"}]},
        "E": PASS_END}}, SCHEMA, "/States/C/Choices[0]",
        "These fields are required: [Condition]"),
    Row("CH-14", choice({"Variable": "$.v", "IsNull": True}, End=True), SCHEMA, "/States/C",
        "Field 'End' is not supported"),
    # ---- Fail, Succeed
    Row("FAIL-1", one({"Type": "Fail", "Error": "E", "ErrorPath": "$.e"}), SCHEMA,
        "/States/S", "These fields are mutually exclusive: [Error, ErrorPath]"),
    Row("FAIL-2", one({"Type": "Fail", "Cause": 7}), SCHEMA, "/States/S/Cause",
        "The value for the field 'Cause' must be a STRING"),
    Row("FAIL-3", one({"Type": "Fail", "CausePath": "States.Format("}), SCHEMA,
        "/States/S/CausePath", "The value for the field 'CausePath' must be a valid JSONPath "
                               "or a valid intrinsic function call"),
    Row("FAIL-4", one({"Type": "Fail", "End": True}), SCHEMA, "/States/S",
        "Field 'End' is not supported"),
    Row("SUCC-1", one({"Type": "Succeed", "Assign": {"x": 1}}), SCHEMA, "/States/S",
        "Field 'Assign' is not supported"),
    # ---- Parallel
    Row("PAR-1", one({"Type": "Parallel", "End": True}), SCHEMA, "/States/S",
        "These fields are required: [Branches]"),
    Row("PAR-2", one({"Type": "Parallel", "Branches": [], "End": True}), SCHEMA,
        "/States/S/Branches", "The value for the field 'Branches' must be a non-empty ARRAY"),
    Row("PAR-3", one({"Type": "Parallel", "Branches": [{"StartAt": "B"}], "End": True}),
        SCHEMA, "/States/S/Branches[0]", "These fields are required: [States]"),
    Row("PAR-4", one({"Type": "Parallel", "End": True, "Branches": [
        {"StartAt": "B", "States": {"B": {"Type": "Pass", "Next": "X"}, "Y": PASS_END}}]}),
        TARGET,
        "/States/S/Branches[0]/States/B/Next", "Missing 'Next' target: X"),
    # ---- Map
    Row("MAP-1", one({"Type": "Map", "End": True}), SCHEMA, "/States/S",
        "These fields are required: [ItemProcessor]"),
    Row("MAP-2", one({**MAP, "Iterator": PROCESSOR}), SCHEMA, "/States/S",
        "These fields are mutually exclusive: [ItemProcessor, Iterator]"),
    Row("MAP-3", one({**MAP, "ItemProcessor": {**PROCESSOR, "QueryLanguage": "JSONata"}}),
        SCHEMA, "/States/S/ItemProcessor", "Field 'QueryLanguage' is not supported"),
    Row("MAP-4", one({**MAP, "ItemProcessor": {**PROCESSOR,
                                               "ProcessorConfig": {"Mode": "inline"}}}),
        SCHEMA, "/States/S/ItemProcessor/ProcessorConfig/Mode",
        "The field 'Mode' should have one of these values: [INLINE, DISTRIBUTED]"),
    Row("MAP-5", one({**MAP, "ItemProcessor": {**PROCESSOR, "ProcessorConfig": {
        "Mode": "DISTRIBUTED", "ExecutionType": "SYNC"}}}), SCHEMA,
        "/States/S/ItemProcessor/ProcessorConfig/ExecutionType",
        "The field 'ExecutionType' should have one of these values: [STANDARD, EXPRESS]"),
    Row("MAP-6", one({**MAP, "ItemProcessor": {**PROCESSOR, "ProcessorConfig": {
        "Mode": "DISTRIBUTED"}}}), SCHEMA, "/States/S/ItemProcessor/ProcessorConfig",
        "These fields are required: [ExecutionType]"),
    Row("MAP-7", one({**MAP, "ItemsPath": "items"}), SCHEMA, "/States/S/ItemsPath",
        "The value for the field 'ItemsPath' must be a valid JSONPath"),
    Row("MAP-8", jsonata({**MAP, "Items": "items"}), SCHEMA, "/States/S/Items",
        "The value for the field 'Items' must be an ARRAY or a JSONata expression"),
    Row("MAP-9", one({**MAP, "MaxConcurrency": -1}), SCHEMA, "/States/S/MaxConcurrency",
        "The value for the field 'MaxConcurrency' must be a non-negative integer"),
    Row("MAP-10", one({**MAP, "MaxConcurrency": 1, "MaxConcurrencyPath": "$.m"}), SCHEMA,
        "/States/S", "These fields are mutually exclusive: [MaxConcurrency, "
                     "MaxConcurrencyPath]"),
    Row("MAP-11", one({**DMAP, "ToleratedFailureCount": -1}), SCHEMA,
        "/States/S/ToleratedFailureCount",
        "The value for the field 'ToleratedFailureCount' must be a non-negative integer"),
    Row("MAP-12", one({**DMAP, "ToleratedFailurePercentage": 101}), SCHEMA,
        "/States/S/ToleratedFailurePercentage",
        "The value for the field 'ToleratedFailurePercentage' must be a number between 0 "
        "and 100"),
    Row("MAP-13", one({**DMAP, "ToleratedFailureCount": 1,
                       "ToleratedFailureCountPath": "$.c"}), SCHEMA, "/States/S",
        "These fields are mutually exclusive: [ToleratedFailureCount, "
        "ToleratedFailureCountPath]"),
    Row("MAP-14", one({**DMAP, "Label": ""}), "INVALID_LABEL_NAME", "/States/S/Label",
        "Label must not be empty"),
    Row("MAP-15", one({**DMAP, "Label": "x" * 41}), "INVALID_LABEL_NAME", "/States/S/Label",
        "Label exceeds the maximum length of 40 characters"),
    Row("MAP-16", one({**DMAP, "Label": "a b"}), "INVALID_LABEL_NAME", "/States/S/Label",
        "Label contains an invalid character: ' '"),
    Row("MAP-17", {"StartAt": "A", "States": {
        "A": {"Type": "Map", "ItemProcessor": DISTRIBUTED, "Label": "L", "Next": "B"},
        "B": {**DMAP, "ItemProcessor": {**DISTRIBUTED, "StartAt": "In2", "States": {
            "In2": PASS_END}}, "Label": "L"}}}, "DUPLICATE_LABEL_NAME", "/States/B/Label",
        "Duplicate Label name: L"),
    Row("MAP-18", one({**DMAP, "ItemReader": {"Parameters": {}}}), SCHEMA,
        "/States/S/ItemReader", "These fields are required: [Resource]"),
    Row("MAP-19", one({**DMAP, "ItemReader": {"Resource": "arn:aws:states:::s3:getObject",
                                              "Foo": 1}}), SCHEMA,
        "/States/S/ItemReader", "Field 'Foo' is not supported"),
    Row("MAP-20", one({**DMAP, "ItemReader": {"Resource": "arn:aws:states:::s3:getObject",
                                              "ReaderConfig": {"MaxItems": -1}}}), SCHEMA,
        "/States/S/ItemReader/ReaderConfig/MaxItems",
        "The value for the field 'MaxItems' must be a non-negative integer no greater than "
        "100000000"),
    Row("MAP-21", one({**DMAP, "ItemBatcher": {"MaxInputBytesPerBatch": 262145}}), SCHEMA,
        "/States/S/ItemBatcher/MaxInputBytesPerBatch",
        "The value for the field 'MaxInputBytesPerBatch' must be a positive integer no "
        "greater than 262144"),
    Row("MAP-22", one({**DMAP, "ItemBatcher": {"MaxItemsPerBatch": 0}}), SCHEMA,
        "/States/S/ItemBatcher/MaxItemsPerBatch",
        "The value for the field 'MaxItemsPerBatch' must be a positive integer"),
    Row("MAP-23", jsonata({**DMAP, "ResultWriter": {"Resource": "arn:aws:states:::s3:putObject",
                                                    "Parameters": {}}}), SCHEMA,
        "/States/S/ResultWriter",
        "The QueryLanguage is set to 'JSONata', but field 'Parameters' is only supported for "
        "the 'JSONPath' QueryLanguage"),
    Row("MAP-29", one({**DMAP, "ResultWriter": {"Resource": "arn:aws:states:::s3:putObject"}}),
        SCHEMA, "/States/S/ResultWriter",
        "The ResultWriter field requires WriterConfig, or Resource with Parameters, or all "
        "three"),
    Row("MAP-30", one({**DMAP, "ResultWriter": {"Resource": "arn:aws:states:::s3:getObject",
                                                "Parameters": {"Bucket": "b"}}}),
        "INVALID_RESOURCE",
        "/States/S/ResultWriter/Resource",
        "The resource provided arn:aws:states:::s3:getObject is not recognized. The value "
        "is not a valid resource ARN, or the resource is not available in this region."),
    Row("MAP-31", one({**DMAP, "ResultWriter": {"WriterConfig": {"OutputType": "CSV"}}}),
        SCHEMA, "/States/S/ResultWriter/WriterConfig/OutputType",
        "The field 'OutputType' should have one of these values: [JSON, JSONL]"),
    Row("MAP-24", one({**MAP, "ItemProcessor": {"StartAt": "In", "States": {
        "In": {"Type": "Pass"}}}}), SCHEMA, "/States/S/ItemProcessor/States/In",
        "Exactly one of these fields is required: [Next, End]"),
    # ---- Retry and Catch
    Row("ERR-1", one({**TASK, "Retry": {}}), SCHEMA, "/States/S/Retry",
        "The value for the field 'Retry' must be an ARRAY"),
    Row("ERR-2", one({**TASK, "Retry": [{"MaxAttempts": 1}]}), SCHEMA, "/States/S/Retry[0]",
        "These fields are required: [ErrorEquals]"),
    Row("ERR-3", one({**TASK, "Retry": [{"ErrorEquals": []}]}), SCHEMA,
        "/States/S/Retry[0]/ErrorEquals",
        "The value for the field 'ErrorEquals' must be a non-empty ARRAY of STRING"),
    Row("ERR-4", one({**TASK, "Retry": [{"ErrorEquals": ["States.ALL", "E"]}]}), SCHEMA,
        "/States/S/Retry[0]/ErrorEquals", "'States.ALL' must appear alone in 'ErrorEquals'"),
    Row("ERR-5", one({**TASK, "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "S"},
                                        {"ErrorEquals": ["E"], "Next": "S"}]}), SCHEMA,
        "/States/S/Catch[0]/ErrorEquals", "'States.ALL' must appear in the last catcher"),
    Row("ERR-6", one({**TASK, "Retry": [{"ErrorEquals": ["E"], "IntervalSeconds": 0}]}),
        SCHEMA, "/States/S/Retry[0]/IntervalSeconds",
        "The value for the field 'IntervalSeconds' must be a positive integer"),
    Row("ERR-7", one({**TASK, "Retry": [{"ErrorEquals": ["E"], "MaxAttempts": -1}]}),
        SCHEMA, "/States/S/Retry[0]/MaxAttempts",
        "The value for the field 'MaxAttempts' must be a non-negative integer"),
    Row("ERR-8", one({**TASK, "Retry": [{"ErrorEquals": ["E"], "BackoffRate": 0.5}]}),
        SCHEMA, "/States/S/Retry[0]/BackoffRate",
        "The value for the field 'BackoffRate' must be a number greater than or equal to 1.0"),
    Row("ERR-9", one({**TASK, "Retry": [{"ErrorEquals": ["E"], "MaxDelaySeconds": 31622401}]}),
        SCHEMA, "/States/S/Retry[0]/MaxDelaySeconds",
        "The value for the field 'MaxDelaySeconds' must be a positive integer no greater "
        "than 31622400"),
    Row("ERR-10", one({**TASK, "Retry": [{"ErrorEquals": ["E"], "JitterStrategy": "HALF"}]}),
        SCHEMA, "/States/S/Retry[0]/JitterStrategy",
        "The field 'JitterStrategy' should have one of these values: [FULL, NONE]"),
    Row("ERR-11", one({**TASK, "Retry": [{"ErrorEquals": ["E"], "Next": "S"}]}), SCHEMA,
        "/States/S/Retry[0]", "Field 'Next' is not supported"),
    Row("ERR-12", one({**TASK, "Catch": [{"ErrorEquals": ["E"]}]}), SCHEMA,
        "/States/S/Catch[0]", "These fields are required: [Next]"),
    Row("ERR-13", one({**TASK, "Catch": [{"ErrorEquals": ["E"], "Next": "S",
                                          "ResultPath": "x"}]}), SCHEMA,
        "/States/S/Catch[0]/ResultPath",
        "The value for the field 'ResultPath' must be a valid ReferencePath"),
    Row("ERR-14", one({**TASK, "Catch": [{"ErrorEquals": ["E"], "Next": "Nope"}]}), TARGET,
        "/States/S/Catch[0]/Next", "Missing 'Next' target: Nope"),
    Row("ERR-15", one({**PASS_END, "Retry": []}), SCHEMA, "/States/S",
        "Field 'Retry' is not supported"),
    # ---- variables
    Row("VAR-1", one({**PASS_END, "Assign": []}), SCHEMA, "/States/S/Assign",
        "The value for the field 'Assign' must be an OBJECT"),
    Row("VAR-2", one({**PASS_END, "Assign": {"1x": 1}}), SCHEMA, "/States/S/Assign",
        "The variable name '1x' is invalid"),
    Row("VAR-3", one({**PASS_END, "Assign": {"x" * 81: 1}}), SCHEMA, "/States/S/Assign",
        f"The variable name '{'x' * 81}' is invalid"),
    Row("VAR-4", one({**PASS_END, "Assign": {"states": 1}}), SCHEMA, "/States/S/Assign",
        "The variable name 'states' is reserved"),
    Row("VAR-5", one({"Type": "Fail", "Assign": {"x": 1}}), SCHEMA, "/States/S",
        "Field 'Assign' is not supported"),
    Row("VAR-6", one({**PASS_END, "Assign": {"x.$": "nope"}}), SCHEMA, "/States/S/Assign",
        "The value for the field 'x.$' must be a valid JSONPath or a valid intrinsic "
        "function call"),
    # ---- JSONata
    Row("JA-1", jsonata({**PASS_END, "Parameters": {}}), SCHEMA, "/States/S",
        "The QueryLanguage is set to 'JSONata', but field 'Parameters' is only supported "
        "for the 'JSONPath' QueryLanguage"),
    Row("JA-2", jsonata({**TASK, "Arguments": {"x": "{% $states.result %}"}}),
        "UNSUPPORTED_JSONATA_EXPRESSION", "/States/S/Arguments/x",
        "Field '$states.result' does not exist."),
    Row("JA-3", jsonata({**PASS_END, "Output": "{% $states.errorOutput %}"}),
        "UNSUPPORTED_JSONATA_EXPRESSION", "/States/S/Output",
        "Field '$states.errorOutput' does not exist."),
    Row("JA-4", jsonata({**WAIT, "Seconds": "{% %}"}), "INVALID_JSONATA_EXPRESSION",
        "/States/S/Seconds", ""),
    Row("JA-8", jsonata({**PASS_END, "Output": {"v": "{% phone %}"}}),
        "UNSUPPORTED_JSONATA_EXPRESSION", "/States/S/Output/v",
        "Reference to 'phone' at the top level is not supported."),
    Row("JA-5", jsonata({**TASK, "TimeoutSecondsPath": "$.t"}), SCHEMA, "/States/S",
        "The QueryLanguage is set to 'JSONata', but field 'TimeoutSecondsPath' is only "
        "supported for the 'JSONPath' QueryLanguage"),
]

ACCEPTED = [
    # ---- documented forms AWS accepts
    ("TOP-10", one(PASS_END, Comment="c", Version="1.0", TimeoutSeconds=60,
                   QueryLanguage="JSONPath")),
    ("ST-16", one(PASS_END, name="x" * 80)),
    ("IO-6", one({**PASS_END, "InputPath": None, "OutputPath": None, "ResultPath": None})),
    ("IO-7", one({**PASS_END, "Parameters": {
        "a.$": "States.Format('{} {}', $.x, States.ArrayLength($.l))",
        "b.$": "$$.Execution.Id", "c": "$.literal", "d": [{"e.$": "$.e"}]}})),
    ("PASS-1", one({**PASS_END, "Result": {"a": 1}, "Parameters": {"b": 2},
                    "ResultPath": "$.r"})),
    ("TASK-11", one({**TASK, "TimeoutSeconds": 99999999, "HeartbeatSeconds": 60,
                     "Credentials": {"RoleArn.$": "$.role"}})),
    ("TASK-12", one({**TASK, "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken"})),
    ("TASK-13", one({**TASK, "Resource": "arn:aws:states:::aws-sdk:s3:listBuckets"},
                    TimeoutSeconds=10)),
    ("TASK-17", {"StartAt": "A", "States": {
        "A": {**TASK, "Resource": "arn:aws:states:::states:startExecution.sync:2", "End": False,
              "Next": "B"},
        "B": {**TASK, "Resource": "arn:aws:states:::aws-sdk:s3:getObject.waitForTaskToken",
              "End": False, "Next": "C"},
        "C": {**TASK, "Resource": "arn:aws:states:::ecs:runTask.sync", "End": False,
              "Next": "D"},
        "D": {**TASK, "Resource": "arn:aws:states:::http:invoke"}}}),
    ("WAIT-6", one({"Type": "Wait", "Timestamp": "2016-03-14T01:59:00.123Z", "End": True})),
    ("WAIT-7", one({"Type": "Wait", "Seconds": 0, "End": True})),
    ("CH-15", choice({"And": [{"Variable": "$.v", "IsPresent": True},
                              {"Not": {"Variable": "$.v", "StringMatches": "log-*.txt"}}]},
                     Default="E")),
    ("CH-16", choice({"Variable": "$$.Execution.Input.v",
                      "TimestampLessThanEquals": "2001-01-01T12:00:00+02:00"})),
    ("CH-17", choice({"Variable": "$.v", "NumericGreaterThanPath": "$.w"})),
    ("FAIL-5", one({"Type": "Fail", "ErrorPath": "$.e", "CausePath": "States.Format('{}', $.c)"})),
    ("MAP-25", one({**DMAP, "ItemReader": {
        "Resource": "arn:aws:states:::s3:getObject",
        "ReaderConfig": {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW", "MaxItems": 0},
        "Parameters": {"Bucket.$": "$.b", "Key": "k"}},
        "ItemBatcher": {"MaxItemsPerBatch": 10, "BatchInput": {"x.$": "$.x"}},
        "ResultWriter": {"Resource": "arn:aws:states:::s3:putObject",
                         "Parameters": {"Bucket": "b", "Prefix": "p"}},
        "ToleratedFailurePercentage": 5.5, "MaxConcurrency": 0, "Label": "my-label_1"})),
    ("MAP-32", one({**DMAP, "ResultWriter": {"WriterConfig": {"Transformation": "FLATTEN",
                                                              "OutputType": "JSON"}}})),
    ("MAP-33", jsonata({**DMAP, "ResultWriter": {
        "Resource": "arn:aws:states:::s3:putObject",
        "Arguments": {"Bucket": "{% $states.input.b %}", "Prefix": "p"},
        "WriterConfig": {"Transformation": "NONE", "OutputType": "JSONL"}}})),
    ("MAP-26", one({"Type": "Map", "Iterator": PROCESSOR, "Parameters": {
        "v.$": "$$.Map.Item.Value"}, "ItemsPath": "$.items", "End": True})),
    ("MAP-27", jsonata({**MAP, "Items": {"a": 1}, "ItemSelector": {
        "v": "{% $states.context.Map.Item.Value %}"}})),
    # the Map's JSONata does not reach the nested states: they take the machine's language
    ("MAP-28", one({"Type": "Map", "QueryLanguage": "JSONata", "End": True,
                    "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "P",
                                      "States": {"P": {**PASS_END,
                                                       "QueryLanguage": "JSONPath"}}}})),
    ("ERR-16", one({**TASK, "Retry": [
        {"ErrorEquals": ["E"], "IntervalSeconds": 1, "MaxAttempts": 0, "BackoffRate": 1,
         "MaxDelaySeconds": 31622400, "JitterStrategy": "FULL"},
        {"ErrorEquals": ["States.ALL"]}],
        "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "S", "ResultPath": "$.error"}]})),
    ("VAR-7", {"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Assign": {"x": 1, "y.$": "$.v", "café_1": 2}, "Next": "B"},
        "B": {**PASS_END, "Parameters": {"v.$": "$x"}}}}),
    ("JA-6", jsonata({**TASK, "Arguments": {"x": "{% $states.input.x %}"},
                      "Output": "{% $states.result %}",
                      "Assign": {"r": "{% $states.result %}"},
                      "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "S",
                                 "Output": "{% $states.errorOutput %}"}]})),
    ("JA-7", one({**PASS_END, "Parameters": {"v": "{% not evaluated here %}"}})),
    # ---- checks AWS leaves to run time
    ("RT-1", one({**PASS_END, "InputPath": "$.missing.deeply[3]"})),
    ("RT-2", one({"Type": "Wait", "TimestampPath": "$.not_a_timestamp", "End": True})),
    ("RT-3", one({"Type": "Wait", "SecondsPath": "$.maybe_negative", "End": True})),
    ("RT-4", one({**TASK, "TimeoutSecondsPath": "$.t", "HeartbeatSecondsPath": "$.h"})),
    ("RT-5", one({**DMAP, "MaxConcurrencyPath": "$.m", "ToleratedFailureCountPath": "$.c",
                  "ToleratedFailurePercentagePath": "$.p"})),
    ("RT-6", one({**PASS_END, "Parameters": {"v.$": "$never_assigned"}})),
    ("RT-7", jsonata({**WAIT, "Seconds": "{% 'not a number' %}"})),
    ("RT-8", one({**PASS_END, "Parameters": {"s.$": "States.MathAdd($.a, $.b)"}})),
    ("RT-9", choice({"Variable": "$.v", "IsNull": True})),
    ("RT-10", one({**MAP, "ItemsPath": "$.not_an_array"})),
    ("RT-11", one({**TASK, "Retry": [{"ErrorEquals": ["Any.CustomError"]}]})),
    ("RT-12", one({**TASK, "Resource": "arn:aws:lambda:eu-west-9:000000000000:function:none"})),
]


@pytest.mark.parametrize("row", REJECTED, ids=[row.rule for row in REJECTED])
def test_rejected(row: Row) -> None:
    got = [(d.code, d.location, d.message)
           for d in validate_definition(row.definition, row.machine_type)]
    assert got, "AWS refuses this definition"
    code, location, message = got[0]
    assert (code, location) == (row.code, row.location), got
    if row.message:
        assert message == row.message
    else:  # the parser's own wording: only its presence is AWS's contract
        assert message
    # one fault, one diagnostic: no cascade (a rule's own companions excepted)
    assert len(got) == 1 or row.rule in MULTIPLE, got


# Rows whose single fault legitimately breaks several rules of the schema.
MULTIPLE = {"ST-11", "ST-13", "CH-11", "CH-12", "PAR-4"}


@pytest.mark.parametrize("rule, definition", ACCEPTED, ids=[rule for rule, _ in ACCEPTED])
def test_accepted(rule: str, definition: dict) -> None:
    assert validate_definition(definition) == []


# ---- parsing (PARSE-*) and the API operations (API-*)

def test_parse_empty_definition() -> None:  # PARSE-1
    with pytest.raises(DefinitionError) as caught:
        parse_definition("  ")
    assert [(d.code, d.location) for d in caught.value.diagnostics] == [
        ("MISSING_DESCRIPTION", "/")]


def test_parse_malformed_json() -> None:  # PARSE-2
    with pytest.raises(DefinitionError) as caught:
        parse_definition('{"StartAt": ')
    assert [(d.code, d.location) for d in caught.value.diagnostics] == [
        ("INVALID_JSON_DESCRIPTION", "/")]


def test_parse_duplicate_state_name() -> None:  # PARSE-3
    with pytest.raises(DefinitionError) as caught:
        parse_definition('{"StartAt": "A", "States": {"A": {"Type": "Succeed"}, '
                         '"A": {"Type": "Succeed"}}}')
    assert [(d.code, d.location, d.message) for d in caught.value.diagnostics] == [
        ("DUPLICATE_STATE_NAME", "/States/A", "Duplicate State name: A")]


def test_create_error_message_joins_every_error() -> None:  # API-4
    definition = {"StartAt": "S", "States": {"S": {"Type": "Pass", "Next": "X"},
                                             "Lost": PASS_END}}
    message = DefinitionError(validate_definition(definition)).aws_message()
    assert message == (
        "Invalid State Machine Definition: 'MISSING_TRANSITION_TARGET: Missing 'Next' "
        "target: X at /States/S/Next, MISSING_TRANSITION_TARGET: State \"Lost\" is not "
        "reachable. at /States/Lost'")


@pytest.mark.parametrize("name, valid", [
    ("a" * 80, True), ("", False), ("a" * 81, False), ("with space", False),
    ("semi;colon", False), ("tab\tname", False), ("ctrl\x7f", False), ("ok-name_1.x", True)])
def test_state_machine_names(name: str, valid: bool) -> None:  # API-1
    assert is_valid_name(name) is valid


def test_validate_api_leaves_warnings_out_by_default() -> None:  # API-3, WARN-*
    text = ('{"StartAt": "S", "States": {"S": {"Type": "Pass", "End": true, '
            '"Result": {"a.$": "$.x"}, "Parameters": {"b": "$.y"}}}}')
    assert check_definition(text, "STANDARD") == []
    warnings = [(d.code, d.location, d.severity)
                for d in check_definition(text, "STANDARD", "WARNING")]
    assert warnings == [("NO_DOLLAR", "/States/S/Parameters/b", "WARNING"),
                        ("PASS_RESULT_IS_STATIC", "/States/S/Result", "WARNING")]


@pytest.mark.parametrize("state, location", [
    ({"Type": "Fail", "Error": "$.error"}, "/States/S/Error"),
    ({"Type": "Fail", "Cause": "States.Format('x')"}, "/States/S/Cause"),
])
def test_no_path_warning_on_fail(state: dict, location: str) -> None:  # WARN-2
    got = [(d.code, d.location, d.severity)
           for d in validate_definition(one(state), severity="WARNING")]
    assert got == [("NO_PATH", location, "WARNING")]
    assert validate_definition(one(state)) == []


def test_no_path_warning_on_choice_operand() -> None:  # WARN-2
    got = validate_definition(choice({"Variable": "$.v", "StringEquals": "$.w"}),
                              severity="WARNING")
    assert [(d.code, d.location) for d in got] == [
        ("NO_PATH", "/States/C/Choices[0]/StringEquals")]
