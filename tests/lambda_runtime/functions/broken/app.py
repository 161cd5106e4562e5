"""Fails while it is imported: the function's init fails."""

import os

raise RuntimeError(f"configuration missing: {os.environ.get('TABLE', 'TABLE')}")
