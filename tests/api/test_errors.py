"""Every operation's error paths answer a code its service model declares.

botocore builds ``client.exceptions.X`` for each operation from the errors
``stepfunctions/2016-11-23/service-2.json`` lists for it, so an error code AWS's model
does not list for that operation is one a client cannot catch as documented. Two guards:

* the test server runs with ``strict_errors`` (see conftest.py): any ApiError an
  operation raises that its model does not declare is answered as InternalFailure, so
  every API test that reaches such a path fails;
* ``ERROR_CASES`` below drives, for every operation of the model, its error paths
  (missing machine, version, alias, execution, activity, map run; ARNs of the wrong
  kind; conflicts; bad input and tokens) and checks the exact code and that
  ``client.exceptions.<code>`` catches it. A new operation without cases fails
  ``test_every_operation_has_error_cases``.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from botocore import xform_name
from botocore.exceptions import ClientError

from stepfn.api.errors import COMMON_ERRORS, declared_errors
from stepfn.api.model import operation_names, service_model

ROLE = "arn:aws:iam::123456789012:role/sfn"
PASS = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
PASS2 = json.dumps({"StartAt": "Q", "States": {"Q": {"Type": "Pass", "End": True}}})
PREFIX = "arn:aws:states:us-east-1:123456789012:"
MISSING_MACHINE = PREFIX + "stateMachine:missing-machine-x"
MISSING_EXECUTION = PREFIX + "execution:missing-machine-x:missing"
MISSING_ACTIVITY = PREFIX + "activity:missing-activity-x"
MISSING_MAP_RUN = PREFIX + "mapRun:missing-machine-x/label:0d7e3f61-2d1a-4e4b-9a55-1f0b1c1d1e1f"
BAD_TOKEN = "not-a-token-of-ours"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@dataclass(frozen=True)
class World:
    """Resources the error cases refer to (created once per session)."""

    machine: str          # STANDARD, versions 1 and 2, alias "live" -> version 1
    version: str          # version 1
    alias: str
    express: str          # an EXPRESS machine
    activity: str
    execution: str        # a SUCCEEDED execution of ``machine`` (name ``execution_name``)
    execution_name: str

    @property
    def missing_version(self) -> str:
        return self.machine + ":99"

    @property
    def missing_alias(self) -> str:
        return self.machine + ":missing"


@pytest.fixture(scope="module")
def world(sfn) -> World:
    created = sfn.create_state_machine(name=unique("errs"), definition=PASS, roleArn=ROLE,
                                       publish=True)
    machine, version = created["stateMachineArn"], created["stateMachineVersionArn"]
    sfn.update_state_machine(stateMachineArn=machine, definition=PASS2, publish=True)
    alias = sfn.create_state_machine_alias(
        name="live", routingConfiguration=[{"stateMachineVersionArn": version,
                                            "weight": 100}])["stateMachineAliasArn"]
    express = sfn.create_state_machine(name=unique("errx"), definition=PASS, roleArn=ROLE,
                                       type="EXPRESS")["stateMachineArn"]
    activity = sfn.create_activity(name=unique("erra"))["activityArn"]
    name = unique("run")
    execution = sfn.start_execution(stateMachineArn=machine, name=name)["executionArn"]
    return World(machine, version, alias, express, activity, execution, name)


Request = Callable[[World], dict[str, Any]]

# (operation, what the case is, request, the code AWS's model gives that case)
ERROR_CASES: list[tuple[str, str, Request, str]] = [
    # -- state machines
    ("CreateStateMachine", "same name, other definition",
     lambda w: {"name": w.machine.rsplit(":", 1)[1], "definition": PASS, "roleArn": ROLE},
     "StateMachineAlreadyExists"),
    ("CreateStateMachine", "invalid definition",
     lambda w: {"name": unique("bad"), "definition": "{}", "roleArn": ROLE},
     "InvalidDefinition"),
    ("CreateStateMachine", "invalid name",
     lambda w: {"name": "has space", "definition": PASS, "roleArn": ROLE}, "InvalidName"),
    ("DescribeStateMachine", "missing machine",
     lambda w: {"stateMachineArn": MISSING_MACHINE}, "StateMachineDoesNotExist"),
    ("DescribeStateMachine", "missing version",
     lambda w: {"stateMachineArn": w.missing_version}, "StateMachineDoesNotExist"),
    ("DescribeStateMachine", "activity ARN",
     lambda w: {"stateMachineArn": w.activity}, "InvalidArn"),
    ("UpdateStateMachine", "missing machine",
     lambda w: {"stateMachineArn": MISSING_MACHINE, "definition": PASS},
     "StateMachineDoesNotExist"),
    ("UpdateStateMachine", "version ARN",
     lambda w: {"stateMachineArn": w.version, "definition": PASS}, "InvalidArn"),
    ("UpdateStateMachine", "nothing to update",
     lambda w: {"stateMachineArn": w.machine}, "MissingRequiredParameter"),
    ("UpdateStateMachine", "invalid definition",
     lambda w: {"stateMachineArn": w.machine, "definition": "{}"}, "InvalidDefinition"),
    ("DeleteStateMachine", "activity ARN",
     lambda w: {"stateMachineArn": w.activity}, "InvalidArn"),
    ("DeleteStateMachine", "version ARN",
     lambda w: {"stateMachineArn": w.version}, "ValidationException"),
    ("ListStateMachines", "foreign token", lambda w: {"nextToken": BAD_TOKEN}, "InvalidToken"),
    ("ValidateStateMachineDefinition", "unknown type",
     lambda w: {"definition": PASS, "type": "BOGUS"}, "ValidationException"),
    # -- versions
    ("PublishStateMachineVersion", "missing machine",
     lambda w: {"stateMachineArn": MISSING_MACHINE}, "StateMachineDoesNotExist"),
    ("PublishStateMachineVersion", "alias ARN",
     lambda w: {"stateMachineArn": w.alias}, "InvalidArn"),
    ("PublishStateMachineVersion", "stale revision",
     lambda w: {"stateMachineArn": w.machine, "revisionId": "stale"}, "ConflictException"),
    ("ListStateMachineVersions", "missing machine",
     lambda w: {"stateMachineArn": MISSING_MACHINE}, "InvalidArn"),
    ("ListStateMachineVersions", "alias ARN",
     lambda w: {"stateMachineArn": w.alias}, "InvalidArn"),
    ("ListStateMachineVersions", "foreign token",
     lambda w: {"stateMachineArn": w.machine, "nextToken": BAD_TOKEN}, "InvalidToken"),
    ("DeleteStateMachineVersion", "unqualified ARN",
     lambda w: {"stateMachineVersionArn": w.machine}, "InvalidArn"),
    ("DeleteStateMachineVersion", "version an alias routes to",
     lambda w: {"stateMachineVersionArn": w.version}, "ConflictException"),
    # -- aliases
    ("CreateStateMachineAlias", "missing machine",
     lambda w: {"name": "a", "routingConfiguration": [
         {"stateMachineVersionArn": MISSING_MACHINE + ":1", "weight": 100}]},
     "ResourceNotFound"),
    ("CreateStateMachineAlias", "missing version",
     lambda w: {"name": "a", "routingConfiguration": [
         {"stateMachineVersionArn": w.missing_version, "weight": 100}]},
     "ResourceNotFound"),
    ("CreateStateMachineAlias", "unqualified ARN in the routing",
     lambda w: {"name": "a", "routingConfiguration": [
         {"stateMachineVersionArn": w.machine, "weight": 100}]}, "InvalidArn"),
    ("CreateStateMachineAlias", "same name, other routing",
     lambda w: {"name": "live", "routingConfiguration": [
         {"stateMachineVersionArn": w.machine + ":2", "weight": 100}]},
     "ConflictException"),
    ("CreateStateMachineAlias", "weights not summing to 100",
     lambda w: {"name": "a", "routingConfiguration": [
         {"stateMachineVersionArn": w.version, "weight": 50}]}, "ValidationException"),
    ("DescribeStateMachineAlias", "missing alias",
     lambda w: {"stateMachineAliasArn": w.missing_alias}, "ResourceNotFound"),
    ("DescribeStateMachineAlias", "version ARN",
     lambda w: {"stateMachineAliasArn": w.version}, "InvalidArn"),
    ("UpdateStateMachineAlias", "missing alias",
     lambda w: {"stateMachineAliasArn": w.missing_alias, "description": "d"},
     "ResourceNotFound"),
    ("UpdateStateMachineAlias", "routing to a missing version",
     lambda w: {"stateMachineAliasArn": w.alias, "routingConfiguration": [
         {"stateMachineVersionArn": w.missing_version, "weight": 100}]},
     "ResourceNotFound"),
    ("DeleteStateMachineAlias", "missing alias",
     lambda w: {"stateMachineAliasArn": w.missing_alias}, "ResourceNotFound"),
    ("DeleteStateMachineAlias", "unqualified ARN",
     lambda w: {"stateMachineAliasArn": w.machine}, "InvalidArn"),
    ("ListStateMachineAliases", "missing machine",
     lambda w: {"stateMachineArn": MISSING_MACHINE}, "StateMachineDoesNotExist"),
    ("ListStateMachineAliases", "alias ARN",
     lambda w: {"stateMachineArn": w.alias}, "InvalidArn"),
    ("ListStateMachineAliases", "foreign token",
     lambda w: {"stateMachineArn": w.machine, "nextToken": BAD_TOKEN}, "InvalidToken"),
    # -- tags
    ("TagResource", "missing machine",
     lambda w: {"resourceArn": MISSING_MACHINE, "tags": [{"key": "k", "value": "v"}]},
     "ResourceNotFound"),
    ("TagResource", "execution ARN",
     lambda w: {"resourceArn": w.execution, "tags": [{"key": "k", "value": "v"}]},
     "InvalidArn"),
    ("TagResource", "more than 50 tags",
     lambda w: {"resourceArn": w.activity,
                "tags": [{"key": f"k{i}", "value": "v"} for i in range(51)]},
     "TooManyTags"),
    ("UntagResource", "missing activity",
     lambda w: {"resourceArn": MISSING_ACTIVITY, "tagKeys": ["k"]}, "ResourceNotFound"),
    ("UntagResource", "execution ARN",
     lambda w: {"resourceArn": w.execution, "tagKeys": ["k"]}, "InvalidArn"),
    ("ListTagsForResource", "missing machine",
     lambda w: {"resourceArn": MISSING_MACHINE}, "ResourceNotFound"),
    ("ListTagsForResource", "execution ARN",
     lambda w: {"resourceArn": w.execution}, "InvalidArn"),
    # -- activities
    ("CreateActivity", "invalid name", lambda w: {"name": "a/b"}, "InvalidName"),
    ("DescribeActivity", "missing activity",
     lambda w: {"activityArn": MISSING_ACTIVITY}, "ActivityDoesNotExist"),
    ("DescribeActivity", "machine ARN", lambda w: {"activityArn": w.machine}, "InvalidArn"),
    ("DeleteActivity", "machine ARN", lambda w: {"activityArn": w.machine}, "InvalidArn"),
    ("ListActivities", "foreign token", lambda w: {"nextToken": BAD_TOKEN}, "InvalidToken"),
    ("GetActivityTask", "missing activity",
     lambda w: {"activityArn": MISSING_ACTIVITY}, "ActivityDoesNotExist"),
    ("GetActivityTask", "machine ARN", lambda w: {"activityArn": w.machine}, "InvalidArn"),
    # -- map runs
    ("DescribeMapRun", "missing map run",
     lambda w: {"mapRunArn": MISSING_MAP_RUN}, "ResourceNotFound"),
    ("DescribeMapRun", "execution ARN", lambda w: {"mapRunArn": w.execution}, "InvalidArn"),
    ("UpdateMapRun", "missing map run",
     lambda w: {"mapRunArn": MISSING_MAP_RUN, "maxConcurrency": 1}, "ResourceNotFound"),
    ("UpdateMapRun", "execution ARN",
     lambda w: {"mapRunArn": w.execution, "maxConcurrency": 1}, "InvalidArn"),
    ("ListMapRuns", "missing execution",
     lambda w: {"executionArn": MISSING_EXECUTION}, "ExecutionDoesNotExist"),
    ("ListMapRuns", "machine ARN", lambda w: {"executionArn": w.machine}, "InvalidArn"),
    ("ListMapRuns", "foreign token",
     lambda w: {"executionArn": w.execution, "nextToken": BAD_TOKEN}, "InvalidToken"),
    # -- executions (reads)
    ("DescribeExecution", "missing execution",
     lambda w: {"executionArn": MISSING_EXECUTION}, "ExecutionDoesNotExist"),
    ("DescribeExecution", "machine ARN", lambda w: {"executionArn": w.machine}, "InvalidArn"),
    ("DescribeStateMachineForExecution", "missing execution",
     lambda w: {"executionArn": MISSING_EXECUTION}, "ExecutionDoesNotExist"),
    ("DescribeStateMachineForExecution", "activity ARN",
     lambda w: {"executionArn": w.activity}, "InvalidArn"),
    ("GetExecutionHistory", "missing execution",
     lambda w: {"executionArn": MISSING_EXECUTION}, "ExecutionDoesNotExist"),
    ("GetExecutionHistory", "machine ARN",
     lambda w: {"executionArn": w.machine}, "InvalidArn"),
    ("GetExecutionHistory", "foreign token",
     lambda w: {"executionArn": w.execution, "nextToken": BAD_TOKEN}, "InvalidToken"),
    ("ListExecutions", "missing machine",
     lambda w: {"stateMachineArn": MISSING_MACHINE}, "StateMachineDoesNotExist"),
    ("ListExecutions", "missing version",
     lambda w: {"stateMachineArn": w.missing_version}, "ResourceNotFound"),
    ("ListExecutions", "missing alias",
     lambda w: {"stateMachineArn": w.missing_alias}, "ResourceNotFound"),
    ("ListExecutions", "missing map run",
     lambda w: {"mapRunArn": MISSING_MAP_RUN}, "ResourceNotFound"),
    ("ListExecutions", "EXPRESS machine",
     lambda w: {"stateMachineArn": w.express}, "StateMachineTypeNotSupported"),
    ("ListExecutions", "activity ARN", lambda w: {"stateMachineArn": w.activity}, "InvalidArn"),
    ("ListExecutions", "neither machine nor map run", lambda w: {}, "ValidationException"),
    ("ListExecutions", "foreign token",
     lambda w: {"stateMachineArn": w.machine, "nextToken": BAD_TOKEN}, "InvalidToken"),
    # -- executions (runs)
    ("StartExecution", "missing machine",
     lambda w: {"stateMachineArn": MISSING_MACHINE}, "StateMachineDoesNotExist"),
    ("StartExecution", "missing version",
     lambda w: {"stateMachineArn": w.missing_version}, "StateMachineDoesNotExist"),
    ("StartExecution", "missing alias",
     lambda w: {"stateMachineArn": w.missing_alias}, "StateMachineDoesNotExist"),
    ("StartExecution", "activity ARN",
     lambda w: {"stateMachineArn": w.activity}, "InvalidArn"),
    ("StartExecution", "input not JSON",
     lambda w: {"stateMachineArn": w.machine, "input": "{"}, "InvalidExecutionInput"),
    ("StartExecution", "invalid name",
     lambda w: {"stateMachineArn": w.machine, "name": "a b"}, "InvalidName"),
    ("StartExecution", "name of a closed execution",
     lambda w: {"stateMachineArn": w.machine, "name": w.execution_name},
     "ExecutionAlreadyExists"),
    ("StartSyncExecution", "STANDARD machine",
     lambda w: {"stateMachineArn": w.machine}, "StateMachineTypeNotSupported"),
    ("StartSyncExecution", "missing machine",
     lambda w: {"stateMachineArn": MISSING_MACHINE}, "StateMachineDoesNotExist"),
    ("StartSyncExecution", "missing alias",
     lambda w: {"stateMachineArn": w.express + ":missing"}, "StateMachineDoesNotExist"),
    ("StartSyncExecution", "activity ARN",
     lambda w: {"stateMachineArn": w.activity}, "InvalidArn"),
    ("StartSyncExecution", "input not JSON",
     lambda w: {"stateMachineArn": w.express, "input": "["}, "InvalidExecutionInput"),
    ("StopExecution", "missing execution",
     lambda w: {"executionArn": MISSING_EXECUTION}, "ExecutionDoesNotExist"),
    ("StopExecution", "activity ARN", lambda w: {"executionArn": w.activity}, "InvalidArn"),
    ("RedriveExecution", "missing execution",
     lambda w: {"executionArn": MISSING_EXECUTION}, "ExecutionDoesNotExist"),
    ("RedriveExecution", "machine ARN", lambda w: {"executionArn": w.machine}, "InvalidArn"),
    ("RedriveExecution", "succeeded execution",
     lambda w: {"executionArn": w.execution}, "ExecutionNotRedrivable"),
    ("TestState", "input not JSON",
     lambda w: {"definition": json.dumps({"Type": "Pass", "End": True}), "roleArn": ROLE,
                "input": "{"}, "InvalidExecutionInput"),
    # -- task tokens
    ("SendTaskSuccess", "output not JSON",
     lambda w: {"taskToken": "t", "output": "{"}, "InvalidOutput"),
    ("SendTaskSuccess", "unknown token",
     lambda w: {"taskToken": "unknown", "output": "{}"}, "TaskDoesNotExist"),
    ("SendTaskFailure", "unknown token", lambda w: {"taskToken": "unknown"}, "TaskDoesNotExist"),
    ("SendTaskHeartbeat", "unknown token",
     lambda w: {"taskToken": "unknown"}, "TaskDoesNotExist"),
]


def test_every_operation_has_error_cases() -> None:
    covered = {operation for operation, *_ in ERROR_CASES}
    assert operation_names() - covered == set()


def test_every_expected_code_is_declared_for_its_operation() -> None:
    """The table itself follows the model (so a wrong expectation cannot pass)."""
    wrong = [(op, what, code) for op, what, _, code in ERROR_CASES
             if code not in declared_errors(op)]
    assert wrong == []


def test_common_errors_are_not_operation_errors() -> None:
    # COMMON_ERRORS only adds what no operation lists; InvalidArn & co stay per operation.
    listed = {e["shape"] for op in service_model()["operations"].values()
              for e in op.get("errors", [])}
    assert COMMON_ERRORS & listed == {"ValidationException"}


@pytest.mark.parametrize(("operation", "what", "request_of", "code"), ERROR_CASES,
                         ids=[f"{op}-{what}" for op, what, _, _ in ERROR_CASES])
def test_error_path_answers_the_declared_code(raw_sfn, world: World, operation: str,
                                              what: str, request_of: Request,
                                              code: str) -> None:
    method = getattr(raw_sfn, xform_name(operation))
    modeled = getattr(raw_sfn.exceptions, code, None)
    catch = modeled if code not in COMMON_ERRORS or modeled is not None else ClientError
    with pytest.raises(ClientError) as info:
        method(**request_of(world))
    assert info.value.response["Error"]["Code"] == code, info.value.response["Error"]
    # botocore's modeled exception class for the code catches it.
    assert isinstance(info.value, catch)
    assert info.value.response["Error"]["Message"]


# ------------------------------------------------------------- the dispatcher's check
def test_undeclared_error_is_internal_failure_when_strict(caplog) -> None:
    from stepfn.api.errors import ApiError
    from stepfn.api.server import _error_answer

    undeclared = ApiError("StateMachineDoesNotExist", "gone")  # not declared there
    status, body = _error_answer("ListStateMachineVersions", undeclared, strict=True)
    assert (status, body["__type"]) == (500, "InternalFailure")
    assert "StateMachineDoesNotExist" in caplog.text
    # Not strict: logged, and answered as raised.
    status, body = _error_answer("ListStateMachineVersions", undeclared, strict=False)
    assert (status, body["__type"]) == (400, "StateMachineDoesNotExist")
    declared = ApiError("InvalidArn", "bad")
    assert _error_answer("ListStateMachineVersions", declared, strict=True)[1][
        "__type"] == "InvalidArn"


def test_strict_errors_from_the_environment() -> None:
    from stepfn.api.server import ApiConfig
    from stepfn.settings import Settings

    def strict(env: dict[str, str]) -> bool:
        return ApiConfig.from_settings(Settings.load(environ=env)).strict_errors

    assert strict({}) is False
    assert strict({"STEPFN_STRICT_ERRORS": "1"}) is True
    assert strict({"STEPFN_STRICT_ERRORS": "0"}) is False


def test_redrive_of_an_execution_whose_machine_is_gone(tmp_path) -> None:
    """An execution whose machine (and revision) is gone cannot be redriven: the
    service says ExecutionNotRedrivable (not StateMachineDoesNotExist, which
    RedriveExecution's model does not declare) and writes nothing."""
    import asyncio

    from stepfn.api.errors import from_service
    from stepfn.service.errors import ServiceError
    from stepfn.service.executions import ExecutionManager
    from stepfn.store import ExecutionRecord, SqliteStore

    async def scenario() -> tuple[str, str, int]:
        store = SqliteStore(str(tmp_path / "s.db"))
        await store.open()
        arn = PREFIX + "execution:gone:run"
        async with store.batch() as tx:
            tx.put_execution(ExecutionRecord(arn=arn, machine_arn=PREFIX + "stateMachine:gone",
                                             name="run", status="FAILED", start_date=1.0))
        manager = ExecutionManager(store)
        try:
            record = await store.get_execution(arn)
            assert record is not None
            await manager.redrive_execution(record, None)
        except ServiceError as exc:
            after = await store.get_execution(arn)
            assert after is not None
            return from_service(exc).code, after.status, await store.count_events(arn)
        finally:
            await store.close()
        return "no error", "", 0

    assert asyncio.run(scenario()) == ("ExecutionNotRedrivable", "FAILED", 0)


def test_every_service_error_has_an_aws_code() -> None:
    """Each error the service can raise is answered with an AWS code of its own (none
    falls through to InternalFailure), keeping its message and reason."""
    import inspect

    from stepfn.api.errors import AWS_CODES, from_service
    from stepfn.service import errors

    kinds = [k for _, k in inspect.getmembers(errors, inspect.isclass)
             if issubclass(k, errors.ServiceError) and k is not errors.ServiceError]
    assert kinds and set(kinds) == set(AWS_CODES)
    answer = from_service(errors.InvalidRequest("bad routing", "INVALID_ROUTING_CONFIGURATION"))
    assert (answer.code, answer.message, answer.reason, answer.status) == (
        "ValidationException", "bad routing", "INVALID_ROUTING_CONFIGURATION", 400)
    assert from_service(errors.TaskTimedOut("closed")).code == "TaskTimedOut"
    assert from_service(errors.ServiceError("?")).code == "InternalFailure"
