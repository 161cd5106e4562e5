"""The grammar of a ``Resource`` ARN, and the integrations AWS optimizes.

One parser for every reader of a Task's ``Resource`` (the validator, the compiler's Task
state, the task layer's dispatcher, mocks, TestState), so that a definition the
validator accepts always compiles and runs. ``parse_resource(text)`` returns a
``Resource`` or raises ``ResourceError`` saying why AWS refuses the text:

* a Lambda function: ``arn:<partition>:lambda:<region>:<account>:function:<name>``
  with an optional ``:<qualifier>`` (a version, ``$LATEST`` or an alias);
* an activity: ``arn:<partition>:states:<region>:<account>:activity:<name>``;
* an optimized integration: ``arn:<partition>:states:::<service>:<action>`` with an
  optional integration pattern suffix (``.sync``, ``.sync:2``, ``.waitForTaskToken``),
  the service and action one of ``OPTIMIZED`` and the pattern one that action offers;
* an AWS SDK integration: ``arn:<partition>:states:::aws-sdk:<service>:<action>``,
  request-response or ``.waitForTaskToken`` (never ``.sync``);
* ``arn:<partition>:states:::http:invoke``, the HTTP Task.

Any partition is accepted (``aws``, ``aws-cn``, ``aws-us-gov``...). The two ways AWS
refuses a Resource (CreateStateMachine, ValidateStateMachineDefinition) are the two
``ResourceError.code`` values: text that is not shaped like a resource ARN at all
(``SCHEMA_VALIDATION_FAILED``: "Value is not a valid resource ARN") and an ARN that
names nothing AWS runs (``INVALID_RESOURCE``: "The resource provided ... is not
recognized. ..."), as the API reference's diagnostic codes describe them
(API_ValidateStateMachineDefinitionDiagnostic).

The table of optimized integrations follows the developer guide's pages
(connect-supported-services: which patterns each service offers; each service's page:
its optimized APIs and, where the page has one, the per-API pattern table). New
integrations are one ``Integration`` entry each.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

ResourceKind = Literal["lambda-function", "activity", "service"]

REQUEST_RESPONSE = ""
SYNC = "sync"
SYNC2 = "sync:2"
CALLBACK = "waitForTaskToken"
PATTERNS = (SYNC2, SYNC, CALLBACK)  # suffix order: ".sync:2" before ".sync"

NOT_AN_ARN = "SCHEMA_VALIDATION_FAILED"
NOT_RECOGNIZED = "INVALID_RESOURCE"


class ResourceError(ValueError):
    """A Resource AWS refuses; ``code`` and ``message`` are its diagnostic's."""

    def __init__(self, text: str, code: str, message: str) -> None:
        super().__init__(message)
        self.text = text
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class Resource:
    """A Task ``Resource`` taken apart, with the names AWS uses in history events.

    ``resource_type`` and ``resource`` are what TaskScheduled and friends record
    (``"aws-sdk:s3"`` and ``"getObject"``, ``"sqs"`` and ``"sendMessage"``); for a
    Lambda function or an activity ``resource`` is the ARN itself. ``region`` is the
    region the resource runs in: the ARN's own, else the default given to
    ``parse_resource``.
    """

    arn: str
    kind: ResourceKind
    partition: str
    resource_type: str  # "lambda", "activity", "sqs", "aws-sdk:s3", "http", ...
    resource: str  # the action; the ARN itself for a function or an activity
    pattern: str = REQUEST_RESPONSE  # "", "sync", "sync:2", "waitForTaskToken"
    region: str = ""
    account: str = ""
    function_name: str = ""  # a Lambda function's name
    qualifier: str | None = None  # a Lambda function's version or alias
    activity_name: str = ""

    @property
    def event_resource(self) -> str:
        """``resource`` as the history's task events record it: the action with its
        pattern (``startExecution.sync``, ``sendMessage.waitForTaskToken``)."""
        if self.kind != "service" or not self.pattern:
            return self.resource
        return f"{self.resource}.{self.pattern}"

    @property
    def service(self) -> str:
        """The integration's service: ``sqs``, ``aws-sdk``, ``lambda``, ``activity``."""
        return self.resource_type.split(":", 1)[0]

    @property
    def sdk_service(self) -> str:
        """For ``aws-sdk:<service>:<action>``, the service as the ARN names it."""
        return self.resource_type.split(":", 1)[1] if ":" in self.resource_type else ""

    @property
    def waits_for_token(self) -> bool:
        """An activity or a ``.waitForTaskToken`` integration: answered by a token."""
        return self.kind == "activity" or self.pattern == CALLBACK

    @property
    def runs_a_job(self) -> bool:
        """``.sync`` or ``.sync:2``: the task waits for the job it starts."""
        return self.pattern in (SYNC, SYNC2)


