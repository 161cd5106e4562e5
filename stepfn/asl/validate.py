"""Compatibility entry point: the validator lives in ``stepfn.asl.validation``."""

from .validation import (
    find_duplicate_keys,
    load_definition,
    parse_definition,
    validate_definition,
    validate_text,
)

__all__ = ["find_duplicate_keys", "load_definition", "parse_definition",
           "validate_definition", "validate_text"]
