"""Task tokens for callbacks and activities.

A token is derived from where its task stands in the execution (execution, thread,
entered event), so an execution resumed by replay hands out the same token again and an
answer sent across a restart still finds its task. Tokens are opaque to clients.
"""

from __future__ import annotations

import base64


def task_token_for(execution_arn: str, thread: str, entered_id: int) -> str:
    raw = f"{execution_arn}#{thread}#{entered_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def execution_of_token(token: str) -> str | None:
    """The execution ARN a token belongs to, or None when it is not a stepfn token."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    parts = raw.split("#")
    return parts[0] if len(parts) == 3 and parts[0].startswith("arn:") else None
