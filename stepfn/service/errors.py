"""The execution service's own errors, named after what went wrong.

The service knows nothing of HTTP or of AWS's wire format: it raises these, and the
API (``stepfn.api.errors.AWS_CODES``) answers each with AWS's error code. ``message`` is
the text the client reads.
"""

from __future__ import annotations


class ServiceError(Exception):
    """Something the caller asked for cannot be done; ``message`` says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# -- the request itself -----------------------------------------------------------------
class InvalidRequest(ServiceError):
    """The request breaks a rule of the operation (AWS's ValidationException);
    ``reason`` is AWS's machine-readable reason, when it gives one."""

    def __init__(self, message: str, reason: str | None = None) -> None:
        super().__init__(message)
        self.reason = reason


class InvalidLoggingConfiguration(ServiceError):
    """A loggingConfiguration Step Functions cannot log with (a level other than OFF
    without exactly one log group destination, or a destination that is no log group
    ARN)."""


class InvalidEncryptionConfiguration(ServiceError):
    """An encryptionConfiguration Step Functions cannot use (a customer managed key
    without its key id, or a key id of no KMS form)."""


class MissingParameter(ServiceError):
    """None of the members the operation needs at least one of was given."""


class InvalidArn(ServiceError):
    """An ARN of the wrong shape or resource type for the operation."""

    def __init__(self, arn: str, why: str = "Resource type not valid in this context") -> None:
        super().__init__(f"Invalid Arn: '{why}: {arn}'")
        self.arn = arn


class InvalidName(ServiceError):
    """A name AWS's naming rule refuses."""

    def __init__(self, name: str) -> None:
        super().__init__(f"Invalid Name: '{name}'")


class InvalidDefinition(ServiceError):
    """A definition (or TestState's state) that does not validate."""




# -- state machines, versions, aliases --------------------------------------------------
class StateMachineDoesNotExist(ServiceError):
    def __init__(self, arn: str) -> None:
        super().__init__(f"State Machine Does Not Exist: '{arn}'")
        self.arn = arn


class StateMachineAlreadyExists(ServiceError):
    def __init__(self, arn: str) -> None:
        super().__init__(f"State Machine Already Exists: '{arn}'")


class StateMachineDeleting(ServiceError):
    """The machine is being deleted (DELETING): it takes no changes or executions."""

    def __init__(self, arn: str) -> None:
        super().__init__(f"State machine is being deleted: '{arn}'")


class MachineTypeNotSupported(ServiceError):
    """The operation does not apply to a machine of this type (Standard/Express)."""


class RevisionMismatch(ServiceError):
    """PublishStateMachineVersion for a revision that is no longer the current one."""


class VersionInUse(ServiceError):
    """A version an alias still routes to cannot be deleted."""


class AliasExists(ServiceError):
    """An alias of that name exists with another routing configuration."""


class VersionLimitReached(ServiceError):
    """The machine has as many versions as it may have."""


class ResourceNotFound(ServiceError):
    """A version, alias, map run or tagged resource that does not exist."""

    def __init__(self, what: str, arn: str) -> None:
        super().__init__(f"{what} does not exist: '{arn}'")




# -- executions -------------------------------------------------------------------------


class ExecutionAlreadyExists(ServiceError):
    def __init__(self, arn: str) -> None:
        super().__init__(f"Execution Already Exists: '{arn}'")


class ExecutionNotRedrivable(ServiceError):
    """The execution's status, type or machine rules a redrive out."""




# -- task tokens ------------------------------------------------------------------------
class InvalidToken(ServiceError):
    """A task token that is malformed, altered or not this service's."""


class TaskDoesNotExist(ServiceError):
    """A well-formed token of no task this service knows."""


class TaskTimedOut(ServiceError):
    """The task of the token has ended already (answered, timed out, or its execution
    stopped)."""
