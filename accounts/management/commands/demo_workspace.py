"""``manage.py demo_workspace``: build or rebuild the demo workspace (see accounts/demo/)."""

import sys
import time

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from accounts.demo import DemoOptions, demo_workspace_build, no_progress


class _StepLine:
    """One line on stdout per step as it finishes: the demo needs no progress-bar library, and
    stderr stays for what went wrong."""

    def __init__(self, *, total: int, desc: str):
        self.total, self.desc, self.done = total, desc, 0

    def update(self, n: int = 1) -> None:
        self.done += n

    def __enter__(self) -> "_StepLine":
        return self

    def __exit__(self, *exc_info: object) -> None:
        sys.stdout.write(f"  {self.desc}: {self.done:,} of {self.total:,} rows\n")


class Command(BaseCommand):
    help = "Build the demo workspace from a seed; running it again rebuilds the same data."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument("--accounts", type=int, default=600)
        parser.add_argument("--csms", type=int, default=6)
        parser.add_argument("--slug", default="demo")
        parser.add_argument("--name", default="Northwind Cloud")

    def handle(self, *args, seed: int, accounts: int, csms: int, slug: str, name: str, **flags):
        progress = _StepLine if flags["verbosity"] > 0 else no_progress
        started = time.perf_counter()
        options = DemoOptions(
            today=timezone.localdate(),
            seed=seed,
            accounts=accounts,
            csms=csms,
            slug=slug,
            name=name,
        )
        try:
            result = demo_workspace_build(options=options, progress=progress)
        except ValueError as error:
            raise CommandError(str(error)) from None
        elapsed = time.perf_counter() - started
        self.stdout.write(
            f"Demo workspace {result.workspace.name!r} ({result.workspace.slug}): "
            f"{result.accounts:,} accounts, {result.arr_movements:,} ARR movements "
            f"in {elapsed:.1f} s (seed {seed})."
        )
        # Only the logins: whoever runs the site (`make run`, a deployment) knows its address.
        self.stdout.write("Sign in as:\n")
        width = max(len(login.email) for login in result.logins)
        self.stdout.write(f"  {'e-mail':<{width}}  {'role':<9}  {'name':<22}  password")
        for login in result.logins:
            self.stdout.write(
                f"  {login.email:<{width}}  {login.role:<9}  {login.name:<22}  {result.password}"
            )
