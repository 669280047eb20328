"""Event messages for chat: Slack Block Kit and a Microsoft Teams Adaptive Card, each with a
link back to the account. Pure: they read the delivered envelope only."""

from typing import Any

_HEADLINES = {
    "account.created": "New account",
    "account.owner_changed": "Account has a new owner",
    "account.renewal_window_entered": "Renewal window entered",
    "import.finished": "Import finished",
    "task.created": "Task created",
    "task.escalated": "Task escalated",
    "task.completed": "Task completed",
    "health.band_changed": "Health band changed",
    "health.theatre_flagged": "Theatre flag raised",
    "evidence.proven": "Value proven",
    "evidence.disputed": "Value claim disputed",
    "evidence.expired": "Value proof expired",
    "confirmation.answered": "Customer answered a confirmation",
    "stakeholder.departed": "Stakeholder departed",
    "stakeholder.role_changed": "Stakeholder role changed",
}


def _summary(envelope: dict[str, Any]) -> tuple[str, str, str | None]:
    """The headline, a detail line and the link of an event."""
    data = envelope["data"]
    headline = _HEADLINES[envelope["type"]]
    account = data.get("account")
    for key, field in (("task", "title"), ("evidence", "claim"), ("stakeholder", "name")):
        if key in data:
            detail = f"{data[key][field]} ({account['name']})"
            return headline, detail, data[key].get("url") or account["url"]
    if "band" in data:
        return (
            headline,
            f"{account['name']}: {data['previous_band']} → {data['band']}",
            account["url"],
        )
    if account:
        return headline, account["name"], account["url"]
    return headline, data["filename"], data["url"]


def slack_message(envelope: dict[str, Any]) -> dict[str, Any]:
    headline, detail, url = _summary(envelope)
    return {
        "text": f"{headline}: {detail}",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": headline[:150]}},
            {"type": "section", "text": {"type": "mrkdwn", "text": detail[:3000]}},
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": "Open in CSOS"},
                        "url": url,
                    }
                ],
            },
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": f"`{envelope['type']}`"}],
            },
        ],
    }


def teams_message(envelope: dict[str, Any]) -> dict[str, Any]:
    headline, detail, url = _summary(envelope)
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": {
                    "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                    "type": "AdaptiveCard",
                    "version": "1.4",
                    "body": [
                        {
                            "type": "TextBlock",
                            "text": headline,
                            "weight": "Bolder",
                            "size": "Medium",
                        },
                        {"type": "TextBlock", "text": detail, "wrap": True},
                    ],
                    "actions": [{"type": "Action.OpenUrl", "title": "Open in CSOS", "url": url}],
                },
            }
        ],
    }
