"""The Step Functions operations, over the store and the execution service.

Each public coroutine of ``StepFunctionsApi`` is named like its operation in snake
case and takes the request members (already checked against the service model).
"""

from __future__ import annotations

import dataclasses
import random
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from botocore import xform_name

from stepfn.api import render
from stepfn.api.arns import Arns, MachineRef, is_valid_name, parse_machine_arn
from stepfn.api.errors import (
    ApiError,
    activity_not_found,
    execution_not_found,
    invalid_arn,
    machine_not_found,
    resource_not_found,
    validation,
)
from stepfn.api.limits import depth_message, too_deep
from stepfn.api.service import ExecutionService, StartRequest
from stepfn.errors import DefinitionError, Diagnostic
from stepfn.jsonutil import loads
from stepfn.store.base import (
    ActivityRecord,
    AliasRecord,
    Conflict,
    ExecutionRecord,
    MapRunRecord,
    RoutingEntry,
    StateMachineRecord,
    Store,
    VersionRecord,
)

MAX_PAYLOAD_BYTES = 256 * 1024
# How long StartExecution / StartSyncExecution may use a machine record read earlier
# instead of asking the store each time (this process's own updates and deletes drop
# it at once). AWS is eventually consistent here too: executions started shortly after
# an UpdateStateMachine may still run the previous definition.
MACHINE_CACHE_SECONDS = 1.0
MAX_TAGS = 50
MAX_VERSIONS = 1000
DEFAULT_PAGE = 100


def check_definition(text: str, machine_type: str,
                     severity: str = "ERROR") -> list[Diagnostic]:
    """Every diagnostic for a definition at ``severity`` or above, parse errors included."""
    from stepfn.asl.validate import parse_definition, validate_definition
    if too_deep(text):  # refused before any recursive parser or walker sees it
        return [Diagnostic("INVALID_JSON_DESCRIPTION", None, depth_message())]
    try:
        document = parse_definition(text)
    except DefinitionError as exc:
        return list(exc.diagnostics)
    return list(validate_definition(document, machine_type, severity))


