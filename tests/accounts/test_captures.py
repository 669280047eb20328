"""Value capture records: recorded on the account page by who may edit it, counted for leaders."""

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from accounts.models import ValueCapture
from csos.models import AuditEvent
from tests.factories import AccountFactory


def capture(**fields) -> dict:
    data = {"kind": "renewal", "outcome": "renewed", "date": timezone.localdate(), "note": ""}
    return {f"capture-{name}": value for name, value in (data | fields).items()}


def test_it_records_a_renewal_on_an_owned_account(login, alpha, bob):
    account = AccountFactory(workspace=alpha, owner=bob)
    response = login(bob).post(
        reverse("value_capture_add", args=[account.pk]),
        capture(outcome="expanded", amount="5000"),
    )
    assert response.status_code == 302
    record = ValueCapture.dangerously_unscoped.get(account=account)
    assert (record.kind, record.outcome, record.recorded_by) == ("renewal", "expanded", bob)
    assert AuditEvent.dangerously_unscoped.filter(action="value_capture.record").count() == 1


def test_it_lists_captures_on_the_account_page(login, alpha, bob):
    account = AccountFactory(workspace=alpha, owner=bob)
    login(bob).post(
        reverse("value_capture_add", args=[account.pk]),
        capture(kind="advocacy", outcome="case_study", note="Published on the blog"),
    )
    page = login(bob).get(reverse("account_detail", args=[account.pk])).content.decode()
    assert "Case study" in page and "Published on the blog" in page


def test_it_refuses_an_outcome_of_another_kind_and_a_future_date(login, alpha, bob):
    account = AccountFactory(workspace=alpha, owner=bob)
    client = login(bob)
    wrong_kind = client.post(
        reverse("value_capture_add", args=[account.pk]), capture(outcome="case_study")
    )
    assert wrong_kind.status_code == 400 and "outcome" in wrong_kind.context["form"].errors
    future = client.post(
        reverse("value_capture_add", args=[account.pk]),
        capture(date=timezone.localdate() + dt.timedelta(days=1)),
    )
    assert future.status_code == 400 and "date" in future.context["form"].errors
    negative = client.post(reverse("value_capture_add", args=[account.pk]), capture(amount="-1"))
    assert negative.status_code == 400 and "amount" in negative.context["form"].errors
    assert not ValueCapture.dangerously_unscoped.exists()


def test_it_keeps_recording_to_who_may_edit_the_account(login, alpha, bob, carol, vera, lena):
    account = AccountFactory(workspace=alpha, owner=bob)
    url = reverse("value_capture_add", args=[account.pk])
    assert login(carol).post(url, capture()).status_code == 403
    assert login(vera).post(url, capture()).status_code == 403
    assert login(lena).post(url, capture()).status_code == 302
    assert ValueCapture.dangerously_unscoped.count() == 1


def test_it_answers_404_for_an_account_of_another_workspace(login, alpha, bob, charlie):
    account = AccountFactory(workspace=alpha, owner=bob)
    response = login(charlie).post(reverse("value_capture_add", args=[account.pk]), capture())
    assert response.status_code == 404 and not ValueCapture.dangerously_unscoped.exists()


def test_it_counts_captures_by_kind_for_the_period_on_the_leaders_page(login, alpha, bob, lena):
    account = AccountFactory(workspace=alpha, owner=bob)
    today = timezone.localdate()
    for outcome, days_ago in (("renewed", 3), ("renewed", 10), ("churned", 200)):
        ValueCapture.dangerously_unscoped.create(
            workspace=alpha,
            account=account,
            kind="renewal",
            outcome=outcome,
            date=today - dt.timedelta(days=days_ago),
        )
    response = login(lena).get(reverse("value_capture_counts"))
    counts = {(row["kind"], row["outcome"]): row["count"] for row in response.context["rows"]}
    assert counts[("Renewal", "Renewed")] == 2 and counts[("Renewal", "Churned")] == 0
    assert response.context["total"] == 2
    wide = login(lena).get(
        reverse("value_capture_counts"), {"start": today - dt.timedelta(days=365), "end": today}
    )
    assert wide.context["total"] == 3


def test_it_keeps_the_counts_to_leaders_and_refuses_a_backward_period(login, bob, lena):
    assert login(bob).get(reverse("value_capture_counts")).status_code == 403
    backward = {"start": "2026-05-01", "end": "2026-01-01"}
    assert login(lena).get(reverse("value_capture_counts"), backward).status_code == 400
