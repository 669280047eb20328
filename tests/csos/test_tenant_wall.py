"""The tenant wall for writes and relations: what a second workspace must never reach."""

import ast
from pathlib import Path

import pytest
from django import forms
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldError
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, ForeignKey
from django.test.utils import CaptureQueriesContext
from rest_framework import serializers

from accounts.models import Account, ArrMovement, MovementKind
from csos.models import Membership, TenantModel
from csos.scoping import WorkspaceScopedFieldsMixin
from csos.tenancy import (
    TenantForeignKey,
    TenantOneToOneField,
    WorkspaceScopeMissing,
    WorkspaceScopeViolation,
    workspace_scope,
)
from tests.factories import AccountFactory

ROOT = Path(__file__).resolve().parents[2]


class MovementForm(WorkspaceScopedFieldsMixin, forms.ModelForm):
    """Declared at import time, before any workspace is in scope."""

    class Meta:
        model = ArrMovement
        fields = ["account", "kind", "date", "amount", "recorded_by"]


class MovementSerializer(WorkspaceScopedFieldsMixin, serializers.ModelSerializer):
    class Meta:
        model = ArrMovement
        fields = ["account", "kind", "date", "amount", "recorded_by"]


@pytest.mark.django_db
def test_it_refuses_to_create_a_row_in_another_workspace_than_the_scope(alpha, beta):
    with workspace_scope(alpha), pytest.raises(WorkspaceScopeViolation):
        Account.objects.create(workspace=beta, name="Planted", external_id="P-1")
    assert not Account.dangerously_unscoped.filter(external_id="P-1").exists()


@pytest.mark.django_db
def test_it_refuses_a_bulk_create_into_another_workspace(alpha, beta):
    with workspace_scope(alpha), pytest.raises(WorkspaceScopeViolation):
        Account.objects.bulk_create([Account(workspace=beta, name="Planted", external_id="P-2")])
    assert not Account.dangerously_unscoped.filter(external_id="P-2").exists()


@pytest.mark.django_db
def test_it_refuses_to_move_rows_to_another_workspace_by_update(alpha, beta):
    account = AccountFactory(workspace=alpha)
    with workspace_scope(alpha), pytest.raises(WorkspaceScopeViolation):
        Account.objects.filter(pk=account.pk).update(workspace=beta)
    account.refresh_from_db()
    assert account.workspace_id == alpha.pk


@pytest.mark.django_db
def test_it_refuses_an_update_that_points_at_another_workspaces_row(alpha, beta):
    mine = AccountFactory(workspace=alpha)
    theirs = AccountFactory(workspace=beta)
    movement = ArrMovement.dangerously_unscoped.create(
        workspace=alpha, account=mine, kind=MovementKind.NEW, date="2025-01-01", amount=1
    )
    with workspace_scope(alpha), pytest.raises(WorkspaceScopeViolation):
        ArrMovement.objects.filter(pk=movement.pk).update(account=theirs.pk)
    movement.refresh_from_db()
    assert movement.account_id == mine.pk


@pytest.mark.django_db
def test_it_refuses_a_row_that_points_at_another_workspaces_row(alpha, beta):
    theirs = AccountFactory(workspace=beta)
    with workspace_scope(alpha):
        with pytest.raises(WorkspaceScopeViolation):
            ArrMovement(
                workspace=alpha, account=theirs, kind=MovementKind.NEW, date="2025-01-01", amount=1
            ).save()
        # By id alone, with nothing loaded to compare: still refused.
        with pytest.raises(WorkspaceScopeViolation):
            ArrMovement(
                workspace=alpha,
                account_id=theirs.pk,
                kind=MovementKind.NEW,
                date="2025-01-01",
                amount=1,
            ).save()
    # Outside any scope (a command, a migration) the reference is refused all the same.
    with pytest.raises(WorkspaceScopeViolation):
        ArrMovement.dangerously_unscoped.bulk_create(
            [
                ArrMovement(
                    workspace=alpha,
                    account_id=theirs.pk,
                    kind=MovementKind.NEW,
                    date="2025-01-01",
                    amount=1,
                )
            ]
        )
    assert not ArrMovement.dangerously_unscoped.exists()


