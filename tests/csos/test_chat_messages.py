"""Slack and Teams messages match the shapes those services document (fixtures), for every
event type, and link back to CSOS."""

import json
from pathlib import Path

import jsonschema
import pytest

from csos.event_types import EVENT_TYPES
from csos.webhooks.messages import slack_message, teams_message

FIXTURES = Path(__file__).parent / "fixtures"
ACCOUNT = {
    "id": 7, "name": "Acme", "external_id": "CRM-7", "segment": "scale", "owner_id": 3,
    "owner_email": "bob@alpha.example", "band": "red", "url": "https://csos.example.com/accounts/7/",
}  # fmt: skip
EVIDENCE = {
    "id": 1, "claim": "Triage time halved", "level": 3, "use_case": "Triage", "status": "proven",
    "url": "https://csos.example.com/evidence/1/",
}  # fmt: skip
TASK = {
    "id": 2, "title": "Call the sponsor", "status": "open", "due_on": "2026-12-10",
    "assignee_id": 3, "assignee_email": "bob@alpha.example",
    "url": "https://csos.example.com/tasks/2/",
}  # fmt: skip
PERSON = {"id": 4, "name": "Dana", "role": "owner", "status": "departed"}
DATA = {
    "account.created": {"account": ACCOUNT},
    "account.owner_changed": {"account": ACCOUNT, "previous_owner_id": None},
    "account.renewal_window_entered": {
        "account": ACCOUNT, "renewal_date": "2027-03-01", "window_days": 90,
    },
    "import.finished": {
        "kind": "accounts", "id": 5, "filename": "crm.csv", "created": 1, "updated": 2,
        "unchanged": 3, "skipped": 0,
        "url": "https://csos.example.com/accounts/import/5/",
    },
    "task.created": {"account": ACCOUNT, "task": TASK},
    "task.escalated": {"account": ACCOUNT, "task": TASK},
    "task.completed": {"account": ACCOUNT, "task": TASK},
    "health.band_changed": {
        "account": ACCOUNT, "week": "2026-11-30", "band": "red", "previous_band": "green",
        "score": 41,
    },
    "health.theatre_flagged": {"account": ACCOUNT, "week": "2026-11-30", "reason": "No proof"},
    "evidence.proven": {"account": ACCOUNT, "evidence": EVIDENCE},
    "evidence.disputed": {"account": ACCOUNT, "evidence": EVIDENCE},
    "evidence.expired": {"account": ACCOUNT, "evidence": EVIDENCE},
    "confirmation.answered": {"account": ACCOUNT, "evidence": EVIDENCE, "confirmed": True},
    "stakeholder.departed": {"account": ACCOUNT, "stakeholder": PERSON},
    "stakeholder.role_changed": {
        "account": ACCOUNT, "stakeholder": PERSON, "previous_role": "champion",
    },
}  # fmt: skip


def envelope(event_type):
    return {
        "id": "0b0e8a4e-5d1c-4a55-9a51-8d2d0c1f7f11",
        "type": event_type,
        "version": 1,
        "workspace": "alpha",
        "occurred_at": "2026-12-07T10:00:00+00:00",
        "data": DATA[event_type],
    }


def fixture_schema(name):
    return json.loads((FIXTURES / name).read_text())


def test_it_has_sample_data_for_every_event_type_and_it_matches_the_catalogue():
    assert set(DATA) == set(EVENT_TYPES)
    for event_type, (_version, _text, schema) in EVENT_TYPES.items():
        jsonschema.validate(DATA[event_type], schema)


@pytest.mark.parametrize("event_type", sorted(EVENT_TYPES))
def test_it_formats_slack_block_kit_as_documented(event_type):
    message = slack_message(envelope(event_type))
    jsonschema.validate(
        message,
        fixture_schema("slack_incoming_webhook.schema.json"),
        format_checker=jsonschema.FormatChecker(),
    )
    (button,) = message["blocks"][2]["elements"]
    assert button["url"].startswith("https://csos.example.com/")


@pytest.mark.parametrize("event_type", sorted(EVENT_TYPES))
def test_it_formats_a_teams_adaptive_card_as_documented(event_type):
    message = teams_message(envelope(event_type))
    jsonschema.validate(
        message,
        fixture_schema("teams_adaptive_card_message.schema.json"),
        format_checker=jsonschema.FormatChecker(),
    )
    (action,) = message["attachments"][0]["content"]["actions"]
    assert action["url"].startswith("https://csos.example.com/")


def test_it_rejects_a_slack_message_the_fixture_does_not_allow():
    message = slack_message(envelope("task.created"))
    message["blocks"][0]["text"]["type"] = "mrkdwn"  # headers take plain text only
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(message, fixture_schema("slack_incoming_webhook.schema.json"))
