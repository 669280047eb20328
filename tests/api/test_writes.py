"""Writes through the API: the services the pages use, the pages' role rules, and bad input
that names the field and writes nothing."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from csos.models import AuditEvent
from csos.services.exchange_rates import exchange_rate_save
from playbooks.models import Task
from stakeholders.models import Objective, PlanStatus, SuccessPlan
from tests.factories import (
    AccountFactory,
    AccountUseCaseFactory,
    EvidenceFactory,
    UseCaseFactory,
)
from tests.stakeholders.factories import ObjectiveFactory, StakeholderFactory, SuccessPlanFactory
from value.models import Evidence, EvidenceChange


def _errors(response) -> dict:
    assert response.status_code == 400, response.content
    return {error["field"]: error["message"] for error in response.json()["errors"]}


def _session(client, method, url, document):
    return getattr(client, method)(url, document, content_type="application/json")


@pytest.fixture
def bobs_account(alpha, bob):
    return AccountFactory(workspace=alpha, owner=bob)


@pytest.fixture
def carols_account(alpha, carol):
    return AccountFactory(workspace=alpha, owner=carol)


@pytest.fixture
def use_case(alpha):
    return UseCaseFactory(workspace=alpha)


def _claim(account, use_case_row, **fields):
    return {
        "account": account.pk,
        "use_case": use_case_row.pk,
        "level": 3,
        "claim": "Triage time fell from 9 to 2 minutes.",
        "baseline": "9",
        "current": "2",
        "source": "customer",
        **fields,
    }


def _plan(account, title="FY27 plan", **fields):
    return {"account": account.pk, "title": title, "starts_on": "2026-04-01", **fields}


# ----------------------------------------------------------------------------- evidence


def test_it_records_evidence_with_its_history_as_the_page_does(api, bobs_account, use_case):
    response = api.post(reverse("api-evidence-list"), _claim(bobs_account, use_case))
    assert response.status_code == 201, response.content
    evidence = Evidence.dangerously_unscoped.get(pk=response.json()["id"])
    assert response.json()["account_external_id"] == bobs_account.external_id
    change = EvidenceChange.dangerously_unscoped.get(evidence=evidence)
    assert (change.summary, change.by_id) == ("Recorded", None)

    response = api.patch(
        reverse("api-evidence-detail", args=[evidence.pk]),
        {"status": "disputed", "unit": "minutes"},
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "disputed"
    latest = EvidenceChange.dangerously_unscoped.filter(evidence=evidence).latest("id")
    assert latest.after == {"unit": "minutes", "status": "disputed"}


def test_it_names_the_field_of_invalid_evidence_and_writes_nothing(api, bobs_account, use_case):
    url = reverse("api-evidence-list")
    proven = _claim(bobs_account, use_case, status="proven")
    assert "confirmed_on" in _errors(api.post(url, proven))
    assert "use_case" in _errors(api.post(url, _claim(bobs_account, use_case, use_case=999999)))
    assert "level" in _errors(api.post(url, _claim(bobs_account, use_case, level=2)))
    assert not Evidence.dangerously_unscoped.exists()
    evidence = EvidenceFactory(account=bobs_account, use_case=use_case)
    detail = reverse("api-evidence-detail", args=[evidence.pk])
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    assert "confirmed_on" in _errors(api.patch(detail, {"confirmed_on": tomorrow}))
    evidence.refresh_from_db()
    assert evidence.confirmed_on is None
    assert not EvidenceChange.dangerously_unscoped.exists()


def test_it_answers_422_naming_the_field_when_anyone_but_the_owner_would_prove_roi(
    api, login, lena, bobs_account, use_case
):
    owner = StakeholderFactory(account=bobs_account, role="owner")
    url = reverse("api-evidence-list")
    today = dt.date.today().isoformat()
    roi = _claim(bobs_account, use_case, level=4, confirmed_on=today)
    attempts = [
        (api, "post", url, {**roi, "status": "proven", "confirmed_by_stakeholder": owner.pk}),
        (api, "post", url, {**roi, "status": "attested", "confirmed_by_stakeholder": owner.pk}),
        (api, "post", url, _claim(bobs_account, use_case, baseline=None, current=None,
                                  status="proven", confirmed_on=today)),
    ]  # fmt: skip
    claim = EvidenceFactory(account=bobs_account, use_case=use_case, level=4)
    detail = reverse("api-evidence-detail", args=[claim.pk])
    proven = {"status": "proven", "confirmed_on": today, "confirmed_by_stakeholder": owner.pk}
    attempts.append((api, "patch", detail, proven))
    fields = []
    for client, method, target, body in attempts:
        response = getattr(client, method)(target, body)
        assert response.status_code == 422, response.content
        fields.append({error["field"] for error in response.json()["errors"]})
    assert fields == [{"status"}, {"status"}, {"baseline"}, {"status"}]
    # A leader signed in may attest; it is stored as attested, never as proven.
    session = login(lena)
    attested = _session(session, "patch", detail, {**proven, "status": "attested"})
    assert attested.status_code == 200, attested.content
    assert _session(session, "patch", detail, proven).status_code == 422
    assert Evidence.dangerously_unscoped.get().status == "attested"
    assert not Evidence.dangerously_unscoped.filter(status="proven").exists()


def test_it_lets_a_csm_write_evidence_only_on_accounts_they_own(
    login, bob, bobs_account, carols_account, use_case
):
    client = login(bob)
    url = reverse("api-evidence-list")
    assert _session(client, "post", url, _claim(carols_account, use_case)).status_code == 403
    assert _session(client, "post", url, _claim(bobs_account, use_case)).status_code == 201
    theirs = EvidenceFactory(account=carols_account, use_case=use_case)
    detail = reverse("api-evidence-detail", args=[theirs.pk])
    assert client.get(detail).status_code == 200, "a CSM reads every account, as on the page"
    assert _session(client, "patch", detail, {"status": "disputed"}).status_code == 403
    assert Evidence.dangerously_unscoped.get(pk=theirs.pk).status == "unproven"


def test_it_lets_a_viewer_read_but_not_write(login, vera, bobs_account, use_case):
    client = login(vera)
    evidence = EvidenceFactory(account=bobs_account, use_case=use_case)
    assert client.get(reverse("api-evidence-list")).json()["results"][0]["id"] == evidence.pk
    response = _session(
        client, "post", reverse("api-evidence-list"), _claim(bobs_account, use_case)
    )
    assert response.status_code == 403
    for name in ("api-success-plan-list", "api-task-list"):
        assert _session(client, "post", reverse(name), {}).status_code in {403, 405}
    assert Evidence.dangerously_unscoped.count() == 1


# ----------------------------------------------------------------------------- success plans


def test_it_starts_a_plan_with_objectives_and_archives_the_last(api, bobs_account, use_case):
    old = SuccessPlanFactory(account=bobs_account)
    owner = StakeholderFactory(account=bobs_account)
    response = api.post(
        reverse("api-success-plan-list"),
        _plan(
            bobs_account,
            objectives=[
                {"title": "Cut triage time", "use_case": use_case.pk, "owner": owner.pk},
                {"title": "Prove ROI", "use_case_name": "Reporting", "target_level": 4},
            ],
        ),
    )
    assert response.status_code == 201, response.content
    plan = response.json()
    assert [(o["title"], o["target_level"], o["owner"]) for o in plan["objectives"]] == [
        ("Cut triage time", 3, owner.pk),
        ("Prove ROI", 4, None),
    ]
    old.refresh_from_db()
    assert old.status == PlanStatus.ARCHIVED
    assert AuditEvent.dangerously_unscoped.filter(action="plan.create").exists()


def test_it_changes_objectives_by_id_and_adds_those_without(api, bobs_account):
    plan = SuccessPlanFactory(account=bobs_account)
    objective = ObjectiveFactory(plan=plan, target_level=3)
    response = api.patch(
        reverse("api-success-plan-detail", args=[plan.pk]),
        {
            "title": "Renamed",
            "objectives": [{"id": objective.pk, "target_level": 4}, {"title": "New one"}],
        },
    )
    assert response.status_code == 200, response.content
    objective.refresh_from_db()
    assert (objective.target_level, objective.title) == (4, objective.title)
    assert [o["title"] for o in response.json()["objectives"]][1] == "New one"
    assert response.json()["title"] == "Renamed"


def test_it_names_the_objective_at_fault_and_writes_no_plan(api, bobs_account, carols_account):
    stranger = StakeholderFactory(account=carols_account)
    response = api.post(
        reverse("api-success-plan-list"),
        _plan(
            bobs_account,
            objectives=[{"title": "Fine"}, {"title": "Bad owner", "owner": stranger.pk}],
        ),
    )
    assert "objectives.1.owner" in _errors(response)
    assert "objectives.0.title" in _errors(
        api.post(
            reverse("api-success-plan-list"),
            _plan(bobs_account, title="T", objectives=[{}]),
        )
    )
    assert not SuccessPlan.dangerously_unscoped.exists()
    assert not Objective.dangerously_unscoped.exists()


def test_it_keeps_an_archived_plan_and_refuses_a_foreign_objective_id(api, bobs_account):
    plan = SuccessPlanFactory(account=bobs_account)
    other = ObjectiveFactory(
        plan=SuccessPlanFactory(account=AccountFactory(workspace=plan.workspace))
    )
    url = reverse("api-success-plan-detail", args=[plan.pk])
    errors = _errors(api.patch(url, {"title": "X", "objectives": [{"id": other.pk, "title": "Y"}]}))
    assert "objectives.0.id" in errors
    plan.refresh_from_db()
    assert plan.title != "X"
    SuccessPlan.dangerously_unscoped.filter(pk=plan.pk).update(status=PlanStatus.ARCHIVED)
    assert _errors(api.patch(url, {"title": "X"}))


def test_it_lets_a_csm_plan_only_on_accounts_they_own(login, bob, carols_account):
    plan = SuccessPlanFactory(account=carols_account)
    client = login(bob)
    body = _plan(carols_account, title="Mine now")
    assert _session(client, "post", reverse("api-success-plan-list"), body).status_code == 403
    url = reverse("api-success-plan-detail", args=[plan.pk])
    assert _session(client, "patch", url, {"title": "Mine now"}).status_code == 403
    assert SuccessPlan.dangerously_unscoped.get().title == plan.title


# ----------------------------------------------------------------------------- tasks


@pytest.fixture
def make_task(alpha):
    def make(account, **fields):
        fields.setdefault("cause", f"cause-{account.pk}-{Task.dangerously_unscoped.count()}")
        return Task.dangerously_unscoped.create(
            workspace=alpha,
            account=account,
            playbook="save",
            title="Run the save play",
            reason="Health turned red.",
            due_on=dt.date(2026, 11, 18),
            priority="urgent",
            **fields,
        )

    return make


def test_it_closes_and_reassigns_a_task_audited(api, make_task, bobs_account, bob, carol):
    task = make_task(bobs_account, assignee=bob)
    url = reverse("api-task-detail", args=[task.pk])
    response = api.patch(url, {"status": "done", "assignee": carol.pk})
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["assignee_email"]) == ("done", carol.email)
    event = AuditEvent.dangerously_unscoped.get(action="task.update")
    assert event.before == {"status": "open", "assignee": bob.email}


def test_it_names_a_bad_status_or_assignee_and_changes_nothing(
    api, make_task, bobs_account, bob, vera, charlie
):
    task = make_task(bobs_account, assignee=bob)
    url = reverse("api-task-detail", args=[task.pk])
    assert "status" in _errors(api.patch(url, {"status": "finished", "assignee": None}))
    assert "assignee" in _errors(api.patch(url, {"status": "done", "assignee": vera.pk}))
    assert "assignee" in _errors(api.patch(url, {"assignee": charlie.pk}))
    task.refresh_from_db()
    assert (task.status, task.assignee_id) == ("open", bob.pk)


def test_it_reopens_a_task_only_while_its_cause_has_no_other_open_task(
    api, make_task, bobs_account
):
    closed = make_task(bobs_account, cause="save", occasion="2026-11-09", status="done")
    url = reverse("api-task-detail", args=[closed.pk])
    make_task(bobs_account, cause="save", occasion="2026-11-16")
    assert "status" in _errors(api.patch(url, {"status": "open"}))
    Task.dangerously_unscoped.filter(occasion="2026-11-16").update(status="dismissed")
    assert api.patch(url, {"status": "open"}).status_code == 200


def test_it_lets_a_csm_change_only_tasks_of_accounts_they_own(
    login, make_task, bob, bobs_account, carols_account
):
    mine, theirs = make_task(bobs_account), make_task(carols_account)
    client = login(bob)
    patch = lambda task: _session(  # noqa: E731
        client, "patch", reverse("api-task-detail", args=[task.pk]), {"status": "dismissed"}
    )
    assert patch(theirs).status_code == 403
    assert patch(mine).status_code == 200
    assert Task.dangerously_unscoped.get(pk=theirs.pk).status == "open"


# ----------------------------------------------------------------------------- coverage


def test_it_shows_value_coverage_to_tokens_and_leaders_only(api, login, alpha, bob, lena):
    AccountFactory(workspace=alpha, owner=bob, segment="enterprise")
    url = reverse("api-value-coverage")
    body = api.get(url, by="csm").json()
    assert body["by"] == "csm"
    (group,) = body["groups"]
    assert (group["key"], group["accounts"]) == (str(bob.pk), 1)
    assert group["levels"][0] == {
        "level": 0,
        "name": "None proven",
        "accounts": 1,
        "account_share": 100.0,
    }
    assert api.get(url, by="nonsense").status_code == 400
    assert login(bob).get(url).status_code == 403
    assert login(lena).get(url).status_code == 200


def test_it_gives_the_share_of_coverage_at_least_each_level(api, alpha, bob, in_alpha):
    use_case = UseCaseFactory(workspace=alpha)
    for arr, level in ((1000, 0), (3000, 2), (6000, 4)):
        AccountUseCaseFactory(
            account=AccountFactory(workspace=alpha, owner=bob, arr=Decimal(arr)),
            use_case=use_case,
            level=level,
        )
    (group,) = api.get(reverse("api-value-coverage"), by="csm").json()["groups"]
    at_least = {part["level"]: part for part in group["at_least"]}
    assert list(at_least) == [1, 2, 3, 4]
    assert at_least[2] == {
        "level": 2,
        "name": "Engagement",
        "accounts": 2,
        "account_share": 66.7,
        "arr": [{"currency": "USD", "arr": "9000.00", "arr_share": 90.0}],
        "converted_arr": "9000.00",
        "converted_arr_share": 90.0,
    }
    assert (at_least[3]["accounts"], at_least[3]["converted_arr_share"]) == (1, 60.0)


def test_it_converts_coverage_arr_at_the_rates_of_the_day_asked(api, alpha, bob, in_alpha):
    AccountFactory(workspace=alpha, owner=bob, arr=Decimal("1000"), currency="EUR")
    AccountFactory(workspace=alpha, owner=bob, arr=Decimal("3000"), currency="USD")
    AccountFactory(workspace=alpha, owner=bob, arr=Decimal("500"), currency="GBP")
    exchange_rate_save(
        workspace=alpha,
        by=None,
        exchange_rate=None,
        currency="EUR",
        rate=Decimal("1.5"),
        valid_from=dt.date(2026, 1, 1),
    )
    url = reverse("api-value-coverage")

    body = api.get(url, by="csm", as_of="2026-06-30").json()
    before = api.get(url, by="csm", as_of="2025-12-31").json()

    assert (body["currency"], body["as_of"]) == ("USD", "2026-06-30")
    (group,) = body["groups"]
    assert group["converted"][0] == {"level": 0, "arr": "4500.00", "arr_share": 100.0}
    assert group["unconverted"] == [{"currency": "GBP", "accounts": 1, "arr": "500.00"}]
    (earlier,) = before["groups"]
    assert earlier["converted"][0]["arr"] == "3000.00"
    assert [part["currency"] for part in earlier["unconverted"]] == ["EUR", "GBP"]
    assert api.get(url, as_of="not a date").status_code == 400
