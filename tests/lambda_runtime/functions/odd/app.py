"""One of two functions named app.lambda_handler, each in its own folder, each reading
its own environment."""

import os

INITS = 0
CALLS = 0
INITS += 1  # counted once per process: the module is imported once


def lambda_handler(event, context):
    global CALLS
    CALLS += 1
    print(f"checking {event['value']}")
    return {"parity": os.environ["PARITY"], "odd": event["value"] % 2 == 1,
            "inits": INITS, "calls": CALLS, "pid": os.getpid(), "cwd": os.getcwd()}
