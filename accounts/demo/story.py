"""What the demo's steps must agree on to tell one story, named below the apps that use it.

The value step builds its framework from ``USE_CASE_NAMES`` and the stakeholders step writes
plan objectives and handoff promises about the same use cases. Only the first
``DemoOptions.usage_accounts`` accounts (by external id) report usage, so only they can have
reached value realisation or expansion; the portfolio step stages the others before that.
"""

USE_CASE_NAMES = (
    "Automate ticket triage",
    "Self-service reporting",
    "Workflow automation",
    "Connected systems",
    "Executive visibility",
)
