"""How an optimized integration is described: a service, its actions, the patterns each
action supports and, for ``.sync``, how the job is polled to its end.

An optimized integration (``arn:aws:states:::<service>:<action>[.sync|.waitForTaskToken]``)
calls the service's API operation with the Task's parameters, written in PascalCase and
mapped onto the operation's members (botocore's input shape: a parameter the shape does
not have is refused as the service refuses it), and returns the operation's output with
every member in PascalCase. ``.sync`` ("Run a Job") submits, records ``TaskSubmitted``
with the submission's output, then polls a describe operation until the job ends: its
description is the result, and a job that failed, timed out or was stopped fails the
Task with ``States.TaskFailed`` and the description as the cause (JSON text).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

REQUEST_RESPONSE, SYNC, CALLBACK = "", "sync", "waitForTaskToken"

Json = dict[str, Any]


@dataclass(frozen=True)
class Job:
    """How ``.sync`` follows a submitted job to its end (all data in PascalCase)."""

    describe: str  # the API operation that reads the job, e.g. "DescribeJobs"
    request: Callable[[Json, Json], Json]  # (submission output, parameters) -> its input
    status: Callable[[Json], str | None]  # the job's status in the describe output
    succeeded: frozenset[str]
    failed: frozenset[str]  # -> States.TaskFailed, the cause the result's JSON
    # The task's result from the describe output (default: the whole output).
    result: Callable[[Json, Json, Json], Json] = lambda described, submitted, params: \
        described
    # A deletion: the job is done when the describe operation no longer finds it
    # (the result is then the submission's output).
    gone_is_done: bool = False


@dataclass(frozen=True)
class Action:
    """One optimized action of a service."""

    name: str  # as the ARN writes it: "submitJob"
    operation: str  # the API operation: "SubmitJob"
    patterns: frozenset[str] = frozenset({REQUEST_RESPONSE})
    job: Job | None = None  # how .sync polls it (needed when SYNC is in ``patterns``)
    # The parameters Step Functions accepts for it (None: every input member).
    parameters: frozenset[str] | None = None
    # Changes the parameters before the call, given the pattern ("sync", ...).
    prepare: Callable[[Json, str], Json] | None = None
    # Adjusts the request-response result (the output in PascalCase, the parameters).
    result: Callable[[Json, Json], Json] | None = None
    # Runs the action itself instead of one API call: ``(clients, call) -> result``
    # (bedrock:invokeModel's payloads, apigateway:invoke's HTTP request).
    custom: Callable[[Any, Any], Awaitable[Any]] | None = None  # (handler, call)


@dataclass(frozen=True)
class ErrorStyle:
    """How the integration names a failed call: ``<prefix>.<exception>``, and the
    cause's ``(Service: <service>; Status Code: ...; Error Code: ...; Request ID:
    ...; Proxy: null)`` trailer of the AWS SDK for Java v1."""

    prefix: str
    service: str
    # "v1": "<message> (Service: ...)"; "message": the message alone;
    # "batch": "Error executing request, Exception : <message>, RequestId: <id> (...)".
    cause: str = "v1"
    # Name the error after the error code (Batch, Glue) rather than the modelled
    # exception with an "Exception" suffix.
    by_code: bool = False


@dataclass(frozen=True)
class Service:
    """An optimized service: its ARN name, boto3 client name, error naming, actions."""

    name: str  # in the ARN: "batch", "emr-serverless", "elasticmapreduce"
    boto: str  # boto3's client: "batch", "emr-serverless", "emr"
    errors: ErrorStyle
    actions: dict[str, Action] = field(default_factory=dict)
    docs: str = ""  # the developer guide's page for it

    def patterns(self) -> dict[str, frozenset[str]]:
        """Each action's supported patterns (for the resource grammar)."""
        return {name: action.patterns for name, action in self.actions.items()}


def service(name: str, boto: str, errors: ErrorStyle, docs: str,
            *actions: Action) -> Service:
    """A Service with its actions keyed by their ARN names."""
    return Service(name, boto, errors, {a.name: a for a in actions}, docs)


def action(name: str, *patterns: str, job: Job | None = None,
           parameters: tuple[str, ...] | None = None,
           prepare: Callable[[Json, str], Json] | None = None,
           result: Callable[[Json, Json], Json] | None = None,
           operation: str | None = None,
           custom: Callable[[Any, Any], Awaitable[Any]] | None = None) -> Action:
    """An Action named as in the ARN; its operation is the name in PascalCase unless
    ``operation`` names another (EMR's ``createCluster`` is ``RunJobFlow``)."""
    return Action(name, operation or name[:1].upper() + name[1:],
                  frozenset({REQUEST_RESPONSE, *patterns}), job,
                  frozenset(parameters) if parameters is not None else None, prepare,
                  result, custom)


def first(items: Any) -> Json:
    """The first element of a described list (the one job polled), or {}."""
    return items[0] if isinstance(items, list) and items else {}
