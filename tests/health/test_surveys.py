"""Surveys CSOS sends: signed single-use links, answers that feed the score, one reminder."""

import datetime as dt
import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from csos.links import link_issue
from csos.tenancy import workspace_scope
from health import scoring, services, surveys
from health.models import SurveyInvitation, SurveyResponse
from health.tasks import survey_reminders_send_all_task
from tests.factories import AccountFactory
from tests.stakeholders.factories import StakeholderFactory

LINK = re.compile(r"https?://\S+/survey/(\S+)/")


@pytest.fixture
def account(alpha, bob):
    return AccountFactory(workspace=alpha, owner=bob, name="Acme Corp")


@pytest.fixture
def dana(account):
    return StakeholderFactory(account=account, name="Dana Whitfield", email="dana@acme.example")


def send(account, people, by, *, kind="nps"):
    with workspace_scope(account.workspace):
        return surveys.survey_send(account=account, stakeholders=people, kind=kind, by=by)


def token_of(mail) -> str:
    return LINK.search(mail.body).group(1)


@pytest.mark.django_db
def test_it_mails_each_chosen_stakeholder_their_own_link_naming_who_asks(
    account, dana, bob, mailoutbox, django_capture_on_commit_callbacks
):
    other = StakeholderFactory(account=account, email="eli@acme.example")
    with django_capture_on_commit_callbacks(execute=True):
        send(account, [dana, other], bob)
    assert [mail.to for mail in mailoutbox] == [["dana@acme.example"], ["eli@acme.example"]]
    assert token_of(mailoutbox[0]) != token_of(mailoutbox[1])
    assert "Bob Tester of Alpha Analytics" in mailoutbox[0].body
    assert "recommend Alpha Analytics" in mailoutbox[0].body


@pytest.mark.django_db
def test_it_refuses_a_stakeholder_of_another_account_or_without_an_email_and_sends_nobody(
    alpha, account, dana, bob, mailoutbox, django_capture_on_commit_callbacks
):
    stranger = StakeholderFactory(account=AccountFactory(workspace=alpha), name="Sam Stranger")
    mute = StakeholderFactory(account=account, name="Mo Mute", email="")
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(ValidationError) as refused,
    ):
        send(account, [dana, stranger, mute], bob)
    assert "Choose a stakeholder of this account." in str(refused.value)
    assert "Mo Mute has no e-mail address" in str(refused.value)
    assert not SurveyInvitation.dangerously_unscoped.exists()
    assert mailoutbox == []


