from django.urls import include, path

from playbooks import digest_views, queue_views, views

urlpatterns = [
    path("tasks/", views.my_tasks, name="my_tasks"),
    path("tasks/<int:task_id>/close/", views.task_close, name="task_close"),
    path("accounts/<int:account_id>/brief/", views.account_brief, name="account_brief"),
    path(
        "accounts/<int:account_id>/brief.md",
        views.account_brief_export,
        name="account_brief_export",
    ),
    path("tasks/<int:task_id>/", queue_views.task_detail, name="task_detail"),
    path("tasks/<int:task_id>/snooze/", queue_views.task_snooze, name="task_snooze"),
    path("tasks/<int:task_id>/reassign/", queue_views.task_reassign, name="task_reassign"),
    path("tasks/<int:task_id>/complete/", queue_views.task_complete, name="task_complete"),
    path("accounts/<int:account_id>/tasks/new/", queue_views.task_create, name="task_create"),
    path("queue/", queue_views.attention_queue, name="attention_queue"),
    path("queue/pooled/", queue_views.pooled_queue, name="pooled_queue"),
    path("settings/attention/", queue_views.attention_settings, name="attention_settings"),
    path("settings/playbooks/", views.playbook_settings, name="playbook_settings"),
    path("settings/digest/", digest_views.digest_settings, name="digest_settings"),
    path(
        "digest/unsubscribe/<str:token>/",
        digest_views.digest_unsubscribe,
        name="digest_unsubscribe",
    ),
    path("", include("playbooks.segments.urls")),
]
