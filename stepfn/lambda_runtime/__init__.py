"""The local Lambda runtime: a template's Python functions run as Lambda runs them, in
processes of their own, without containers (``LambdaRuntime``, ``FunctionSpec``).

The task layer reaches it through ``stepfn.tasks.functions.LambdaHandler`` (a Lambda ARN
or ``lambda:invoke`` resolves to a ``--functions`` function, else a runtime function,
else real Lambda with ``--lambda-forward``); this package depends on nothing above the
task layer.
"""

from .errors import FunctionNotFound, LambdaServiceError, TooManyRequests
from .runtime import InvokeResult, LambdaRuntime
from .spec import FunctionSpec

__all__ = ["FunctionNotFound", "FunctionSpec", "InvokeResult", "LambdaRuntime",
           "LambdaServiceError", "TooManyRequests"]
