"""The Step Functions operations: check the request, call the service, render.

Each public coroutine of ``StepFunctionsApi`` is named like its operation in snake
case and takes the request members (already checked against the service model). The
rules of machines, versions and aliases live in ``stepfn.service.machines``, running
executions in the execution service; reads answer from the store. Errors the service
raises are answered with AWS's codes by the server (``errors.AWS_CODES``).
"""

from __future__ import annotations

import dataclasses
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from botocore import xform_name

from stepfn.api import render
from stepfn.api.errors import (
    ApiError,
    activity_not_found,
    execution_not_found,
    invalid_arn,
    resource_not_found,
    validation,
)
from stepfn.jsonutil import loads
from stepfn.service.arns import Arns, is_valid_name
from stepfn.service.contract import ExecutionService, StartRequest
from stepfn.service.errors import ExecutionAlreadyExists, InvalidName, MachineTypeNotSupported
from stepfn.service.limits import depth_message, too_deep, utf8_size_exceeds
from stepfn.service.machines import (
    UPDATABLE,
    NewMachine,
    StateMachines,
    check_definition,
    check_encryption,
    errors_only,
    tag_dict,
    variable_references_of,
)
from stepfn.store.base import (
    ActivityRecord,
    Conflict,
    ExecutionRecord,
    MapRunRecord,
    RoutingEntry,
    Store,
)

MAX_PAYLOAD_BYTES = 256 * 1024
MAX_TAGS = 50
DEFAULT_PAGE = 100


def _page_size(value: int | None) -> int:
    return value or DEFAULT_PAGE


def _json_text(text: str, code: str, label: str) -> None:
    """Reject text that is too big, nested too deeply or not JSON, with AWS's code for
    the operation (cheapest check first; each is linear in the text)."""
    if utf8_size_exceeds(text, MAX_PAYLOAD_BYTES):
        raise ApiError(code, f"{label}: 'Size exceeds the maximum number of bytes "
                             f"service limit ({MAX_PAYLOAD_BYTES})'")
    if too_deep(text):
        raise ApiError(code, f"{label}: '{depth_message()}'")
    try:
        loads(text)
    except (ValueError, RecursionError) as exc:
        raise ApiError(code, f"{label}: '{exc}'") from None


