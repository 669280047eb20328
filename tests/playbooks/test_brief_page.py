"""The account brief page: gathered from the account's records, risks first, cited, printable,
exported, shown on the meeting prep sheet, and only to the account's workspace."""

import datetime as dt
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from health.models import HealthSnapshot
from health.scoring import iso_week
from stakeholders.models import StakeholderChange, StakeholderStatus
from tests.factories import AccountFactory, SurveyResponseFactory
from tests.stakeholders.factories import InteractionFactory, StakeholderFactory

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def red_account(alpha):
    """A Red account whose Owner left last week, with one thing going well: survey comments
    went from bitter to glowing."""
    today = timezone.localdate()
    account = AccountFactory(workspace=alpha, name="Globex", licensed_seats=200)
    HealthSnapshot.dangerously_unscoped.create(
        workspace=alpha,
        account=account,
        week=iso_week(today),
        total=28.0,
        band="red",
        model_name="Default",
        model_version=1,
    )
    owner = StakeholderFactory(
        account=account,
        name="Olga Owner",
        role="owner",
        status=StakeholderStatus.LEFT,
        left_on=today - dt.timedelta(days=7),
    )
    StakeholderChange.dangerously_unscoped.create(
        workspace=alpha, account=account, stakeholder=owner, role="owner", left_on=owner.left_on
    )
    StakeholderFactory(account=account, role="champion", added_on=today - dt.timedelta(days=400))
    SurveyResponseFactory(
        account=account,
        kind="nps",
        score=10,
        comment="Wonderful product, we love it and the team is great.",
        answered_on=today - dt.timedelta(days=3),
    )
    SurveyResponseFactory(
        account=account,
        kind="nps",
        score=2,
        comment="Terrible onboarding, we are frustrated and angry.",
        answered_on=today - dt.timedelta(days=120),
    )
    InteractionFactory(account=account, occurred_on=today - dt.timedelta(days=2), title="Check-in")
    return account


@pytest.mark.django_db
def test_it_mentions_the_red_band_and_the_owner_departure_before_anything_positive(
    login, bob, red_account
):
    response = login(bob).get(reverse("account_brief", args=[red_account.pk]))
    assert response.status_code == 200
    lines = response.context["lines"]
    texts = [line.text for line in lines]
    red = next(i for i, text in enumerate(texts) if text.startswith("Health is Red: 28 of 100"))
    owner = next(i for i, text in enumerate(texts) if text.startswith("Owner Olga Owner left on"))
    positive = [i for i, line in enumerate(lines) if line.tone == "strength"]
    assert positive, "the warmer comments give a strength to compare with"
    assert max(red, owner) < min(positive)
    page = response.content.decode()
    assert page.index("Health is Red") < page.index("Strengths")
    assert page.index("Olga Owner left") < page.index("Strengths")


@pytest.mark.django_db
def test_it_says_the_workspace_has_too_little_history_to_forecast_the_renewal(
    login, bob, red_account
):
    response = login(bob).get(reverse("account_brief", args=[red_account.pk]))
    (line,) = [line for line in response.context["lines"] if line.topic == "Renewal forecast"]
    assert line.text.startswith("Renewal forecast: too little history, ")
    assert line.text.endswith(" where 20 are needed.")
    assert line.source.url == reverse("renewal_forecast")


@pytest.mark.django_db
def test_it_links_every_line_to_its_record(login, bob, red_account):
    response = login(bob).get(reverse("account_brief", args=[red_account.pk]))
    page = response.content.decode()
    for line in response.context["lines"]:
        assert f'href="{line.source.url}"' in page


@pytest.mark.django_db
def test_it_exports_the_brief_as_markdown(login, bob, red_account):
    response = login(bob).get(reverse("account_brief_export", args=[red_account.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/markdown; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    text = response.content.decode()
    assert text.startswith("# Account brief: Globex")
    assert text.index("Health is Red") < text.index("## Strengths")
    assert f"(http://testserver{reverse('account_detail', args=[red_account.pk])}" in text


@pytest.mark.django_db
def test_it_shows_the_brief_on_the_meeting_prep_sheet(login, bob, red_account):
    meeting = InteractionFactory(account=red_account, title="Renewal talk")
    page = login(bob).get(reverse("interaction_prep", args=[meeting.pk])).content.decode()
    assert 'id="prep-brief"' in page
    assert "Health is Red: 28 of 100" in page


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["account_brief", "account_brief_export"])
def test_it_answers_404_to_another_workspace(login, charlie, red_account, name):
    assert login(charlie).get(reverse(name, args=[red_account.pk])).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["account_brief", "account_brief_export"])
def test_it_sends_a_visitor_to_sign_in(client, red_account, name):
    response = client.get(reverse(name, args=[red_account.pk]))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


@pytest.mark.django_db
def test_it_lets_a_viewer_read_the_brief(login, vera, red_account):
    assert login(vera).get(reverse("account_brief", args=[red_account.pk])).status_code == 200


def test_it_has_a_print_stylesheet_for_the_brief():
    css = (ROOT / "static/css/app.css").read_text()
    print_block = css[css.index("@media print") :]
    assert ".brief-sheet" in print_block[: print_block.index("\n}\n")]
    assert 'content: " (" attr(href) ")"' in print_block
