"""The AWS Step Functions API (awsJson1_0) over the store and the execution service."""

from stepfn.api.errors import ApiError
from stepfn.api.server import ApiConfig, create_app, serve
from stepfn.service.contract import ActivityTaskGrant, ExecutionService, StartRequest, SyncResult

__all__ = ["ActivityTaskGrant", "ApiConfig", "ApiError", "ExecutionService",
           "StartRequest", "SyncResult", "create_app", "serve"]
