"""The demo's users: who they are, their memberships, and the logins the build reports."""

from __future__ import annotations

import random
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password

from accounts.demo.step import DemoOptions, Progress
from csos.models import Membership, Role, Workspace

DEMO_PASSWORD = "csos-demo-2026"

FIRST_NAMES = (
    "Amara", "Ben", "Chiara", "Daniel", "Elif", "Farah", "Gabriel", "Hannah", "Ivan", "Jonas",
    "Keiko", "Lucas", "Maya", "Nikhil", "Olivia", "Pedro", "Quinn", "Rosa", "Samir", "Tessa",
    "Umar", "Vivian", "Wei", "Ximena", "Yusuf", "Zoe", "Ingrid", "Mateo", "Priya", "Tomás",
)  # fmt: skip
LAST_NAMES = (
    "Adeyemi", "Becker", "Castillo", "Dubois", "Eriksen", "Fischer", "García", "Haddad",
    "Ito", "Jansen", "Kowalski", "Lindqvist", "Moreau", "Nakamura", "O'Brien", "Petrov",
    "Rossi", "Schmidt", "Tanaka", "Novak", "Varga", "Walsh", "Yilmaz", "Zhang", "Okafor",
    "Mehta", "Santos", "Kim", "Larsen", "Hughes",
)  # fmt: skip


@dataclass(frozen=True)
class DemoLogin:
    email: str
    role: str
    name: str


def demo_email(*, options: DemoOptions, local: str) -> str:
    return f"{local}@{options.slug}.csos.example"


def demo_people(*, options: DemoOptions) -> list[tuple[str, str]]:
    """The demo's users as (e-mail, role): one admin, one leader, the CSMs and one viewer."""
    locals_and_roles = [
        ("admin", Role.ADMIN),
        ("leader", Role.LEADER),
        *((f"csm{number}", Role.CSM) for number in range(1, options.csms + 1)),
        ("viewer", Role.VIEWER),
    ]
    return [(demo_email(options=options, local=local), role) for local, role in locals_and_roles]


def demo_people_upsert(
    *, workspace: Workspace, rng: random.Random, options: DemoOptions, progress: Progress
) -> None:
    """Users by e-mail with generated names and the demo password, and their memberships."""
    User = get_user_model()
    people = demo_people(options=options)
    # Hashing is deliberately slow: hash once and give every demo user the same hash.
    password_hash = make_password(DEMO_PASSWORD)
    full_names = rng.sample(
        [(first, last) for first in FIRST_NAMES for last in LAST_NAMES], len(people)
    )
    existing = {user.email: user for user in User.objects.filter(email__in=[e for e, _ in people])}
    users = []
    for (email, _), (first_name, last_name) in zip(people, full_names, strict=True):
        user = existing.get(email) or User(username=email, email=email)
        user.first_name, user.last_name, user.password = first_name, last_name, password_hash
        users.append(user)
    User.objects.bulk_create([user for user in users if user.pk is None])
    User.objects.bulk_update(
        [user for user in users if user.email in existing], ["first_name", "last_name", "password"]
    )
    for user, (_, role) in zip(users, people, strict=True):
        Membership.dangerously_unscoped.update_or_create(
            workspace=workspace, user=user, defaults={"role": role}
        )


def demo_csm_ids(*, workspace: Workspace, options: DemoOptions) -> list[int]:
    """The demo CSMs' user ids in the order csm1, csm2, ..., so dealing accounts is stable."""
    emails = [email for email, role in demo_people(options=options) if role == Role.CSM]
    by_email = dict(
        Membership.dangerously_unscoped.filter(
            workspace=workspace, role=Role.CSM, user__email__in=emails
        ).values_list("user__email", "user_id")
    )
    return [by_email[email] for email in emails]


def demo_logins(*, workspace: Workspace, options: DemoOptions) -> list[DemoLogin]:
    """Each demo user's e-mail, role and name, in the order of ``demo_people``."""
    people = demo_people(options=options)
    members = {
        membership.user.email: membership
        for membership in Membership.dangerously_unscoped.filter(
            workspace=workspace, user__email__in=[email for email, _ in people]
        ).select_related("user")
    }
    return [
        DemoLogin(
            email=email,
            role=members[email].get_role_display(),
            name=members[email].user.get_full_name(),
        )
        for email, _ in people
    ]
