"""Store records rendered as the API's answer members (AWS names, epoch-second dates)."""

from __future__ import annotations

import base64
import binascii

from stepfn.api.errors import ApiError
from stepfn.engine.history import details_key, render_details
from stepfn.service.machines import variable_references_of
from stepfn.store.base import (
    AliasRecord,
    ExecutionRecord,
    HistoryEvent,
    MapRunRecord,
    StateMachineRecord,
    VersionRecord,
)

DEFAULT_LOGGING = {"level": "OFF", "includeExecutionData": False}
DEFAULT_TRACING = {"enabled": False}
DEFAULT_ENCRYPTION = {"type": "AWS_OWNED_KEY"}


def drop_none(members: dict) -> dict:
    """AWS leaves absent members out rather than sending null."""
    return {k: v for k, v in members.items() if v is not None}


METADATA_ONLY = "METADATA_ONLY"  # includedData: leave the definition, input, output out


def machine_description(machine: StateMachineRecord,
                        version: VersionRecord | None = None,
                        included_data: str | None = None) -> dict:
    """DescribeStateMachine's answer, for the machine or one of its versions.

    ``included_data`` METADATA_ONLY: the definition is ``{}`` (API_DescribeStateMachine:
    "If called with includedData = METADATA_ONLY, the returned definition will be {}"),
    and the variables it reads are left out with it."""
    source = version or machine
    metadata_only = included_data == METADATA_ONLY
    return drop_none({
        "stateMachineArn": version.arn if version else machine.arn,
        "name": machine.name,
        "status": machine.status,
        "definition": "{}" if metadata_only else source.definition,
        "variableReferences": None if metadata_only else (
            variable_references_of(source.definition) or None),
        "roleArn": source.role_arn,
        "type": machine.type,
        "creationDate": source.creation_date,
        "loggingConfiguration": source.logging_configuration or DEFAULT_LOGGING,
        "tracingConfiguration": source.tracing_configuration or DEFAULT_TRACING,
        "encryptionConfiguration": source.encryption_configuration or DEFAULT_ENCRYPTION,
        "revisionId": source.revision_id,
        "description": version.description if version else None,
    })


def alias_description(alias: AliasRecord) -> dict:
    return drop_none({
        "stateMachineAliasArn": alias.arn,
        "name": alias.name,
        "description": alias.description,
        "routingConfiguration": [{"stateMachineVersionArn": r.version_arn,
                                  "weight": r.weight} for r in alias.routing],
        "creationDate": alias.creation_date,
        "updateDate": alias.update_date,
    })


def redrive_status(execution: ExecutionRecord) -> tuple[str, str | None]:
    """The record's redrive status, or AWS's default for its status."""
    if execution.redrive_status:
        return execution.redrive_status, execution.redrive_status_reason
    if execution.status in ("FAILED", "TIMED_OUT", "ABORTED"):
        return "REDRIVABLE", None
    return "NOT_REDRIVABLE", f"Execution is {execution.status} and cannot be redriven"


def execution_description(execution: ExecutionRecord,
                          included_data: str | None = None,
                          redrive_refusal: str | None = None) -> dict:
    """DescribeExecution's answer; METADATA_ONLY leaves the (possibly encrypted) input
    and output out; ``redrive_refusal``: why an unsuccessful execution is no longer
    redrivable (the 14 days, the history limit...)."""
    status, reason = redrive_status(execution)
    if redrive_refusal is not None and status == "REDRIVABLE":
        status, reason = "NOT_REDRIVABLE", redrive_refusal
    finished = execution.status == "SUCCEEDED"
    out = {
        "executionArn": execution.arn,
        "stateMachineArn": execution.machine_arn,
        "name": execution.name,
        "status": execution.status,
        "startDate": execution.start_date,
        "stopDate": execution.stop_date,
        "input": execution.input,
        "inputDetails": {"included": True},
        "output": execution.output if finished else None,
        "outputDetails": {"included": True} if finished else None,
        "error": execution.error,
        "cause": execution.cause,
        "traceHeader": execution.trace_header,
        "mapRunArn": execution.map_run_arn,
        "stateMachineVersionArn": execution.version_arn,
        "stateMachineAliasArn": execution.alias_arn,
        "redriveCount": execution.redrive_count,
        "redriveDate": execution.redrive_date,
        "redriveStatus": status,
        "redriveStatusReason": reason,
    }
    if included_data == METADATA_ONLY:
        out.update(input=None, output=None, inputDetails={"included": False},
                   outputDetails={"included": False} if finished else None)
    return drop_none(out)


def execution_list_item(execution: ExecutionRecord) -> dict:
    return drop_none({
        "executionArn": execution.arn,
        "stateMachineArn": execution.machine_arn,
        "name": execution.name,
        "status": execution.status,
        "startDate": execution.start_date,
        "stopDate": execution.stop_date,
        "mapRunArn": execution.map_run_arn,
        "stateMachineVersionArn": execution.version_arn,
        "stateMachineAliasArn": execution.alias_arn,
        "redriveCount": execution.redrive_count,
        "redriveDate": execution.redrive_date,
    })


def history_event(event: HistoryEvent, include_data: bool) -> dict:
    out: dict = {"timestamp": event.timestamp, "type": event.type, "id": event.id,
                 "previousEventId": event.previous_event_id}
    if event.details is not None:
        out[details_key(event.type)] = render_details(event.details, include_data)
    return out


def map_run_description(run: MapRunRecord) -> dict:
    return drop_none({
        "mapRunArn": run.arn,
        "executionArn": run.execution_arn,
        "status": run.status,
        "startDate": run.start_date,
        "stopDate": run.stop_date,
        "maxConcurrency": run.max_concurrency,
        "toleratedFailurePercentage": run.tolerated_failure_percentage,
        "toleratedFailureCount": run.tolerated_failure_count,
        "itemCounts": run.item_counts,
        "executionCounts": run.execution_counts,
        "redriveCount": run.redrive_count,
        "redriveDate": run.redrive_date,
    })


# ------------------------------------------------------------------ page tokens
_TOKEN_PREFIX = "stepfn1:"


def encode_token(cursor: str | None) -> str | None:
    """Wrap a store cursor as an opaque nextToken."""
    if cursor is None:
        return None
    return base64.urlsafe_b64encode((_TOKEN_PREFIX + cursor).encode()).decode()


def decode_token(token: str | None) -> str | None:
    """The store cursor inside a nextToken; InvalidToken when it is not ours."""
    if token is None:
        return None
    try:
        text = base64.urlsafe_b64decode(token.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        text = ""
    if not text.startswith(_TOKEN_PREFIX):
        raise ApiError("InvalidToken", f"Invalid Token: '{token}'")
    return text[len(_TOKEN_PREFIX):]
