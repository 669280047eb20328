"""The catalogue of domain events: each type's schema version and the JSON Schema of its body.

Receivers read these schemas at /api/v1/events/schema/ (linked from the OpenAPI document); a
body that changes incompatibly gets a new version, never a silent change. Every body about a
customer carries the same ``account`` object, so a filter on segment, CSM or band reads it.
"""

from typing import Any

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"

_ID = {"type": "integer"}
_TEXT = {"type": "string"}
_OPTIONAL_TEXT = {"type": ["string", "null"]}
_OPTIONAL_ID = {"type": ["integer", "null"]}
_DATE = {"type": "string", "format": "date"}
_URL = {"type": "string", "format": "uri"}
_BAND = {"enum": ["green", "yellow", "red"]}


def _object(**properties: Any) -> dict:
    return {
        "type": "object",
        "required": sorted(properties),
        "properties": properties,
        "additionalProperties": False,
    }


ACCOUNT = _object(
    id=_ID,
    name=_TEXT,
    external_id=_TEXT,
    segment=_TEXT,
    owner_id=_OPTIONAL_ID,
    owner_email=_OPTIONAL_TEXT,
    band={"anyOf": [_BAND, {"type": "null"}]},
    url=_URL,
)
TASK = _object(
    id=_ID,
    title=_TEXT,
    status=_TEXT,
    due_on={"type": ["string", "null"], "format": "date"},
    assignee_id=_OPTIONAL_ID,
    assignee_email=_OPTIONAL_TEXT,
    url=_URL,
)
EVIDENCE = _object(id=_ID, claim=_TEXT, level=_ID, use_case=_TEXT, status=_TEXT, url=_URL)
STAKEHOLDER = _object(id=_ID, name=_TEXT, role=_TEXT, status=_TEXT)

# type: (schema version, what happened, the body's schema)
EVENT_TYPES: dict[str, tuple[int, str, dict]] = {
    "account.created": (1, "A customer account was created.", _object(account=ACCOUNT)),
    "account.owner_changed": (
        1,
        "A customer account has a new owner CSM.",
        _object(account=ACCOUNT, previous_owner_id=_OPTIONAL_ID),
    ),
    "account.renewal_window_entered": (
        1,
        "A customer's renewal date came within the workspace's renewal window.",
        _object(account=ACCOUNT, renewal_date=_DATE, window_days=_ID),
    ),
    # Version 2 names the kind of import; a batch upload (stakeholders, usage, support tickets,
    # survey responses) keeps no import record, so its id is null.
    "import.finished": (
        2,
        "A CSV import (accounts, stakeholders, usage, support tickets, survey responses) "
        "finished writing.",
        _object(
            kind=_TEXT,
            id=_OPTIONAL_ID,
            filename=_TEXT,
            created=_ID,
            updated=_ID,
            unchanged=_ID,
            skipped=_ID,
            url=_URL,
        ),
    ),
    "task.created": (1, "A task was created.", _object(account=ACCOUNT, task=TASK)),
    "task.escalated": (1, "An overdue task was escalated.", _object(account=ACCOUNT, task=TASK)),
    "task.completed": (1, "A task was completed.", _object(account=ACCOUNT, task=TASK)),
    "health.band_changed": (
        1,
        "An account's weekly health band changed from the week before.",
        _object(account=ACCOUNT, week=_DATE, band=_BAND, previous_band=_BAND, score=_ID),
    ),
    "health.theatre_flagged": (
        1,
        "Health rose while no value was proven or confirmed: a theatre flag was raised.",
        _object(account=ACCOUNT, week=_DATE, reason=_TEXT),
    ),
    "evidence.proven": (
        1,
        "A value claim became proven.",
        _object(account=ACCOUNT, evidence=EVIDENCE),
    ),
    "evidence.disputed": (
        1,
        "A value claim was disputed.",
        _object(account=ACCOUNT, evidence=EVIDENCE),
    ),
    "evidence.expired": (
        1,
        "A proven value claim's proof grew too old and no longer counts.",
        _object(account=ACCOUNT, evidence=EVIDENCE),
    ),
    "confirmation.answered": (
        1,
        "A customer answered a request to confirm a value claim.",
        _object(account=ACCOUNT, evidence=EVIDENCE, confirmed={"type": "boolean"}),
    ),
    "stakeholder.departed": (
        1,
        "A stakeholder left the customer.",
        _object(account=ACCOUNT, stakeholder=STAKEHOLDER),
    ),
    "stakeholder.role_changed": (
        1,
        "A stakeholder's role changed.",
        _object(account=ACCOUNT, stakeholder=STAKEHOLDER, previous_role=_TEXT),
    ),
}

TASK_EVENTS = frozenset(name for name in EVENT_TYPES if name.startswith("task."))


def event_type_schema(event_type: str) -> dict:
    """The JSON Schema of the whole event as delivered: envelope and versioned body."""
    version, description, body = EVENT_TYPES[event_type]
    return {
        "$schema": SCHEMA_DIALECT,
        "$id": f"urn:csos:event:{event_type}:v{version}",
        "title": event_type,
        "description": description,
        **_object(
            id={"type": "string", "format": "uuid"},
            type={"const": event_type},
            version={"const": version},
            workspace={"type": "string"},
            occurred_at={"type": "string", "format": "date-time"},
            data=body,
        ),
    }
