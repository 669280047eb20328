"""A member's own digest setting, and the one-click unsubscribe page a digest links to."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt

from csos.decorators import member_required
from csos.links import TAMPERED
from csos.models import Membership, Workspace
from csos.tenancy import workspace_scope
from playbooks import digests
from playbooks.forms import DigestSettingsForm


@member_required
def digest_settings(request):
    subscribed = digests.digest_subscribed(user=request.user)
    # An unticked box posts nothing: a POST binds the form even when its body is empty.
    data = request.POST if request.method == "POST" else None
    form = DigestSettingsForm(data, initial={"weekly_digest": subscribed})
    if request.method == "POST" and form.is_valid():
        on = form.cleaned_data["weekly_digest"]
        digests.digest_subscription_set(workspace=request.workspace, user=request.user, on=on)
        messages.success(request, "You will get the weekly digest." if on else "Digest stopped.")
        return redirect("digest_settings")
    return render(
        request,
        "playbooks/digest_settings.html",
        {
            "form": form,
            "kind": digests.digest_kind(request.membership),
            "send_hour": f"{digests.DIGEST_HOUR:02d}:00",
            "time_zone": request.workspace.time_zone,
        },
    )


# RFC 8058: a mail client unsubscribes with one POST carrying no session and no CSRF token; the
# signed token is the whole authority, and it can only turn the digest off.
@csrf_exempt
def digest_unsubscribe(request, token: str):
    target = digests.unsubscribe_target(token)
    workspace = Workspace.objects.filter(pk=target[0]).first() if target else None
    if workspace is None:
        return render(request, "value/confirm_refused.html", {"reason": TAMPERED}, status=410)
    with workspace_scope(workspace):
        membership = Membership.objects.filter(user_id=target[1]).select_related("user").first()
        if membership is None:
            return render(request, "value/confirm_refused.html", {"reason": TAMPERED}, status=410)
        if request.method == "POST":
            digests.digest_subscription_set(workspace=workspace, user=membership.user, on=False)
        return render(
            request,
            "playbooks/digest_unsubscribe.html",
            {"workspace": workspace, "done": request.method == "POST"},
        )
