"""Imports a package that is not installed."""

import nonexistent_package  # noqa: F401


def handler(event, context):
    return {}