class StepFunctionsApi:
    """All operations; ``dispatch(operation, request)`` runs one."""

    def __init__(self, store: Store, service: ExecutionService, arns: Arns) -> None:
        self.store = store
        self.service = service
        self.arns = arns
        self.machines = StateMachines(store, arns)
        self._operations: dict[str, Callable[[dict], Awaitable[dict]]] = {}

    def handler(self, operation: str) -> Callable[[dict], Awaitable[dict]] | None:
        """The coroutine function serving ``operation`` (None: not implemented)."""
        if operation not in self._operations:
            method = getattr(self, xform_name(operation), None)
            if method is None:
                return None
            self._operations[operation] = method
        return self._operations[operation]

    # ------------------------------------------------------------ resolution helpers
    async def _execution(self, arn: str) -> ExecutionRecord:
        parsed = self.arns.parts(arn)
        if parsed is None or parsed[0] not in ("execution", "express"):
            raise invalid_arn(arn)
        execution = await self.store.get_execution(arn)
        if execution is None:
            raise execution_not_found(arn)
        return execution

    async def _activity(self, arn: str) -> ActivityRecord:
        parsed = self.arns.parts(arn)
        if parsed is None or parsed[0] != "activity":
            raise invalid_arn(arn)
        activity = await self.store.get_activity(arn)
        if activity is None:
            raise activity_not_found(arn)
        return activity

    # ------------------------------------------------------------ state machines
    async def create_state_machine(self, req: dict) -> dict:
        new = NewMachine(
            name=req["name"], definition=req["definition"], role_arn=req["roleArn"],
            type=req.get("type") or "STANDARD",
            logging_configuration=req.get("loggingConfiguration"),
            tracing_configuration=req.get("tracingConfiguration"),
            encryption_configuration=req.get("encryptionConfiguration"),
            tags=req.get("tags") or [])
        machine, version = await self.machines.create(new, bool(req.get("publish")),
                                                      req.get("versionDescription"))
        answer = {"stateMachineArn": machine.arn, "creationDate": machine.creation_date}
        if version is not None:
            answer["stateMachineVersionArn"] = version.arn
        return answer

    async def describe_state_machine(self, req: dict) -> dict:
        return render.machine_description(
            *await self.machines.described(req["stateMachineArn"]),
            included_data=req.get("includedData"))

    async def update_state_machine(self, req: dict) -> dict:
        # A member sent as null is absent, as in every awsJson request.
        changes = {field: req[member] for member, field in UPDATABLE
                   if req.get(member) is not None}
        machine, version = await self.machines.update(
            req["stateMachineArn"], changes, bool(req.get("publish")),
            req.get("versionDescription"))
        answer = {"updateDate": machine.update_date or time.time(),
                  "revisionId": machine.revision_id}
        if version is not None:
            answer["stateMachineVersionArn"] = version.arn
        return render.drop_none(answer)

    async def delete_state_machine(self, req: dict) -> dict:
        await self.machines.delete(req["stateMachineArn"])
        return {}

    async def list_state_machines(self, req: dict) -> dict:
        page = await self.store.list_state_machines(
            _page_size(req.get("maxResults")), render.decode_token(req.get("nextToken")))
        items = [{"stateMachineArn": m.arn, "name": m.name, "type": m.type,
                  "creationDate": m.creation_date} for m in page.items]
        return render.drop_none({"stateMachines": items,
                                 "nextToken": render.encode_token(page.next_cursor)})

    async def validate_state_machine_definition(self, req: dict) -> dict:
        diagnostics = check_definition(req["definition"], req.get("type") or "STANDARD",
                                       req.get("severity") or "ERROR")
        limit = req.get("maxResults") or 100
        result = "FAIL" if errors_only(diagnostics) else "OK"
        return {"result": result,
                "diagnostics": [d.to_json() for d in diagnostics[:limit]],
                "truncated": len(diagnostics) > limit}

    # ------------------------------------------------------------ versions
    async def publish_state_machine_version(self, req: dict) -> dict:
        version = await self.machines.publish(req["stateMachineArn"], req.get("revisionId"),
                                              req.get("description"))
        return {"creationDate": version.creation_date,
                "stateMachineVersionArn": version.arn}

    async def list_state_machine_versions(self, req: dict) -> dict:
        machine = await self.machines.versions_of(req["stateMachineArn"])
        page = await self.store.list_versions(
            machine.arn, _page_size(req.get("maxResults")),
            render.decode_token(req.get("nextToken")))
        items = [{"stateMachineVersionArn": v.arn, "creationDate": v.creation_date}
                 for v in page.items]
        return render.drop_none({"stateMachineVersions": items,
                                 "nextToken": render.encode_token(page.next_cursor)})

    async def delete_state_machine_version(self, req: dict) -> dict:
        await self.machines.delete_version(req["stateMachineVersionArn"])
        return {}

    # ------------------------------------------------------------ aliases
    async def create_state_machine_alias(self, req: dict) -> dict:
        alias = await self.machines.create_alias(
            req["name"], _routing(req["routingConfiguration"]), req.get("description"))
        return {"stateMachineAliasArn": alias.arn, "creationDate": alias.creation_date}

    async def describe_state_machine_alias(self, req: dict) -> dict:
        return render.alias_description(
            await self.machines.alias(req["stateMachineAliasArn"]))

    async def update_state_machine_alias(self, req: dict) -> dict:
        routing = req.get("routingConfiguration")
        alias = await self.machines.update_alias(
            req["stateMachineAliasArn"], None if routing is None else _routing(routing),
            req.get("description", ...))
        return {"updateDate": alias.update_date}

    async def delete_state_machine_alias(self, req: dict) -> dict:
        await self.machines.delete_alias(req["stateMachineAliasArn"])
        return {}

    async def list_state_machine_aliases(self, req: dict) -> dict:
        ref = self.machines.ref(req["stateMachineArn"])
        if ref.alias is not None:
            raise invalid_arn(req["stateMachineArn"])
        machine = await self.machines.machine(ref.machine_arn)
        page = await self.store.list_aliases(machine.arn, _page_size(req.get("maxResults")),
                                             render.decode_token(req.get("nextToken")))
        aliases = page.items
        if ref.version is not None:  # a version ARN lists the aliases routing to it
            version_arn = req["stateMachineArn"]
            aliases = [a for a in aliases if any(r.version_arn == version_arn
                                                 for r in a.routing)]
        items = [{"stateMachineAliasArn": a.arn, "creationDate": a.creation_date}
                 for a in aliases]
        return render.drop_none({"stateMachineAliases": items,
                                 "nextToken": render.encode_token(page.next_cursor)})

    # ------------------------------------------------------------ tags
    async def _taggable(self, arn: str) -> str:
        parsed = self.arns.parts(arn)
        if parsed is None or parsed[0] not in ("stateMachine", "activity"):
            raise invalid_arn(arn)
        found = (await self.store.get_activity(arn) if parsed[0] == "activity"
                 else await self.store.get_state_machine(arn))
        if found is None:
            raise ApiError("ResourceNotFound", f"Resource not found: '{arn}'")
        return arn

    async def tag_resource(self, req: dict) -> dict:
        arn = await self._taggable(req["resourceArn"])
        tags = tag_dict(req["tags"])
        current = await self.store.get_tags(arn)
        if len(current | tags) > MAX_TAGS:
            raise ApiError("TooManyTags", f"Too many tags: the limit is {MAX_TAGS}")
        async with self.store.batch() as tx:
            tx.set_tags(arn, tags)
        return {}

    async def untag_resource(self, req: dict) -> dict:
        arn = await self._taggable(req["resourceArn"])
        async with self.store.batch() as tx:
            tx.remove_tags(arn, req["tagKeys"])
        return {}

    async def list_tags_for_resource(self, req: dict) -> dict:
        arn = await self._taggable(req["resourceArn"])
        tags = await self.store.get_tags(arn)
        return {"tags": [{"key": k, "value": v} for k, v in tags.items()]}

    # ------------------------------------------------------------ activities
    async def create_activity(self, req: dict) -> dict:
        name = req["name"]
        if not is_valid_name(name):
            raise ApiError("InvalidName", f"Invalid Name: '{name}'")
        check_encryption(req.get("encryptionConfiguration"))
        arn = self.arns.activity(name)
        existing = await self.store.get_activity(arn)
        if existing is not None:  # CreateActivity is idempotent on the name
            return {"activityArn": arn, "creationDate": existing.creation_date}
        activity = ActivityRecord(arn=arn, name=name, creation_date=time.time(),
                                  encryption_configuration=req.get(
                                      "encryptionConfiguration"))
        tags = tag_dict(req.get("tags") or [])
        async with self.store.batch() as tx:
            tx.put_activity(activity)
            if tags:
                tx.set_tags(arn, tags)
        return {"activityArn": arn, "creationDate": activity.creation_date}

    async def describe_activity(self, req: dict) -> dict:
        activity = await self._activity(req["activityArn"])
        return render.drop_none({
            "activityArn": activity.arn, "name": activity.name,
            "creationDate": activity.creation_date,
            "encryptionConfiguration": activity.encryption_configuration})

    async def delete_activity(self, req: dict) -> dict:
        arn = req["activityArn"]
        parsed = self.arns.parts(arn)
        if parsed is None or parsed[0] != "activity":
            raise invalid_arn(arn)
        async with self.store.batch() as tx:
            tx.delete_activity(arn)
        return {}

    async def list_activities(self, req: dict) -> dict:
        page = await self.store.list_activities(_page_size(req.get("maxResults")),
                                                render.decode_token(req.get("nextToken")))
        items = [{"activityArn": a.arn, "name": a.name, "creationDate": a.creation_date}
                 for a in page.items]
        return render.drop_none({"activities": items,
                                 "nextToken": render.encode_token(page.next_cursor)})

    async def get_activity_task(self, req: dict) -> dict:
        activity = await self._activity(req["activityArn"])
        grant = await self.service.get_activity_task(activity, req.get("workerName"))
        if grant is None:
            return {}
        return {"taskToken": grant.task_token, "input": grant.input}

    # ------------------------------------------------------------ map runs
    async def _map_run(self, arn: str) -> MapRunRecord:
        parsed = self.arns.parts(arn)
        if parsed is None or parsed[0] != "mapRun":
            raise invalid_arn(arn)
        run = await self.store.get_map_run(arn)
        if run is None:
            raise resource_not_found("Map run", arn)
        return run

    async def describe_map_run(self, req: dict) -> dict:
        return render.map_run_description(await self._map_run(req["mapRunArn"]))

    async def list_map_runs(self, req: dict) -> dict:
        execution = await self._execution(req["executionArn"])
        page = await self.store.list_map_runs(execution.arn,
                                              _page_size(req.get("maxResults")),
                                              render.decode_token(req.get("nextToken")))
        items = [{"executionArn": r.execution_arn, "mapRunArn": r.arn,
                  "stateMachineArn": execution.machine_arn, "startDate": r.start_date,
                  **({"stopDate": r.stop_date} if r.stop_date else {})}
                 for r in page.items]
        return render.drop_none({"mapRuns": items,
                                 "nextToken": render.encode_token(page.next_cursor)})

    async def update_map_run(self, req: dict) -> dict:
        run = await self._map_run(req["mapRunArn"])
        if run.status != "RUNNING":
            raise validation("Map run is not RUNNING", "CANNOT_UPDATE_COMPLETED_MAP_RUN")
        changes = {field: req[member] for member, field in (
            ("maxConcurrency", "max_concurrency"),
            ("toleratedFailurePercentage", "tolerated_failure_percentage"),
            ("toleratedFailureCount", "tolerated_failure_count")) if member in req}
        async with self.store.batch() as tx:
            tx.put_map_run(dataclasses.replace(run, **changes))
        return {}

    # ------------------------------------------------------------ executions (reads)
    async def describe_execution(self, req: dict) -> dict:
        execution = await self._execution(req["executionArn"])
        refusal: str | None = None
        if execution.type == "STANDARD" and execution.status in (
                "FAILED", "TIMED_OUT", "ABORTED") and not execution.map_run_arn:
            refusal = await self.service.redrive_status_reason(execution)
        return render.execution_description(execution, req.get("includedData"), refusal)

    async def describe_state_machine_for_execution(self, req: dict) -> dict:
        execution = await self._execution(req["executionArn"])
        if execution.map_run_arn:
            return await self._child_machine(execution, req.get("includedData"))
        machine = await self.store.get_state_machine(execution.machine_arn)
        source: Any = None
        if execution.version_arn:
            source = await self.store.get_version(execution.version_arn)
        if source is None:
            source = await self.store.get_revision(execution.machine_arn,
                                                   execution.revision_id)
        if source is None and machine is not None:
            source = machine
        if source is None:
            raise execution_not_found(execution.arn)
        update_date = getattr(source, "update_date", None) or getattr(
            source, "creation_date", None) or execution.start_date
        metadata_only = req.get("includedData") == render.METADATA_ONLY
        return render.drop_none({
            "stateMachineArn": execution.machine_arn,
            "name": execution.machine_arn.rsplit(":", 1)[1],
            "definition": "{}" if metadata_only else source.definition,
            "variableReferences": None if metadata_only else (
                variable_references_of(source.definition) or None),
            "roleArn": source.role_arn,
            "updateDate": update_date,
            "loggingConfiguration": source.logging_configuration or render.DEFAULT_LOGGING,
            "tracingConfiguration": source.tracing_configuration or render.DEFAULT_TRACING,
            "encryptionConfiguration": (source.encryption_configuration
                                        or render.DEFAULT_ENCRYPTION),
            "mapRunArn": execution.map_run_arn,
            "label": execution.state_machine_label,
            "revisionId": source.revision_id,
        })

    async def _child_machine(self, execution: ExecutionRecord,
                             included_data: str | None) -> dict:
        """A Distributed Map child's state machine: its Map Run's item processor."""
        map_run = await self.store.get_map_run(str(execution.map_run_arn))
        if map_run is None or not map_run.definition:
            raise execution_not_found(execution.arn)
        metadata_only = included_data == render.METADATA_ONLY
        return render.drop_none({
            "stateMachineArn": execution.machine_arn,
            "name": execution.machine_arn.rsplit(":", 1)[1],
            # a labelled (child) machine's definition is shown whatever includedData
            # says (API_DescribeStateMachine's note on labelled ARNs)
            "definition": map_run.definition,
            "variableReferences": None if metadata_only else (
                variable_references_of(map_run.definition) or None),
            "roleArn": map_run.role_arn or "",
            "updateDate": map_run.start_date,
            "loggingConfiguration": render.DEFAULT_LOGGING,
            "tracingConfiguration": render.DEFAULT_TRACING,
            "encryptionConfiguration": render.DEFAULT_ENCRYPTION,
            "mapRunArn": execution.map_run_arn, "label": execution.state_machine_label,
        })

    async def list_executions(self, req: dict) -> dict:
        machine_arn, map_run_arn = req.get("stateMachineArn"), req.get("mapRunArn")
        if bool(machine_arn) == bool(map_run_arn):
            raise validation("Must provide a StateMachine ARN or MapRun ARN",
                             "MISSING_REQUIRED_PARAMETER")
        filters: dict[str, Any] = {}
        if machine_arn:
            filters.update(await self._execution_owner(machine_arn))
        else:
            filters["map_run_arn"] = (await self._map_run(str(map_run_arn))).arn
        redrive = req.get("redriveFilter")
        page = await self.store.list_executions(
            **filters, status=req.get("statusFilter"),
            redriven=None if redrive is None else redrive == "REDRIVEN",
            limit=_page_size(req.get("maxResults")),
            cursor=render.decode_token(req.get("nextToken")))
        return render.drop_none({
            "executions": [render.execution_list_item(e) for e in page.items],
            "nextToken": render.encode_token(page.next_cursor)})

    async def _execution_owner(self, arn: str) -> dict:
        ref = self.machines.ref(arn)
        machine = await self.machines.machine(ref.machine_arn)
        if machine.type == "EXPRESS":
            raise MachineTypeNotSupported(
                "This operation is not supported by this type of state machine")
        if ref.version is not None:
            await self.machines.version(arn)
            return {"version_arn": arn}
        if ref.alias is not None:
            await self.machines.alias(arn)
            return {"alias_arn": arn}
        # Executions started through a version or alias also belong to the machine.
        return {"machine_arn": machine.arn}

    async def get_execution_history(self, req: dict) -> dict:
        parsed = self.arns.parts(req["executionArn"])
        if parsed is not None and parsed[0] == "express":
            # AWS: "This API action is not supported by EXPRESS state machines."
            raise invalid_arn(req["executionArn"])
        execution = await self._execution(req["executionArn"])
        if execution.type == "EXPRESS":
            raise invalid_arn(execution.arn)
        include = req.get("includeExecutionData")
        include = True if include is None else include
        page = await self.store.get_history(
            execution.arn, limit=_page_size(req.get("maxResults")),
            cursor=render.decode_token(req.get("nextToken")),
            reverse=bool(req.get("reverseOrder")))
        return render.drop_none({
            "events": [render.history_event(e, include) for e in page.items],
            "nextToken": render.encode_token(page.next_cursor)})

    # ------------------------------------------------------------ executions (runs)
    async def _start_request(self, req: dict) -> StartRequest:
        # ``<machine ARN>#<test case>`` runs a test case of the mock configuration, as
        # Step Functions Local takes it.
        arn, hashed, test_case = req["stateMachineArn"].partition("#")
        if hashed:
            self._check_test_case(req["stateMachineArn"], arn, test_case)
        machine = await self.machines.machine_to_start(arn)
        name = req.get("name") or str(uuid.uuid4())
        if not is_valid_name(name):
            raise InvalidName(name)
        text = req.get("input")
        text = "{}" if text is None else text
        _json_text(text, "InvalidExecutionInput", "Invalid State Machine Execution Input")
        target = await self.machines.start_target(machine, arn)
        source = target.source
        express = machine.type == "EXPRESS"
        exec_name = f"{name}:{uuid.uuid4()}" if express else name
        return StartRequest(
            execution_arn=self.arns.execution(machine.name, exec_name, express),
            name=name, input=text, machine=machine, definition=source.definition,
            role_arn=source.role_arn, revision_id=source.revision_id,
            version=target.version, alias=target.alias, trace_header=req.get("traceHeader"),
            test_case=test_case or None)

    def _check_test_case(self, full_arn: str, arn: str, test_case: str) -> None:
        config = getattr(self.service, "mock_config", None)
        if config is None:
            raise invalid_arn(full_arn, "A test case needs a mock configuration "
                                        "(stepfn serve --mock-config FILE)")
        from ..tasks.mocks import MockConfigError

        try:
            config.test_case(arn.rsplit(":", 1)[-1], test_case)
        except MockConfigError as exc:
            raise invalid_arn(full_arn, exc.problem) from None

    async def start_execution(self, req: dict) -> dict:
        start = await self._start_request(req)
        try:
            # The store refuses a second execution of the same ARN: the repeat is told
            # apart after the fact, saving a read on every start.
            record = await self.service.start_execution(start)
        except Conflict:
            existing = await self.store.get_execution(start.execution_arn)
            if existing is not None:
                return self._repeat_start(existing, start)
            raise ExecutionAlreadyExists(start.execution_arn) from None
        return {"executionArn": record.arn, "startDate": record.start_date}

    @staticmethod
    def _repeat_start(existing: ExecutionRecord, start: StartRequest) -> dict:
        """AWS answers a repeated start of a still-running execution with the same
        input like the first one; any other repeat is ExecutionAlreadyExists."""
        if existing.status == "RUNNING" and existing.input == start.input:
            return {"executionArn": existing.arn, "startDate": existing.start_date}
        raise ExecutionAlreadyExists(existing.arn)

    async def start_sync_execution(self, req: dict) -> dict:
        start = await self._start_request(req)
        if start.machine.type != "EXPRESS":
            raise MachineTypeNotSupported(
                "This operation is only supported for EXPRESS state machines")
        result = await self.service.start_sync_execution(start)
        e = result.execution
        return render.drop_none({
            "executionArn": e.arn, "stateMachineArn": e.machine_arn, "name": e.name,
            "startDate": e.start_date, "stopDate": e.stop_date or time.time(),
            "status": e.status, "error": e.error, "cause": e.cause,
            **_sync_data(e, req.get("includedData")),
            "traceHeader": e.trace_header,
            "billingDetails": {"billedMemoryUsedInMB": result.billed_memory_mb,
                               "billedDurationInMilliseconds": result.billed_duration_ms},
        })

    async def stop_execution(self, req: dict) -> dict:
        execution = await self._execution(req["executionArn"])
        if execution.status != "RUNNING":
            return {"stopDate": execution.stop_date or time.time()}
        stop_date = await self.service.stop_execution(execution, req.get("error"),
                                                      req.get("cause"))
        return {"stopDate": stop_date}

    async def redrive_execution(self, req: dict) -> dict:
        execution = await self._execution(req["executionArn"])
        date = await self.service.redrive_execution(execution, req.get("clientToken"))
        return {"redriveDate": date}

    async def test_state(self, req: dict) -> dict:
        # the definition goes through the one loader (depth guard included) in the service
        for member in ("input", "variables", "context"):
            if req.get(member) is not None:
                _json_text(req[member], "InvalidExecutionInput",
                           "Invalid State Machine Execution Input")
        variables = req.get("variables")
        if variables and not isinstance(loads(variables), dict):  # names -> values
            raise ApiError("InvalidExecutionInput", "Invalid State Machine Execution Input: "
                           "'variables must be a JSON object'")
        try:
            return await self.service.test_state(req)
        except RecursionError:  # e.g. a JSONata expression nested past the compiler
            raise ApiError("InvalidDefinition", "Invalid State Definition: "
                           "an expression is nested too deeply") from None

    async def send_task_success(self, req: dict) -> dict:
        _json_text(req["output"], "InvalidOutput", "Invalid Output")
        await self.service.send_task_success(req["taskToken"], req["output"])
        return {}

    async def send_task_failure(self, req: dict) -> dict:
        await self.service.send_task_failure(req["taskToken"], req.get("error"),
                                             req.get("cause"))
        return {}

    async def send_task_heartbeat(self, req: dict) -> dict:
        await self.service.send_task_heartbeat(req["taskToken"])
        return {}


def _sync_data(execution: ExecutionRecord, included_data: str | None) -> dict:
    """StartSyncExecution's input and output members (none with METADATA_ONLY)."""
    if included_data == render.METADATA_ONLY:
        return {"inputDetails": {"included": False},
                "outputDetails": {"included": False} if execution.output is not None
                else None}
    return {"input": execution.input, "inputDetails": {"included": True},
            "output": execution.output,
            "outputDetails": {"included": True} if execution.output is not None else None}


def _routing(items: list[dict]) -> tuple[RoutingEntry, ...]:
    return tuple(RoutingEntry(i["stateMachineVersionArn"], i["weight"]) for i in items)
