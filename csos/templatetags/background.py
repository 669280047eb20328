"""Whether background work runs in a worker or inside the request that starts it."""

from django import template

from csos.celery import app

register = template.Library()


@register.simple_tag
def tasks_run_inline() -> bool:
    """True with no REDIS_URL: Celery runs each task eagerly, in the web process."""
    return bool(app.conf.task_always_eager)