def _errors_only(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    return [d for d in diagnostics if d.severity == "ERROR"]


def _page_size(value: int | None) -> int:
    return value or DEFAULT_PAGE


def _json_text(text: str, code: str, label: str) -> None:
    """Reject text that is not JSON, too big or nested too deeply, with AWS's code for
    the operation."""
    if too_deep(text):
        raise ApiError(code, f"{label}: '{depth_message()}'")
    try:
        loads(text)
    except (ValueError, RecursionError) as exc:
        raise ApiError(code, f"{label}: '{exc}'") from None
    if len(text.encode("utf-8")) > MAX_PAYLOAD_BYTES:
        raise ApiError(code, f"{label}: 'Size exceeds the maximum number of bytes "
                             f"service limit ({MAX_PAYLOAD_BYTES})'")


class StepFunctionsApi:
    """All operations; ``dispatch(operation, request)`` runs one."""

    def __init__(self, store: Store, service: ExecutionService, arns: Arns) -> None:
        self.store = store
        self.service = service
        self.arns = arns
        self._operations: dict[str, Callable[[dict], Awaitable[dict]]] = {}
        self._recent_machines: dict[str, tuple[float, StateMachineRecord]] = {}

    def handler(self, operation: str) -> Callable[[dict], Awaitable[dict]] | None:
        """The coroutine function serving ``operation`` (None: not implemented)."""
        if operation not in self._operations:
            method = getattr(self, xform_name(operation), None)
            if method is None:
                return None
            self._operations[operation] = method
        return self._operations[operation]

    # ------------------------------------------------------------ resolution helpers
    def _machine_ref(self, arn: str) -> MachineRef:
        ref = parse_machine_arn(self.arns, arn)
        if ref is None:
            raise invalid_arn(arn)
        return ref

    async def _machine(self, arn: str) -> StateMachineRecord:
        machine = await self.store.get_state_machine(arn)
        if machine is not None and machine.status == "DELETING":
            machine = await self._finish_deleting(machine)
        if machine is None:
            raise machine_not_found(arn)
        return machine

    async def _running(self, machine_arn: str) -> bool:
        page = await self.store.list_executions(machine_arn=machine_arn, status="RUNNING",
                                                limit=1)
        return bool(page.items)

    async def _finish_deleting(self, machine: StateMachineRecord) -> StateMachineRecord | None:
        """A machine being deleted (DeleteStateMachine while executions ran) is deleted
        for good once none runs any more; until then it stays, as DELETING."""
        if await self._running(machine.arn):
            return machine
        async with self.store.batch() as tx:
            tx.delete_state_machine(machine.arn)
        return None

    @staticmethod
    def _not_deleting(machine: StateMachineRecord) -> StateMachineRecord:
        if machine.status == "DELETING":
            raise ApiError("StateMachineDeleting",
                           f"State machine is being deleted: '{machine.arn}'")
        return machine

    async def _machine_to_start(self, arn: str) -> StateMachineRecord:
        """``_machine`` for the start operations: one store read per machine and
        MACHINE_CACHE_SECONDS instead of one per execution."""
        now = time.monotonic()
        recent = self._recent_machines.get(arn)
        if recent is not None and now - recent[0] < MACHINE_CACHE_SECONDS:
            return recent[1]
        machine = self._not_deleting(await self._machine(arn))
        if len(self._recent_machines) > 1000:
            self._recent_machines.clear()
        self._recent_machines[arn] = (now, machine)
        return machine

    async def _unqualified_machine(self, arn: str) -> StateMachineRecord:
        ref = self._machine_ref(arn)
        if ref.version is not None or ref.alias is not None:
            raise invalid_arn(arn, "Unqualified state machine ARN expected")
        return await self._machine(arn)

    async def _version(self, arn: str) -> VersionRecord:
        version = await self.store.get_version(arn)
        if version is None:
            raise resource_not_found("State machine version", arn)
        return version

    async def _alias(self, arn: str) -> AliasRecord:
        ref = self._machine_ref(arn)
        if ref.alias is None:
            raise invalid_arn(arn, "Alias ARN expected")
        alias = await self.store.get_alias(arn)
        if alias is None:
            raise resource_not_found("State machine alias", arn)
        return alias

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

    async def _publish(self, machine: StateMachineRecord,
                       description: str | None) -> VersionRecord:
        """Publish the machine's current revision (idempotent per revision)."""
        latest = (await self.store.list_versions(machine.arn, 1)).items
        if latest and latest[0].revision_id == machine.revision_id:
            return latest[0]
        versions = await self.store.list_versions(machine.arn, MAX_VERSIONS)
        if len(versions.items) >= MAX_VERSIONS:
            raise ApiError("ServiceQuotaExceededException",
                           f"Maximum number of versions ({MAX_VERSIONS}) reached")
        number = await self.store.next_version_number(machine.arn)
        version = VersionRecord(
            arn=self.arns.version(machine.arn, number), machine_arn=machine.arn,
            version=number, definition=machine.definition, role_arn=machine.role_arn,
            type=machine.type, revision_id=machine.revision_id,
            creation_date=time.time(), description=description,
            logging_configuration=machine.logging_configuration,
            tracing_configuration=machine.tracing_configuration,
            encryption_configuration=machine.encryption_configuration)
        async with self.store.batch() as tx:
            tx.put_version(version)
        return version

    def _check_definition(self, definition: str, machine_type: str) -> None:
        errors = _errors_only(check_definition(definition, machine_type))
        if errors:
            raise ApiError("InvalidDefinition", DefinitionError(errors).aws_message())

    # ------------------------------------------------------------ state machines
    async def create_state_machine(self, req: dict) -> dict:
        name, definition = req["name"], req["definition"]
        machine_type = req.get("type") or "STANDARD"
        if not is_valid_name(name):
            raise ApiError("InvalidName", f"Invalid Name: '{name}'")
        self._check_definition(definition, machine_type)
        arn = self.arns.state_machine(name)
        existing = await self.store.get_state_machine(arn)
        if existing is not None:
            return await self._idempotent_create(existing, req, machine_type)
        now = time.time()
        machine = StateMachineRecord(
            arn=arn, name=name, definition=definition, role_arn=req["roleArn"],
            type=machine_type, creation_date=now, update_date=now,
            logging_configuration=req.get("loggingConfiguration"),
            tracing_configuration=req.get("tracingConfiguration"),
            encryption_configuration=req.get("encryptionConfiguration"))
        tags = _tag_dict(req.get("tags") or [])
        try:
            async with self.store.batch() as tx:
                tx.put_state_machine(machine)
                if tags:
                    tx.set_tags(arn, tags)
        except Conflict:
            raise ApiError("StateMachineAlreadyExists",
                           f"State Machine Already Exists: '{arn}'") from None
        answer = {"stateMachineArn": arn, "creationDate": now}
        if req.get("publish"):
            version = await self._publish(machine, req.get("versionDescription"))
            answer["stateMachineVersionArn"] = version.arn
        return answer

    async def _idempotent_create(self, existing: StateMachineRecord, req: dict,
                                 machine_type: str) -> dict:
        """AWS answers a repeated create with the existing machine when name,
        definition, type, logging and tracing configuration match (role and tags
        may differ and are ignored)."""
        same = (existing.definition == req["definition"] and existing.type == machine_type
                and existing.logging_configuration == req.get("loggingConfiguration")
                and existing.tracing_configuration == req.get("tracingConfiguration"))
        if not same:
            raise ApiError("StateMachineAlreadyExists",
                           f"State Machine Already Exists: '{existing.arn}'")
        answer = {"stateMachineArn": existing.arn, "creationDate": existing.creation_date}
        if req.get("publish"):
            try:
                version = await self._publish(existing, req.get("versionDescription"))
            except ApiError as exc:
                # CreateStateMachine's model has no quota error; a machine at the
                # version limit cannot take the create's version.
                if exc.code != "ServiceQuotaExceededException":
                    raise
                raise validation(exc.message) from None
            answer["stateMachineVersionArn"] = version.arn
        return answer

    async def describe_state_machine(self, req: dict) -> dict:
        arn = req["stateMachineArn"]
        ref = self._machine_ref(arn)
        if ref.alias is not None:
            raise machine_not_found(arn)
        machine = await self._machine(ref.machine_arn)
        version = None
        if ref.version is not None:
            version = await self.store.get_version(arn)
            if version is None:
                raise machine_not_found(arn)
        return render.machine_description(machine, version)

    async def update_state_machine(self, req: dict) -> dict:
        machine = self._not_deleting(await self._unqualified_machine(req["stateMachineArn"]))
        changes = {field: req[member] for member, field in (
            ("definition", "definition"), ("roleArn", "role_arn"),
            ("loggingConfiguration", "logging_configuration"),
            ("tracingConfiguration", "tracing_configuration"),
            ("encryptionConfiguration", "encryption_configuration")) if member in req}
        if not changes:
            raise ApiError("MissingRequiredParameter",
                           "Either the definition, the role ARN, the LoggingConfiguration, "
                           "the EncryptionConfiguration or the TracingConfiguration must "
                           "be specified")
        if "definition" in changes:
            self._check_definition(changes["definition"], machine.type)
        now = time.time()
        changed = any(getattr(machine, k) != v for k, v in changes.items())
        if changed:
            machine = dataclasses.replace(machine, **changes, update_date=now,
                                          revision_id=str(uuid.uuid4()))
            async with self.store.batch() as tx:
                tx.update_state_machine(machine)
            self._recent_machines.pop(machine.arn, None)
        answer = {"updateDate": machine.update_date or now,
                  "revisionId": machine.revision_id}
        if req.get("publish"):
            version = await self._publish(machine, req.get("versionDescription"))
            answer["stateMachineVersionArn"] = version.arn
        return render.drop_none(answer)

    async def delete_state_machine(self, req: dict) -> dict:
        arn = req["stateMachineArn"]
        ref = self._machine_ref(arn)
        if ref.version is not None or ref.alias is not None:
            raise validation(f"Service does not support qualified state machine ARNs "
                             f"for this operation: '{arn}'")
        self._recent_machines.pop(arn, None)
        machine = await self.store.get_state_machine(arn)
        if machine is not None and await self._running(arn):
            # AWS: the machine is DELETING until its running executions end; they run
            # on and stay listable, and no new execution may start.
            async with self.store.batch() as tx:
                tx.update_state_machine(dataclasses.replace(machine, status="DELETING"))
            return {}
        async with self.store.batch() as tx:
            tx.delete_state_machine(arn)
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
        result = "FAIL" if _errors_only(diagnostics) else "OK"
        return {"result": result,
                "diagnostics": [d.to_json() for d in diagnostics[:limit]],
                "truncated": len(diagnostics) > limit}

    # ------------------------------------------------------------ versions
    async def publish_state_machine_version(self, req: dict) -> dict:
        machine = self._not_deleting(
            await self._unqualified_machine(req["stateMachineArn"]))
        expected = req.get("revisionId")
        if expected is not None and expected != (machine.revision_id or ""):
            if not (expected == "INITIAL" and machine.revision_id is None):
                raise ApiError("ConflictException",
                               f"Failed to publish the State Machine version for revision "
                               f"{expected}. The current State Machine revision is "
                               f"{machine.revision_id}.")
        version = await self._publish(machine, req.get("description"))
        return {"creationDate": version.creation_date,
                "stateMachineVersionArn": version.arn}

    async def list_state_machine_versions(self, req: dict) -> dict:
        arn = req["stateMachineArn"]
        ref = self._machine_ref(arn)
        if ref.version is not None or ref.alias is not None:
            raise invalid_arn(arn, "Unqualified state machine ARN expected")
        machine = await self.store.get_state_machine(arn)
        if machine is None:  # the model declares no "does not exist" code here
            raise invalid_arn(arn, "State machine does not exist")
        page = await self.store.list_versions(
            machine.arn, _page_size(req.get("maxResults")),
            render.decode_token(req.get("nextToken")))
        items = [{"stateMachineVersionArn": v.arn, "creationDate": v.creation_date}
                 for v in page.items]
        return render.drop_none({"stateMachineVersions": items,
                                 "nextToken": render.encode_token(page.next_cursor)})

    async def delete_state_machine_version(self, req: dict) -> dict:
        arn = req["stateMachineVersionArn"]
        ref = self._machine_ref(arn)
        if ref.version is None:
            raise invalid_arn(arn, "Version ARN expected")
        aliases = (await self.store.list_aliases(ref.machine_arn, 1000)).items
        using = [a.arn for a in aliases if any(r.version_arn == arn for r in a.routing)]
        if using:
            raise ApiError("ConflictException",
                           "Version to be deleted must not be referenced by an alias. "
                           f"Current list of aliases referencing this version: "
                           f"[{', '.join(using)}]")
        async with self.store.batch() as tx:
            tx.delete_version(arn)
        return {}

    # ------------------------------------------------------------ aliases
    async def _routing(self, machine_arn: str, items: list[dict]) -> tuple[RoutingEntry, ...]:
        routing = tuple(RoutingEntry(i["stateMachineVersionArn"], i["weight"])
                        for i in items)
        arns = [r.version_arn for r in routing]
        if len(set(arns)) != len(arns):
            raise validation("Routing configuration must contain distinct state machine "
                             "version ARNs", "INVALID_ROUTING_CONFIGURATION")
        if sum(r.weight for r in routing) != 100:
            raise validation("Sum of routing configuration weights must be equal to 100",
                             "INVALID_ROUTING_CONFIGURATION")
        for entry in routing:
            ref = parse_machine_arn(self.arns, entry.version_arn)
            if ref is None or ref.version is None:
                raise invalid_arn(entry.version_arn, "Version ARN expected")
            if ref.machine_arn != machine_arn:
                raise validation("Routing configuration must contain state machine "
                                 "versions of the same state machine",
                                 "INVALID_ROUTING_CONFIGURATION")
            await self._version(entry.version_arn)
        return routing

    async def create_state_machine_alias(self, req: dict) -> dict:
        items = req["routingConfiguration"]
        first = parse_machine_arn(self.arns, items[0]["stateMachineVersionArn"])
        if first is None or first.version is None:
            raise invalid_arn(items[0]["stateMachineVersionArn"], "Version ARN expected")
        machine = await self.store.get_state_machine(first.machine_arn)
        if machine is None:
            raise resource_not_found("State machine", first.machine_arn)
        routing = await self._routing(machine.arn, items)
        arn = self.arns.alias(machine.arn, req["name"])
        existing = await self.store.get_alias(arn)
        if existing is not None:
            if existing.routing == routing and existing.description == req.get("description"):
                return {"stateMachineAliasArn": arn, "creationDate": existing.creation_date}
            raise ApiError("ConflictException",
                           "Failed to create alias because an alias with the same name "
                           "and a different routing configuration already exists.")
        now = time.time()
        alias = AliasRecord(arn=arn, machine_arn=machine.arn, name=req["name"],
                            routing=routing, creation_date=now, update_date=now,
                            description=req.get("description"))
        async with self.store.batch() as tx:
            tx.put_alias(alias)
        return {"stateMachineAliasArn": arn, "creationDate": now}

    async def describe_state_machine_alias(self, req: dict) -> dict:
        return render.alias_description(await self._alias(req["stateMachineAliasArn"]))

    async def update_state_machine_alias(self, req: dict) -> dict:
        alias = await self._alias(req["stateMachineAliasArn"])
        if "description" not in req and "routingConfiguration" not in req:
            raise validation("Either the description or the RoutingConfiguration must be "
                             "specified", "MISSING_REQUIRED_PARAMETER")
        routing = alias.routing
        if "routingConfiguration" in req:
            routing = await self._routing(alias.machine_arn, req["routingConfiguration"])
        now = time.time()
        alias = dataclasses.replace(alias, routing=routing, update_date=now,
                                    description=req.get("description", alias.description))
        async with self.store.batch() as tx:
            tx.put_alias(alias)
        return {"updateDate": now}

    async def delete_state_machine_alias(self, req: dict) -> dict:
        alias = await self._alias(req["stateMachineAliasArn"])
        async with self.store.batch() as tx:
            tx.delete_alias(alias.arn)
        return {}

    async def list_state_machine_aliases(self, req: dict) -> dict:
        ref = self._machine_ref(req["stateMachineArn"])
        if ref.alias is not None:
            raise invalid_arn(req["stateMachineArn"])
        machine = await self._machine(ref.machine_arn)
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
        tags = _tag_dict(req["tags"])
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
        arn = self.arns.activity(name)
        existing = await self.store.get_activity(arn)
        if existing is not None:  # CreateActivity is idempotent on the name
            return {"activityArn": arn, "creationDate": existing.creation_date}
        activity = ActivityRecord(arn=arn, name=name, creation_date=time.time(),
                                  encryption_configuration=req.get(
                                      "encryptionConfiguration"))
        tags = _tag_dict(req.get("tags") or [])
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
        return render.execution_description(await self._execution(req["executionArn"]))

    async def describe_state_machine_for_execution(self, req: dict) -> dict:
        execution = await self._execution(req["executionArn"])
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
        return render.drop_none({
            "stateMachineArn": execution.machine_arn,
            "name": execution.machine_arn.rsplit(":", 1)[1],
            "definition": source.definition,
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
        ref = self._machine_ref(arn)
        machine = await self._machine(ref.machine_arn)
        if machine.type == "EXPRESS":
            raise ApiError("StateMachineTypeNotSupported",
                           "This operation is not supported by this type of state machine")
        if ref.version is not None:
            await self._version(arn)
            return {"version_arn": arn}
        if ref.alias is not None:
            await self._alias(arn)
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
        ref = self._machine_ref(arn)
        machine = await self._machine_to_start(ref.machine_arn)
        name = req.get("name") or str(uuid.uuid4())
        if not is_valid_name(name):
            raise ApiError("InvalidName", f"Invalid Name: '{name}'")
        text = req.get("input")
        text = "{}" if text is None else text
        _json_text(text, "InvalidExecutionInput", "Invalid State Machine Execution Input")
        version = alias = None
        if ref.alias is not None:
            alias = await self.store.get_alias(arn)
            if alias is None:
                raise machine_not_found(arn)
            version = await self.store.get_version(_pick_route(alias.routing))
            if version is None:
                raise machine_not_found(arn)
        elif ref.version is not None:
            version = await self.store.get_version(arn)
            if version is None:
                raise machine_not_found(arn)
        source: Any = version or machine
        express = machine.type == "EXPRESS"
        exec_name = f"{name}:{uuid.uuid4()}" if express else name
        return StartRequest(
            execution_arn=self.arns.execution(machine.name, exec_name, express),
            name=name, input=text, machine=machine, definition=source.definition,
            role_arn=source.role_arn, revision_id=source.revision_id, version=version,
            alias=alias, trace_header=req.get("traceHeader"), test_case=test_case or None)

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
            raise ApiError("ExecutionAlreadyExists",
                           f"Execution Already Exists: '{start.execution_arn}'") from None
        return {"executionArn": record.arn, "startDate": record.start_date}

    @staticmethod
    def _repeat_start(existing: ExecutionRecord, start: StartRequest) -> dict:
        """AWS answers a repeated start of a still-running execution with the same
        input like the first one; any other repeat is ExecutionAlreadyExists."""
        if existing.status == "RUNNING" and existing.input == start.input:
            return {"executionArn": existing.arn, "startDate": existing.start_date}
        raise ApiError("ExecutionAlreadyExists",
                       f"Execution Already Exists: '{existing.arn}'")

    async def start_sync_execution(self, req: dict) -> dict:
        start = await self._start_request(req)
        if start.machine.type != "EXPRESS":
            raise ApiError("StateMachineTypeNotSupported",
                           "This operation is only supported for EXPRESS state machines")
        result = await self.service.start_sync_execution(start)
        e = result.execution
        return render.drop_none({
            "executionArn": e.arn, "stateMachineArn": e.machine_arn, "name": e.name,
            "startDate": e.start_date, "stopDate": e.stop_date or time.time(),
            "status": e.status, "error": e.error, "cause": e.cause,
            "input": e.input, "inputDetails": {"included": True},
            "output": e.output, "outputDetails": ({"included": True}
                                                  if e.output is not None else None),
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
        try:
            date = await self.service.redrive_execution(execution, req.get("clientToken"))
        except ApiError as exc:
            if exc.code != "StateMachineDoesNotExist":
                raise
            raise ApiError("ExecutionNotRedrivable",
                           f"Execution {execution.arn} cannot be redriven: its state "
                           f"machine no longer exists") from None
        return {"redriveDate": date}

    async def test_state(self, req: dict) -> dict:
        if too_deep(req["definition"]):
            raise ApiError("InvalidDefinition", f"Invalid State Definition: {depth_message()}")
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


def _tag_dict(tags: list[dict]) -> dict[str, str]:
    """Tags as a dict; a tag without a key is refused as AWS refuses a null member."""
    for index, tag in enumerate(tags, 1):
        if tag.get("key") is None:
            raise validation(f"1 validation error detected: Value null at "
                             f"'tags.{index}.member.key' failed to satisfy constraint: "
                             f"Member must not be null")
    return {t["key"]: t.get("value") or "" for t in tags}


def _pick_route(routing: tuple[RoutingEntry, ...]) -> str:
    """Choose a version by the alias's weights."""
    if len(routing) == 1:
        return routing[0].version_arn
    roll = random.uniform(0, 100)
    return routing[0].version_arn if roll < routing[0].weight else routing[1].version_arn
