from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from csos import views
from csos.forms import RESET_LINK_LIFETIME, EmailPasswordResetForm
from csos.imports import views as import_views
from csos.webhooks import views as webhook_views

handler404 = "csos.api.problems.not_found"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("login/", views.SignInView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path(
        "password/reset/",
        auth_views.PasswordResetView.as_view(
            form_class=EmailPasswordResetForm,
            email_template_name="registration/password_reset_email.txt",
            extra_email_context=RESET_LINK_LIFETIME,
        ),
        name="password_reset",
    ),
    path(
        "password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(extra_context=RESET_LINK_LIFETIME),
        name="password_reset_done",
    ),
    path(
        "password/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("workspace/switch/", views.workspace_switch, name="workspace_switch"),
    path("settings/", views.workspace_settings, name="workspace_settings"),
    path("settings/members/", views.member_list, name="member_list"),
    path("settings/members/<int:membership_id>/role/", views.member_role, name="member_role"),
    path("settings/members/<int:membership_id>/remove/", views.member_remove, name="member_remove"),
    path(
        "settings/members/invitations/<int:invitation_id>/revoke/",
        views.invitation_revoke,
        name="invitation_revoke",
    ),
    path("invitations/<str:token>/", views.invitation_accept, name="invitation_accept"),
    path("settings/audit/", views.audit_log, name="audit_log"),
    path("settings/exchange-rates/", views.exchange_rate_list, name="exchange_rate_list"),
    path(
        "settings/exchange-rates/<int:rate_id>/",
        views.exchange_rate_edit,
        name="exchange_rate_edit",
    ),
    path(
        "settings/exchange-rates/<int:rate_id>/delete/",
        views.exchange_rate_delete,
        name="exchange_rate_delete",
    ),
    path("settings/import-mappings/", import_views.import_mapping_list, name="import_mapping_list"),
    path(
        "settings/import-mappings/<int:import_mapping_id>/",
        import_views.import_mapping_change,
        name="import_mapping_change",
    ),
    path(
        "settings/import-mappings/<int:import_mapping_id>/forget/",
        import_views.import_mapping_delete,
        name="import_mapping_forget",
    ),
    path("settings/api-tokens/", views.api_token_list, name="api_token_list"),
    path(
        "settings/api-tokens/<int:token_id>/revoke/",
        views.api_token_revoke,
        name="api_token_revoke",
    ),
    path("settings/webhooks/", webhook_views.endpoint_list, name="webhook_list"),
    path(
        "settings/webhooks/<int:endpoint_id>/", webhook_views.endpoint_detail, name="webhook_detail"
    ),
    path(
        "settings/webhooks/<int:endpoint_id>/rotate/",
        webhook_views.endpoint_rotate,
        name="webhook_rotate",
    ),
    path(
        "settings/webhooks/<int:endpoint_id>/delete/",
        webhook_views.endpoint_delete,
        name="webhook_delete",
    ),
    path(
        "settings/webhooks/deliveries/<int:delivery_id>/redeliver/",
        webhook_views.delivery_redeliver,
        name="webhook_redeliver",
    ),
    path("settings/my-alerts/", webhook_views.personal_channels, name="personal_channels"),
    path(
        "settings/my-alerts/<int:endpoint_id>/delete/",
        webhook_views.personal_channel_delete,
        name="personal_channel_delete",
    ),
    path("api/v1/events/schema/", webhook_views.event_schemas, name="event_schemas"),
    path("", include("accounts.urls")),
    path("", include("stakeholders.urls")),
    path("", include("value.urls")),
    path("", include("health.urls")),
    path("", include("playbooks.urls")),
    path("", include("dashboards.urls")),
    path("", include("assistant.urls")),
    path("api/v1/", include("accounts.api.urls")),
    path("api/v1/", include("stakeholders.api.urls")),
    path("api/v1/", include("value.api.urls")),
    path("api/v1/", include("health.api.urls")),
    path("api/v1/", include("playbooks.api.urls")),
    path("api/v1/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path(
        "api/v1/docs/",
        # Swagger UI styles itself inline; its scripts still come from files only.
        csp_update({"style-src": [UNSAFE_INLINE]})(
            SpectacularSwaggerSplitView.as_view(url_name="api_schema")
        ),
        name="api_docs",
    ),
    path("admin/", admin.site.urls),
]
