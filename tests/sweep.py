"""Every URL of the project, filled with real ids of objects in the Alpha workspace.

The list is read from the URL configuration, so pages and endpoints added later are swept
without touching the tests. A URL argument the sweep cannot fill fails the test: give it an
entry in ``OBJECT_IDS`` below.
"""

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.models import Account, AccountImport, ArrMovement
from csos.models import AuditEvent, Membership, SharedLink
from csos.services import audit_record
from csos.tenancy import workspace_scope
from tests.factories import AccountFactory, ArrMovementFactory
from value import services as value_services
from value.models import (
    AccountUseCase,
    ConfirmationRequest,
    Evidence,
    EvidenceChange,
    RetentionArtifact,
    Threshold,
    UsageMetric,
    UsageRecord,
    UseCase,
    ValueSettings,
)

MARKERS = (
    "ALPHA-SECRET-ACCOUNT",
    "ALPHA-EXT-777",
    "alice@alpha.example",
    "Alpha Analytics",
    "alpha-secret.csv",
    "ALPHA-SECRET-USE-CASE",
    "ALPHA-SECRET-METRIC",
    "ALPHA-SECRET-CLAIM",
    "ALPHA-SECRET-NEXT-ACTION",
    "alpha-confirmer@customer.example",
)


def iter_url_patterns(resolver=None, namespace=""):
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from iter_url_patterns(pattern, inner)
        elif isinstance(pattern, URLPattern):
            yield namespace, pattern


def make_alpha_objects(alpha, alice, bob) -> dict:
    """One object of every kind in Alpha, carrying the markers no outsider may see."""
    account = AccountFactory(
        workspace=alpha, name="ALPHA-SECRET-ACCOUNT", external_id="ALPHA-EXT-777", owner=bob
    )
    movement = ArrMovementFactory(account=account)
    account_import = AccountImport.dangerously_unscoped.create(
        workspace=alpha,
        created_by=alice,
        filename="alpha-secret.csv",
        content="external_id,name\nALPHA-EXT-777,ALPHA-SECRET-ACCOUNT\n",
        status="ready",
        row_count=1,
    )
    membership = Membership.dangerously_unscoped.get(workspace=alpha, user=bob)
    event = audit_record(workspace=alpha, actor=alice, action="test", obj=membership)
    return {
        **_make_alpha_value_objects(alpha, alice, account),
        Account: account,
        ArrMovement: movement,
        AccountImport: account_import,
        Membership: membership,
        AuditEvent: event,
        type(alice): alice,
        type(alpha): alpha,
    }


def _make_alpha_value_objects(alpha, alice, account) -> dict:
    metric = UsageMetric.dangerously_unscoped.create(
        workspace=alpha, key="alpha-metric", name="ALPHA-SECRET-METRIC"
    )
    use_case = UseCase.dangerously_unscoped.create(
        workspace=alpha, name="ALPHA-SECRET-USE-CASE", outcome="ALPHA-SECRET-USE-CASE"
    )
    with workspace_scope(alpha):
        evidence = value_services.evidence_record(
            workspace=alpha,
            account=account,
            by=alice,
            data={
                "use_case": use_case,
                "level": 3,
                "claim": "ALPHA-SECRET-CLAIM",
                "source": "customer",
                "baseline": 10,
                "current": 5,
            },
        )
        confirmation, _url = value_services.evidence_confirmation_send(
            evidence=evidence,
            by=alice,
            confirmer_name="ALPHA-SECRET-CLAIM",
            confirmer_email="alpha-confirmer@customer.example",
            url_for_token=str,
        )
        change = evidence.changes.first()
    return {
        UsageMetric: metric,
        UsageRecord: UsageRecord.dangerously_unscoped.create(
            workspace=alpha, account=account, metric=metric, day="2026-01-01", value=1
        ),
        UseCase: use_case,
        Threshold: Threshold.dangerously_unscoped.create(
            workspace=alpha, use_case=use_case, level=1, metric=metric, minimum=1
        ),
        AccountUseCase: AccountUseCase.dangerously_unscoped.create(
            workspace=alpha, account=account, use_case=use_case
        ),
        Evidence: evidence,
        EvidenceChange: change,
        ConfirmationRequest: confirmation,
        SharedLink: confirmation.link,
        RetentionArtifact: RetentionArtifact.dangerously_unscoped.create(
            workspace=alpha, account=account, next_action="ALPHA-SECRET-NEXT-ACTION"
        ),
        ValueSettings: ValueSettings.dangerously_unscoped.create(
            workspace=alpha, value_unit="ALPHA-SECRET-METRIC"
        ),
    }


# URL argument name -> the model whose Alpha object fills it.
OBJECT_IDS = {
    "account_id": Account,
    "import_id": AccountImport,
    "membership_id": Membership,
    "use_case_id": UseCase,
    "metric_id": UsageMetric,
    "evidence_id": Evidence,
}


def forged_reset_link(objects) -> dict[str, str]:
    """The arguments of a password-reset link for Alpha's admin, with a token nobody issued.

    A reset link names a user, but its token is the right to use it: without a valid one the
    page answers "link not valid" to everyone, as a foreign id answers 404. So the sweep does
    not count these arguments as naming an object.
    """
    user = objects[get_user_model()]
    return {"uidb64": urlsafe_base64_encode(force_bytes(user.pk)), "token": "forged-token"}


def _admin_object_id(url_name: str, objects) -> int:
    """Alpha's object for an admin URL; models with no tenant data get an arbitrary id."""
    for model in admin.site._registry:
        if url_name.startswith(f"{model._meta.app_label}_{model._meta.model_name}_"):
            return objects[model].pk if model in objects else 1
    raise AssertionError(f"no admin model for {url_name}")


def build_sweep(objects):
    """(url, is_admin, names_an_object) for every pattern, filled with Alpha's ids."""
    urls = []
    reset_link = forged_reset_link(objects)
    for namespace, pattern in iter_url_patterns():
        if not pattern.name:
            continue  # the admin's catch-all: it only redirects to the admin index
        name = f"{namespace}{pattern.name}"
        kwargs = {}
        for arg in pattern.pattern.regex.groupindex:
            if arg in OBJECT_IDS:
                kwargs[arg] = objects[OBJECT_IDS[arg]].pk
            elif arg == "pk" and hasattr(pattern.callback, "cls"):
                kwargs[arg] = objects[pattern.callback.cls.model].pk
            elif arg == "object_id" and "content_type_id" in pattern.pattern.regex.groupindex:
                kwargs[arg] = objects[Account].pk
            elif arg in {"object_id", "id"} and namespace == "admin:":
                kwargs[arg] = _admin_object_id(pattern.name, objects)
            elif arg == "app_label":
                kwargs[arg] = "accounts"
            elif arg == "content_type_id":
                kwargs[arg] = ContentType.objects.get_for_model(Account).pk
            elif arg == "format":
                kwargs[arg] = "json"
            elif arg in reset_link:
                kwargs[arg] = reset_link[arg]
            else:
                pytest.fail(f"the sweep cannot fill {{{arg}}} in {name}: add it to OBJECT_IDS")
        names_an_object = bool(kwargs.keys() - reset_link.keys())
        urls.append((reverse(name, kwargs=kwargs), namespace == "admin:", names_an_object))
    return urls
