"""Factories for every model; tenant rows are written through the dangerously_unscoped manager."""

import datetime as dt
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.test import TestCase

from accounts.models import Account, ArrMovement, MovementKind
from csos.models import ImportJob, Membership, Role, Workspace
from csos.tenancy import workspace_scope
from framework.models import UseCase
from value.models import (
    AccountUseCase,
    Aggregation,
    Evidence,
    EvidenceSource,
    EvidenceStatus,
    UsageMetric,
)

TEST_PASSWORD = "correct-horse-battery-staple"


class TenantFactory(factory.django.DjangoModelFactory):
    class Meta:
        abstract = True

    @classmethod
    def _get_manager(cls, model_class):
        return model_class.dangerously_unscoped

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        # Test data is written in its own workspace's scope, whatever scope the test is in.
        with workspace_scope(kwargs["workspace"]):
            return super()._create(model_class, *args, **kwargs)


class WorkspaceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Workspace

    name = factory.Sequence(lambda n: f"Workspace {n}")
    slug = factory.Sequence(lambda n: f"workspace-{n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}@example.com")
    email = factory.LazyAttribute(lambda u: u.username)
    first_name = factory.Sequence(lambda n: f"User{n}")
    password = factory.django.Password(TEST_PASSWORD)


class MembershipFactory(TenantFactory):
    class Meta:
        model = Membership

    workspace = factory.SubFactory(WorkspaceFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.CSM


class AccountFactory(TenantFactory):
    class Meta:
        model = Account

    workspace = factory.SubFactory(WorkspaceFactory)
    name = factory.Sequence(lambda n: f"Customer {n:05d}")
    external_id = factory.Sequence(lambda n: f"EXT-{n:06d}")
    arr = Decimal("12000.00")
    currency = "USD"
    contract_start = dt.date(2025, 1, 1)
    renewal_date = factory.LazyFunction(lambda: dt.date.today() + dt.timedelta(days=60))
    licensed_seats = 25


class ArrMovementFactory(TenantFactory):
    class Meta:
        model = ArrMovement

    account = factory.SubFactory(AccountFactory)
    workspace = factory.SelfAttribute("account.workspace")
    kind = MovementKind.NEW
    date = dt.date(2025, 1, 1)
    amount = Decimal("12000.00")


class SupportTicketFactory(TenantFactory):
    class Meta:
        model = "health.SupportTicket"

    account = factory.SubFactory(AccountFactory)
    workspace = factory.SelfAttribute("account.workspace")
    external_id = factory.Sequence(lambda n: f"TCK-{n:06d}")
    subject = "Cannot export reports"
    priority = "p3"
    status = "open"
    opened_on = factory.LazyFunction(lambda: dt.date.today() - dt.timedelta(days=3))


class SurveyResponseFactory(TenantFactory):
    class Meta:
        model = "health.SurveyResponse"

    account = factory.SubFactory(AccountFactory)
    workspace = factory.SelfAttribute("account.workspace")
    kind = "nps"
    score = 8
    respondent_name = "Pat Reader"
    answered_on = factory.LazyFunction(lambda: dt.date.today() - dt.timedelta(days=10))


class UsageMetricFactory(TenantFactory):
    class Meta:
        model = UsageMetric

    workspace = factory.SubFactory(WorkspaceFactory)
    key = factory.Sequence(lambda n: f"metric_{n}")
    name = factory.Sequence(lambda n: f"Metric {n}")
    aggregation = Aggregation.SUM


class UseCaseFactory(TenantFactory):
    class Meta:
        model = UseCase

    workspace = factory.SubFactory(WorkspaceFactory)
    name = factory.Sequence(lambda n: f"Use case {n}")
    outcome = "Faster work"
    implicit_value = Decimal("10000")
    assisted_value = Decimal("40000")


class AccountUseCaseFactory(TenantFactory):
    class Meta:
        model = AccountUseCase

    account = factory.SubFactory(AccountFactory)
    workspace = factory.SelfAttribute("account.workspace")
    use_case = factory.SubFactory(UseCaseFactory, workspace=factory.SelfAttribute("..workspace"))


class EvidenceFactory(TenantFactory):
    class Meta:
        model = Evidence

    account = factory.SubFactory(AccountFactory)
    workspace = factory.SelfAttribute("account.workspace")
    use_case = factory.SubFactory(UseCaseFactory, workspace=factory.SelfAttribute("..workspace"))
    level = 3
    claim = "Hours per week fell from 40 to 12."
    metric_name = "Hours per week"
    baseline = Decimal("40")
    current = Decimal("12")
    unit = "hours"
    source = EvidenceSource.CUSTOMER
    status = EvidenceStatus.UNPROVEN


def import_step(client, url: str, data: dict):
    """Post one step of an import (upload, mapping or commit), run the task it queues (eagerly),
    and follow the redirect to the job's page."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(url, data)
    return client.get(response.url) if response.status_code == 302 else response


def latest_import_job_id() -> int:
    """The job of the file uploaded last, which a batch import's map and commit steps name."""
    return ImportJob.dangerously_unscoped.latest("pk").pk
