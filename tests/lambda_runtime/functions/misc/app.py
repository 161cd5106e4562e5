"""Handlers for the runtime's behaviours: timeouts, errors, the context object."""

import logging
import os
import sys
import time

logger = logging.getLogger()
logger.setLevel(logging.INFO)


def context_of(event, context):
    first = context.get_remaining_time_in_millis()
    time.sleep(0.05)
    logger.info("looked at the context")
    return {
        "function_name": context.function_name, "version": context.function_version,
        "arn": context.invoked_function_arn, "memory": context.memory_limit_in_mb,
        "request_id": context.aws_request_id, "log_group": context.log_group_name,
        "log_stream": context.log_stream_name, "identity": context.identity.cognito_identity_id,
        "client": context.client_context.custom if context.client_context else None,
        "remaining": [first, context.get_remaining_time_in_millis()],
        "env": {key: os.environ.get(key) for key in (
            "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_VERSION", "AWS_REGION",
            "AWS_DEFAULT_REGION", "AWS_EXECUTION_ENV", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
            "AWS_LAMBDA_LOG_GROUP_NAME", "LAMBDA_TASK_ROOT", "_HANDLER", "TZ", "LANG",
            "AWS_LAMBDA_INITIALIZATION_TYPE")},
        "local_time_is_utc": time.localtime().tm_gmtoff == 0,
        "first_path": sys.path[0], "pid": os.getpid()}


def sleep(event, context):
    time.sleep(event.get("seconds", 10))
    return {"pid": os.getpid(), "slept": event.get("seconds", 10)}


def raises(event, context):
    raise ValueError(f"cannot handle {event['value']}")


def unserialisable(event, context):
    return {"items": {1, 2}}


def exits(event, context):
    os._exit(3)


def touch(event, context):
    with open(event["path"], "w") as file:
        file.write("touched")
    return {}


def decimals(event, context):
    from decimal import Decimal

    return {"count": Decimal("3"), "price": Decimal("2.50"), "raw": "é"}


def big(event, context):
    return "x" * (7 * 1024 * 1024)


def interpreter(event, context):
    import importlib.util

    return {"executable": sys.executable,
            "stepfn_importable": importlib.util.find_spec("stepfn") is not None}
