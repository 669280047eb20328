"""An accounts import that finished writing announces import.finished with its counts, in the
write's transaction: none for an import refused or rolled back."""

import pytest
from django.db import DatabaseError

from accounts import imports
from accounts.imports import commit as import_commit
from csos.models import DomainEvent, ImportStatus
from tests.accounts.test_import_views import checked, commit, detail_url

pytestmark = pytest.mark.django_db


def bodies():
    return [
        event.body
        for event in DomainEvent.objects.filter(event_type="import.finished").order_by("pk")
    ]


def test_it_publishes_import_finished_with_its_counts(in_alpha, alpha, lena):
    commit("external_id,name,arr\nN-1,One,10\n", workspace=alpha, by=lena)
    account_import = commit(
        "external_id,name,arr\nN-1,One,10\nN-2,Two,20\n", workspace=alpha, by=lena
    )
    assert bodies()[1] == {
        "kind": "accounts",
        "id": account_import.pk,
        "filename": account_import.filename,
        "created": 1,
        "updated": 0,
        "unchanged": 1,
        "skipped": 0,
        "url": bodies()[1]["url"],
    }
    assert bodies()[1]["url"].endswith(detail_url(account_import))


def test_it_keeps_no_import_event_of_a_write_rolled_back(in_alpha, alpha, lena, monkeypatch):
    finish = import_commit.finish_import

    def fail_once(import_id, *, status, **fields):
        if status == ImportStatus.DONE:
            raise DatabaseError("the connection dropped")
        return finish(import_id, status=status, **fields)

    monkeypatch.setattr(import_commit, "finish_import", fail_once)
    account_import = checked("external_id,name,arr\nN-1,One,10\n", workspace=alpha, by=lena)
    imports.account_import_queue(account_import=account_import, by=lena)
    failed = imports.account_import_commit(import_id=account_import.pk, by=lena)
    assert failed.status == ImportStatus.FAILED
    assert bodies() == []
