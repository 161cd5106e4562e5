"""Compatibility entry point: the validator lives in ``stepfn.asl.validation``, the one
way in for a definition's text in ``stepfn.asl.loader``."""

from .loader import load_definition, validate_text
from .validation import find_duplicate_keys, parse_definition, validate_definition

__all__ = ["find_duplicate_keys", "load_definition", "parse_definition",
           "validate_definition", "validate_text"]
