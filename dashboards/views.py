from django.shortcuts import render
from django.utils import timezone

from csos.decorators import member_required
from csos.models import LEADER_ROLES
from dashboards import selectors


@member_required(roles=LEADER_ROLES)
def csm_load(request):
    loads = selectors.csm_load(today=timezone.localdate())
    currencies = sorted({code for load in loads for code in load.arr_by_currency})
    return render(request, "dashboards/csm_load.html", {"loads": loads, "currencies": currencies})