@dataclass(frozen=True, slots=True)
class Integration:
    """One optimized integration: a service and the actions Step Functions offers,
    each with the patterns it supports besides request-response."""

    service: str
    actions: dict[str, frozenset[str]]
    request_response: bool = True

    def patterns(self, action: str) -> frozenset[str] | None:
        """The patterns ``action`` offers (``""`` for request-response); None when the
        service has no such optimized action."""
        extra = self.actions.get(action)
        if extra is None:
            return None
        return extra | {REQUEST_RESPONSE} if self.request_response else extra


def _actions(patterns: frozenset[str] | set[str], *names: str) -> dict[str, frozenset[str]]:
    return {name: frozenset(patterns) for name in names}


_NONE: frozenset[str] = frozenset()
_SYNC = frozenset({SYNC})
_CALLBACK = frozenset({CALLBACK})
_BOTH = frozenset({SYNC, CALLBACK})

#: The optimized integrations (connect-supported-services and each service's page).
OPTIMIZED: dict[str, Integration] = {integration.service: integration for integration in (
    Integration("apigateway", _actions(_CALLBACK, "invoke")),
    Integration("athena", {**_actions(_SYNC, "startQueryExecution"),
                           **_actions(_NONE, "stopQueryExecution", "getQueryExecution",
                                      "getQueryResults")}),
    Integration("batch", _actions(_SYNC, "submitJob")),
    Integration("bedrock", {**_actions(_CALLBACK, "invokeModel"),
                            **_actions(_BOTH, "createModelCustomizationJob")}),
    # connect-codebuild: "Not all APIs support all integration patterns"
    Integration("codebuild", {**_actions(_SYNC, "startBuild", "startBuildBatch",
                                         "retryBuildBatch"),
                              **_actions(_NONE, "stopBuild", "batchDeleteBuilds",
                                         "batchGetReports", "stopBuildBatch",
                                         "deleteBuildBatch")}),
    Integration("dynamodb", _actions(_NONE, "getItem", "putItem", "updateItem",
                                     "deleteItem")),
    Integration("ecs", _actions(_BOTH, "runTask")),
    Integration("eks", {**_actions(_BOTH, "createCluster", "deleteCluster",
                                   "createFargateProfile", "deleteFargateProfile",
                                   "createNodegroup", "deleteNodegroup", "runJob"),
                        **_actions(_NONE, "call")}),
    Integration("elasticmapreduce", {
        **_actions(_SYNC, "createCluster", "terminateCluster", "addStep"),
        **_actions(_NONE, "cancelStep", "setClusterTerminationProtection",
                   "modifyInstanceFleetByName", "modifyInstanceGroupByName")}),
    Integration("emr-containers", {**_actions(_SYNC, "startJobRun", "deleteVirtualCluster"),
                                   **_actions(_NONE, "createVirtualCluster")}),
    Integration("emr-serverless", _actions(_SYNC, "createApplication", "startApplication",
                                           "stopApplication", "deleteApplication",
                                           "startJobRun", "cancelJobRun")),
    Integration("events", _actions(_CALLBACK, "putEvents")),
    Integration("glue", _actions(_SYNC, "startJobRun")),
    Integration("databrew", _actions(_SYNC, "startJobRun")),
    Integration("http", _actions(_NONE, "invoke")),
    Integration("lambda", _actions(_CALLBACK, "invoke")),
    Integration("mediaconvert", _actions(_SYNC, "createJob")),
    Integration("sagemaker", {
        **_actions(_SYNC, "createTrainingJob", "createTransformJob", "createProcessingJob",
                   "createHyperParameterTuningJob", "createLabelingJob"),
        **_actions(_NONE, "createEndpoint", "createEndpointConfig", "createModel",
                   "updateEndpoint")}),
    Integration("sns", _actions(_CALLBACK, "publish")),
    Integration("sqs", _actions(_CALLBACK, "sendMessage")),
    Integration("states", _actions(frozenset({SYNC, SYNC2, CALLBACK}), "startExecution")),
)}

#: AWS SDK integrations: request-response and .waitForTaskToken, never .sync
#: (connect-supported-services: "Over two hundred services ... Run a Job: Not supported").
SDK_PATTERNS = frozenset({REQUEST_RESPONSE, CALLBACK})

#: What a Distributed Map's ItemReader and ResultWriter may name (state-map-distributed,
#: input-output-itemreader, input-output-resultwriter).
ITEM_READER_ACTIONS = frozenset({"getObject", "listObjectsV2"})
RESULT_WRITER_ACTIONS = frozenset({"putObject"})

