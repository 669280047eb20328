"""Account hierarchies as plain mappings: no Django, so the rules are tested on hand-built
graphs. A hierarchy is ``child -> parent`` (None for a top account)."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import TypeVar

K = TypeVar("K", bound=Hashable)


def cycle_members(parents: Mapping[K, K | None]) -> set[K]:
    """The keys that are their own ancestor: each walk up from a key either reaches a top
    account or comes back round; every key met on a loop is in it."""
    in_cycle: set[K] = set()
    settled: set[K] = set()
    for start in parents:
        path: list[K] = []
        on_path: set[K] = set()
        node: K | None = start
        while node is not None and node not in settled and node not in on_path:
            path.append(node)
            on_path.add(node)
            node = parents.get(node)
        if node is not None and node in on_path:
            in_cycle.update(path[path.index(node) :])
        settled.update(path)
    return in_cycle
