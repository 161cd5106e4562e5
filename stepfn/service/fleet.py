"""A fleet shares its execution settings.

Every process that serves or runs executions on one database (each ``stepfn serve``,
with or without its worker, and each ``stepfn worker``) is a member of that database's
fleet. The settings that govern what an execution does (``stepfn.settings.
FLEET_SETTINGS``: region and account, the HTTP Task allow-list, Lambda forwarding, the
mock configuration, the history limit, the expression budgets) must be the same on all
of them, or an execution would behave differently depending on the process that
happens to claim it (an HTTP Task refused by the API node's allow-list would run on a
worker without one).

Each member registers the settings it runs with in the database (``Store.join_fleet``),
renews the registration while it lives and removes it when it stops; a process that
dies lapses after its lease time. A process that starts:

- takes, for each fleet setting it was *not* given (by flag or variable), the value
  the live members run with: a plain ``stepfn worker`` runs as the API node was
  configured, mock configuration included (its document travels in the database);
- refuses to start when a value it *was* given differs from theirs, naming each such
  setting (``FleetConflict``, one ``error:`` line at the command line);
- with no live member, runs with its own values (given or default), which the
  processes after it then follow.

So changing a fleet's settings means stopping its processes, then starting them with
the new ones. Joining is atomic (``Store.join_fleet`` checks and registers in one
transaction): of processes racing to start with different settings, only those that
agree with the first get in.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import orjson

from ..settings import FLEET_SETTINGS
from ..store.base import FleetMember, Store

log = logging.getLogger("stepfn.fleet")


class FleetConflict(Exception):
    """This process's settings differ from those the fleet on its database runs with."""


@dataclass(frozen=True)
class FleetSettings:
    """The fleet settings one process runs with: name -> a JSON value (the mock
    configuration as its document)."""

    values: Mapping[str, Any]

    def text(self) -> str:
        """The canonical JSON text members compare (keys sorted)."""
        return orjson.dumps(dict(self.values), option=orjson.OPT_SORT_KEYS).decode()

    @classmethod
    def parse(cls, text: str) -> FleetSettings:
        return cls(orjson.loads(text))


def agree(mine: FleetSettings, given: Mapping[str, str],
          members: Sequence[FleetMember]) -> FleetSettings:
    """The settings this process runs with, next to the live ``members``: its own
    where it was given them (``given``: name -> the flag or variable that set it) or
    when no member lives, the members' otherwise. FleetConflict naming every given
    setting that differs from the members'."""
    if not members:
        return mine
    theirs = FleetSettings.parse(members[0].settings).values  # members agree (joins)
    differing = [name for name in FLEET_SETTINGS if name in given and name in theirs
                 and mine.values.get(name) != theirs[name]]
    if differing:
        parts = [f"{given[name]} ({_shown(name, mine.values.get(name))})" for name in differing]
        fleet = ", ".join(f"{_label(name)} {_shown(name, theirs[name])}" for name in differing)
        raise FleetConflict(
            f"{' and '.join(parts)} {'differs' if len(parts) == 1 else 'differ'} from the "
            f"settings of the fleet running on this database ({fleet}; {_who(members)}): "
            "give every process the same settings, leave them out to take the fleet's, "
            "or stop the fleet's processes first (a killed one counts until its lease "
            "time has passed)")
    return FleetSettings({name: theirs.get(name, value) if name not in given else value
                          for name, value in mine.values.items()})


def _label(name: str) -> str:
    return name.replace("_", " ")


def _shown(name: str, value: Any) -> str:
    if name == "mock_config":
        return "none" if value is None else "a mock configuration"
    if name == "http_allow":
        return "any host" if value is None else ",".join(value)
    if isinstance(value, bool):
        return "on" if value else "off"
    return str(value)


def _who(members: Sequence[FleetMember]) -> str:
    first = members[0]
    since = time.strftime("%H:%M:%S", time.localtime(first.joined))
    others = f" and {len(members) - 1} more" if len(members) > 1 else ""
    return f"{first.role} {first.owner} since {since}{others}"


class FleetMembership:
    """This process's registration in the fleet on ``store``: joined at start (after
    ``agree``), renewed every third of ``lease_seconds``, removed at stop."""

    def __init__(self, store: Store, settings: FleetSettings, role: str,
                 lease_seconds: float, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.settings = settings
        self.role = role
        self.lease_seconds = lease_seconds
        self.clock = clock
        self._member: FleetMember | None = None
        self._renewer: asyncio.Task | None = None

    async def join(self, owner: str) -> None:
        """Register as ``owner``; FleetConflict when the live members (which may have
        joined since ``agree`` looked) run with other settings."""
        now = self.clock()
        member = FleetMember(owner, self.settings.text(), self.role, now,
                             now + self.lease_seconds)
        others = await self.store.join_fleet(member, now)
        if others:
            agree(self.settings, {name: _label(name) for name in FLEET_SETTINGS}, others)
            raise FleetConflict(f"the fleet on this database runs with other settings "
                                f"({_who(others)})")
        self._member = member
        self._renewer = asyncio.ensure_future(self._renew())

    async def _renew(self) -> None:
        while True:
            await asyncio.sleep(self.lease_seconds / 3)
            assert self._member is not None
            member = replace(self._member, expires=self.clock() + self.lease_seconds)
            try:
                await self.store.renew_fleet_member(member)
            except Exception as exc:  # noqa: BLE001 - the store may be away; try again
                log.warning("could not renew this process's fleet registration: %s", exc)
            else:
                self._member = member

    async def leave(self) -> None:
        """Stop renewing and remove the registration (best effort: it lapses anyway)."""
        renewer, self._renewer = self._renewer, None
        if renewer is not None:
            renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewer
        member, self._member = self._member, None
        if member is not None:
            try:
                await self.store.leave_fleet(member.owner)
            except Exception as exc:  # noqa: BLE001 - it lapses after lease_seconds
                log.warning("could not remove this process's fleet registration: %s", exc)
