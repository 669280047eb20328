"""What every demo step is given (options, a progress bar) and how steps write their rows."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from django.db.models import Manager, Model

from csos.models import Workspace

BATCH_SIZE = 2_000


@dataclass(frozen=True, kw_only=True)
class DemoOptions:
    """What to build. ``today`` anchors every date, so the same seed and day give the same data."""

    today: date
    seed: int = 42
    accounts: int = 600
    csms: int = 6
    slug: str = "demo"
    name: str = "Northwind Cloud"
    # The first accounts by external id report usage; the rest never did (see ``story``).
    usage_accounts: int = 100


class ProgressBar(Protocol):
    def update(self, n: int = 1) -> object: ...
    def __enter__(self) -> ProgressBar: ...
    def __exit__(self, *exc_info: object) -> object: ...


# Called as progress(total=..., desc=...); the command passes its step lines, benches tqdm.
Progress = Callable[..., ProgressBar]


class _SilentBar:
    def update(self, n: int = 1) -> None:
        pass

    def __enter__(self) -> _SilentBar:
        return self

    def __exit__(self, *exc_info: object) -> None:
        return None


def no_progress(*, total: int, desc: str) -> ProgressBar:
    return _SilentBar()


class DemoStep(Protocol):
    """One stage of the build: writes its rows and reads what earlier steps wrote.

    ``__name__`` seeds the step's generator, so it must be unique among the steps, and renaming
    a step changes the data it generates.
    """

    __name__: str

    def __call__(
        self, *, workspace: Workspace, rng: random.Random, options: DemoOptions, progress: Progress
    ) -> None: ...


def bulk_create_batched(
    manager: Manager[Any],
    rows: Sequence[Model],
    *,
    progress: Progress,
    desc: str,
    **bulk_create_options: Any,
) -> None:
    """``bulk_create`` in batches of ``BATCH_SIZE``, advancing a progress bar per batch."""
    with progress(total=len(rows), desc=desc) as bar:
        for start in range(0, len(rows), BATCH_SIZE):
            batch = rows[start : start + BATCH_SIZE]
            manager.bulk_create(batch, **bulk_create_options)
            bar.update(len(batch))
