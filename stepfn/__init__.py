"""stepfn: run AWS Step Functions (Amazon States Language) workflows anywhere."""

__version__ = "0.1.0"
