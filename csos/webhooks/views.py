"""Pages of webhooks and chat channels: admins manage the workspace's endpoints and read their
delivery logs; every member may send the alerts of their own tasks to a channel of their own."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from csos.decorators import admin_required, member_required
from csos.event_types import EVENT_TYPES, event_type_schema
from csos.models import WebhookDelivery, WebhookEndpoint
from csos.webhooks import delivery as deliveries
from csos.webhooks import selectors, services
from csos.webhooks.forms import EndpointChangeForm, EndpointForm, PersonalChannelForm


@admin_required
def endpoint_list(request):
    """The workspace's endpoints and the form that adds one; a new secret shows here once."""
    form = EndpointForm(request.POST or None)
    created = None
    if request.method == "POST" and form.is_valid():
        try:
            endpoint, secret = services.endpoint_create(
                workspace=request.workspace, by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            created = {"endpoint": endpoint, "secret": secret}
            form = EndpointForm()
    return render(
        request,
        "csos/webhook_list.html",
        {"form": form, "endpoints": selectors.endpoint_list(), "created": created},
        status=400 if form.errors else 200,
    )


@admin_required
def endpoint_detail(request, endpoint_id: int):
    """An endpoint's settings and its delivery log, filtered by status."""
    endpoint = get_object_or_404(WebhookEndpoint, pk=endpoint_id, owner__isnull=True)
    initial = {name: getattr(endpoint, name) for name in EndpointChangeForm.base_fields}
    form = EndpointChangeForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.endpoint_update(endpoint=endpoint, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Saved {endpoint.name}.")
            return redirect("webhook_detail", endpoint_id=endpoint.pk)
    status = request.GET.get("status", "")
    return render(
        request,
        "csos/webhook_detail.html",
        {
            "endpoint": endpoint,
            "form": form,
            "status": status,
            "statuses": WebhookDelivery._meta.get_field("status").choices,
            "deliveries": selectors.delivery_log(endpoint=endpoint, status=status),
        },
        status=400 if form.errors else 200,
    )


@admin_required
@require_POST
def endpoint_rotate(request, endpoint_id: int):
    endpoint = get_object_or_404(WebhookEndpoint, pk=endpoint_id, owner__isnull=True)
    try:
        secret = services.endpoint_secret_rotate(endpoint=endpoint, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("webhook_detail", endpoint_id=endpoint.pk)
    return render(request, "csos/webhook_secret.html", {"endpoint": endpoint, "secret": secret})


@admin_required
@require_POST
def endpoint_delete(request, endpoint_id: int):
    endpoint = get_object_or_404(WebhookEndpoint, pk=endpoint_id, owner__isnull=True)
    services.endpoint_delete(endpoint=endpoint, by=request.user)
    messages.success(request, f"Removed {endpoint.name}; it receives nothing more.")
    return redirect("webhook_list")


@admin_required
@require_POST
def delivery_redeliver(request, delivery_id: int):
    delivery = get_object_or_404(WebhookDelivery.objects.select_related("endpoint"), pk=delivery_id)
    try:
        deliveries.delivery_redeliver(delivery=delivery, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Queued for delivery again, with the same webhook-id.")
    return redirect("webhook_detail", endpoint_id=delivery.endpoint_id)


@member_required
def personal_channels(request):
    """The signed-in user's own channels for the alerts of their own tasks."""
    form = PersonalChannelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.endpoint_create(
                workspace=request.workspace,
                by=request.user,
                owner=request.user,
                name=f"My {data['kind']} alerts",
                **data,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Your task alerts go to that channel from now on.")
            return redirect("personal_channels")
    return render(
        request,
        "csos/personal_channels.html",
        {"form": form, "channels": selectors.personal_channels(user=request.user)},
        status=400 if form.errors else 200,
    )


@member_required
@require_POST
def personal_channel_delete(request, endpoint_id: int):
    endpoint = get_object_or_404(WebhookEndpoint, pk=endpoint_id, owner=request.user)
    services.endpoint_delete(endpoint=endpoint, by=request.user)
    messages.success(request, "That channel receives no more alerts.")
    return redirect("personal_channels")


@require_GET
def event_schemas(request):
    """The JSON Schema of every event type, as delivered: linked from the OpenAPI document."""
    return JsonResponse(
        {"event_types": {name: event_type_schema(name) for name in sorted(EVENT_TYPES)}},
        json_dumps_params={"indent": 2},
    )
