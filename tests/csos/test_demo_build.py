"""While the demo workspace is first being built, the sign-in page says why no login works yet."""

import pytest
from django.db import OperationalError, connection
from django.utils import timezone

from accounts.demo import DemoOptions, demo_workspace_build
from csos.demo_build import demo_build_running
from csos.models import Workspace
from tests.conftest import demo_build_elsewhere


@pytest.fixture
def build_elsewhere(db):
    with demo_build_elsewhere():
        yield


def test_it_sees_no_build_when_none_runs(db):
    assert demo_build_running() is False


def test_it_sees_a_build_another_process_is_running(build_elsewhere):
    assert demo_build_running() is True


def test_it_says_on_the_sign_in_page_that_the_first_demo_is_being_built(client, build_elsewhere):
    page = client.get("/login/").content.decode()
    assert "The demo workspace is being built" in page
    assert 'hx-trigger="every 3s"' in page


def test_it_says_nothing_while_a_demo_is_rebuilt_since_its_logins_still_work(
    client, build_elsewhere
):
    Workspace.objects.create(name="Northwind Cloud", slug="demo", is_demo=True)
    page = client.get("/login/").content.decode()
    assert "being built" not in page


def test_it_tells_the_waiting_page_when_the_build_is_done(client, db):
    assert "being built" not in client.get("/login/").content.decode()
    checked = client.get("/login/", headers={"HX-Request": "true"}).content.decode()
    assert "The demo workspace is ready" in checked


def test_it_lets_one_demo_build_run_at_a_time(build_elsewhere):
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL lock_timeout = '200ms'")
    options = DemoOptions(today=timezone.localdate(), accounts=0, csms=1)
    with pytest.raises(OperationalError, match="lock timeout"):
        demo_workspace_build(options=options)
    assert not Workspace.objects.filter(slug="demo").exists()
