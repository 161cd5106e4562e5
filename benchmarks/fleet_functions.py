"""Task functions `benchmarks/fleet.py` loads into its workers (`--functions`)."""


def add_one(event):
    """A cheap local task: the benchmark measures the engine and the store, not it."""
    return {"value": event["value"] + 1}
