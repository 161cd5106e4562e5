"""Task functions the service tests load with `stepfn serve --functions`."""

import os
import time

import boto3


def add_one(event):
    return {"value": event["value"] + 1}


def slow_add_one(event):
    time.sleep(event.get("sleep", 1.5))
    return {"value": event["value"] + 1}


def fail_always(event):
    raise ValueError(f"cannot handle {event}")


def answer_token(event):
    """Receives a .waitForTaskToken token and answers it through the API, as a worker in
    another process would."""
    client = boto3.client("stepfunctions", endpoint_url=os.environ["STEPFN_TEST_ENDPOINT"],
                          region_name="us-east-1")
    client.send_task_success(taskToken=event["token"],
                             output=f'{{"answered": {event["value"]}}}')
    return {"sent": True}


def fail_unless_flag(event):
    if not os.path.exists(event["flag"]):
        raise RuntimeError("the flag file is not there yet")
    return event


def record_call(event):
    """Adds one to ``value`` after a short nap, and appends ``key`` to the file named by
    STEPFN_FAULT_LOG (one line per invocation, so duplicates can be counted). The line
    is written before the nap: an invocation cut short by kill -9 still counts."""
    with open(os.environ["STEPFN_FAULT_LOG"], "a", encoding="utf-8") as log:
        log.write(event["key"] + "\n")
    time.sleep(event.get("nap", 0.05))
    return {"value": event["value"] + 1}


def hand_token(event):
    """Gives a .waitForTaskToken token to the test (a line in STEPFN_FAULT_TOKENS),
    which answers it through the API."""
    with open(os.environ["STEPFN_FAULT_TOKENS"], "a", encoding="utf-8") as out:
        out.write(f'{event["value"]} {event["token"]}\n')
    return {"handed": True}


def touch_flag(event):
    """Creates the file ``event["flag"]`` (the test then knows the execution got here)."""
    with open(event["flag"], "w"):
        pass
    return event


def counted_gate(event):
    """Appends ``key`` to the file ``event["log"]`` (one line per invocation), naps
    ``nap`` seconds, then fails when ``gate`` is set and the file ``event["flag"]`` is
    not there yet."""
    with open(event["log"], "a", encoding="utf-8") as log:
        log.write(f'{event["key"]}\n')
    time.sleep(event.get("nap", 0))
    if event.get("gate") and not os.path.exists(event["flag"]):
        raise RuntimeError(f'item {event["key"]} is gated')
    return {"done": event["key"]}