@pytest.mark.django_db
def test_it_has_postgresql_refuse_a_cross_workspace_reference_in_raw_sql(alpha, beta):
    theirs = AccountFactory(workspace=beta)
    with (
        pytest.raises(IntegrityError, match="arrmovement_account_wsfk"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(
            "INSERT INTO accounts_arrmovement"
            " (workspace_id, account_id, kind, date, amount, note, created_at)"
            " VALUES (%s, %s, 'new', '2025-01-01', 1, '', now())",
            [alpha.pk, theirs.pk],
        )
    assert not ArrMovement.dangerously_unscoped.exists()


@pytest.mark.django_db
def test_it_offers_no_path_from_users_to_any_workspaces_rows(alpha, beta, bob):
    AccountFactory(workspace=beta, owner=bob)
    User = get_user_model()
    with pytest.raises(FieldError):
        list(User.objects.annotate(load=Count("owned_accounts")))
    assert not hasattr(bob, "owned_accounts")


def test_it_declares_forms_and_serializers_at_import_time_without_a_scope():
    # Building the class and its querysets touches no scope; only running a query does.
    assert MovementForm.base_fields["account"].queryset.model is Account
    with pytest.raises(WorkspaceScopeMissing):
        list(MovementForm().fields["account"].queryset)


@pytest.mark.django_db
def test_it_offers_only_the_scoped_workspaces_rows_and_members_as_choices(
    alpha, beta, bob, charlie
):
    mine = AccountFactory(workspace=alpha)
    theirs = AccountFactory(workspace=beta)
    with workspace_scope(alpha):
        form = MovementForm()
        assert list(form.fields["account"].queryset) == [mine]
        assert list(form.fields["recorded_by"].queryset) == [bob]
        serializer = MovementSerializer()
        assert list(serializer.fields["account"].queryset) == [mine]
        assert list(serializer.fields["recorded_by"].queryset) == [bob]
        posted = MovementForm(
            data={
                "account": theirs.pk,
                "kind": "new",
                "date": "2025-01-01",
                "amount": "1",
                "recorded_by": charlie.pk,
            }
        )
        assert not posted.is_valid()
        assert {"account", "recorded_by"} <= posted.errors.keys()


def _tenant_models():
    return [m for m in apps.get_models() if issubclass(m, TenantModel)]


def test_it_uses_a_composite_key_for_every_foreign_key_between_tenant_models():
    missing = [
        f"{model.__name__}.{field.name}"
        for model in _tenant_models()
        for field in model._meta.concrete_fields
        if isinstance(field, ForeignKey)
        and field.name != "workspace"
        and issubclass(field.related_model, TenantModel)
        and not isinstance(field, TenantForeignKey | TenantOneToOneField)
    ]
    assert missing == [], (
        f"use csos.tenancy.TenantForeignKey (or TenantOneToOneField) for {missing}"
    )


@pytest.mark.django_db
def test_it_has_the_composite_keys_in_the_database():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conrelid::regclass::text, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE contype = 'f'"
        )
        definitions = {(table, definition) for table, definition in cursor.fetchall()}
    for model in _tenant_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, TenantForeignKey | TenantOneToOneField):
                target = field.related_model._meta.db_table
                expected = (
                    f"FOREIGN KEY (workspace_id, {field.column}) "
                    f"REFERENCES {target}(workspace_id, id) DEFERRABLE INITIALLY DEFERRED"
                )
                assert (model._meta.db_table, expected) in definitions, expected


# Foreign keys from tenant rows to a shared table that may have a reverse accessor.
REVERSE_PATH_EXCEPTIONS = {
    # A person's own memberships are how the request layer finds their workspaces.
    (Membership, "user"),
    (Membership, "workspace"),
}


def test_it_gives_shared_tables_no_reverse_path_into_tenant_rows():
    offenders = [
        f"{model.__name__}.{field.name}"
        for model in _tenant_models()
        for field in model._meta.fields
        if field.is_relation
        and field.related_model is not None
        and not issubclass(field.related_model, TenantModel)
        and (model, field.name) not in REVERSE_PATH_EXCEPTIONS
        and not field.remote_field.hidden
    ]
    assert offenders == [], f'give these related_name="+": {offenders}'


# Modules that may cross workspaces on purpose, each for its reason.
ESCAPE_HATCH_ALLOWED = {
    "csos/tenancy.py": "checks references across workspaces",
    "csos/models.py": "defines it",
    "csos/selectors.py": "a user's own memberships span workspaces",
    "csos/services/__init__.py": "membership writes and audit rows name their workspace explicitly",
    "csos/services/invitations.py": "invitations are written in the workspace they name",
    "csos/api/base.py": "an empty queryset for schema generation, outside any request",
    "csos/api/tokens.py": "a token is looked up by its prefix before its workspace is known",
    "csos/links.py": "a signed link is the visitor's authority, looked up before any workspace",
    "csos/tasks.py": "the import recovery sweep finds the workspaces with an import under way",
    "health/tasks.py": "the recompute recovery sweep finds the workspaces with a recompute running",
    "csos/outbox.py": "the outbox relay and sweep send every workspace's pending work",
    "csos/events.py": "an event is written in the workspace its publisher names",
    "csos/webhooks/delivery.py": "the delivery sweep retries every workspace's due deliveries",
    "accounts/demo/": "the demo builder writes in bulk",
    "bench/": "benchmarks build their own data",
    "tests/": "tests build data in several workspaces",
}


def _allowed(relative: str) -> bool:
    if relative.endswith("/demo.py"):
        return True  # every app's demo step writes its rows in bulk
    return any(
        relative == entry or (entry.endswith("/") and relative.startswith(entry))
        for entry in ESCAPE_HATCH_ALLOWED
    )


def test_it_allows_the_escape_hatch_only_in_the_listed_modules():
    users = set()
    for path in ROOT.rglob("*.py"):
        relative = path.relative_to(ROOT).as_posix()
        if relative.startswith((".venv/", "node_modules/")) or "/migrations/" in relative:
            continue
        tree = ast.parse(path.read_text(), filename=relative)
        if any(
            isinstance(node, ast.Attribute) and node.attr == "dangerously_unscoped"
            for node in ast.walk(tree)
        ):
            users.add(relative)
    assert sorted(u for u in users if not _allowed(u)) == []


@pytest.mark.django_db
def test_it_renders_a_scoped_choice_field_from_one_plain_query_of_the_workspace(alpha, beta):
    ours = AccountFactory(workspace=alpha, name="Ours Ltd")
    AccountFactory(workspace=beta, name="Theirs Ltd")
    with workspace_scope(alpha), CaptureQueriesContext(connection) as queries:
        rendered = str(MovementForm()["account"])
    assert "Ours Ltd" in rendered and "Theirs Ltd" not in rendered
    assert f'value="{ours.pk}"' in rendered
    reads = [q["sql"] for q in queries if "accounts_account" in q["sql"]]
    assert len(reads) == 1 and not reads[0].startswith("DECLARE"), reads
