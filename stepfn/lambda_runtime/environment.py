"""What a function's processes start with: the variables Lambda sets, the code folder,
the layers and the interpreter.

Of Lambda's reserved variables, a local run gives those it can give truthfully:
``_HANDLER``, ``AWS_REGION``, ``AWS_DEFAULT_REGION``, ``AWS_EXECUTION_ENV``,
``AWS_LAMBDA_FUNCTION_NAME``, ``AWS_LAMBDA_FUNCTION_MEMORY_SIZE``,
``AWS_LAMBDA_FUNCTION_VERSION``, ``AWS_LAMBDA_INITIALIZATION_TYPE``,
``AWS_LAMBDA_LOG_GROUP_NAME``, ``AWS_LAMBDA_LOG_STREAM_NAME`` (one stream per process,
as per execution environment), ``LAMBDA_TASK_ROOT`` (the code folder),
``LAMBDA_RUNTIME_DIR`` (the folder of stepfn's runtime program), ``TZ=:UTC`` and the
unreserved ``LANG``. Left out: ``AWS_LAMBDA_RUNTIME_API`` (there is no Runtime API to
call), the X-Ray daemon's variables, and the role's credentials, which come from the
server's own environment (``AWS_ACCESS_KEY_ID``..., as boto3 finds them) like the rest
of it (``AWS_ENDPOINT_URL``, ``PATH``, proxies). A function's ``Environment`` cannot
change a reserved variable (Lambda refuses to deploy such a function; here it is noted
and Lambda's value kept).
"""

from __future__ import annotations

import os
import sys
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from .spec import FunctionSpec

BOOTSTRAP = Path(__file__).resolve().with_name("bootstrap.py")

RESERVED = frozenset({
    "_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_INITIALIZATION_TYPE",
    "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME", "AWS_ACCESS_KEY",
    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
    "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR", "TZ",
})

# Variables of the server's environment a function does not inherit (nor STEPFN_*): they
# belong to stepfn or to the server's interpreter, not to the function's.
_NOT_INHERITED = ("PYTHONHOME", "PYTHONSTARTUP", "PYTHONEXECUTABLE", "__PYVENV_LAUNCHER__")


@dataclass(frozen=True)
class PreparedFunction:
    """A spec made ready to start: its interpreter, folders and base environment."""

    spec: FunctionSpec
    python: str
    task_root: Path
    layers: tuple[Path, ...]
    environment: Mapping[str, str]  # without the per-process log stream
    overridden: tuple[str, ...]  # reserved variables the spec tried to set

    @property
    def name(self) -> str:
        return self.spec.name


def execution_env(spec: FunctionSpec) -> str:
    """``AWS_Lambda_python3.12``: the declared runtime, else the interpreter's version."""
    runtime = spec.runtime or "python{}.{}".format(*sys.version_info[:2])
    return f"AWS_Lambda_{runtime}"


def lambda_variables(spec: FunctionSpec, task_root: Path, region: str) -> dict[str, str]:
    """The variables Lambda sets for ``spec`` (all but the per-process log stream)."""
    return {
        "_HANDLER": spec.handler,
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        "AWS_EXECUTION_ENV": execution_env(spec),
        "AWS_LAMBDA_FUNCTION_NAME": spec.name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{spec.name}",
        "LAMBDA_TASK_ROOT": str(task_root),
        "LAMBDA_RUNTIME_DIR": str(BOOTSTRAP.parent),
        "TZ": ":UTC",
    }


def process_environment(prepared: PreparedFunction) -> dict[str, str]:
    """The environment of one new process: its own log stream, as each execution
    environment has."""
    stream = time.strftime("%Y/%m/%d", time.gmtime()) + f"/[$LATEST]{uuid.uuid4().hex}"
    return {**prepared.environment, "AWS_LAMBDA_LOG_STREAM_NAME": stream}


def prepare(spec: FunctionSpec, task_root: Path, *, region: str,
            base: Mapping[str, str], python: str | None) -> PreparedFunction:
    """``spec`` ready to start from folder ``task_root`` (its code folder, or the folder
    its inline code was written to)."""
    environment = {key: value for key, value in base.items()
                   if key not in _NOT_INHERITED and not key.startswith("STEPFN_")}
    environment.setdefault("LANG", "en_US.UTF-8")
    own = lambda_variables(spec, task_root, region)
    overridden = tuple(sorted(key for key in spec.environment if key in RESERVED))
    environment.update({k: v for k, v in spec.environment.items() if k not in RESERVED})
    environment.update(own)
    return PreparedFunction(
        spec, spec.python or python or sys.executable, task_root,
        tuple(Path(layer).resolve() for layer in spec.layers), environment, overridden)


def inline_code_folder(spec: FunctionSpec, parent: Path) -> Path:
    """A private folder holding ``spec``'s inline code as ``index.py``, the file
    CloudFormation writes a Python ``Code.ZipFile`` (and SAM an ``InlineCode``) to, so
    its handler is ``index.<function>``."""
    folder = parent / f"{spec.name}-{uuid.uuid4().hex[:8]}"
    folder.mkdir(mode=0o700)
    (folder / "index.py").write_text(spec.inline_code or "", encoding="utf-8")
    return folder


def inherited_environment() -> dict[str, str]:
    """The server's environment, which functions start from (credentials, endpoints,
    PATH): read once, when the runtime is built."""
    return dict(os.environ)
