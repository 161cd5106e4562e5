"""The unit the walk and the graph checks share: one machine (root, branch, processor).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Machine:
    """One scope of states: the root, a Parallel branch or a Map processor."""

    location: str
    body: dict
    states: dict = field(default_factory=dict)
