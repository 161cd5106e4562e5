"""State machines, their versions and aliases: the rules AWS applies to them.

Create (idempotent on an identical repeat), update (a new revision on every change),
publish (one version per revision, at most ``MAX_VERSIONS``), delete (DELETING while
executions run, then gone), aliases (routing to one or two versions of the same
machine, by weight) and what a start resolves to (machine, version or alias). The API
checks the request's shape and renders the answer; this module decides.
"""

from __future__ import annotations

import dataclasses
import functools
import random
import re
import time
import uuid
from dataclasses import dataclass
from typing import Any

from .. import jsonutil
from ..asl.loader import validate_text
from ..asl.validation.validator import variable_references
from ..errors import DefinitionError, Diagnostic
from ..store.base import (
    AliasRecord,
    Conflict,
    RoutingEntry,
    StateMachineRecord,
    Store,
    VersionRecord,
)
from .arns import Arns, MachineRef, is_valid_name, parse_machine_arn
from .errors import (
    AliasExists,
    InvalidArn,
    InvalidDefinition,
    InvalidEncryptionConfiguration,
    InvalidName,
    InvalidRequest,
    MissingParameter,
    ResourceNotFound,
    RevisionMismatch,
    StateMachineAlreadyExists,
    StateMachineDeleting,
    StateMachineDoesNotExist,
    VersionInUse,
    VersionLimitReached,
)
from .execution_logs import check_logging

MAX_VERSIONS = 1000
# How long StartExecution / StartSyncExecution may use a machine record read earlier
# instead of asking the store each time (this process's own updates and deletes drop
# it at once). AWS is eventually consistent here too: executions started shortly after
# an UpdateStateMachine may still run the previous definition.
MACHINE_CACHE_SECONDS = 1.0
# UpdateStateMachine's members and the record fields they change.
UPDATABLE = (("definition", "definition"), ("roleArn", "role_arn"),
             ("loggingConfiguration", "logging_configuration"),
             ("tracingConfiguration", "tracing_configuration"),
             ("encryptionConfiguration", "encryption_configuration"))


def check_definition(text: str, machine_type: str,
                     severity: str = "ERROR") -> list[Diagnostic]:
    """Every diagnostic for a definition at ``severity`` or above, parse errors included
    (the one loader's: ``stepfn validate`` gives the same for the same text)."""
    return validate_text(text, machine_type, severity)


def _check_version_description(publish: bool, description: str | None) -> None:
    """API_CreateStateMachine / API_UpdateStateMachine, versionDescription: "You can
    only set the description if the publish parameter is set to true"."""
    if description and not publish:
        raise InvalidRequest("Version description can only be set when publish is true")


_KEY_ID = r"(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})"
_ALIAS = r"alias/[A-Za-z0-9/_-]{1,250}"
# API_EncryptionConfiguration, kmsKeyId: "An alias, alias ARN, key ID, or key ARN of a
# symmetric encryption AWS KMS key".
_KMS_KEY = re.compile(
    rf"^(?:{_KEY_ID}|{_ALIAS}|arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{{12}}:(?:key/{_KEY_ID}|{_ALIAS}))$")


def check_encryption(configuration: Any) -> None:
    """An encryptionConfiguration as Step Functions takes it (the API's model has
    checked its members' types and kmsDataKeyReusePeriodSeconds' 60-900 range):
    CUSTOMER_MANAGED_KMS_KEY names its key in one of KMS's forms."""
    if not isinstance(configuration, dict):
        return
    key = configuration.get("kmsKeyId")
    if configuration.get("type") == "CUSTOMER_MANAGED_KMS_KEY" and not key:
        raise InvalidEncryptionConfiguration(
            "kmsKeyId is required when the encryption type is CUSTOMER_MANAGED_KMS_KEY")
    if key and not _KMS_KEY.match(key):
        raise InvalidEncryptionConfiguration(
            f"Invalid kmsKeyId '{key}': it must be a KMS key ID, key ARN, alias name "
            "or alias ARN")


