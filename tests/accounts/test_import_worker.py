"""The accounts import committed by a real Celery worker on Redis, watched through the pages.

The same journey with eager tasks (the default) is test_it_imports_a_good_file_end_to_end in
test_import_views.py.
"""

import re
import time

import pytest
from django.urls import reverse

from accounts.models import Account, AccountImport, ImportStatus
from tests.accounts.test_import_views import upload
from tests.worker import celery_worker  # noqa: F401  (a fixture)

pytestmark = pytest.mark.worker

DONE_TIMEOUT = 60  # seconds
ROWS = 1_200  # several write chunks, so the worker reports progress more than once
PROGRESS = re.compile(r'<progress value="(\d+)" max="(\d+)"')


def big_file() -> str:
    lines = ["external_id,name,owner_email,arr"]
    lines += [f"W-{n:05d},Worker Customer {n},bob@alpha.example,{1000 + n}" for n in range(ROWS)]
    return "\n".join(lines) + "\n"


def test_it_commits_an_import_on_a_real_worker(celery_worker, login, alpha, lena, bob):  # noqa: F811
    client = login(lena)
    upload(client, big_file())
    account_import = AccountImport.unscoped.get(workspace=alpha)
    assert account_import.status == ImportStatus.READY

    client.post(reverse("account_import_commit", args=[account_import.pk]))
    progress_url = reverse("account_import_progress", args=[account_import.pk])
    seen = []
    deadline = time.monotonic() + DONE_TIMEOUT
    while True:
        partial = client.get(progress_url).content.decode()
        assert 'data-status="failed"' not in partial, partial
        done, total = map(int, PROGRESS.search(partial).groups())
        seen.append(done)
        assert total == ROWS
        if 'data-status="done"' in partial:
            break
        assert time.monotonic() < deadline, f"not done after {DONE_TIMEOUT}s: {partial}"
        time.sleep(0.1)

    assert seen == sorted(seen) and seen[-1] == ROWS
    assert "Accounts created" in partial
    assert Account.unscoped.filter(workspace=alpha, external_id__startswith="W-").count() == ROWS
