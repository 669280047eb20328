"""The survey answer page a stakeholder opens from an e-mail, at a desktop and a phone width."""

import pytest
from django.test import Client
from playwright.sync_api import expect

from csos.links import link_token
from csos.models import Role
from csos.tenancy import workspace_scope
from health import surveys
from health.models import SurveyResponse
from tests.browser.test_accessibility import WIDTHS, _shown_problems
from tests.factories import AccountFactory, MembershipFactory, UserFactory, WorkspaceFactory
from tests.stakeholders.factories import StakeholderFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def survey_path(survey_sent) -> str:
    return f"/survey/{link_token(survey_sent.link)}/"


@pytest.fixture
def survey_sent(transactional_db):
    workspace = WorkspaceFactory(name="Alpha Analytics", slug="alpha")
    csm = UserFactory(first_name="Bob", last_name="Marsh", email="bob@alpha.example")
    MembershipFactory(workspace=workspace, user=csm, role=Role.CSM)
    account = AccountFactory(workspace=workspace, owner=csm)
    person = StakeholderFactory(
        account=account,
        name="Bartholomew-Maximilian Featherstonehaugh-Wolfeschlegelsteinhausen",
        email="dana@acme.example",
    )
    with workspace_scope(workspace):
        (invitation,) = surveys.survey_send(
            account=account, stakeholders=[person], kind="nps", by=csm
        )
    return invitation


@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
def test_it_answers_a_survey_accessibly_without_overflow(browser, live_server, survey_path, width):
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": width, "height": 900}
    )
    tab = context.new_page()
    tab.goto(survey_path)
    scale = tab.get_by_role("group", name="How likely are you to recommend Alpha Analytics")
    expect(scale.get_by_role("radio")).to_have_count(11)
    assert _shown_problems(tab, "the survey page", width) == []

    tab.get_by_role("button", name="Send my answer").click()
    expect(tab.get_by_role("alert")).to_be_visible()
    assert _shown_problems(tab, "the survey page with an error", width) == []

    scale.get_by_role("radio", name="9").check()
    tab.get_by_label("Anything you would like to add?").fill("Faster triage.")
    tab.get_by_role("button", name="Send my answer").click()
    expect(tab.get_by_role("heading", name="Thank you")).to_be_visible()
    assert _shown_problems(tab, "the thank-you page", width) == []
    assert SurveyResponse.dangerously_unscoped.get().score == 9

    tab.goto(survey_path)
    expect(tab.get_by_text("This link has already been used.")).to_be_visible()
    assert _shown_problems(tab, "the used link", width) == []
    context.close()


@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
def test_it_shows_surveys_sent_and_the_send_form_accessibly(
    browser, live_server, survey_sent, width
):
    session = Client()
    session.force_login(survey_sent.sent_by)
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": width, "height": 900}
    )
    context.add_cookies(
        [{"name": "sessionid", "value": session.cookies["sessionid"].value, "url": live_server.url}]
    )
    tab = context.new_page()
    path = f"/accounts/{survey_sent.account_id}/signals/"
    tab.goto(path)
    expect(tab.get_by_role("heading", name="Surveys sent")).to_be_visible()
    expect(tab.get_by_text("Awaiting answer")).to_be_visible()
    assert _shown_problems(tab, path, width) == []
    context.close()
