from django.urls import include, path

from playbooks import views

urlpatterns = [
    path("tasks/", views.my_tasks, name="my_tasks"),
    path("tasks/<int:task_id>/close/", views.task_close, name="task_close"),
    path("settings/playbooks/", views.playbook_settings, name="playbook_settings"),
    path("", include("playbooks.segments.urls")),
]
