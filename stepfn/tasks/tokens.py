"""Task tokens for callbacks and activities.

A token is derived from where its task stands in the execution (execution, thread,
entered event), so an execution resumed by replay hands out the same token again and an
answer sent across a restart still finds its task. It carries an HMAC-SHA256 of that
position under a secret the server keeps in its store: a token cannot be made up from an
execution ARN, and an altered one or one from another server is rejected. Tokens are
opaque to clients.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

SECRET_NAME = "task-token-hmac"  # the store's name for the signing secret
_MAC_BYTES = 32
_SEPARATOR = "#"


class _Signer:
    """The process's signing secret: the store's once the server has opened it, else a
    random one (``stepfn run`` and in-process engines keep no tokens across runs)."""

    def __init__(self) -> None:
        self.secret: bytes = secrets.token_bytes(32)


_signer = _Signer()


def new_secret() -> bytes:
    """A fresh random signing secret."""
    return secrets.token_bytes(32)


def use_secret(secret: bytes) -> None:
    """Sign and check tokens with ``secret`` from now on (the server, at start-up, with
    the secret its store keeps)."""
    _signer.secret = bytes(secret)


def _mac(secret: bytes, position: bytes) -> bytes:
    return hmac.new(secret, position, hashlib.sha256).digest()


def task_token_for(execution_arn: str, thread: str, entered_id: int,
                   secret: bytes | None = None) -> str:
    """The token of the task entered at event ``entered_id`` of ``thread``: the same
    for the same task every time, signed with ``secret`` (default: the process's)."""
    position = _SEPARATOR.join((execution_arn, thread, str(entered_id))).encode()
    mac = _mac(_signer.secret if secret is None else secret, position)
    return base64.urlsafe_b64encode(position + mac).decode().rstrip("=")


def execution_of_token(token: str, secret: bytes | None = None) -> str | None:
    """The execution ARN of a token this server signed, or None for anything else
    (not a token, altered, or signed with another secret)."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (ValueError, UnicodeError):
        return None
    if len(raw) <= _MAC_BYTES:
        return None
    position, mac = raw[:-_MAC_BYTES], raw[-_MAC_BYTES:]
    expected = _mac(_signer.secret if secret is None else secret, position)
    if not hmac.compare_digest(mac, expected):
        return None
    parts = position.decode("utf-8", "replace").rsplit(_SEPARATOR, 2)
    return parts[0] if len(parts) == 3 and parts[0].startswith("arn:") else None
