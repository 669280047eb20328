from django.urls import include, path

from playbooks import digest_views, views

urlpatterns = [
    path("tasks/", views.my_tasks, name="my_tasks"),
    path("tasks/<int:task_id>/close/", views.task_close, name="task_close"),
    path("accounts/<int:account_id>/brief/", views.account_brief, name="account_brief"),
    path(
        "accounts/<int:account_id>/brief.md",
        views.account_brief_export,
        name="account_brief_export",
    ),
    path("settings/playbooks/", views.playbook_settings, name="playbook_settings"),
    path("settings/digest/", digest_views.digest_settings, name="digest_settings"),
    path(
        "digest/unsubscribe/<str:token>/",
        digest_views.digest_unsubscribe,
        name="digest_unsubscribe",
    ),
    path("", include("playbooks.segments.urls")),
]
