"""The demo workspace: a realistic customer book built deterministically from a seed.

The build is a pipeline of steps. Each step takes the workspace, its own random generator, the
options and a progress bar factory, writes its rows in bulk and reads what earlier steps wrote
from the database. Every step gets a generator seeded from the seed and the step's name, so
adding a step never changes the data of the others. Rebuilding replaces the demo's rows
instead of adding to them.

The modules: ``step`` (the options and what a step is given), ``people`` (users and
memberships), ``company_names`` and ``portfolio`` (the accounts), ``ledger`` (ARR history),
``story`` (what the steps agree on) and ``pipeline`` (the default steps and the build).

Adding a step from an app above ``accounts`` (value, stakeholders, health, ...): ``accounts``
never imports that app; the app registers its step when Django starts::

    # value/demo.py
    def demo_value_evidence_record(*, workspace, rng, options, progress) -> None:
        accounts = demo_accounts(workspace=workspace)  # the rows earlier steps wrote
        rows = [...]  # drawn from rng only, so the same seed gives the same rows
        bulk_create_batched(Evidence.dangerously_unscoped, rows, progress=progress, desc="evidence")

    # value/apps.py
    class ValueConfig(AppConfig):
        name = "value"

        def ready(self) -> None:
            from accounts.demo import demo_step_register
            from value.demo import demo_value_evidence_record

            demo_step_register(demo_value_evidence_record)

Registered steps run after the accounts steps (``DEMO_STEPS``), in the order they were
registered: apps are readied in ``INSTALLED_APPS`` order, lowest layer first, so a health step
sees the rows of value and stakeholders. ``manage.py demo_workspace`` and every other default
build run them; a caller that passes ``steps=`` runs exactly those. A step's function name is
part of its seed: keep it unique and stable. A step that replaces its rows on each run (like
``demo_arr_ledger_rebuild``) keeps rebuilding idempotent.
"""

from accounts.demo.ledger import demo_arr_ledger_rebuild
from accounts.demo.people import DEMO_PASSWORD, DemoLogin, demo_email, demo_people_upsert
from accounts.demo.pipeline import (
    DEMO_STEPS,
    DemoResult,
    demo_step_register,
    demo_steps,
    demo_workspace_build,
)
from accounts.demo.portfolio import (
    EXTERNAL_ID_PREFIX,
    MAX_ACCOUNTS,
    SEGMENT_PROFILES,
    demo_accounts,
    demo_accounts_upsert,
    demo_external_id,
)
from accounts.demo.step import (
    DemoOptions,
    DemoStep,
    Progress,
    ProgressBar,
    bulk_create_batched,
    no_progress,
)
from accounts.demo.story import USE_CASE_NAMES

__all__ = [
    "DEMO_PASSWORD",
    "DEMO_STEPS",
    "EXTERNAL_ID_PREFIX",
    "MAX_ACCOUNTS",
    "SEGMENT_PROFILES",
    "USE_CASE_NAMES",
    "DemoLogin",
    "DemoOptions",
    "DemoResult",
    "DemoStep",
    "Progress",
    "ProgressBar",
    "bulk_create_batched",
    "demo_accounts",
    "demo_accounts_upsert",
    "demo_arr_ledger_rebuild",
    "demo_email",
    "demo_external_id",
    "demo_people_upsert",
    "demo_step_register",
    "demo_steps",
    "demo_workspace_build",
    "no_progress",
]
