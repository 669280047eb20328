"""Pages that start background work say whether a worker runs it or the web request does."""

import pytest
from django.urls import reverse

from csos.celery import app as celery_app

NOTE = "No task worker is configured"
PAGES = ["health_recompute", "account_import"]


@pytest.mark.parametrize("page", PAGES)
def test_it_says_the_work_runs_in_the_web_server_when_tasks_run_eagerly(login, lena, page):
    body = login(lena).get(reverse(page)).content.decode()
    assert NOTE in body and "REDIS_URL" in body


@pytest.fixture
def worker_takes_tasks():
    saved = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    yield
    celery_app.conf.task_always_eager = saved


@pytest.mark.parametrize("page", PAGES)
def test_it_says_nothing_of_it_when_a_worker_takes_the_tasks(login, lena, page, worker_takes_tasks):
    response = login(lena).get(reverse(page))
    assert response.status_code == 200
    assert NOTE not in response.content.decode()
