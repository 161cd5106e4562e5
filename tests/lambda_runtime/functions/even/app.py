"""The other app.lambda_handler (the same module name, another folder)."""

import os


def lambda_handler(event, context):
    return {"parity": os.environ["PARITY"], "even": event["value"] % 2 == 0,
            "pid": os.getpid(), "cwd": os.getcwd()}
