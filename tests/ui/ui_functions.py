"""Task functions for the browser tests' ``stepfn serve`` (loaded with --functions)."""

from __future__ import annotations

import threading
from typing import Any

_calls: dict[str, int] = {}
_lock = threading.Lock()


def card_declined(event: Any) -> Any:
    """Always fails: the Task's Retry runs once more, then its Catch takes the error."""
    raise RuntimeError("card declined")


def fails_once(event: Any) -> Any:
    """Fails the first time it is called for ``event["key"]``, succeeds after that (so a
    redriven execution gets past it)."""
    key = str(event.get("key", "")) if isinstance(event, dict) else ""
    with _lock:
        _calls[key] = _calls.get(key, 0) + 1
        attempt = _calls[key]
    if attempt == 1:
        raise RuntimeError("the warehouse is closed")
    return {"shipped": True, "attempt": attempt}


def charge(event: Any) -> Any:
    """Succeeds with a receipt."""
    amount = event.get("amount", 0) if isinstance(event, dict) else 0
    return {"receipt": f"r-{amount}", "amount": amount}


def wrap(event: Any) -> Any:
    """Wraps a fragile item: a "vase" takes a while, "glass" fails with a long Python
    error (its cause is Lambda's JSON: errorMessage, errorType, stackTrace)."""
    import time

    name = event.get("name") if isinstance(event, dict) else None
    if name == "vase":
        time.sleep(1.5)
    if name == "glass":
        lines = ["cannot wrap glass: out of bubble wrap"]
        lines += [f"  shelf {i}: no bubble wrap left" for i in range(40)]
        message = "\n".join(lines)
        raise ValueError(message)
    return event


def ship(event: Any) -> Any:
    """Ships an order."""
    return {"shipped": True}