_PARTITION = r"aws(?:-[a-z]+)*"
_ARN_SHAPE = re.compile(
    rf"^arn:(?P<partition>{_PARTITION}):(?P<service>[a-z0-9-]+):(?P<region>[a-z0-9-]*):"
    r"(?P<account>\d*):(?P<rest>[^\s]+)$")
_FUNCTION = re.compile(
    r"^function:(?P<name>[A-Za-z0-9_-]{1,64})(?::(?P<qualifier>\$LATEST|[A-Za-z0-9_-]{1,128}))?$")
_ACTIVITY = re.compile(r"^activity:(?P<name>[^\s:]{1,80})$")
_INTEGRATION = re.compile(r"^(?P<service>[a-z0-9-]+):(?P<action>[a-z][A-Za-z0-9]*)$")
_SDK = re.compile(r"^aws-sdk:(?P<service>[a-z0-9-]+):(?P<action>[a-z][A-Za-z0-9]*)$")
_REGION = re.compile(r"^[a-z0-9-]+$")  # any region name (a local one too)


def parse_resource(text: str, default_region: str = "us-east-1") -> Resource:
    """The Task ``Resource`` ``text`` taken apart; ``ResourceError`` when AWS refuses it.

    ``default_region`` is where a resource that names no region runs (the machine's)."""
    if not isinstance(text, str):
        raise ResourceError(str(text), NOT_AN_ARN, "Value is not a valid resource ARN")
    shape = _ARN_SHAPE.match(text)
    if shape is None:
        raise ResourceError(text, NOT_AN_ARN, "Value is not a valid resource ARN")
    service, region, account = shape["service"], shape["region"], shape["account"]
    partition, rest = shape["partition"], shape["rest"]
    if service == "lambda":
        function = _FUNCTION.match(rest)
        if function and _REGION.match(region) and len(account) == 12:
            return Resource(text, "lambda-function", partition, "lambda", text,
                            region=region, account=account, function_name=function["name"],
                            qualifier=function["qualifier"])
    elif service == "states":
        activity = _ACTIVITY.match(rest)
        if activity:
            if _REGION.match(region) and len(account) == 12:
                return Resource(text, "activity", partition, "activity", text,
                                region=region, account=account,
                                activity_name=activity["name"])
        elif not region and not account:
            found = _service_integration(text, partition, rest, default_region)
            if found is not None:
                return found
    raise not_recognized(text)


def not_recognized(text: str) -> ResourceError:
    """AWS's refusal of an ARN that names nothing it runs."""
    return ResourceError(
        text, NOT_RECOGNIZED,
        f"The resource provided {text} is not recognized. The value is not a valid "
        "resource ARN, or the resource is not available in this region.")


def _service_integration(text: str, partition: str, rest: str,
                         default_region: str) -> Resource | None:
    body, pattern = _split_pattern(rest)
    sdk = _SDK.match(body)
    if sdk is not None:
        if pattern not in SDK_PATTERNS:
            return None
        return Resource(text, "service", partition, f"aws-sdk:{sdk['service']}",
                        sdk["action"], pattern, region=default_region)
    integration = _INTEGRATION.match(body)
    if integration is None:
        return None
    known = OPTIMIZED.get(integration["service"])
    allowed = known.patterns(integration["action"]) if known is not None else None
    if allowed is None or pattern not in allowed:
        return None
    return Resource(text, "service", partition, integration["service"],
                    integration["action"], pattern, region=default_region)


def _split_pattern(rest: str) -> tuple[str, str]:
    for pattern in PATTERNS:
        if rest.endswith("." + pattern):
            return rest[:-len(pattern) - 1], pattern
    return rest, REQUEST_RESPONSE


def parse_s3_resource(text: str, actions: frozenset[str],
                      default_region: str = "us-east-1") -> Resource:
    """An ItemReader's or ResultWriter's ``arn:<partition>:states:::s3:<action>``, the
    action one of ``actions``; ``ResourceError`` otherwise."""
    if not isinstance(text, str) or _ARN_SHAPE.match(text) is None:
        raise ResourceError(str(text), NOT_AN_ARN, "Value is not a valid resource ARN")
    match = re.match(rf"^arn:({_PARTITION}):states:::s3:([A-Za-z0-9]+)$", text)
    if match is None or match[2] not in actions:
        raise not_recognized(text)
    return Resource(text, "service", match[1], "s3", match[2], region=default_region)


__all__ = ["CALLBACK", "ITEM_READER_ACTIONS", "Integration", "NOT_AN_ARN",
           "NOT_RECOGNIZED", "OPTIMIZED", "REQUEST_RESPONSE", "RESULT_WRITER_ACTIONS",
           "Resource", "ResourceError", "SDK_PATTERNS", "SYNC", "SYNC2",
           "not_recognized", "parse_resource", "parse_s3_resource"]
