"""Errors the API answers with, in AWS's awsJson1_0 shape."""

from __future__ import annotations


class ApiError(Exception):
    """An error answered as HTTP ``status`` with ``{"__type": code, "message": ...}``.

    The execution service may raise it too (e.g. ``TaskDoesNotExist``) and the API
    passes it through unchanged.
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
