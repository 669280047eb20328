"""The Celery application. Workers start with ``celery -A csos worker``."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "csos.settings")

app = Celery("csos")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
