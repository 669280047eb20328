"""The weekly digests: content per CSM and per leader, unsubscribe, one per member and week."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from csos.tenancy import workspace_scope
from health.models import HealthSnapshot
from playbooks import digests
from playbooks.models import DigestDelivery
from playbooks.tasks import digests_send_all_task
from tests.factories import AccountFactory, AccountUseCaseFactory
from tests.playbooks.factories import TaskFactory

MONDAY = dt.date(2026, 11, 23)
NEXT_YEAR = MONDAY + dt.timedelta(days=365)  # a renewal outside every window


def snapshot(account, week, band, total):
    return HealthSnapshot.dangerously_unscoped.create(
        workspace=account.workspace,
        account=account,
        week=week,
        total=total,
        band=band,
        model_name="Default",
        model_version=1,
    )


@pytest.fixture
def book(alpha, bob, carol):
    """Bob's book and Carol's: a band change each, a renewal entering the 90-day window, tasks."""
    slipping = AccountFactory(
        workspace=alpha, owner=bob, name="Slipping Co", renewal_date=NEXT_YEAR
    )
    snapshot(slipping, MONDAY - dt.timedelta(weeks=1), "green", 80)
    snapshot(slipping, MONDAY, "red", 40)
    steady = AccountFactory(workspace=alpha, owner=bob, name="Steady Co", renewal_date=NEXT_YEAR)
    snapshot(steady, MONDAY - dt.timedelta(weeks=1), "green", 80)
    snapshot(steady, MONDAY, "green", 82)
    renewing = AccountFactory(
        workspace=alpha,
        owner=bob,
        name="Renewing Co",
        renewal_date=MONDAY + dt.timedelta(days=88),
    )
    snapshot(renewing, MONDAY, "yellow", 60)
    far = AccountFactory(
        workspace=alpha, owner=bob, name="Far Co", renewal_date=MONDAY + dt.timedelta(days=80)
    )
    other = AccountFactory(workspace=alpha, owner=carol, name="Carols Co", renewal_date=NEXT_YEAR)
    snapshot(other, MONDAY - dt.timedelta(weeks=1), "yellow", 60)
    snapshot(other, MONDAY, "green", 78)
    TaskFactory(account=slipping, title="Run the save play", due_on=MONDAY - dt.timedelta(days=2))
    TaskFactory(account=steady, title="Plan the QBR", due_on=MONDAY + dt.timedelta(days=3))
    TaskFactory(account=other, title="Carols task", due_on=MONDAY - dt.timedelta(days=9))
    AccountUseCaseFactory(account=steady, level=3)
    return {"slipping": slipping, "renewing": renewing, "far": far, "other": other}


def send_all(alpha, mailoutbox, capture, today=MONDAY):
    with workspace_scope(alpha), capture(execute=True):
        digests.digests_send(workspace=alpha, today=today)
    return {mail.to[0]: mail for mail in mailoutbox}


@pytest.mark.django_db
def test_it_sends_a_csm_their_tasks_band_changes_and_renewals_entering_a_window(
    alpha, alice, bob, carol, book, mailoutbox, django_capture_on_commit_callbacks
):
    mail = send_all(alpha, mailoutbox, django_capture_on_commit_callbacks)[bob.email]
    text = mail.body
    assert "OVERDUE TASKS (1)\n- Run the save play · Slipping Co" in text
    assert "OPEN TASKS (1)\n- Plan the QBR · Steady Co" in text
    assert "BAND CHANGES THIS WEEK (1)\n- Slipping Co: Green → Red (40)" in text
    assert "RENEWALS ENTERING A WINDOW (1)\n- Renewing Co · 90-day window" in text
    for other in ("Carols", "Far Co", "Steady Co: "):
        assert other not in text
    html, kind = mail.alternatives[0]
    assert kind == "text/html"
    assert "Slipping Co</a>: Green → Red" in html


@pytest.mark.django_db
def test_it_sends_a_leader_the_portfolio_with_risk_overdue_by_csm_and_coverage(
    alpha, alice, bob, carol, book, mailoutbox, django_capture_on_commit_callbacks
):
    text = send_all(alpha, mailoutbox, django_capture_on_commit_callbacks)[alice.email].body
    assert "1 of 5) have proven use-case value" in text
    assert "RENEWALS AT RISK (1)\n- Renewing Co · Yellow" in text
    assert "OVERDUE TASKS BY CSM (2)\n- Bob Tester: 1\n- Carol Tester: 1" in text
    assert "- Carols Co: Yellow → Green (78)" in text
    assert "- Slipping Co: Green → Red (40)" in text


@pytest.mark.django_db
def test_it_sends_one_digest_per_member_and_week_however_often_it_runs(
    alpha, alice, bob, vera, book, mailoutbox, django_capture_on_commit_callbacks, monkeypatch
):
    send_all(alpha, mailoutbox, django_capture_on_commit_callbacks)
    send_all(alpha, mailoutbox, django_capture_on_commit_callbacks, today=MONDAY + dt.timedelta(2))
    wednesday_next_week = dt.datetime.combine(MONDAY + dt.timedelta(9), dt.time(12), dt.UTC)
    monkeypatch.setattr(timezone, "now", lambda: wednesday_next_week)
    with django_capture_on_commit_callbacks(execute=True):
        digests_send_all_task()
        digests_send_all_task()
    sent = sorted(mail.to[0] for mail in mailoutbox)
    assert sent.count(bob.email) == 2  # the week of MONDAY, and the next week once
    assert vera.email not in sent  # viewers get none
    assert DigestDelivery.dangerously_unscoped.filter(user=bob).count() == 2


@pytest.mark.django_db
def test_it_unsubscribes_by_the_signed_link_in_one_click(
    alpha, bob, book, mailoutbox, django_capture_on_commit_callbacks
):
    mail = send_all(alpha, mailoutbox, django_capture_on_commit_callbacks)[bob.email]
    header = mail.extra_headers["List-Unsubscribe"]
    assert mail.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    path = header.strip("<>").split("localhost:8000", 1)[1]
    assert path in mail.body
    mail_client = Client(enforce_csrf_checks=True)
    assert "Stop the weekly digest?" in mail_client.get(path).content.decode()
    done = mail_client.post(path, "List-Unsubscribe=One-Click", content_type="text/plain")
    assert "Unsubscribed" in done.content.decode()
    mailoutbox.clear()
    next_week = MONDAY + dt.timedelta(weeks=1)
    assert bob.email not in send_all(
        alpha, mailoutbox, django_capture_on_commit_callbacks, today=next_week
    )
    forged = mail_client.post(reverse("digest_unsubscribe", args=["forged-token"]))
    assert forged.status_code == 410


@pytest.mark.django_db
def test_it_lets_a_member_turn_their_own_digest_off_and_on(
    login, alpha, bob, book, mailoutbox, django_capture_on_commit_callbacks
):
    client = login(bob)
    page = client.get(reverse("digest_settings")).content.decode()
    assert "your book" in page and "checked" in page
    assert "Mondays at 07:00, UTC time" in page
    client.post(reverse("digest_settings"), {})
    assert bob.email not in send_all(alpha, mailoutbox, django_capture_on_commit_callbacks)
    client.post(reverse("digest_settings"), {"weekly_digest": "on"})
    next_week = MONDAY + dt.timedelta(weeks=1)
    assert bob.email in send_all(
        alpha, mailoutbox, django_capture_on_commit_callbacks, today=next_week
    )


@pytest.mark.parametrize(
    ("time_zone", "utc", "due"),
    [
        ("UTC", dt.datetime(2026, 11, 30, 6, 59), False),
        ("UTC", dt.datetime(2026, 11, 30, 7, 0), True),
        ("Asia/Tokyo", dt.datetime(2026, 11, 29, 21, 59), False),  # Monday 06:59 in Tokyo
        ("Asia/Tokyo", dt.datetime(2026, 11, 29, 22, 0), True),
        ("America/New_York", dt.datetime(2026, 11, 30, 11, 59), False),  # 06:59 in New York
        ("America/New_York", dt.datetime(2026, 12, 2, 3, 0), True),  # a missed Monday caught up
    ],
)
def test_it_makes_the_digest_due_from_monday_seven_in_the_workspaces_time_zone(time_zone, utc, due):
    assert digests.digest_due(time_zone=time_zone, now=utc.replace(tzinfo=dt.UTC)) is due


@pytest.mark.django_db
def test_it_sends_each_workspace_its_digests_at_its_own_local_hour(
    alpha, beta, bob, book, mailoutbox, django_capture_on_commit_callbacks, monkeypatch
):
    alpha.time_zone = "Asia/Tokyo"
    alpha.save()
    DigestDelivery.dangerously_unscoped.create(
        workspace=alpha, user=bob, week=MONDAY, kind="csm"
    )  # last week's, already sent
    for utc, expected in [((21, 30), []), ((22, 30), [bob.email])]:
        moment = dt.datetime.combine(dt.date(2026, 11, 29), dt.time(*utc), dt.UTC)
        monkeypatch.setattr(timezone, "now", lambda moment=moment: moment)
        with django_capture_on_commit_callbacks(execute=True):
            digests_send_all_task()
        assert [mail.to[0] for mail in mailoutbox if mail.to[0] == bob.email] == expected
    assert DigestDelivery.dangerously_unscoped.filter(user=bob).latest("week").week == dt.date(
        2026, 11, 30
    )
