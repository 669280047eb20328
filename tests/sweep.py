"""Every URL of the project, filled with real ids of objects in the Alpha workspace.

The list is read from the URL configuration, so pages and endpoints added later are swept
without touching the tests. A URL argument the sweep cannot fill fails the test: give it an
entry in ``OBJECT_IDS`` below. A tenant model with no row in ``make_alpha_objects`` fails it too,
and the names that carry ids in query strings and bodies are read from the models' fields.
"""

import datetime as dt
from contextlib import contextmanager
from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.http import QueryDict
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.models import Account, AccountAlias, ArrMovement, ValueCapture
from csos.links import link_issue
from csos.models import (
    ApiScope,
    ApiToken,
    AuditEvent,
    DomainEvent,
    ExchangeRate,
    IdempotencyKey,
    ImportJob,
    ImportMapping,
    Invitation,
    Membership,
    OutboxMessage,
    SharedLink,
    TenantModel,
    WebhookDelivery,
    WebhookEndpoint,
    Workspace,
)
from csos.readiness import worker_heartbeat_record
from csos.services import api_token_create, audit_record
from csos.tenancy import workspace_scope
from framework.models import UseCase
from health.models import (
    HealthBacktest,
    HealthJudgement,
    HealthModel,
    HealthOverride,
    HealthRecompute,
    HealthRecomputeChunk,
    HealthSnapshot,
    SupportTicket,
    SurveyInvitation,
    SurveyResponse,
)
from health.surveys import SURVEY_PURPOSE
from playbooks.models import (
    AttentionSettings,
    CsmCapacity,
    DigestDelivery,
    DigestOptOut,
    PlaybookSettings,
    SegmentationRun,
    SegmentChange,
    SegmentRule,
    SegmentSettings,
    Task,
)
from stakeholders.models import (
    HandoffPromise,
    Interaction,
    Milestone,
    Objective,
    Stakeholder,
    SuccessPlan,
)
from tests.factories import (
    AccountFactory,
    ArrMovementFactory,
    SupportTicketFactory,
    SurveyResponseFactory,
)
from tests.stakeholders.factories import alpha_stakeholder_objects
from value import services as value_services
from value.models import (
    AccountUseCase,
    ConfirmationRequest,
    EventMapping,
    Evidence,
    EvidenceChange,
    ProductEvent,
    RetentionArtifact,
    Threshold,
    UsageMetric,
    UsageRecord,
    ValueSettings,
)