@functools.lru_cache(maxsize=256)
def variable_references_of(definition: str) -> dict[str, list[str]]:
    """DescribeStateMachine's ``variableReferences`` for a stored definition: for each
    state that reads workflow variables, their names (cached: a definition is read
    far more often than it changes)."""
    try:
        document = jsonutil.loads(definition)
    except ValueError:
        return {}
    return variable_references(document) if isinstance(document, dict) else {}


def errors_only(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    """The diagnostics that make a definition invalid."""
    return [d for d in diagnostics if d.severity == "ERROR"]


@dataclass(frozen=True)
class NewMachine:
    """A CreateStateMachine request, checked for shape by the API."""

    name: str
    definition: str
    role_arn: str
    type: str = "STANDARD"
    logging_configuration: Any = None
    tracing_configuration: Any = None
    encryption_configuration: Any = None
    tags: list[dict] = dataclasses.field(default_factory=list)  # as the request has them


@dataclass(frozen=True)
class StartTarget:
    """What a start resolves to: the machine, and the version run (directly or through
    an alias), whose definition and role win over the machine's."""

    machine: StateMachineRecord
    version: VersionRecord | None = None
    alias: AliasRecord | None = None

    @property
    def source(self) -> StateMachineRecord | VersionRecord:
        return self.version or self.machine


class StateMachines:
    """Machines, versions and aliases over the store."""

    def __init__(self, store: Store, arns: Arns) -> None:
        self.store = store
        self.arns = arns
        self._recent: dict[str, tuple[float, StateMachineRecord]] = {}

    # -- resolving ARNs ---------------------------------------------------------------------
    def ref(self, arn: str) -> MachineRef:
        """``arn`` split into machine and qualifier; InvalidArn if it is no machine's."""
        ref = parse_machine_arn(self.arns, arn)
        if ref is None:
            raise InvalidArn(arn)
        return ref

    async def machine(self, arn: str) -> StateMachineRecord:
        """The machine (DELETING ones included while their executions run)."""
        machine = await self.store.get_state_machine(arn)
        if machine is not None and machine.status == "DELETING":
            machine = await self._finish_deleting(machine)
        if machine is None:
            raise StateMachineDoesNotExist(arn)
        return machine

    async def unqualified(self, arn: str) -> StateMachineRecord:
        """``machine`` for an ARN that must name no version or alias."""
        ref = self.ref(arn)
        if ref.version is not None or ref.alias is not None:
            raise InvalidArn(arn, "Unqualified state machine ARN expected")
        return await self.machine(arn)

    async def version(self, arn: str) -> VersionRecord:
        version = await self.store.get_version(arn)
        if version is None:
            raise ResourceNotFound("State machine version", arn)
        return version

    async def alias(self, arn: str) -> AliasRecord:
        ref = self.ref(arn)
        if ref.alias is None:
            raise InvalidArn(arn, "Alias ARN expected")
        alias = await self.store.get_alias(arn)
        if alias is None:
            raise ResourceNotFound("State machine alias", arn)
        return alias

    async def described(self, arn: str) -> tuple[StateMachineRecord, VersionRecord | None]:
        """DescribeStateMachine's subject: the machine, and the version ``arn`` names."""
        ref = self.ref(arn)
        if ref.alias is not None:
            raise StateMachineDoesNotExist(arn)
        machine = await self.machine(ref.machine_arn)
        version = None
        if ref.version is not None:
            version = await self.store.get_version(arn)
            if version is None:
                raise StateMachineDoesNotExist(arn)
        return machine, version

    async def start_target(self, machine: StateMachineRecord, arn: str) -> StartTarget:
        """What StartExecution on ``arn`` (of ``machine``, from ``machine_to_start``)
        runs; an alias picks one of its versions by weight."""
        ref = self.ref(arn)
        if ref.alias is not None:
            alias = await self.store.get_alias(arn)
            if alias is None:
                raise StateMachineDoesNotExist(arn)
            version = await self.store.get_version(_pick_route(alias.routing))
            if version is None:
                raise StateMachineDoesNotExist(arn)
            return StartTarget(machine, version, alias)
        if ref.version is not None:
            version = await self.store.get_version(arn)
            if version is None:
                raise StateMachineDoesNotExist(arn)
            return StartTarget(machine, version)
        return StartTarget(machine)

    async def machine_to_start(self, arn: str) -> StateMachineRecord:
        """The machine of ``arn`` (any qualifier) for the start operations, not DELETING:
        one store read per machine and MACHINE_CACHE_SECONDS instead of one per
        execution."""
        arn = self.ref(arn).machine_arn
        now = time.monotonic()
        recent = self._recent.get(arn)
        if recent is not None and now - recent[0] < MACHINE_CACHE_SECONDS:
            return recent[1]
        machine = _not_deleting(await self.machine(arn))
        if len(self._recent) > 1000:
            self._recent.clear()
        self._recent[arn] = (now, machine)
        return machine

    # -- machines ---------------------------------------------------------------------------
    @staticmethod
    def check(definition: str, machine_type: str) -> None:
        """InvalidDefinition unless ``definition`` validates for ``machine_type``."""
        errors = errors_only(check_definition(definition, machine_type))
        if errors:
            raise InvalidDefinition(DefinitionError(errors).aws_message())

    async def create(self, new: NewMachine, publish: bool = False,
                     version_description: str | None = None
                     ) -> tuple[StateMachineRecord, VersionRecord | None]:
        """Create a machine (and publish its first version); a repeat of an identical
        create answers the existing machine."""
        _check_version_description(publish, version_description)
        check_encryption(new.encryption_configuration)
        check_logging(new.logging_configuration)
        if not is_valid_name(new.name):
            raise InvalidName(new.name)
        self.check(new.definition, new.type)
        arn = self.arns.state_machine(new.name)
        existing = await self.store.get_state_machine(arn)
        if existing is not None:
            return existing, await self._repeat_create(existing, new, publish,
                                                       version_description)
        now = time.time()
        tags = tag_dict(new.tags)
        machine = StateMachineRecord(
            arn=arn, name=new.name, definition=new.definition, role_arn=new.role_arn,
            type=new.type, creation_date=now, update_date=now,
            logging_configuration=new.logging_configuration,
            tracing_configuration=new.tracing_configuration,
            encryption_configuration=new.encryption_configuration)
        try:
            async with self.store.batch() as tx:
                tx.put_state_machine(machine)
                if tags:
                    tx.set_tags(arn, tags)
        except Conflict:
            raise StateMachineAlreadyExists(arn) from None
        version = await self._publish(machine, version_description) if publish else None
        return machine, version

    async def _repeat_create(self, existing: StateMachineRecord, new: NewMachine,
                             publish: bool, description: str | None) -> VersionRecord | None:
        """AWS answers a repeated create with the existing machine when name,
        definition, type, logging, tracing and encryption configuration match (role and
        tags may differ and are ignored: API_CreateStateMachine)."""
        same = (existing.definition == new.definition and existing.type == new.type
                and existing.logging_configuration == new.logging_configuration
                and existing.tracing_configuration == new.tracing_configuration
                and existing.encryption_configuration == new.encryption_configuration)
        if not same:
            raise StateMachineAlreadyExists(existing.arn)
        if not publish:
            return None
        try:
            return await self._publish(existing, description)
        except VersionLimitReached as exc:
            # CreateStateMachine's model has no quota error; a machine at the
            # version limit cannot take the create's version.
            raise InvalidRequest(exc.message) from None

    async def update(self, arn: str, changes: dict[str, Any], publish: bool = False,
                     version_description: str | None = None
                     ) -> tuple[StateMachineRecord, VersionRecord | None]:
        """Apply ``changes`` (record fields, see UPDATABLE); a real change makes a new
        revision. Returns the machine as it now is and the version published."""
        _check_version_description(publish, version_description)
        machine = _not_deleting(await self.unqualified(arn))
        if not changes:
            raise MissingParameter(
                "Either the definition, the role ARN, the LoggingConfiguration, "
                "the EncryptionConfiguration or the TracingConfiguration must be specified")
        if "definition" in changes:
            self.check(changes["definition"], machine.type)
        check_encryption(changes.get("encryption_configuration"))
        check_logging(changes.get("logging_configuration"))
        if any(getattr(machine, k) != v for k, v in changes.items()):
            machine = dataclasses.replace(machine, **changes, update_date=time.time(),
                                          revision_id=str(uuid.uuid4()))
            async with self.store.batch() as tx:
                tx.update_state_machine(machine)
            self._recent.pop(machine.arn, None)
        version = await self._publish(machine, version_description) if publish else None
        return machine, version

    async def delete(self, arn: str) -> None:
        """Delete a machine; while executions of it run it is DELETING instead (they
        run on and stay listable, and no new execution may start)."""
        ref = self.ref(arn)
        if ref.version is not None or ref.alias is not None:
            raise InvalidRequest(f"Service does not support qualified state machine ARNs "
                                 f"for this operation: '{arn}'")
        self._recent.pop(arn, None)
        machine = await self.store.get_state_machine(arn)
        if machine is not None and await self._running(arn):
            async with self.store.batch() as tx:
                tx.update_state_machine(dataclasses.replace(machine, status="DELETING"))
            return
        async with self.store.batch() as tx:
            tx.delete_state_machine(arn)

    async def _running(self, machine_arn: str) -> bool:
        page = await self.store.list_executions(machine_arn=machine_arn, status="RUNNING",
                                                limit=1)
        return bool(page.items)

    async def _finish_deleting(self, machine: StateMachineRecord) -> StateMachineRecord | None:
        """A DELETING machine is deleted for good once none of its executions runs any
        more; until then it stays, as DELETING."""
        if await self._running(machine.arn):
            return machine
        async with self.store.batch() as tx:
            tx.delete_state_machine(machine.arn)
        return None

    # -- versions ---------------------------------------------------------------------------
    async def publish(self, arn: str, revision_id: str | None,
                      description: str | None) -> VersionRecord:
        """PublishStateMachineVersion: ``revision_id`` (when given) must be the current
        revision (``INITIAL`` for a machine never updated)."""
        machine = _not_deleting(await self.unqualified(arn))
        if revision_id is not None and revision_id != (machine.revision_id or ""):
            if not (revision_id == "INITIAL" and machine.revision_id is None):
                raise RevisionMismatch(
                    f"Failed to publish the State Machine version for revision "
                    f"{revision_id}. The current State Machine revision is "
                    f"{machine.revision_id}.")
        return await self._publish(machine, description)

    async def _publish(self, machine: StateMachineRecord,
                       description: str | None) -> VersionRecord:
        """Publish the machine's current revision (idempotent per revision)."""
        latest = (await self.store.list_versions(machine.arn, 1)).items
        if latest and latest[0].revision_id == machine.revision_id:
            return latest[0]
        versions = await self.store.list_versions(machine.arn, MAX_VERSIONS)
        if len(versions.items) >= MAX_VERSIONS:
            raise VersionLimitReached(f"Maximum number of versions ({MAX_VERSIONS}) reached")
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

    async def versions_of(self, arn: str) -> StateMachineRecord:
        """The machine whose versions ListStateMachineVersions lists."""
        ref = self.ref(arn)
        if ref.version is not None or ref.alias is not None:
            raise InvalidArn(arn, "Unqualified state machine ARN expected")
        machine = await self.store.get_state_machine(arn)
        if machine is None:  # the model declares no "does not exist" code here
            raise InvalidArn(arn, "State machine does not exist")
        return machine

    async def delete_version(self, arn: str) -> None:
        """Delete a version no alias routes to."""
        ref = self.ref(arn)
        if ref.version is None:
            raise InvalidArn(arn, "Version ARN expected")
        aliases = (await self.store.list_aliases(ref.machine_arn, 1000)).items
        using = [a.arn for a in aliases if any(r.version_arn == arn for r in a.routing)]
        if using:
            raise VersionInUse("Version to be deleted must not be referenced by an alias. "
                               f"Current list of aliases referencing this version: "
                               f"[{', '.join(using)}]")
        async with self.store.batch() as tx:
            tx.delete_version(arn)

    # -- aliases ----------------------------------------------------------------------------
    async def _routing(self, machine_arn: str,
                       routing: tuple[RoutingEntry, ...]) -> tuple[RoutingEntry, ...]:
        """``routing`` if AWS's rules allow it: distinct existing versions of the same
        machine, weights summing to 100."""
        arns = [r.version_arn for r in routing]
        if len(set(arns)) != len(arns):
            raise InvalidRequest("Routing configuration must contain distinct state "
                                 "machine version ARNs", "INVALID_ROUTING_CONFIGURATION")
        if sum(r.weight for r in routing) != 100:
            raise InvalidRequest("Sum of routing configuration weights must be equal to 100",
                                 "INVALID_ROUTING_CONFIGURATION")
        for entry in routing:
            ref = parse_machine_arn(self.arns, entry.version_arn)
            if ref is None or ref.version is None:
                raise InvalidArn(entry.version_arn, "Version ARN expected")
            if ref.machine_arn != machine_arn:
                raise InvalidRequest("Routing configuration must contain state machine "
                                     "versions of the same state machine",
                                     "INVALID_ROUTING_CONFIGURATION")
            await self.version(entry.version_arn)
        return routing

    async def create_alias(self, name: str, routing: tuple[RoutingEntry, ...],
                           description: str | None) -> AliasRecord:
        """Create an alias (a repeat with the same routing and description answers the
        existing one)."""
        first = parse_machine_arn(self.arns, routing[0].version_arn)
        if first is None or first.version is None:
            raise InvalidArn(routing[0].version_arn, "Version ARN expected")
        machine = await self.store.get_state_machine(first.machine_arn)
        if machine is None:
            raise ResourceNotFound("State machine", first.machine_arn)
        routing = await self._routing(machine.arn, routing)
        arn = self.arns.alias(machine.arn, name)
        existing = await self.store.get_alias(arn)
        if existing is not None:
            if existing.routing == routing and existing.description == description:
                return existing
            raise AliasExists("Failed to create alias because an alias with the same name "
                              "and a different routing configuration already exists.")
        now = time.time()
        alias = AliasRecord(arn=arn, machine_arn=machine.arn, name=name, routing=routing,
                            creation_date=now, update_date=now, description=description)
        async with self.store.batch() as tx:
            tx.put_alias(alias)
        return alias

    async def update_alias(self, arn: str, routing: tuple[RoutingEntry, ...] | None,
                           description: Any = ...) -> AliasRecord:
        """Change an alias's routing and/or description (``...``: unchanged)."""
        alias = await self.alias(arn)
        if description is ... and routing is None:
            raise InvalidRequest("Either the description or the RoutingConfiguration must "
                                 "be specified", "MISSING_REQUIRED_PARAMETER")
        if routing is not None:
            routing = await self._routing(alias.machine_arn, routing)
        alias = dataclasses.replace(
            alias, routing=routing or alias.routing, update_date=time.time(),
            description=alias.description if description is ... else description)
        async with self.store.batch() as tx:
            tx.put_alias(alias)
        return alias

    async def delete_alias(self, arn: str) -> None:
        alias = await self.alias(arn)
        async with self.store.batch() as tx:
            tx.delete_alias(alias.arn)


def tag_dict(tags: list[dict]) -> dict[str, str]:
    """Tags as a dict; a tag without a key is refused as AWS refuses a null member."""
    for index, tag in enumerate(tags, 1):
        if tag.get("key") is None:
            raise InvalidRequest(f"1 validation error detected: Value null at "
                                 f"'tags.{index}.member.key' failed to satisfy constraint: "
                                 f"Member must not be null")
    return {t["key"]: t.get("value") or "" for t in tags}


def _not_deleting(machine: StateMachineRecord) -> StateMachineRecord:
    if machine.status == "DELETING":
        raise StateMachineDeleting(machine.arn)
    return machine


def _pick_route(routing: tuple[RoutingEntry, ...]) -> str:
    """Choose a version by the alias's weights."""
    if len(routing) == 1:
        return routing[0].version_arn
    roll = random.uniform(0, 100)
    return routing[0].version_arn if roll < routing[0].weight else routing[1].version_arn
