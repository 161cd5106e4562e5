"""stepfn: run AWS Step Functions (Amazon States Language) workflows anywhere."""

from .errors import DefinitionError, Diagnostic, StatesError
from .functions_loader import task_function
from .runtime import Engine

__version__ = "0.1.0"
__all__ = ["Engine", "DefinitionError", "Diagnostic", "StatesError", "task_function"]
