"""Task resources: what a Task state's ``Resource`` calls."""
