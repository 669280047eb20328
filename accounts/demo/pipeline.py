"""The build: the default steps, the registration of other apps' steps, and running them."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction

from accounts.demo.ledger import demo_arr_ledger_rebuild
from accounts.demo.people import DEMO_PASSWORD, DemoLogin, demo_logins, demo_people_upsert
from accounts.demo.portfolio import MAX_ACCOUNTS, demo_accounts, demo_accounts_upsert
from accounts.demo.step import DemoOptions, DemoStep, Progress, no_progress
from accounts.models import ArrMovement
from csos.demo_build import demo_build_lock
from csos.models import Workspace
from csos.tenancy import workspace_scope

DEMO_STEPS: tuple[DemoStep, ...] = (
    demo_people_upsert,
    demo_accounts_upsert,
    demo_arr_ledger_rebuild,
)

_registered_steps: list[DemoStep] = []


@dataclass(frozen=True)
class DemoResult:
    workspace: Workspace
    logins: list[DemoLogin]
    password: str
    accounts: int
    arr_movements: int


def demo_step_register(step: DemoStep) -> None:
    """Run ``step`` in every default build, after the steps registered before it.

    For apps above ``accounts``, from their ``AppConfig.ready()``. Registering the same function
    again does nothing, since ``ready()`` can run more than once in tests; another function with
    a name already taken is refused, because the name seeds the step's generator.
    """
    if step in _registered_steps:
        return
    if any(other.__name__ == step.__name__ for other in demo_steps()):
        raise ValueError(f"a demo step named {step.__name__!r} is already registered")
    _registered_steps.append(step)


def demo_steps() -> tuple[DemoStep, ...]:
    """The default pipeline: the accounts steps, then the registered ones in their order."""
    return (*DEMO_STEPS, *_registered_steps)


@transaction.atomic
def demo_workspace_build(
    *,
    options: DemoOptions,
    steps: Sequence[DemoStep] | None = None,
    progress: Progress = no_progress,
) -> DemoResult:
    """Build or rebuild the demo workspace named by ``options.slug``, all or nothing.

    ``steps`` replaces the whole default pipeline (``demo_steps()``) when given.
    """
    if not 0 <= options.accounts <= MAX_ACCOUNTS:
        raise ValueError(f"accounts must be between 0 and {MAX_ACCOUNTS}")
    if options.csms < 1:
        raise ValueError("a demo workspace needs at least one CSM")
    demo_build_lock()
    workspace, _ = Workspace.objects.update_or_create(
        slug=options.slug, defaults={"name": options.name, "is_demo": True}
    )
    # Steps write through the dangerously_unscoped managers; the scope serves the services
    # they call.
    with workspace_scope(workspace):
        for step in demo_steps() if steps is None else steps:
            rng = random.Random(f"{options.seed}:{step.__name__}")
            step(workspace=workspace, rng=rng, options=options, progress=progress)
    accounts = demo_accounts(workspace=workspace)
    return DemoResult(
        workspace=workspace,
        logins=demo_logins(workspace=workspace, options=options),
        password=DEMO_PASSWORD,
        accounts=accounts.count(),
        arr_movements=ArrMovement.dangerously_unscoped.filter(account__in=accounts).count(),
    )
