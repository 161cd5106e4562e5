"""Errors the API answers with, in AWS's awsJson1_0 shape."""

from __future__ import annotations

from functools import cache

from stepfn.service import errors as service


class ApiError(Exception):
    """An error answered as HTTP ``status`` with ``{"__type": code, "message": ...}``.

    The API raises it for what it checks itself; the service raises its own errors
    (``stepfn.service.errors``), answered through ``AWS_CODES``.
    """

    def __init__(self, code: str, message: str, status: int = 400,
                 reason: str | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.reason = reason  # ValidationException's "reason" member, when AWS sends one

    def to_json(self) -> dict:
        body = {"__type": self.code, "message": self.message}
        if self.reason:
            body["reason"] = self.reason
        return body


# The AWS error code answered for each of the service's errors.
AWS_CODES: dict[type[service.ServiceError], str] = {
    service.InvalidRequest: "ValidationException",
    service.MissingParameter: "MissingRequiredParameter",
    service.InvalidEncryptionConfiguration: "InvalidEncryptionConfiguration",
    service.InvalidLoggingConfiguration: "InvalidLoggingConfiguration",
    service.InvalidArn: "InvalidArn",
    service.InvalidName: "InvalidName",
    service.InvalidDefinition: "InvalidDefinition",
    service.StateMachineDoesNotExist: "StateMachineDoesNotExist",
    service.StateMachineAlreadyExists: "StateMachineAlreadyExists",
    service.StateMachineDeleting: "StateMachineDeleting",
    service.MachineTypeNotSupported: "StateMachineTypeNotSupported",
    service.RevisionMismatch: "ConflictException",
    service.VersionInUse: "ConflictException",
    service.AliasExists: "ConflictException",
    service.VersionLimitReached: "ServiceQuotaExceededException",
    service.ResourceNotFound: "ResourceNotFound",
    service.ExecutionAlreadyExists: "ExecutionAlreadyExists",
    service.ExecutionNotRedrivable: "ExecutionNotRedrivable",
    service.InvalidToken: "InvalidToken",
    service.TaskDoesNotExist: "TaskDoesNotExist",
    service.TaskTimedOut: "TaskTimedOut",
}


def from_service(exc: service.ServiceError) -> ApiError:
    """The answer to an error the service raised (a subclass answers as its nearest
    listed base; an unlisted one is a bug, answered as InternalFailure)."""
    for kind in type(exc).__mro__:
        code = AWS_CODES.get(kind)
        if code is not None:
            return ApiError(code, exc.message, reason=getattr(exc, "reason", None))
    return ApiError("InternalFailure", "An internal error occurred", 500)


def validation(message: str, reason: str | None = None) -> ApiError:
    return ApiError("ValidationException", message, reason=reason)


def invalid_arn(arn: str, why: str = "Resource type not valid in this context") -> ApiError:
    return ApiError("InvalidArn", f"Invalid Arn: '{why}: {arn}'")


def machine_not_found(arn: str) -> ApiError:
    return ApiError("StateMachineDoesNotExist", f"State Machine Does Not Exist: '{arn}'")


def execution_not_found(arn: str) -> ApiError:
    return ApiError("ExecutionDoesNotExist", f"Execution Does Not Exist: '{arn}'")


def activity_not_found(arn: str) -> ApiError:
    return ApiError("ActivityDoesNotExist", f"Activity Does Not Exist: '{arn}'")


def resource_not_found(what: str, arn: str) -> ApiError:
    return ApiError("ResourceNotFound", f"{what} does not exist: '{arn}'")


# Errors any operation may answer besides those the service model lists for it: the
# "Common Errors" of the AWS API references (every AWS service), and what the awsJson1_0
# protocol layer answers before an operation runs (ValidationException for a request
# that breaks the model's constraints, SerializationException for a body that is not
# the shape's JSON, UnknownOperationException for an unknown X-Amz-Target).
COMMON_ERRORS: frozenset[str] = frozenset({
    "AccessDeniedException", "IncompleteSignature", "InternalFailure", "InvalidAction",
    "InvalidClientTokenId", "NotAuthorized", "OptInRequired", "RequestExpired",
    "ServiceUnavailable", "ThrottlingException", "ValidationError",
    "ValidationException", "SerializationException", "UnknownOperationException",
    # What the front end of AWS's JSON-protocol services answers for a request it cannot
    # authenticate (stepfn serve --auth sigv4).
    "MissingAuthenticationTokenException", "UnrecognizedClientException",
    "InvalidSignatureException",
})


@cache
def declared_errors(operation: str) -> frozenset[str]:
    """The error codes ``operation`` may answer: its own in botocore's service model,
    plus COMMON_ERRORS. A client's ``client.exceptions.X`` matches only the former."""
    from stepfn.api.model import service_model  # model imports this module

    op = service_model()["operations"].get(operation, {})
    return COMMON_ERRORS | {error["shape"] for error in op.get("errors", [])}


def is_declared(operation: str, code: str) -> bool:
    """Whether answering ``code`` to ``operation`` is what AWS's model allows."""
    return code in declared_errors(operation)
