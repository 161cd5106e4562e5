"""Every implemented operation through a real boto3 client against a real server."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from datetime import datetime

import pytest
from botocore.exceptions import ClientError

ROLE = "arn:aws:iam::123456789012:role/sfn"
PASS = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
PASS2 = json.dumps({"StartAt": "Q", "States": {"Q": {"Type": "Pass", "End": True}}})
PREFIX = "arn:aws:states:us-east-1:123456789012:"


def unique(prefix: str = "t") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def code_of(exc: pytest.ExceptionInfo) -> str:
    return exc.value.response["Error"]["Code"]


def create(sfn, name: str | None = None, definition: str = PASS, **kw) -> dict:
    return sfn.create_state_machine(name=name or unique("sm"), definition=definition,
                                    roleArn=ROLE, **kw)


# ------------------------------------------------------------------ state machines
def test_create_describe_update_delete(sfn) -> None:
    name = unique("sm")
    created = create(sfn, name, tags=[{"key": "team", "value": "a"}])
    arn = created["stateMachineArn"]
    assert arn == f"{PREFIX}stateMachine:{name}"
    assert isinstance(created["creationDate"], datetime)
    desc = sfn.describe_state_machine(stateMachineArn=arn)
    assert desc["definition"] == PASS and desc["type"] == "STANDARD"
    assert desc["status"] == "ACTIVE" and desc["roleArn"] == ROLE
    assert desc["loggingConfiguration"] == {"level": "OFF", "includeExecutionData": False}
    assert "revisionId" not in desc  # the first revision has no id, as on AWS
    upd = sfn.update_state_machine(stateMachineArn=arn, definition=PASS2)
    assert upd["revisionId"]
    desc = sfn.describe_state_machine(stateMachineArn=arn)
    assert desc["definition"] == PASS2 and desc["revisionId"] == upd["revisionId"]
    with pytest.raises(ClientError) as exc:
        sfn.update_state_machine(stateMachineArn=arn)
    assert code_of(exc) == "MissingRequiredParameter"
    sfn.delete_state_machine(stateMachineArn=arn)
    with pytest.raises(ClientError) as exc:
        sfn.describe_state_machine(stateMachineArn=arn)
    assert code_of(exc) == "StateMachineDoesNotExist"
    sfn.delete_state_machine(stateMachineArn=arn)  # deleting twice is fine


def test_create_is_idempotent_but_conflicts_on_other_definition(sfn) -> None:
    name = unique("sm")
    first = create(sfn, name)
    again = sfn.create_state_machine(name=name, definition=PASS, roleArn=ROLE + "2")
    assert again["stateMachineArn"] == first["stateMachineArn"]
    assert again["creationDate"] == first["creationDate"]
    assert sfn.describe_state_machine(stateMachineArn=first["stateMachineArn"])[
        "roleArn"] == ROLE  # the role of a repeated create is ignored
    with pytest.raises(ClientError) as exc:
        create(sfn, name, PASS2)
    assert code_of(exc) == "StateMachineAlreadyExists"


@pytest.mark.parametrize("name", ["has space", "a:b", "x" * 81, "semi;colon", "tab\t"])
def test_invalid_names(raw_sfn, name: str) -> None:
    with pytest.raises(ClientError) as exc:
        create(raw_sfn, name)
    assert code_of(exc) in ("InvalidName", "ValidationException")
    if len(name) <= 80:
        assert code_of(exc) == "InvalidName"


def test_invalid_definition(sfn) -> None:
    with pytest.raises(ClientError) as exc:
        create(sfn, definition="{not json")
    assert code_of(exc) == "InvalidDefinition"
    with pytest.raises(ClientError) as exc:
        create(sfn, definition=json.dumps({"States": {"P": {"Type": "Pass", "End": True}}}))
    assert code_of(exc) == "InvalidDefinition"
    assert "StartAt" in exc.value.response["Error"]["Message"]


def test_validate_definition(sfn) -> None:
    ok = sfn.validate_state_machine_definition(definition=PASS)
    assert ok["result"] == "OK" and ok["diagnostics"] == []
    bad = sfn.validate_state_machine_definition(
        definition=json.dumps({"States": {"S": {"Type": "Pass", "End": True}}}))
    assert bad["result"] == "FAIL" and bad["truncated"] is False
    assert bad["diagnostics"][0] == {"code": "SCHEMA_VALIDATION_FAILED", "location": "/",
                                     "message": "These fields are required: [StartAt]",
                                     "severity": "ERROR"}


def test_list_state_machines_paginates(sfn) -> None:
    names = sorted(unique("page") for _ in range(5))
    for name in names:
        create(sfn, name)
    seen: list[str] = []
    token = None
    while True:
        kw = {"maxResults": 2, **({"nextToken": token} if token else {})}
        page = sfn.list_state_machines(**kw)
        assert len(page["stateMachines"]) <= 2
        seen += [m["name"] for m in page["stateMachines"]]
        token = page.get("nextToken")
        if not token:
            break
    assert [n for n in seen if n in names] == names
    with pytest.raises(ClientError) as exc:
        sfn.list_state_machines(nextToken="garbage")
    assert code_of(exc) == "InvalidToken"


# ------------------------------------------------------------------ versions & aliases
def test_versions_and_aliases(sfn) -> None:
    created = create(sfn, publish=True, versionDescription="first")
    arn = created["stateMachineArn"]
    v1 = created["stateMachineVersionArn"]
    assert v1 == arn + ":1"
    assert sfn.describe_state_machine(stateMachineArn=v1)["description"] == "first"
    # Publishing an unchanged revision returns the existing version.
    assert sfn.publish_state_machine_version(stateMachineArn=arn)[
        "stateMachineVersionArn"] == v1
    rev = sfn.update_state_machine(stateMachineArn=arn, definition=PASS2)["revisionId"]
    with pytest.raises(ClientError) as exc:
        sfn.publish_state_machine_version(stateMachineArn=arn, revisionId="stale")
    assert code_of(exc) == "ConflictException"
    v2 = sfn.publish_state_machine_version(stateMachineArn=arn, revisionId=rev,
                                           description="second")["stateMachineVersionArn"]
    assert v2 == arn + ":2"
    assert sfn.describe_state_machine(stateMachineArn=v1)["definition"] == PASS
    assert sfn.describe_state_machine(stateMachineArn=v2)["definition"] == PASS2
    listed = sfn.list_state_machine_versions(stateMachineArn=arn)["stateMachineVersions"]
    assert [v["stateMachineVersionArn"] for v in listed] == [v2, v1]

    alias = sfn.create_state_machine_alias(
        name="prod", routingConfiguration=[{"stateMachineVersionArn": v1, "weight": 100}])
    alias_arn = alias["stateMachineAliasArn"]
    assert alias_arn == arn + ":prod"
    desc = sfn.describe_state_machine_alias(stateMachineAliasArn=alias_arn)
    assert desc["routingConfiguration"] == [{"stateMachineVersionArn": v1, "weight": 100}]
    for bad in ([{"stateMachineVersionArn": v1, "weight": 50}],
                [{"stateMachineVersionArn": v1, "weight": 50},
                 {"stateMachineVersionArn": v1, "weight": 50}]):
        with pytest.raises(ClientError) as exc:
            sfn.update_state_machine_alias(stateMachineAliasArn=alias_arn,
                                           routingConfiguration=bad)
        assert code_of(exc) == "ValidationException"
    sfn.update_state_machine_alias(
        stateMachineAliasArn=alias_arn, description="split",
        routingConfiguration=[{"stateMachineVersionArn": v1, "weight": 30},
                              {"stateMachineVersionArn": v2, "weight": 70}])
    assert sfn.describe_state_machine_alias(stateMachineAliasArn=alias_arn)[
        "description"] == "split"
    aliases = sfn.list_state_machine_aliases(stateMachineArn=arn)["stateMachineAliases"]
    assert [a["stateMachineAliasArn"] for a in aliases] == [alias_arn]
    with pytest.raises(ClientError) as exc:
        sfn.delete_state_machine_version(stateMachineVersionArn=v1)
    assert code_of(exc) == "ConflictException"
    with pytest.raises(ClientError) as exc:
        sfn.create_state_machine_alias(
            name="other", routingConfiguration=[
                {"stateMachineVersionArn": arn + ":99", "weight": 100}])
    assert code_of(exc) == "ResourceNotFound"
    sfn.delete_state_machine_alias(stateMachineAliasArn=alias_arn)
    with pytest.raises(ClientError) as exc:
        sfn.describe_state_machine_alias(stateMachineAliasArn=alias_arn)
    assert code_of(exc) == "ResourceNotFound"
    sfn.delete_state_machine_version(stateMachineVersionArn=v1)
    listed = sfn.list_state_machine_versions(stateMachineArn=arn)["stateMachineVersions"]
    assert [v["stateMachineVersionArn"] for v in listed] == [v2]


def test_alias_name_pattern_from_service_model(raw_sfn) -> None:
    arn = create(raw_sfn, publish=True)["stateMachineVersionArn"]
    with pytest.raises(ClientError) as exc:
        raw_sfn.create_state_machine_alias(
            name="123", routingConfiguration=[{"stateMachineVersionArn": arn, "weight": 100}])
    assert code_of(exc) == "ValidationException"
    assert "regular expression pattern" in exc.value.response["Error"]["Message"]


# ------------------------------------------------------------------ tags & activities
def test_tags(sfn) -> None:
    arn = create(sfn)["stateMachineArn"]
    sfn.tag_resource(resourceArn=arn, tags=[{"key": "a", "value": "1"},
                                            {"key": "b", "value": "2"}])
    sfn.untag_resource(resourceArn=arn, tagKeys=["a"])
    assert sfn.list_tags_for_resource(resourceArn=arn)["tags"] == [{"key": "b", "value": "2"}]
    with pytest.raises(ClientError) as exc:
        sfn.list_tags_for_resource(resourceArn=PREFIX + "stateMachine:nope")
    assert code_of(exc) == "ResourceNotFound"
    with pytest.raises(ClientError) as exc:
        sfn.tag_resource(resourceArn=arn, tags=[{"key": f"k{i}", "value": "v"}
                                                for i in range(51)])
    assert code_of(exc) == "TooManyTags"


def test_activities(sfn, server) -> None:
    name = unique("act")
    created = sfn.create_activity(name=name, tags=[{"key": "k", "value": "v"}])
    arn = created["activityArn"]
    assert arn == f"{PREFIX}activity:{name}"
    assert sfn.create_activity(name=name)["activityArn"] == arn  # idempotent
    assert sfn.describe_activity(activityArn=arn)["name"] == name
    assert sfn.list_tags_for_resource(resourceArn=arn)["tags"] == [{"key": "k", "value": "v"}]
    assert arn in [a["activityArn"] for a in sfn.list_activities()["activities"]]
    assert "taskToken" not in sfn.get_activity_task(activityArn=arn)
    from stepfn.api import ActivityTaskGrant
    server.service.activity_tasks[arn] = [ActivityTaskGrant("tok-1", '{"x":1}')]
    task = sfn.get_activity_task(activityArn=arn, workerName="w")
    assert task["taskToken"] == "tok-1" and task["input"] == '{"x":1}'
    sfn.delete_activity(activityArn=arn)
    with pytest.raises(ClientError) as exc:
        sfn.describe_activity(activityArn=arn)
    assert code_of(exc) == "ActivityDoesNotExist"
    with pytest.raises(ClientError) as exc:
        sfn.get_activity_task(activityArn=arn)
    assert code_of(exc) == "ActivityDoesNotExist"
    with pytest.raises(ClientError) as exc:
        sfn.create_activity(name="bad name")
    assert code_of(exc) == "InvalidName"


# ------------------------------------------------------------------ executions
def test_start_describe_history(sfn) -> None:
    machine = create(sfn)["stateMachineArn"]
    machine_name = machine.rsplit(":", 1)[1]
    started = sfn.start_execution(stateMachineArn=machine, name="run-1", input='{"a":1}')
    arn = started["executionArn"]
    assert arn == f"{PREFIX}execution:{machine_name}:run-1"
    desc = sfn.describe_execution(executionArn=arn)
    assert desc["status"] == "SUCCEEDED" and desc["output"] == '{"a":1}'
    assert desc["stateMachineArn"] == machine and desc["redriveCount"] == 0
    assert desc["redriveStatus"] == "NOT_REDRIVABLE"
    history = sfn.get_execution_history(executionArn=arn)["events"]
    assert [e["type"] for e in history] == ["ExecutionStarted", "ExecutionSucceeded"]
    assert history[0]["executionStartedEventDetails"]["input"] == '{"a":1}'
    assert history[1]["previousEventId"] == 1
    assert isinstance(history[0]["timestamp"], datetime)
    reverse = sfn.get_execution_history(executionArn=arn, reverseOrder=True, maxResults=1)
    assert [e["id"] for e in reverse["events"]] == [2]
    rest = sfn.get_execution_history(executionArn=arn, reverseOrder=True, maxResults=1,
                                     nextToken=reverse["nextToken"])
    assert [e["id"] for e in rest["events"]] == [1] and "nextToken" not in rest
    lean = sfn.get_execution_history(executionArn=arn, includeExecutionData=False)
    details = lean["events"][0]["executionStartedEventDetails"]
    assert "input" not in details and details["inputDetails"] == {"truncated": False}
    for_exec = sfn.describe_state_machine_for_execution(executionArn=arn)
    assert for_exec["definition"] == PASS and for_exec["stateMachineArn"] == machine
    # The execution keeps the definition it ran, even after an update.
    sfn.update_state_machine(stateMachineArn=machine, definition=PASS2)
    assert sfn.describe_state_machine_for_execution(executionArn=arn)[
        "definition"] == PASS


def test_start_errors_and_idempotency(sfn, raw_sfn) -> None:
    machine = create(sfn)["stateMachineArn"]
    held = sfn.start_execution(stateMachineArn=machine, name="same", input='{"hold":true}')
    again = sfn.start_execution(stateMachineArn=machine, name="same", input='{"hold":true}')
    assert again["executionArn"] == held["executionArn"]
    assert again["startDate"] == held["startDate"]
    with pytest.raises(ClientError) as exc:
        sfn.start_execution(stateMachineArn=machine, name="same", input='{"other":1}')
    assert code_of(exc) == "ExecutionAlreadyExists"
    with pytest.raises(ClientError) as exc:
        sfn.start_execution(stateMachineArn=machine, input="{nope")
    assert code_of(exc) == "InvalidExecutionInput"
    with pytest.raises(ClientError) as exc:
        sfn.start_execution(stateMachineArn=machine, name="bad name")
    assert code_of(exc) == "InvalidName"
    with pytest.raises(ClientError) as exc:
        sfn.start_execution(stateMachineArn=PREFIX + "stateMachine:missing")
    assert code_of(exc) == "StateMachineDoesNotExist"
    with pytest.raises(ClientError) as exc:
        sfn.start_execution(stateMachineArn="not-an-arn")
    assert code_of(exc) == "InvalidArn"
    with pytest.raises(ClientError) as exc:
        raw_sfn.start_execution(stateMachineArn=machine, input="x" * 262145)
    assert code_of(exc) == "ValidationException"
    with pytest.raises(ClientError) as exc:
        sfn.describe_execution(executionArn=PREFIX + "execution:nope:nope")
    assert code_of(exc) == "ExecutionDoesNotExist"


def test_stop_and_redrive(sfn) -> None:
    machine = create(sfn)["stateMachineArn"]
    arn = sfn.start_execution(stateMachineArn=machine, input='{"hold": true}')["executionArn"]
    assert sfn.describe_execution(executionArn=arn)["status"] == "RUNNING"
    stopped = sfn.stop_execution(executionArn=arn, error="Err", cause="because")
    assert isinstance(stopped["stopDate"], datetime)
    desc = sfn.describe_execution(executionArn=arn)
    assert desc["status"] == "ABORTED" and desc["error"] == "Err"
    assert desc["redriveStatus"] == "REDRIVABLE"
    events = sfn.get_execution_history(executionArn=arn)["events"]
    assert events[-1]["executionAbortedEventDetails"] == {"error": "Err", "cause": "because"}
    assert isinstance(sfn.redrive_execution(executionArn=arn)["redriveDate"], datetime)
    done = sfn.start_execution(stateMachineArn=machine)["executionArn"]
    with pytest.raises(ClientError) as exc:
        sfn.redrive_execution(executionArn=done)
    assert code_of(exc) == "ExecutionNotRedrivable"
    with pytest.raises(ClientError) as exc:
        sfn.stop_execution(executionArn=PREFIX + "execution:x:y")
    assert code_of(exc) == "ExecutionDoesNotExist"


def test_list_executions_newest_first_filters_and_pages(sfn) -> None:
    created = create(sfn, publish=True)
    machine, v1 = created["stateMachineArn"], created["stateMachineVersionArn"]
    alias = sfn.create_state_machine_alias(
        name="live", routingConfiguration=[{"stateMachineVersionArn": v1, "weight": 100}])
    alias_arn = alias["stateMachineAliasArn"]
    plain = [sfn.start_execution(stateMachineArn=machine, name=f"e{i}")["executionArn"]
             for i in range(3)]
    running = sfn.start_execution(stateMachineArn=machine, name="r",
                                  input='{"hold":true}')["executionArn"]
    by_version = sfn.start_execution(stateMachineArn=v1, name="v")["executionArn"]
    by_alias = sfn.start_execution(stateMachineArn=alias_arn, name="a")["executionArn"]
    listed = sfn.list_executions(stateMachineArn=machine)["executions"]
    assert [e["executionArn"] for e in listed] == [by_alias, by_version, running,
                                                   *reversed(plain)]
    assert listed[0]["stateMachineAliasArn"] == alias_arn
    assert listed[0]["stateMachineVersionArn"] == v1
    assert [e["executionArn"] for e in sfn.list_executions(
        stateMachineArn=v1)["executions"]] == [by_alias, by_version]
    assert [e["executionArn"] for e in sfn.list_executions(
        stateMachineArn=alias_arn)["executions"]] == [by_alias]
    assert [e["executionArn"] for e in sfn.list_executions(
        stateMachineArn=machine, statusFilter="RUNNING")["executions"]] == [running]
    page = sfn.list_executions(stateMachineArn=machine, maxResults=4)
    rest = sfn.list_executions(stateMachineArn=machine, maxResults=4,
                               nextToken=page["nextToken"])
    assert len(page["executions"]) == 4 and len(rest["executions"]) == 2
    assert "nextToken" not in rest
    desc = sfn.describe_execution(executionArn=by_alias)
    assert desc["stateMachineAliasArn"] == alias_arn
    with pytest.raises(ClientError) as exc:
        sfn.list_executions(stateMachineArn=PREFIX + "stateMachine:missing")
    assert code_of(exc) == "StateMachineDoesNotExist"
    with pytest.raises(ClientError) as exc:
        sfn.list_executions()
    assert code_of(exc) == "ValidationException"


def test_express_sync_execution(sfn) -> None:
    express = create(sfn, type="EXPRESS")["stateMachineArn"]
    result = sfn.start_sync_execution(stateMachineArn=express, input='{"k":"v"}')
    assert result["status"] == "SUCCEEDED" and result["output"] == '{"k":"v"}'
    assert result["executionArn"].startswith(PREFIX + "express:")
    assert result["billingDetails"]["billedDurationInMilliseconds"] == 100
    standard = create(sfn)["stateMachineArn"]
    with pytest.raises(ClientError) as exc:
        sfn.start_sync_execution(stateMachineArn=standard)
    assert code_of(exc) == "StateMachineTypeNotSupported"
    with pytest.raises(ClientError) as exc:
        sfn.list_executions(stateMachineArn=express)
    assert code_of(exc) == "StateMachineTypeNotSupported"


def test_task_tokens(sfn, server) -> None:
    server.service.tokens["tok-a"] = ""
    sfn.send_task_heartbeat(taskToken="tok-a")
    sfn.send_task_success(taskToken="tok-a", output='{"done":true}')
    assert server.service.tokens["tok-a"] == 'success:{"done":true}'
    with pytest.raises(ClientError) as exc:
        sfn.send_task_failure(taskToken="tok-a", error="E")
    assert code_of(exc) == "TaskTimedOut"
    with pytest.raises(ClientError) as exc:
        sfn.send_task_success(taskToken="unknown", output="{}")
    assert code_of(exc) == "TaskDoesNotExist"
    with pytest.raises(ClientError) as exc:
        sfn.send_task_success(taskToken="tok-a", output="not json")
    assert code_of(exc) == "InvalidOutput"


def test_test_state_goes_to_service(sfn) -> None:
    answer = sfn.test_state(definition=json.dumps({"Type": "Pass", "End": True}),
                            roleArn=ROLE, input='{"z":1}')
    assert answer["status"] == "SUCCEEDED" and answer["output"] == '{"z":1}'
    with pytest.raises(ClientError) as exc:
        sfn.test_state(definition="{}", input="bad")
    assert code_of(exc) == "InvalidExecutionInput"


def test_map_runs(sfn) -> None:
    machine = create(sfn)["stateMachineArn"]
    arn = sfn.start_execution(stateMachineArn=machine)["executionArn"]
    assert sfn.list_map_runs(executionArn=arn)["mapRuns"] == []
    missing = PREFIX + "mapRun:m/x:y"
    with pytest.raises(ClientError) as exc:
        sfn.describe_map_run(mapRunArn=missing)
    assert code_of(exc) == "ResourceNotFound"
    with pytest.raises(ClientError) as exc:
        sfn.update_map_run(mapRunArn=missing, maxConcurrency=1)
    assert code_of(exc) == "ResourceNotFound"
    with pytest.raises(ClientError) as exc:
        sfn.list_map_runs(executionArn=PREFIX + "execution:a:b")
    assert code_of(exc) == "ExecutionDoesNotExist"


# ------------------------------------------------------------------ protocol level
def test_service_model_validation_messages(raw_sfn) -> None:
    with pytest.raises(ClientError) as exc:
        raw_sfn.create_state_machine(name="x" * 81, definition=PASS, roleArn=ROLE,
                                     type="WEIRD")
    err = exc.value.response["Error"]
    assert err["Code"] == "ValidationException"
    assert err["Message"].startswith("2 validation errors detected: Value '")
    assert "at 'name' failed to satisfy constraint: Member must have length less than " \
           "or equal to 80" in err["Message"]
    assert "Member must satisfy enum value set: [STANDARD, EXPRESS]" in err["Message"]
    with pytest.raises(ClientError) as exc:
        raw_sfn.list_state_machines(maxResults=5000)
    assert exc.value.response["Error"]["Message"] == (
        "1 validation error detected: Value '5000' at 'maxResults' failed to satisfy "
        "constraint: Member must have value less than or equal to 1000")


def _post(url: str, target: str | None, body: bytes) -> tuple[int, dict, str]:
    headers = {"Content-Type": "application/x-amz-json-1.0"}
    if target:
        headers["X-Amz-Target"] = target
    request = urllib.request.Request(url + "/", data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=5) as resp:
            return resp.status, json.loads(resp.read()), resp.headers["Content-Type"]
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read()), err.headers["Content-Type"]


def test_raw_protocol_errors(server) -> None:
    status, body, ctype = _post(server.url, "AWSStepFunctions.ListStateMachines", b"{bad")
    assert (status, body["__type"]) == (400, "SerializationException")
    assert ctype == "application/x-amz-json-1.0"
    status, body, _ = _post(server.url, "AWSStepFunctions.Frobnicate", b"{}")
    assert (status, body["__type"]) == (400, "UnknownOperationException")
    status, body, _ = _post(server.url, None, b"{}")
    assert body["__type"] == "UnknownOperationException"
    status, body, _ = _post(server.url, "AWSStepFunctions.ListStateMachines",
                            b'{"maxResults": "ten"}')
    assert (status, body["__type"]) == (400, "SerializationException")
    status, body, _ = _post(server.url, "AWSStepFunctions.ListStateMachines", b"")
    assert status == 200 and "stateMachines" in body
