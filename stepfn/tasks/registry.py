"""Plugs the AWS integrations into a TaskDispatcher in one call.

    register_integrations(dispatcher, functions, region="us-east-1")

registers ``aws-sdk:*``, the optimized ``sqs``/``sns``/``dynamodb``/``events``
integrations, ``http:invoke``, and Lambda resources that run a registered local function;
other function names go to real Lambda (through boto3) only when forwarding is on
(``lambda_forward``); HTTP Tasks reach what ``http_policy`` permits. Nothing talks to
AWS, or even imports boto3, until a workflow first uses one of these resources.
"""

from __future__ import annotations

from typing import Any

from .aws_lambda import RemoteLambda
from .aws_sdk import AwsClients, AwsSdkHandler
from .base import TaskDispatcher
from .functions import FunctionRegistry, LambdaHandler
from .http import HttpInvokeHandler, HttpPolicy
from .optimized import OPTIMIZED_TYPES, OptimizedHandler


def default_dispatcher(functions: FunctionRegistry, *, region: str = "us-east-1",
                       account: str = "123456789012",
                       lambda_forward: bool = False, http_policy: HttpPolicy | None = None,
                       ) -> tuple[TaskDispatcher, AwsClients]:
    """A dispatcher with every built-in task resource, and its AWS client cache."""
    dispatcher = TaskDispatcher()
    clients = register_integrations(dispatcher, functions, region=region, account=account,
                                    lambda_forward=lambda_forward, http_policy=http_policy)
    return dispatcher, clients


def register_integrations(dispatcher: TaskDispatcher, functions: FunctionRegistry, *,
                          region: str = "us-east-1", account: str = "123456789012",
                          session: Any = None, lambda_forward: bool = False,
                          http_policy: HttpPolicy | None = None) -> AwsClients:
    """Register every request-response AWS integration; returns the shared client cache.

    ``session`` is an optional ``boto3.session.Session`` (for a profile or explicit
    credentials); by default boto3's own configuration chain applies.
    """
    clients = AwsClients(session)
    dispatcher.register_type("aws-sdk", AwsSdkHandler(clients))
    optimized = OptimizedHandler(clients)
    for resource_type in OPTIMIZED_TYPES:
        dispatcher.register_type(resource_type, optimized)
    dispatcher.register_type("http", HttpInvokeHandler(region, policy=http_policy))
    remote = RemoteLambda(clients) if lambda_forward else None
    lambda_handler = LambdaHandler(functions, remote=remote, region=region, account=account)
    dispatcher.register_kind("lambda-function", lambda_handler)
    dispatcher.register_type("lambda", lambda_handler)
    return clients
