"""Plugs the AWS integrations into a TaskDispatcher in one call.

    register_integrations(dispatcher, functions, region="us-east-1")

registers ``aws-sdk:*``, the optimized ``sqs``/``sns``/``dynamodb``/``events``
integrations and those of ``tasks/integrations`` (Batch, ECS, Glue, Athena, CodeBuild,
SageMaker, EMR, EKS, ...), ``http:invoke``, and Lambda resources that run a registered
local function or a function of the Lambda runtime (a template's); other function names
go to real Lambda (through boto3) only when forwarding is on (``lambda_forward``); HTTP
Tasks reach what ``http_policy`` permits and read their EventBridge connections unless
``read_connections`` is False. Nothing talks to AWS, or even imports boto3, until a
workflow first uses one of these resources.
"""

from __future__ import annotations

from typing import Any

from .aws_lambda import RemoteLambda
from .aws_sdk import AwsClients, AwsSdkHandler
from .base import TaskDispatcher
from .connections import Connections
from .functions import FunctionRegistry, FunctionRuntime, LambdaHandler
from .http import HttpInvokeHandler, HttpPolicy
from .integrations import SERVICES
from .integrations.handler import IntegrationHandler
from .optimized import OPTIMIZED_TYPES, OptimizedHandler


def default_dispatcher(functions: FunctionRegistry, *, region: str = "us-east-1",
                       account: str = "123456789012",
                       lambda_forward: bool = False, http_policy: HttpPolicy | None = None,
                       read_connections: bool = True,
                       sync_poll_seconds: float | None = None,
                       lambda_runtime: FunctionRuntime | None = None,
                       ) -> tuple[TaskDispatcher, AwsClients]:
    """A dispatcher with every built-in task resource, and its AWS client cache."""
    dispatcher = TaskDispatcher()
    clients = register_integrations(dispatcher, functions, region=region, account=account,
                                    lambda_forward=lambda_forward, http_policy=http_policy,
                                    read_connections=read_connections,
                                    sync_poll_seconds=sync_poll_seconds,
                                    lambda_runtime=lambda_runtime)
    return dispatcher, clients


def register_integrations(dispatcher: TaskDispatcher, functions: FunctionRegistry, *,
                          region: str = "us-east-1", account: str = "123456789012",
                          session: Any = None, lambda_forward: bool = False,
                          http_policy: HttpPolicy | None = None,
                          read_connections: bool = True,
                          sync_poll_seconds: float | None = None,
                          lambda_runtime: FunctionRuntime | None = None) -> AwsClients:
    """Register every request-response AWS integration; returns the shared client cache.

    ``session`` is an optional ``boto3.session.Session`` (for a profile or explicit
    credentials); by default boto3's own configuration chain applies.
    ``lambda_runtime`` (a ``stepfn.lambda_runtime.LambdaRuntime``) runs the functions of
    a template, for names no local function has.
    """
    clients = AwsClients(session)
    dispatcher.register_type("aws-sdk", AwsSdkHandler(clients))
    optimized = OptimizedHandler(clients)
    for resource_type in OPTIMIZED_TYPES:
        dispatcher.register_type(resource_type, optimized)
    integrations = IntegrationHandler(clients, SERVICES, poll_seconds=sync_poll_seconds,
                                      http_policy=http_policy)
    for resource_type in SERVICES:  # batch, ecs, glue, athena, codebuild, sagemaker...
        dispatcher.register_type(resource_type, integrations)
    dispatcher.register_type("http", HttpInvokeHandler(
        region, policy=http_policy,
        connections=Connections(clients, region) if read_connections else None))
    remote = RemoteLambda(clients) if lambda_forward else None
    lambda_handler = LambdaHandler(functions, remote=remote, region=region, account=account,
                                   runtime=lambda_runtime)
    dispatcher.register_kind("lambda-function", lambda_handler)
    dispatcher.register_type("lambda", lambda_handler)
    return clients
