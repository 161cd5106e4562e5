"""ARNs shaped like AWS's, for a configurable region and account."""

from __future__ import annotations

import re
from dataclasses import dataclass

# AWS forbids these in machine, execution, activity and alias names: white space,
# brackets, wildcards, the listed specials, and control characters.
_FORBIDDEN_NAME = re.compile(
    r"[\s<>{}\[\]?*\"#%\\^|~`$&,;:/\x00-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff]")


def is_valid_name(name: str) -> bool:
    """AWS's rule for state machine, execution and activity names (1-80 characters)."""
    return 0 < len(name) <= 80 and _FORBIDDEN_NAME.search(name) is None


@dataclass(frozen=True)
class Arns:
    """Builds and parses the ARNs of one region and account."""

    region: str = "us-east-1"
    account: str = "123456789012"
    partition: str = "aws"

    @property
    def prefix(self) -> str:
        return f"arn:{self.partition}:states:{self.region}:{self.account}:"

    def state_machine(self, name: str) -> str:
        return f"{self.prefix}stateMachine:{name}"

    def version(self, machine_arn: str, number: int) -> str:
        return f"{machine_arn}:{number}"

    def alias(self, machine_arn: str, name: str) -> str:
        return f"{machine_arn}:{name}"

    def execution(self, machine_name: str, name: str, express: bool = False) -> str:
        kind = "express" if express else "execution"
        return f"{self.prefix}{kind}:{machine_name}:{name}"

    def activity(self, name: str) -> str:
        return f"{self.prefix}activity:{name}"

    def parts(self, arn: str) -> tuple[str, list[str]] | None:
        """(resource type, parts after it) for an ARN of this service, else None."""
        fields = arn.split(":")
        if len(fields) < 7 or fields[0] != "arn" or fields[2] != "states":
            return None
        return fields[5], fields[6:]


@dataclass(frozen=True)
class MachineRef:
    """A state machine ARN split into the machine and its qualifier, if any."""

    machine_arn: str
    version: int | None = None
    alias: str | None = None


def parse_machine_arn(arns: Arns, arn: str) -> MachineRef | None:
    """Split ``...:stateMachine:name[:qualifier]``; None when it is no machine ARN."""
    parsed = arns.parts(arn)
    if parsed is None or parsed[0] != "stateMachine" or not 1 <= len(parsed[1]) <= 2:
        return None
    base = arn.rsplit(":", 1)[0] if len(parsed[1]) == 2 else arn
    if len(parsed[1]) == 1:
        return MachineRef(base)
    qualifier = parsed[1][1]
    if qualifier.isdigit():
        return MachineRef(base, version=int(qualifier))
    return MachineRef(base, alias=qualifier)
