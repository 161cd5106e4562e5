"""Running an application inside the execution service.

``ApplicationHost`` is a service extension (``ExecutionManager(extensions=...)``): when
the service starts it creates or updates the application's state machines (a changed
definition is a new revision; versions and aliases as the template declares them) and
activities through the service's rules, then polls the SQS event sources and fires the
schedules. Every process of a fleet that runs the application does the same: the
creates are idempotent and a schedule's run is started by one process only.

With ``watch``, the template, the definition files and the functions' code are watched
(``watchfiles``): a change reloads the application; machines whose definition or
settings changed are updated (a new revision; published versions stay), functions whose
spec or code changed are restarted (``LambdaRuntime.reload``), and one log line says
what changed. A template that no longer loads keeps the last good application and the
line says why.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ..service.arns import Arns
from ..service.contract import StartRequest
from ..service.event_sources import FunctionFailed, SqsEventSource, SqsPoller
from ..service.machines import NewMachine, StateMachines
from ..service.schedules import Schedule, ScheduleRunner
from ..store.base import ActivityRecord, Conflict, RoutingEntry
from .errors import TemplateError
from .model import Application, MachineSpec

log = logging.getLogger("stepfn.templates")

Loader = Callable[[], Application]  # loads the application again (for --watch)


class ApplicationHost:
    """Deploys ``application`` into a service and runs its event sources and schedules
    (see the module docstring). ``runtime`` is the ``LambdaRuntime`` running its
    functions; ``loader`` reloads it for ``watch``."""

    def __init__(self, application: Application, runtime: Any, *, region: str,
                 account: str, loader: Loader | None = None, watch: bool = False) -> None:
        self.application = application
        self.runtime = runtime
        self.arns = Arns(region, account)
        self.region = region
        self.account = account
        self.loader = loader
        self.watch = watch and loader is not None
        self._manager: Any = None
        self._machines: StateMachines | None = None
        self._poller: SqsPoller | None = None
        self._schedules: ScheduleRunner | None = None
        self._watcher: asyncio.Task | None = None
        self.reloads = 0  # applied reloads (tests wait on it)

    # -- lifecycle --------------------------------------------------------------------------
    async def start(self, manager: Any) -> None:
        """Deploy the machines and activities, then run event sources and schedules."""
        self._manager = manager
        self._machines = StateMachines(manager.store, self.arns)
        await self.deploy(self.application)
        await self._start_sources(self.application)
        if self.watch:
            self._watcher = asyncio.ensure_future(self._watch())

    async def stop(self) -> None:
        if self._watcher is not None:
            self._watcher.cancel()
            await asyncio.gather(self._watcher, return_exceptions=True)
            self._watcher = None
        await self._stop_sources()

    async def _start_sources(self, application: Application) -> None:
        manager = self._manager
        sources = [event_source(e) for e in application.event_sources]
        if sources:
            self._poller = SqsPoller(sources, self._invoke_for_source, region=self.region)
            await self._poller.start()
        schedules = [schedule(s) for s in application.schedules]
        if schedules:
            self._schedules = ScheduleRunner(
                schedules, store=manager.store, clock=manager.clock,
                start_machine=self.start_execution, invoke_function=self._invoke_arn,
                region=self.region, account=self.account)
            await self._schedules.start()

    async def _stop_sources(self) -> None:
        if self._poller is not None:
            await self._poller.stop()
            self._poller = None
        if self._schedules is not None:
            await self._schedules.stop()
            self._schedules = None

    # -- machines and activities ------------------------------------------------------------
    async def deploy(self, application: Application) -> list[str]:
        """Create or update every machine and activity; what changed, as phrases."""
        changes = []
        for machine in application.machines:
            change = await self._deploy_machine(machine)
            if change:
                changes.append(change)
        for activity in application.activities:
            await self._deploy_activity(activity.arn, activity.name, dict(activity.tags))
        return changes

    async def _deploy_machine(self, spec: MachineSpec) -> str | None:
        machines = self._machines
        assert machines is not None
        store = self._manager.store
        existing = await store.get_state_machine(spec.arn)
        change = None
        if existing is None or existing.status == "DELETING":
            new = NewMachine(name=spec.name, definition=spec.definition,
                             role_arn=spec.role_arn, type=spec.type,
                             logging_configuration=spec.logging_configuration,
                             tracing_configuration=spec.tracing_configuration,
                             tags=[{"key": k, "value": v} for k, v in spec.tags.items()])
            try:
                await machines.create(new)
                change = f"machine {spec.name} created"
            except Exception:  # noqa: BLE001 - another process created it first
                existing = await store.get_state_machine(spec.arn)
                if existing is None:
                    raise
        if existing is not None:
            if existing.type != spec.type:
                log.warning("machine %s is %s in the database but %s in the template; "
                            "delete it to change its type", spec.name, existing.type,
                            spec.type)
                return None
            updates = {field: value for field, value in (
                ("definition", spec.definition), ("role_arn", spec.role_arn),
                ("logging_configuration", spec.logging_configuration),
                ("tracing_configuration", spec.tracing_configuration))
                if getattr(existing, field) != value}
            if updates:
                updated, _ = await machines.update(spec.arn, updates)
                change = f"machine {spec.name} updated (revision {updated.revision_id})"
        if spec.publish:
            await self._publish(spec)
        return change

    async def _publish(self, spec: MachineSpec) -> None:
        """Publish the current revision (once) and point the aliases at it."""
        machines = self._machines
        assert machines is not None
        version = await machines.publish(spec.arn, None, None)
        for name in spec.aliases:
            arn = self.arns.alias(spec.arn, name)
            routing = (RoutingEntry(version.arn, 100),)
            alias = await self._manager.store.get_alias(arn)
            if alias is None:
                with contextlib.suppress(Exception):  # a racing process made it
                    await machines.create_alias(name, routing, None)
            elif alias.routing != routing:
                await machines.update_alias(arn, routing)

    async def _deploy_activity(self, arn: str, name: str, tags: dict[str, str]) -> None:
        import time

        store = self._manager.store
        if await store.get_activity(arn) is not None:
            return
        with contextlib.suppress(Conflict):
            async with store.batch() as tx:
                tx.put_activity(ActivityRecord(arn=arn, name=name, creation_date=time.time()))
                if tags:
                    tx.set_tags(arn, tags)

    # -- what event sources and schedules call ----------------------------------------------
    async def start_execution(self, machine_arn: str, input_text: str) -> str:
        """StartExecution of ``machine_arn`` (a machine, version or alias ARN)."""
        import uuid

        machines = self._machines
        assert machines is not None
        machine = await machines.machine_to_start(machine_arn)
        target = await machines.start_target(machine, machine_arn)
        name = str(uuid.uuid4())
        express = machine.type == "EXPRESS"
        source = target.source
        request = StartRequest(
            execution_arn=self.arns.execution(machine.name,
                                              f"{name}:{uuid.uuid4()}" if express else name,
                                              express),
            name=name, input=input_text, machine=machine, definition=source.definition,
            role_arn=source.role_arn, revision_id=source.revision_id,
            version=target.version, alias=target.alias)
        record = await self._manager.start_execution(request)
        return str(record.arn)

    async def _invoke_for_source(self, function: str, event: Any,
                                 qualifier: str | None) -> Any:
        try:
            result = await self.runtime.invoke(function, event, qualifier=qualifier)
        except Exception as exc:  # noqa: BLE001 - Lambda's own refusal (throttled, ...)
            raise FunctionFailed(f"{type(exc).__name__}: {exc}") from exc
        text = result.payload.decode(errors="replace")
        if result.function_error:
            raise FunctionFailed(text[:500])
        try:
            return json.loads(text) if text else None
        except ValueError:
            return text

    async def _invoke_arn(self, arn: str, event: Any) -> Any:
        from .application import split_function

        name, qualifier = split_function(arn)
        # EventBridge invokes a function asynchronously (InvocationType Event).
        return await self.runtime.invoke(name, event, qualifier=qualifier,
                                         invocation_type="Event")

    # -- --watch ----------------------------------------------------------------------------
    async def _watch(self) -> None:
        import watchfiles

        paths = [p for p in self.application.watched if Path(p).exists()]
        async for changes in watchfiles.awatch(*paths, debounce=200, step=50,
                                               rust_timeout=1000):
            changed = sorted({Path(path) for _, path in changes})
            await self.reload(changed)

    async def reload(self, changed: Sequence[Path]) -> None:
        """Load the application again after ``changed`` files changed and apply it."""
        assert self.loader is not None
        try:
            application = await asyncio.to_thread(self.loader)
        except TemplateError as exc:
            log.warning("the template no longer loads, still running the last good one: "
                        "%s", exc)
            return
        except Exception as exc:  # noqa: BLE001 - a broken module, a full disk, ...
            log.warning("reloading failed, still running the last good application: "
                        "%s: %s", type(exc).__name__, exc)
            return
        invalid = [d for m in application.machines for d in m.diagnostics]
        if invalid:
            log.warning("the template's definitions are invalid, still running the last "
                        "good ones: %s", invalid[0])
            return
        previous = self.application
        self.application = application
        changes = await self.deploy(application)
        restarted = await self._reload_functions(previous, application, changed)
        if restarted:
            changes.append("function" + ("s " if len(restarted) > 1 else " ")
                           + ", ".join(restarted) + " restarted")
        if (previous.event_sources != application.event_sources
                or previous.schedules != application.schedules):
            await self._stop_sources()
            await self._start_sources(application)
            changes.append("event sources and schedules restarted")
        self.reloads += 1
        log.info("reloaded (%s): %s", ", ".join(str(p) for p in changed[:3]),
                 "; ".join(changes) or "nothing to change")

    async def _reload_functions(self, previous: Application, application: Application,
                                changed: Sequence[Path]) -> list[str]:
        before = {f.name: f for f in previous.functions}
        touched = []
        for spec in application.functions:
            roots = [spec.code_dir, *spec.layers] if spec.code_dir else list(spec.layers)
            code_changed = any(_under(path, root) for path in changed for root in roots
                               if root is not None)
            if before.get(spec.name) != spec or code_changed:
                touched.append(spec.name)
        if touched or set(before) != {f.name for f in application.functions}:
            await self.runtime.reload(list(application.functions), restart=touched)
        return touched


def _under(path: Path, root: Path) -> bool:
    try:
        Path(path).resolve().relative_to(Path(root).resolve())
    except ValueError:
        return False
    return True


def event_source(spec: Any) -> SqsEventSource:
    """The service's event source for a template's."""
    return SqsEventSource(
        id=spec.logical_id, function=spec.function, queue_arn=spec.queue_arn,
        qualifier=spec.qualifier, batch_size=spec.batch_size,
        batching_window_seconds=spec.batching_window_seconds, enabled=spec.enabled,
        report_batch_item_failures=spec.report_batch_item_failures,
        maximum_concurrency=spec.maximum_concurrency)


def schedule(spec: Any) -> Schedule:
    """The service's schedule for a template's."""
    fields = {f.name for f in dataclasses.fields(Schedule)}
    values = {k: v for k, v in dataclasses.asdict(spec).items() if k in fields}
    return Schedule(id=spec.logical_id, **{k: v for k, v in values.items() if k != "id"})


def outputs_json(application: Application) -> str:
    """``--outputs FILE``: each stack's resolved outputs and physical names."""
    return json.dumps({
        stack: {
            "Outputs": dict(application.outputs.get(stack, {})),
            "Resources": {r.logical_id: {"Type": r.type, "PhysicalResourceId": r.physical_id,
                                         "RunBy": r.handled_by}
                          for r in application.resources if r.stack == stack},
        } for stack in application.stacks}, indent=2)
