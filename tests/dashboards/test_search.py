"""Search: typo-tolerant, across accounts, people and evidence, inside the tenant wall."""

from django.urls import reverse

from tests.factories import AccountFactory, EvidenceFactory
from tests.stakeholders.factories import StakeholderFactory


def found(client, text: str, **headers) -> str:
    response = client.get(reverse("search"), {"q": text}, headers=headers)
    assert response.status_code == 200
    return response.content.decode()


def test_it_finds_an_account_by_a_misspelled_name(login, alpha, bob):
    AccountFactory(workspace=alpha, name="Globex Corporation")
    assert "Globex Corporation" in found(login(bob), "Glbex")


def test_it_finds_accounts_by_external_id_and_domain(login, alpha, bob):
    AccountFactory(
        workspace=alpha, name="Initech", external_id="SF-00917", domain="initech.example"
    )
    client = login(bob)
    assert "Initech" in found(client, "SF-00917")
    assert "Initech" in found(client, "initech.exmple")


def test_it_finds_people_by_misspelled_name_and_by_email(login, alpha, bob):
    account = AccountFactory(workspace=alpha)
    StakeholderFactory(account=account, name="Margarethe Vollmer", email="mv@hooli.example")
    client = login(bob)
    assert "Margarethe Vollmer" in found(client, "Margarete Volmer")
    assert "Margarethe Vollmer" in found(client, "mv@hooli")


def test_it_finds_evidence_by_its_claim(login, alpha, bob):
    EvidenceFactory(account=AccountFactory(workspace=alpha), claim="Triage time fell by half")
    assert "Triage time fell by half" in found(login(bob), "triage tme")


def test_it_answers_the_header_box_with_a_dropdown(login, alpha, bob):
    AccountFactory(workspace=alpha, name="Globex Corporation")
    dropdown = found(login(bob), "Globex", **{"HX-Request": "true"})
    assert "Globex Corporation" in dropdown and "<html" not in dropdown


def test_it_never_returns_another_workspaces_rows(login, alpha, beta, bob):
    ours = AccountFactory(workspace=alpha, name="Umbrella Local", domain="umbrella.example")
    theirs = AccountFactory(workspace=beta, name="Umbrella Holdings", domain="umbrella.example")
    person = StakeholderFactory(account=theirs, name="Umbrella Person", email="boss@umbrella.ex")
    claim = EvidenceFactory(account=theirs, claim="Umbrella claim of savings")
    links = (
        reverse("account_detail", args=[theirs.pk]),
        reverse("stakeholder_edit", args=[person.pk]),
        reverse("value_evidence", args=[claim.pk]),
    )
    client = login(bob)
    for text in ("Umbrella", "Umbrela", "umbrella.example", "boss@umbrella", "savings"):
        for page in (found(client, text), found(client, text, **{"HX-Request": "true"})):
            assert not [link for link in links if f'href="{link}"' in page], text
    # The same words do find Alpha's own account: the search ran, and kept to its workspace.
    assert f'href="{reverse("account_detail", args=[ours.pk])}"' in found(client, "Umbrela")


def test_it_asks_for_two_characters_before_searching(login, alpha, bob):
    AccountFactory(workspace=alpha, name="Q Industries")
    page = found(login(bob), "Q")
    assert "Type at least 2 characters" in page


def test_it_shows_the_search_box_on_every_page(login, bob):
    page = login(bob).get(reverse("my_tasks")).content.decode()
    assert 'role="search"' in page and 'name="q"' in page
