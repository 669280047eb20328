"""Search across the workspace: accounts, stakeholders and evidence, each app's own selector."""

from django.shortcuts import render

from accounts.selectors import account_search
from csos.decorators import member_required
from stakeholders.selectors import stakeholder_search
from value.selectors import evidence_search

MIN_LENGTH = 2  # shorter text matches too much to help
MAX_LENGTH = 100


@member_required
def search(request):
    """The results page, or with htmx the header box's dropdown."""
    # PostgreSQL text holds no NUL character: one typed or pasted matches nothing anyway.
    text = request.GET.get("q", "").replace("\x00", "").strip()[:MAX_LENGTH]
    found = len(text) >= MIN_LENGTH
    results = {
        "accounts": account_search(text=text) if found else [],
        "stakeholders": stakeholder_search(text=text) if found else [],
        "evidence": evidence_search(text=text) if found else [],
    }
    template = (
        "dashboards/_search_dropdown.html"
        if request.headers.get("HX-Request")
        else "dashboards/search.html"
    )
    context = {"q": text, "searched": found, "min_length": MIN_LENGTH, **results}
    context["empty"] = found and not any(results.values())
    return render(request, template, context)
