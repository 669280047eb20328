from django.shortcuts import render
from django.utils import timezone

from csos.decorators import member_required
from csos.exports import csv_download
from csos.models import LEADER_ROLES
from dashboards import selectors

LOAD_HEADERS = ["Owner", "Role", "Accounts", "Load", "Capacity", "Load %", "ARR", "Misfits"]


@member_required(roles=LEADER_ROLES)
def csm_load(request):
    sort = request.GET.get("sort", "-percent")
    over_only = request.GET.get("over") == "1"
    page = selectors.csm_load(
        today=timezone.localdate(),
        sort=sort if sort.removeprefix("-") in selectors.LOAD_SORTS else "-percent",
        over_only=over_only,
        suggest=request.GET.get("suggest") == "1",
    )
    if request.GET.get("format") == "csv":
        return csv_download(
            filename="csm-load.csv",
            headers=LOAD_HEADERS,
            rows=(
                (
                    book.name,
                    book.membership.get_role_display(),
                    book.accounts,
                    book.load,
                    book.capacity,
                    book.percent,
                    book.arr,
                    book.misfits,
                )
                for book in page.overview.books
            ),
        )
    return render(
        request,
        "dashboards/csm_load.html",
        {
            "page": page,
            "sort": sort,
            "over_only": over_only,
            "columns": [
                ("name", "Owner"),
                ("accounts", "Accounts"),
                ("load", "Load (points)"),
                ("percent", "Of capacity"),
                ("arr", f"ARR ({request.workspace.default_currency})"),
                ("misfits", "Not fitting"),
            ],
        },
    )