@pytest.mark.django_db
def test_it_shows_who_asks_and_the_scale_without_a_login(
    client, account, dana, bob, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        send(account, [dana], bob, kind="csat")
    page = client.get(reverse("survey_answer", args=[token_of(mailoutbox[0])]))
    body = page.content.decode()
    assert page.status_code == 200
    assert "One question from Alpha Analytics" in body
    assert "Bob Tester of Alpha Analytics" in body
    assert "How satisfied are you with Alpha Analytics?" in body
    assert re.findall(r'name="score" value="(\d+)"', body) == ["1", "2", "3", "4", "5"]


@pytest.mark.django_db
def test_it_stores_the_answer_as_the_stakeholders_response_which_the_score_reads(
    client, alpha, account, dana, bob, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        send(account, [dana], bob)
    url = reverse("survey_answer", args=[token_of(mailoutbox[0])])
    done = client.post(url, {"score": "9", "comment": "Triage is faster."})
    assert done.status_code == 200
    response = SurveyResponse.dangerously_unscoped.get()
    assert (response.account, response.respondent, response.kind) == (account, dana, "nps")
    assert (response.score, response.comment) == (9, "Triage is faster.")
    assert SurveyInvitation.dangerously_unscoped.get().response == response
    with workspace_scope(alpha):
        frame, _scores = services.health_scores(
            first_id=account.pk, last_id=account.pk, as_of=timezone.localdate()
        )
    assert frame.loc[account.pk, scoring.SURVEY_SCORE] == 9.0
    assert frame.loc[account.pk, scoring.SURVEY_COUNT] == 1


@pytest.mark.django_db
def test_it_refuses_a_second_answer_through_the_same_link(
    client, account, dana, bob, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        send(account, [dana], bob)
    url = reverse("survey_answer", args=[token_of(mailoutbox[0])])
    client.post(url, {"score": "9"})
    again = client.post(url, {"score": "0"})
    assert again.status_code == 410
    assert "already been used" in again.content.decode()
    assert client.get(url).status_code == 410
    assert list(SurveyResponse.dangerously_unscoped.values_list("score", flat=True)) == [9]


@pytest.mark.django_db
def test_it_refuses_an_expired_link(
    client, account, dana, bob, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        (invitation,) = send(account, [dana], bob)
    invitation.link.expires_at = timezone.now() - dt.timedelta(minutes=1)
    invitation.link.save(update_fields=["expires_at"])
    url = reverse("survey_answer", args=[token_of(mailoutbox[0])])
    for response in (client.get(url), client.post(url, {"score": "9"})):
        assert response.status_code == 410
        assert "expired" in response.content.decode()
    assert not SurveyResponse.dangerously_unscoped.exists()


@pytest.mark.django_db
def test_it_refuses_a_forged_link_or_one_made_for_another_purpose(client, alpha, account):
    confirmation = link_issue(
        workspace=alpha,
        purpose="value.evidence-confirmation",
        target_id=account.pk,
        by=None,
        lifetime=dt.timedelta(days=1),
    )
    for token in (confirmation.token, "forged-token", confirmation.token[:-2]):
        page = client.get(reverse("survey_answer", args=[token]))
        assert page.status_code == 410
        assert "not valid" in page.content.decode()
        assert "Alpha Analytics" not in page.content.decode()


@pytest.mark.django_db
def test_it_refuses_a_score_off_the_scale_naming_it_and_keeps_the_link(
    client, account, dana, bob, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        (invitation,) = send(account, [dana], bob, kind="csat")
    url = reverse("survey_answer", args=[token_of(mailoutbox[0])])
    refused = client.post(url, {"score": "9"})
    assert refused.status_code == 400
    assert "Select a valid choice" in refused.content.decode()
    invitation.link.refresh_from_db()
    assert invitation.link.used_at is None
    assert client.post(url, {"score": "5"}).status_code == 200


@pytest.mark.django_db
def test_it_reminds_an_unanswered_invitation_once_after_the_wait(
    client, alpha, account, dana, bob, mailoutbox, django_capture_on_commit_callbacks
):
    answered_person = StakeholderFactory(account=account, email="ans@acme.example")
    with django_capture_on_commit_callbacks(execute=True):
        send(account, [dana, answered_person], bob)
    client.post(reverse("survey_answer", args=[token_of(mailoutbox[1])]), {"score": "7"})
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        survey_reminders_send_all_task()
    assert mailoutbox == []  # too soon

    earlier = timezone.now() - surveys.REMINDER_AFTER - dt.timedelta(hours=1)
    SurveyInvitation.dangerously_unscoped.update(sent_at=earlier)
    for _run in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            survey_reminders_send_all_task()
    assert [mail.to for mail in mailoutbox] == [["dana@acme.example"]]
    assert mailoutbox[0].subject.startswith("Reminder:")
    # The reminder's link opens the same single-use invitation.
    assert (
        client.post(
            reverse("survey_answer", args=[token_of(mailoutbox[0])]), {"score": "8"}
        ).status_code
        == 200
    )
    assert SurveyInvitation.dangerously_unscoped.filter(response__isnull=True).count() == 0


@pytest.mark.django_db
def test_it_shows_the_response_rate_and_sends_from_the_signals_page(
    login, account, dana, bob, mailoutbox, django_capture_on_commit_callbacks
):
    client = login(bob)
    other = StakeholderFactory(account=account, email="eli@acme.example")
    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(
            reverse("survey_send", args=[account.pk]),
            {"kind": "nps", "stakeholders": [dana.pk, other.pk]},
        )
    assert sent.status_code == 302
    client.post(reverse("survey_answer", args=[token_of(mailoutbox[0])]), {"score": "10"})
    page = client.get(reverse("account_signals", args=[account.pk])).content.decode()
    assert "<strong>50.0%</strong> (1 of 2)" in page
    assert "Awaiting answer" in page


@pytest.mark.django_db
def test_it_lets_only_those_who_may_edit_the_account_send_a_survey(
    login, account, dana, carol, vera, lena
):
    url = reverse("survey_send", args=[account.pk])
    for person, status in ((carol, 403), (vera, 403), (lena, 302)):
        response = login(person).post(url, {"kind": "nps", "stakeholders": [dana.pk]})
        assert response.status_code == status, person
    assert SurveyInvitation.dangerously_unscoped.count() == 1


@pytest.mark.django_db
def test_it_names_the_missing_choice_when_sending(login, account, bob):
    client = login(bob)
    response = client.post(reverse("survey_send", args=[account.pk]), {"kind": "nps"}, follow=True)
    assert "Send to: This field is required." in response.content.decode()
    assert not SurveyInvitation.dangerously_unscoped.exists()
