"""Task functions for the demo workflow: plain Python, addressed by Lambda ARNs."""

PRICES = {"apple": 30, "pear": 45, "fig": 80}
_calls = {"check_stock": 0}


def price_line(event):
    """Price one order line (called once per Map item)."""
    unit = PRICES[event["sku"]]
    return {"line": event["line"], "sku": event["sku"], "amount": unit * event["quantity"]}


class StockServiceBusy(Exception):
    """A transient error: the workflow's Retry handles it."""


def check_stock(event):
    """Fails on its first call to show Retry at work, then answers."""
    _calls["check_stock"] += 1
    if _calls["check_stock"] == 1:
        raise StockServiceBusy("the stock service is busy, try again")
    return {"order": event["order"], "available": {sku: True for sku in event["skus"]}}
