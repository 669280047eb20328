from django.urls import path

from playbooks import digest_views, views

urlpatterns = [
    path("tasks/", views.my_tasks, name="my_tasks"),
    path("tasks/<int:task_id>/close/", views.task_close, name="task_close"),
    path("settings/playbooks/", views.playbook_settings, name="playbook_settings"),
    path("settings/digest/", digest_views.digest_settings, name="digest_settings"),
    path(
        "digest/unsubscribe/<str:token>/",
        digest_views.digest_unsubscribe,
        name="digest_unsubscribe",
    ),
]