MARKERS = (
    "ALPHA-SECRET-ACCOUNT",
    "ALPHA-EXT-777",
    "alice@alpha.example",
    "Alpha Analytics",
    "alpha-secret.csv",
    "ALPHA-SECRET-TOKEN",
    "ALPHA-SECRET-PERSON",
    "alpha-person@customer.example",
    "ALPHA-SECRET-PLAN",
    "ALPHA-SECRET-OBJECTIVE",
    "ALPHA-SECRET-PROMISE",
    "ALPHA-SECRET-MEETING",
    "invitee@alpha-secret.example",
    "ALPHA-SECRET-HEADER",
    "ALPHA-SECRET-USE-CASE",
    "ALPHA-SECRET-METRIC",
    "ALPHA-SECRET-CLAIM",
    "ALPHA-SECRET-NEXT-ACTION",
    "alpha-confirmer@customer.example",
    "7.7654321",
    "ALPHA-SECRET-RULE",
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
    account_import = ImportJob.dangerously_unscoped.create(
        kind="accounts",
        workspace=alpha,
        created_by=alice,
        filename="alpha-secret.csv",
        content="external_id,name\nALPHA-EXT-777,ALPHA-SECRET-ACCOUNT\n",
        status="ready",
        row_count=1,
        preview={
            "columns": ["external_id", "name"],
            "rows": [[2, ["ALPHA-EXT-777", "ALPHA-SECRET-ACCOUNT"]]],
            "create_count": 0,
            "update_count": 1,
            "churn_count": 0,
            "reactivation_count": 0,
        },
    )
    import_mapping = ImportMapping.dangerously_unscoped.create(
        workspace=alpha,
        kind="accounts",
        fingerprint="alpha-secret-fingerprint",
        headers=["ALPHA-SECRET-HEADER"],
        columns=["external_id"],
        confirmed_by=alice,
    )
    membership = Membership.dangerously_unscoped.get(workspace=alpha, user=bob)
    event = audit_record(workspace=alpha, actor=alice, action="test", obj=membership)
    token, _raw = api_token_create(
        workspace=alpha, by=alice, name="ALPHA-SECRET-TOKEN", scopes=list(ApiScope.values)
    )
    idempotency_key = IdempotencyKey.dangerously_unscoped.create(
        workspace=alpha,
        token=token,
        key="ALPHA-SECRET-TOKEN-key",
        request_hash="0" * 64,
        created_at=token.created_at,
    )
    invitation = Invitation.dangerously_unscoped.create(
        workspace=alpha, email="invitee@alpha-secret.example", invited_by=alice
    )
    health = _make_alpha_health_objects(alpha, alice, account)
    exchange_rate = ExchangeRate.dangerously_unscoped.create(
        workspace=alpha,
        currency="EUR",
        rate=Decimal("7.7654321"),
        valid_from="2026-01-01",
        updated_by=alice,
    )
    outbound = _make_alpha_outbound_objects(alpha, alice, account)
    # A worker ran lately, as in a healthy deployment: /readyz answers 200, not 503.
    worker_heartbeat_record()
    return {
        **health,
        **outbound,
        ApiToken: token,
        ExchangeRate: exchange_rate,
        IdempotencyKey: idempotency_key,
        **_make_alpha_value_objects(alpha, alice, account),
        **_make_alpha_segment_objects(alpha, alice, account, membership),
        Account: account,
        AccountAlias: AccountAlias.dangerously_unscoped.create(
            workspace=alpha, account=account, external_id="ALPHA-ALIAS-777"
        ),
        ArrMovement: movement,
        ValueCapture: ValueCapture.dangerously_unscoped.create(
            workspace=alpha,
            account=account,
            kind="advocacy",
            outcome="case_study",
            date="2026-01-05",
            note="ALPHA-SECRET-ACCOUNT case study",
            recorded_by=alice,
        ),
        ImportJob: account_import,
        ImportMapping: import_mapping,
        Membership: membership,
        AuditEvent: event,
        **alpha_stakeholder_objects(account),
        Invitation: invitation,
        type(alice): alice,
        type(alpha): alpha,
    }


def _make_alpha_outbound_objects(alpha, alice, account) -> dict:
    marker = "ALPHA-SECRET-ACCOUNT"
    event = DomainEvent.dangerously_unscoped.create(
        workspace=alpha,
        event_type="account.created",
        schema_version=1,
        account_id=account.pk,
        body={"account": {"id": account.pk, "name": marker}},
    )
    endpoint = WebhookEndpoint.dangerously_unscoped.create(
        workspace=alpha,
        kind="webhook",
        name=marker,
        url="https://alpha-secret.example/hooks",
        event_types=["account.created"],
        secret="whsec_ALPHA-SECRET-TOKEN",
        created_by=alice,
    )
    return {
        OutboxMessage: OutboxMessage.dangerously_unscoped.create(
            workspace=alpha, task="csos.tasks.worker_heartbeat_task", args=[marker]
        ),
        DomainEvent: event,
        WebhookEndpoint: endpoint,
        WebhookDelivery: WebhookDelivery.dangerously_unscoped.create(
            workspace=alpha, endpoint=endpoint, event=event, response_excerpt=marker
        ),
    }


def _make_alpha_health_objects(alpha, alice, account) -> dict:
    marker = "ALPHA-SECRET-ACCOUNT"
    unscoped = {"workspace": alpha, "account": account}
    model = HealthModel.dangerously_unscoped.create(
        workspace=alpha, name=marker, is_default=True, dimensions=[]
    )
    recompute = HealthRecompute.dangerously_unscoped.create(
        workspace=alpha, week="2026-01-05", started_by=alice
    )
    return {
        SupportTicket: SupportTicketFactory(account=account, subject=marker),
        SurveyResponse: SurveyResponseFactory(account=account, comment=marker),
        HealthModel: model,
        HealthBacktest: HealthBacktest.dangerously_unscoped.create(
            workspace=alpha,
            model=model,
            model_version=1,
            week="2026-01-05",
            figures={"split": None, "keys": [], "horizons": []},
            renewals=[[90, account.pk, "2026-01-05", "churned", 28.0, "red", []]],
            computed_at="2026-01-05T00:00:00Z",
        ),
        HealthSnapshot: HealthSnapshot.dangerously_unscoped.create(
            **unscoped,
            week="2026-01-05",
            total=28,
            band="red",
            drivers={"usage": marker},
            model_name=marker,
            model_version=1,
        ),
        HealthRecompute: recompute,
        HealthRecomputeChunk: HealthRecomputeChunk.dangerously_unscoped.create(
            workspace=alpha,
            recompute=recompute,
            number=0,
            first_account_id=account.pk,
            last_account_id=account.pk,
            as_of="2026-01-11",
            heartbeat_at="2026-01-05T02:00:00Z",
        ),
        HealthOverride: HealthOverride.dangerously_unscoped.create(
            **unscoped, band="green", reason=marker, expires_on="2099-01-01", created_by=alice
        ),
        HealthJudgement: HealthJudgement.dangerously_unscoped.create(
            **unscoped, verdict="yes", reason=marker, created_by=alice
        ),
        Task: Task.dangerously_unscoped.create(
            **unscoped,
            playbook="save",
            title=marker,
            reason=marker,
            due_on="2026-01-05",
            priority="urgent",
            cause=marker,
        ),
        PlaybookSettings: PlaybookSettings.dangerously_unscoped.create(
            workspace=alpha, renewal_windows="97, 43"
        ),
        DigestDelivery: DigestDelivery.dangerously_unscoped.create(
            workspace=alpha, user=alice, week="2026-01-05", kind="leader"
        ),
        DigestOptOut: DigestOptOut.dangerously_unscoped.create(workspace=alpha, user=alice),
        SurveyInvitation: SurveyInvitation.dangerously_unscoped.create(
            **unscoped,
            kind="nps",
            link=link_issue(
                workspace=alpha,
                purpose=SURVEY_PURPOSE,
                target_id=account.pk,
                by=alice,
                lifetime=dt.timedelta(days=14),
            ).link,
            recipient_name="ALPHA-SECRET-PERSON",
            recipient_email="alpha-person@customer.example",
            sent_by=alice,
        ),
    }


def _make_alpha_segment_objects(alpha, alice, account, membership) -> dict:
    marker = "ALPHA-SECRET-RULE"
    rule = SegmentRule.dangerously_unscoped.create(
        workspace=alpha,
        name=marker,
        priority=1,
        match="all",
        clauses=[{"field": "complexity", "op": "gte", "value": 1}],
        motion="strategic",
        value_problem="expansion",
    )
    run = SegmentationRun.dangerously_unscoped.create(
        workspace=alpha, trigger="on_demand", started_by=alice
    )
    return {
        SegmentRule: rule,
        SegmentationRun: run,
        SegmentChange: SegmentChange.dangerously_unscoped.create(
            workspace=alpha,
            account=account,
            to_motion="strategic",
            to_value_problem="expansion",
            rule=rule,
            rule_name=marker,
            reason=marker,
            run=run,
            at="2026-01-05T00:00:00Z",
        ),
        SegmentSettings: SegmentSettings.dangerously_unscoped.create(
            workspace=alpha, default_capacity=Decimal("77.77")
        ),
        CsmCapacity: CsmCapacity.dangerously_unscoped.create(
            workspace=alpha, membership=membership, capacity=Decimal("7.77"), motions=["named"]
        ),
        AttentionSettings: AttentionSettings.dangerously_unscoped.create(
            workspace=alpha, risk=77.654321
        ),
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
        confirmer = Stakeholder.objects.create(
            workspace=alpha,
            account=account,
            name="ALPHA-SECRET-CLAIM",
            email="alpha-confirmer@customer.example",
            role="owner",
        )
        confirmation, _url = value_services.evidence_confirmation_send(
            evidence=evidence, by=alice, stakeholder=confirmer, url_for_token=str
        )
        change = evidence.changes.first()
    return {
        UsageMetric: metric,
        UsageRecord: UsageRecord.dangerously_unscoped.create(
            workspace=alpha, account=account, metric=metric, day="2026-01-01", value=1
        ),
        EventMapping: EventMapping.dangerously_unscoped.create(
            workspace=alpha, event="ALPHA-SECRET-EVENT", metric=metric
        ),
        ProductEvent: ProductEvent.dangerously_unscoped.create(
            workspace=alpha,
            message_id="ALPHA-SECRET-MESSAGE",
            account=account,
            user_id="alpha-user",
            event="ALPHA-SECRET-EVENT",
            timestamp=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
            received_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
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
    "endpoint_id": WebhookEndpoint,
    "delivery_id": WebhookDelivery,
    "model_id": HealthModel,
    "recompute_id": HealthRecompute,
    "backtest_id": HealthBacktest,
    "task_id": Task,
    "account_id": Account,
    "import_id": ImportJob,
    "membership_id": Membership,
    "token_id": ApiToken,
    "rate_id": ExchangeRate,
    "stakeholder_id": Stakeholder,
    "plan_id": SuccessPlan,
    "objective_id": Objective,
    "milestone_id": Milestone,
    # The plan share link: alpha_stakeholder_objects files it under SharedLink after the value rows.
    "link_id": SharedLink,
    "promise_id": HandoffPromise,
    "interaction_id": Interaction,
    "invitation_id": Invitation,
    "movement_id": ArrMovement,
    "use_case_id": UseCase,
    "metric_id": UsageMetric,
    "evidence_id": Evidence,
    "mapping_id": EventMapping,
    "import_mapping_id": ImportMapping,
    "rule_id": SegmentRule,
    "run_id": SegmentationRun,
}


def tenant_models() -> list[type[TenantModel]]:
    """Every concrete tenant model of every installed app."""
    return [
        model
        for model in apps.get_models()
        if issubclass(model, TenantModel) and not model._meta.proxy
    ]


def tenant_models_without_a_row(objects, workspace) -> list[str]:
    """What to add to ``make_alpha_objects`` for each tenant model it made no row of."""
    missing = []
    for model in tenant_models():
        row = objects.get(model)
        if row is None or row.workspace_id != workspace.pk:
            label = model._meta.label
            missing.append(
                f"{label} has no row in the sweep's data: in make_alpha_objects "
                f"(tests/sweep.py) create one {model.__name__} in Alpha "
                f"({model.__name__}.dangerously_unscoped.create(workspace=alpha, ...)), put one "
                f"of MARKERS in a text field it shows, and return it under the key "
                f"{model.__name__}; add an OBJECT_IDS entry for any URL argument naming it."
            )
    return missing


def id_parameters() -> dict[str, type]:
    """Names a query string or body may use to name an object -> the model of that object.

    Read from the models, so a new model or foreign key is swept without touching this file:
    a model's own name (``account``, ``account_id``), every foreign key of a tenant model by
    name and column (``owner``, ``owner_id``), and the URL arguments of ``OBJECT_IDS``.
    """
    names = {"workspace": Workspace, "workspace_id": Workspace, "user": get_user_model()}
    names.update(OBJECT_IDS)
    for model in tenant_models():
        names.setdefault(model._meta.model_name, model)
        names.setdefault(f"{model._meta.model_name}_id", model)
        for field in model._meta.get_fields():
            if field.many_to_one and field.concrete:
                names.setdefault(field.name, field.related_model)
                names.setdefault(field.attname, field.related_model)
    # The short names the pages use for an import.
    names.setdefault("import", ImportJob)
    return names


def foreign_ids(objects) -> dict[str, str]:
    """Every id parameter, filled with the id of Alpha's object of its model."""
    return {name: str(objects[model].pk) for name, model in id_parameters().items()}


# Query parameters any page or endpoint might read, sent to every route.
GENERIC_PARAMETERS = ("page", "page_size", "cursor", "sort", "ordering", "format", "q")

# Parameters a view reads by hand on a path the probe request does not take.
HAND_READ_PARAMETERS = {
    "account_import_progress": ("shown",),
    "login": ("next",),
    "logout": ("next",),
}

JUNK_VALUES = (
    "cD1hYmM=",  # base64 of "p=abc": a well-formed cursor whose position is no id
    "cD05OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk=",  # a cursor whose position overflows bigint
    "-1",
    "1e309",
    "NaN",
    "\x00",
    "x" * 10_240,
    "[]",
    "'; DROP TABLE accounts_account; --",
    "\u202e\U0001f600é\ud7ff",
)


@contextmanager
def reading_parameters():
    """Record the names every query string or body is asked for while the block runs."""
    names = set()
    originals = {
        method: getattr(QueryDict, method)
        for method in ("get", "getlist", "__getitem__", "__contains__")
    }

    def recording(original):
        def read(self, key, *args, **kwargs):
            names.add(key)
            return original(self, key, *args, **kwargs)

        return read

    for method, original in originals.items():
        setattr(QueryDict, method, recording(original))
    try:
        yield names
    finally:
        for method, original in originals.items():
            setattr(QueryDict, method, original)


def declared_parameters(callback) -> set[str]:
    """The query parameters an API view declares through its filter set and paginator."""
    view_class = getattr(callback, "cls", None)
    names = set()
    filterset_class = getattr(view_class, "filterset_class", None)
    if filterset_class is not None:
        names.update(filterset_class.base_filters)
    pagination_class = getattr(view_class, "pagination_class", None)
    if pagination_class is not None:
        for attribute in ("page_query_param", "page_size_query_param", "cursor_query_param"):
            name = getattr(pagination_class, attribute, None)
            if name:
                names.add(name)
    return names


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


def build_sweep(objects, *, with_routes=False):
    """(url, is_admin, names_an_object) for every pattern, filled with Alpha's ids.

    With ``with_routes``, each entry also carries the URL name and the view callback.
    """
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
        entry = (reverse(name, kwargs=kwargs), namespace == "admin:", names_an_object)
        urls.append((*entry, name, pattern.callback) if with_routes else entry)
    return urls
