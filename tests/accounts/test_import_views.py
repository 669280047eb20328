"""The accounts CSV import: its pages, rights and services, with Celery eager (the default)."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError, connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts import imports
from accounts.models import Account, AccountStatus, ArrMovement, MovementKind
from accounts.selectors.retention import workspace_retention
from accounts.services import arr_movement_record
from accounts.tasks import account_import_commit_task
from csos.imports.sweeps import FILE_PURGED, import_job_progress, import_job_progress_record
from csos.models import AuditEvent, ImportJob, ImportStatus, Membership, Role
from csos.tasks import import_job_purge_all_task
from tests.factories import AccountFactory

GOOD = (
    "External ID,Name,Owner Email,ARR,Contract Start,Renewal Date,Licensed Seats,Segment\n"
    "A-1,Acme,bob@alpha.example,12000,2025-01-01,2026-01-01,25,Enterprise\n"
    "A-2,Globex,lena@alpha.example,0,2025-02-01,2026-02-01,10,small\n"
    "A-3,Initech,,500.50,,,,mid_market\n"
)


def upload(client, text: str | bytes, name: str = "accounts.csv"):
    """Upload a file, running the check the page queues (eagerly, or on a live worker)."""
    content = text.encode() if isinstance(text, str) else text
    file = SimpleUploadedFile(name, content, content_type="text/csv")
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(reverse("account_import"), {"file": file})


def detail_url(account_import) -> str:
    return reverse("account_import_detail", args=[account_import.pk])


def commit_url(account_import) -> str:
    return reverse("account_import_commit", args=[account_import.pk])


def progress_url(account_import) -> str:
    return reverse("account_import_progress", args=[account_import.pk])


def checked(text: str, *, workspace, by) -> ImportJob:
    """Upload and check a file as the upload page and its task would."""
    account_import = imports.account_import_create(
        workspace=workspace, by=by, filename="accounts.csv", content=text
    )
    account_import = imports.account_import_check(import_id=account_import.pk)
    assert account_import.status == ImportStatus.READY, account_import.errors
    return account_import


def commit(text: str, *, workspace, by, **options) -> ImportJob:
    """Check, queue and commit a file as the task would, inside the workspace in scope."""
    account_import = checked(text, workspace=workspace, by=by)
    assert imports.account_import_queue(account_import=account_import, by=by)
    return imports.account_import_commit(import_id=account_import.pk, by=by, **options)


def assert_csp_safe(html: str) -> None:
    assert " style=" not in html
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)


# Through the pages


def test_it_imports_a_good_file_end_to_end(
    login, alpha, lena, bob, django_capture_on_commit_callbacks
):
    client = login(lena)
    response = upload(client, GOOD)
    account_import = ImportJob.dangerously_unscoped.get(workspace=alpha)
    assert response.status_code == 302
    assert response.url == detail_url(account_import)
    assert account_import.status == ImportStatus.READY
    assert account_import.row_count == 3

    page = client.get(detail_url(account_import)).content.decode()
    assert "Commit import" in page
    assert "Initech" in page
    assert_csp_safe(page)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(commit_url(account_import))
    assert response.status_code == 302
    assert len(callbacks) == 1

    account_import.refresh_from_db()
    assert account_import.status == ImportStatus.DONE
    assert (account_import.created_count, account_import.updated_count) == (3, 0)
    assert account_import.finished_at is not None
    acme = Account.dangerously_unscoped.get(workspace=alpha, external_id="A-1")
    assert (acme.name, acme.owner, acme.arr, acme.licensed_seats) == (
        "Acme",
        bob,
        Decimal("12000.00"),
        25,
    )
    assert (acme.segment, acme.currency) == ("enterprise", alpha.default_currency)
    event = AuditEvent.dangerously_unscoped.get(workspace=alpha, action="account_import.commit")
    counts = {"created": 3, "updated": 0, "unchanged": 0, "skipped": 0}
    assert (event.actor, event.after) == (lena, {**counts, "linked": 0})

    page = client.get(detail_url(account_import)).content.decode()
    assert "Accounts created" in page
    assert reverse("portfolio") in page
    assert "hx-get" not in page[page.index("<main") :]


def test_it_imports_eagerly_with_no_redis_at_all(
    settings, monkeypatch, login, alpha, lena, bob, django_capture_on_commit_callbacks
):
    """The embedded default: no broker and no Redis cache; the commit runs inside the request."""
    import redis.connection

    def no_redis(*args, **kwargs):
        raise AssertionError("the embedded default must not reach Redis")

    monkeypatch.setattr(redis.connection.AbstractConnection, "connect", no_redis)
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    client = login(lena)
    upload(client, GOOD)
    account_import = ImportJob.dangerously_unscoped.get(workspace=alpha)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(commit_url(account_import))
    progress = client.get(progress_url(account_import)).content.decode()
    account_import.refresh_from_db()
    assert account_import.status == ImportStatus.DONE
    assert Account.dangerously_unscoped.filter(workspace=alpha).count() == 3
    assert "hx-get" not in progress


def test_it_updates_and_never_duplicates_on_a_reimport(
    login, alpha, lena, bob, django_capture_on_commit_callbacks
):
    client = login(lena)
    for _ in range(2):
        upload(client, GOOD)
        account_import = ImportJob.dangerously_unscoped.filter(workspace=alpha).first()
        with django_capture_on_commit_callbacks(execute=True):
            client.post(commit_url(account_import))
    account_import.refresh_from_db()
    counts = (account_import.created_count, account_import.updated_count)
    assert (*counts, account_import.unchanged_count) == (0, 0, 3)  # the same rows change nothing
    assert Account.dangerously_unscoped.filter(workspace=alpha).count() == 3
    assert (
        ArrMovement.dangerously_unscoped.filter(workspace=alpha).count() == 2
    )  # unchanged ARR: no movement


def test_it_reports_every_error_of_a_bad_file_and_writes_nothing(login, alpha, alice):
    bad = (
        "external_id,name,arr,contract_start,renewal_date,complexity,owner_email\n"
        "B-1,,abc,2025-01-01,2024-01-01,9,nobody@alpha.example\n"
        "B-1,Dup,-3,31/01/2025,,x,\n"
    )
    client = login(alice)
    upload(client, bad)
    account_import = ImportJob.dangerously_unscoped.get(workspace=alpha)
    assert account_import.status == ImportStatus.INVALID
    located = {(error["row"], error["field"]) for error in account_import.errors}
    assert located == {
        (2, "name"),
        (2, "arr"),
        (2, "renewal_date"),
        (2, "complexity"),
        (2, "owner_email"),
        (3, "external_id"),
        (3, "arr"),
        (3, "contract_start"),
        (3, "complexity"),
    }

    page = client.get(detail_url(account_import)).content.decode()
    assert "Commit import" not in page
    for error in account_import.errors:
        assert f"<td>{error['field']}</td>" in page
    assert "Duplicate external_id &#x27;B-1&#x27;: row 2 has it already." in page

    response = client.post(commit_url(account_import), follow=True)
    assert "Only an import that is ready" in response.content.decode()
    account_import.refresh_from_db()
    assert account_import.status == ImportStatus.INVALID
    assert not Account.dangerously_unscoped.filter(workspace=alpha).exists()


def test_it_previews_the_first_rows_and_counts_creates_and_updates(login, alpha, lena):
    AccountFactory(workspace=alpha, external_id="A-2")
    rows = "".join(f"N-{n},New {n}\n" for n in range(30))
    client = login(lena)
    upload(client, "external_id,name\nA-2,Globex\n" + rows)
    response = client.get(detail_url(ImportJob.dangerously_unscoped.get(workspace=alpha)))
    preview = response.context["preview"]
    assert (preview.create_count, preview.update_count) == (30, 1)
    assert len(preview.rows) == 20
    assert preview.rows[0] == (2, ["A-2", "Globex"])


def test_it_shows_the_stored_check_and_rechecks_only_when_committing(
    login, alpha, lena, bob, django_capture_on_commit_callbacks
):
    client = login(lena)
    upload(client, "external_id,name,owner_email\nN-1,One,bob@alpha.example\nN-2,Two,\n")
    account_import = ImportJob.dangerously_unscoped.get(workspace=alpha)
    Membership.dangerously_unscoped.filter(user=bob).update(role=Role.VIEWER)

    with CaptureQueriesContext(connection) as queries:
        page = client.get(detail_url(account_import)).content.decode()
    assert commit_url(account_import) in page and "One" in page
    assert not any('"content"' in query["sql"] for query in queries.captured_queries)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(commit_url(account_import))
    account_import.refresh_from_db()
    assert account_import.status == ImportStatus.FAILED
    assert [(e["row"], e["field"]) for e in account_import.errors] == [(2, "owner_email")]
    page = client.get(detail_url(account_import)).content.decode()
    assert "bob@alpha.example is not a CSM" in page
    assert not Account.dangerously_unscoped.filter(workspace=alpha).exists()


def test_it_warns_in_the_preview_of_the_accounts_it_will_churn_or_reactivate(login, alpha, lena):
    AccountFactory(workspace=alpha, external_id="A-1")
    AccountFactory(workspace=alpha, external_id="A-2")
    AccountFactory(workspace=alpha, external_id="C-1", status=AccountStatus.CHURNED, arr=0)
    client = login(lena)
    upload(
        client,
        "external_id,name,status,arr\n"
        "A-1,Leaves,churned,\nA-2,Stays,active,\nC-1,Returns,active,900\nN-1,New,churned,0\n",
    )
    response = client.get(detail_url(ImportJob.dangerously_unscoped.get(workspace=alpha)))
    preview = response.context["preview"]
    assert (preview.churn_count, preview.reactivation_count) == (1, 1)
    assert preview.rows[0] == (2, ["A-1", "Leaves", None, "churned"])  # a blank stays blank
    assert ">nan<" not in response.content.decode()
    assert "Accounts to mark churned" in response.content.decode()
    assert "Accounts to reactivate" in response.content.decode()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("accounts.xlsx", b"external_id,name\nA,B\n", "Upload a .csv file."),
        ("accounts.csv", b"", "The submitted file is empty."),
        ("accounts.csv", b"  \n\n", "The file is empty."),
        ("accounts.csv", "external_id,name\nA,Café\n".encode("latin-1"), "not UTF-8 text"),
        ("accounts.csv", b"external_id,name\nA,B\x00\n", "not a CSV text file"),
        ("accounts.csv", b"external_id,name\n" + b"A,B\n" * 20, "larger than 64\xa0bytes"),
    ],
)
def test_it_refuses_a_file_that_is_not_a_small_utf8_csv(
    login, alpha, lena, settings, name, content, message
):
    settings.ACCOUNT_IMPORT_MAX_BYTES = 64
    response = upload(login(lena), content, name=name)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not ImportJob.dangerously_unscoped.exists()


def test_it_accepts_a_spreadsheet_export_with_a_byte_order_mark(login, alpha, lena):
    upload(login(lena), "\ufeffexternal_id,name\nA-1,Acme\n".encode())
    assert ImportJob.dangerously_unscoped.get(workspace=alpha).status == ImportStatus.READY


def test_it_lists_only_the_workspace_s_own_recent_imports(login, alpha, beta, lena, charlie):
    ImportJob.dangerously_unscoped.create(
        kind="accounts", workspace=alpha, filename="ours.csv", status="done"
    )
    ImportJob.dangerously_unscoped.create(
        kind="accounts", workspace=beta, filename="theirs.csv", status="done"
    )
    page = login(lena).get(reverse("account_import")).content.decode()
    assert "ours.csv" in page
    assert "theirs.csv" not in page
    assert_csp_safe(page)


# Rights


@pytest.mark.parametrize("member", ["bob", "vera"])
def test_it_forbids_csms_and_viewers_every_import_page(login, alpha, alice, member, request):
    account_import = ImportJob.dangerously_unscoped.create(
        kind="accounts",
        workspace=alpha,
        created_by=alice,
        filename="a.csv",
        content=GOOD,
        status="ready",
    )
    client = login(request.getfixturevalue(member))
    assert client.get(reverse("account_import")).status_code == 403
    assert upload(client, GOOD).status_code == 403
    assert client.get(detail_url(account_import)).status_code == 403
    assert client.post(commit_url(account_import)).status_code == 403
    assert client.get(progress_url(account_import)).status_code == 403
    account_import.refresh_from_db()
    assert account_import.status == ImportStatus.READY


def test_it_answers_404_for_another_workspace_s_import(login, alpha, alice, charlie):
    account_import = ImportJob.dangerously_unscoped.create(
        kind="accounts",
        workspace=alpha,
        created_by=alice,
        filename="a.csv",
        content=GOOD,
        status="ready",
    )
    client = login(charlie)
    assert client.get(detail_url(account_import)).status_code == 404
    assert client.post(commit_url(account_import)).status_code == 404
    assert client.get(progress_url(account_import)).status_code == 404
    account_import.refresh_from_db()
    assert account_import.status == ImportStatus.READY


def test_it_lets_an_admin_import(login, alpha, alice):
    assert login(alice).get(reverse("account_import")).status_code == 200


# Progress


def test_it_polls_the_progress_bar_while_the_import_runs(login, alpha, lena):
    account_import = ImportJob.dangerously_unscoped.create(
        kind="accounts",
        workspace=alpha,
        filename="a.csv",
        status=ImportStatus.RUNNING,
        row_count=10,
    )
    import_job_progress_record(job_id=account_import.pk, done=4)
    client = login(lena)
    partial = client.get(progress_url(account_import)).content.decode()
    assert f'hx-get="{progress_url(account_import)}"' in partial
    assert 'hx-trigger="every 1s"' in partial
    assert 'hx-swap="outerHTML"' in partial
    assert '<progress value="4" max="10"' in partial
    assert 'aria-valuetext="4 of 10 rows written"' in partial
    assert_csp_safe(partial)
    page = client.get(detail_url(account_import)).content.decode()
    assert 'hx-trigger="every 1s"' in page
    # The live region lives outside the block the poll replaces, so it is never recreated.
    assert page[page.index("<main") :].count("aria-live") == 1
    assert '<p id="import-announcement" class="visually-hidden" role="status"' in page


def done_import(workspace) -> ImportJob:
    """An import finished with 7 accounts created and 3 updated."""
    return ImportJob.dangerously_unscoped.create(
        kind="accounts",
        workspace=workspace,
        filename="a.csv",
        status=ImportStatus.DONE,
        row_count=10,
        created_count=7,
        updated_count=3,
    )


def test_it_announces_each_status_change_once(login, alpha, lena):
    account_import = done_import(alpha)
    client = login(lena)
    changed = client.get(progress_url(account_import), {"shown": "running"}).content.decode()
    assert '<p id="import-announcement" hx-swap-oob="innerHTML">Imported: 7 accounts' in changed
    unchanged = client.get(progress_url(account_import), {"shown": "done"}).content.decode()
    assert "import-announcement" not in unchanged


def test_it_stops_polling_and_shows_the_result_once_done(login, alpha, lena):
    account_import = done_import(alpha)
    partial = login(lena).get(progress_url(account_import)).content.decode()
    assert "hx-get" not in partial
    assert '<progress value="10" max="10">' in partial
    assert "Accounts created" in partial
    assert reverse("portfolio") in partial


def test_it_reports_progress_monotonically_up_to_the_total(in_alpha, alpha, lena):
    AccountFactory(workspace=alpha, external_id="A-1")
    AccountFactory(workspace=alpha, external_id="A-2")
    calls: list[tuple[int, int]] = []
    text = "external_id,name\n" + "".join(f"A-{n},Name {n}\n" for n in range(1, 6))
    commit(
        text, workspace=alpha, by=lena, on_progress=lambda *call: calls.append(call), chunk_size=2
    )
    assert calls == [(0, 5), (2, 5), (3, 5), (5, 5)]


def test_it_reads_progress_from_the_cache_while_running(in_alpha, alpha):
    account_import = ImportJob.dangerously_unscoped.create(
        kind="accounts", workspace=alpha, filename="a.csv", status=ImportStatus.READY, row_count=8
    )
    import_job_progress_record(job_id=account_import.pk, done=99)
    assert imports.account_import_queue(account_import=account_import, by=None)  # resets to 0
    assert import_job_progress(job=account_import).done == 0
    import_job_progress_record(job_id=account_import.pk, done=5)
    progress = import_job_progress(job=account_import)
    assert (progress.done, progress.total) == (5, 8)


# The commit service


def test_it_books_the_arr_ledger_for_new_and_changed_accounts(in_alpha, alpha, lena):
    grows = AccountFactory(workspace=alpha, external_id="E-1", arr=Decimal("1000"))
    shrinks = AccountFactory(workspace=alpha, external_id="E-2", arr=Decimal("1000"))
    AccountFactory(workspace=alpha, external_id="E-3", arr=Decimal("1000"))
    text = (
        "external_id,name,arr,contract_start\n"
        "E-1,Grows,1500,\n"
        "E-2,Shrinks,250.25,\n"
        "E-3,Same,1000,\n"
        "N-1,Dated,800,2025-03-01\n"
        "N-2,Undated,300,\n"
        "N-3,Free,0,2025-03-01\n"
    )
    commit(text, workspace=alpha, by=lena)
    today = timezone.localdate()
    ledger = {
        (m.account.external_id, m.kind, m.date, m.amount, m.recorded_by)
        for m in ArrMovement.objects.select_related("account")
    }
    assert ledger == {
        ("E-1", MovementKind.EXPANSION, today, Decimal("500.00"), lena),
        ("E-2", MovementKind.CONTRACTION, today, Decimal("749.75"), lena),
        ("N-1", MovementKind.NEW, dt.date(2025, 3, 1), Decimal("800.00"), lena),
        ("N-2", MovementKind.NEW, today, Decimal("300.00"), lena),
    }
    grows.refresh_from_db()
    shrinks.refresh_from_db()
    assert (grows.arr, shrinks.arr) == (Decimal("1500.00"), Decimal("250.25"))


def test_it_books_the_first_arr_of_an_account_without_a_ledger_as_new(in_alpha, alpha, lena):
    AccountFactory(workspace=alpha, external_id="E-1", arr=0, contract_start=dt.date(2025, 3, 1))
    AccountFactory(workspace=alpha, external_id="E-2", arr=0, contract_start=None)
    commit("external_id,name,arr\nE-1,Dated,800\nE-2,Undated,300\n", workspace=alpha, by=lena)
    ledger = {(m.account.external_id, m.kind, m.date, m.amount) for m in ArrMovement.objects.all()}
    assert ledger == {
        ("E-1", MovementKind.NEW, dt.date(2025, 3, 1), Decimal("800.00")),
        ("E-2", MovementKind.NEW, timezone.localdate(), Decimal("300.00")),
    }


def test_it_dates_an_imported_change_no_earlier_than_the_latest_movement(in_alpha, alpha, lena):
    starts_later = timezone.localdate() + dt.timedelta(days=20)
    account = AccountFactory(workspace=alpha, external_id="E-1", arr=0)
    arr_movement_record(account=account, by=lena, kind="new", on=starts_later, amount=Decimal(100))
    commit("external_id,name,arr\nE-1,Grows,150\n", workspace=alpha, by=lena)
    expansion = ArrMovement.objects.get(kind=MovementKind.EXPANSION)
    assert (expansion.date, expansion.amount) == (starts_later, Decimal("50.00"))


def test_it_refuses_a_file_changing_the_currency_of_an_account_with_arr(in_alpha, alpha, lena):
    account = AccountFactory(workspace=alpha, external_id="E-1", arr=0, currency="USD")
    arr_movement_record(
        account=account, by=lena, kind="new", on=dt.date(2025, 1, 1), amount=Decimal(100)
    )
    account_import = imports.account_import_create(
        workspace=alpha, by=lena, filename="a.csv", content="external_id,name,currency\nE-1,X,EUR\n"
    )
    account_import = imports.account_import_check(import_id=account_import.pk)
    assert account_import.status == ImportStatus.INVALID
    assert [(e["row"], e["field"]) for e in account_import.errors] == [(2, "currency")]


def test_it_books_a_churn_and_a_reactivation_as_the_ledger_would(in_alpha, alpha, lena):
    today = timezone.localdate()
    year_ago = today - dt.timedelta(days=365)
    stays = AccountFactory(workspace=alpha, external_id="E-1", arr=0)
    arr_movement_record(account=stays, by=lena, kind="new", on=year_ago, amount=Decimal(1000))
    returns = AccountFactory(workspace=alpha, external_id="E-2", arr=0)
    arr_movement_record(account=returns, by=lena, kind="new", on=year_ago, amount=Decimal(400))
    arr_movement_record(account=returns, by=lena, kind="churn", on=year_ago, amount=Decimal(400))

    text = "external_id,name,status,arr\nE-1,Leaves,churned,\nE-2,Returns,active,650\n"
    commit(text, workspace=alpha, by=lena)
    booked = ArrMovement.objects.filter(note__startswith="CSV import")
    assert {(m.account.external_id, m.kind, m.date, m.amount) for m in booked} == {
        ("E-1", MovementKind.CHURN, today, Decimal("1000.00")),
        ("E-2", MovementKind.REACTIVATION, today, Decimal("650.00")),
    }
    accounts = {a.external_id: (a.status, a.arr) for a in Account.objects.all()}
    assert accounts == {
        "E-1": (AccountStatus.CHURNED, Decimal("0.00")),
        "E-2": (AccountStatus.ACTIVE, Decimal("650.00")),
    }
    # Retention sees the churn: of the 1,000 that opened the period, nothing is kept.
    rates = workspace_retention(start=today - dt.timedelta(days=30), end=today)["USD"]
    assert (rates.starting_arr, rates.churn, rates.grr) == (1000.0, 1000.0, 0.0)


def test_it_leaves_columns_absent_from_the_file_or_blank_untouched(in_alpha, alpha, lena, bob):
    account = AccountFactory(
        workspace=alpha, external_id="E-1", industry="Retail", owner=bob, licensed_seats=40
    )
    commit("external_id,name,licensed_seats\nE-1,Renamed,\n", workspace=alpha, by=lena)
    account.refresh_from_db()
    assert (account.name, account.industry, account.owner, account.licensed_seats) == (
        "Renamed",
        "Retail",
        bob,
        40,
    )


def test_it_writes_nothing_when_the_write_fails_midway(in_alpha, alpha, lena):
    existing = AccountFactory(workspace=alpha, external_id="E-1", name="Before")

    def fail_at_the_end(done, total):
        if done == total:
            raise DatabaseError("disk full")

    text = "external_id,name,arr\nE-1,After,5\nN-1,One,10\nN-2,Two,20\n"
    account_import = commit(
        text, workspace=alpha, by=lena, on_progress=fail_at_the_end, chunk_size=1
    )
    assert account_import.status == ImportStatus.FAILED
    assert account_import.errors == [imports.WRITE_FAILED]
    assert list(Account.objects.all()) == [existing]
    existing.refresh_from_db()
    assert existing.name == "Before"
    assert not ArrMovement.objects.exists()
    assert not AuditEvent.objects.filter(action="account_import.commit").exists()


def test_it_marks_the_import_failed_and_raises_on_a_bug(in_alpha, alpha, lena):
    def bug(done, total):
        raise RuntimeError("bug")

    account_import = checked("external_id,name\nN-1,One\n", workspace=alpha, by=lena)
    imports.account_import_queue(account_import=account_import, by=lena)
    with pytest.raises(RuntimeError):
        imports.account_import_commit(import_id=account_import.pk, by=lena, on_progress=bug)
    account_import.refresh_from_db()
    assert account_import.status == ImportStatus.FAILED
    assert not Account.objects.exists()


def test_it_checks_the_file_again_at_commit(in_alpha, alpha, lena, bob):
    account_import = checked(
        "external_id,name,owner_email\nN-1,One,bob@alpha.example\n", workspace=alpha, by=lena
    )
    Membership.objects.filter(user=bob).update(role=Role.VIEWER)
    imports.account_import_queue(account_import=account_import, by=lena)
    account_import = imports.account_import_commit(import_id=account_import.pk, by=lena)
    assert account_import.status == ImportStatus.FAILED
    assert [(e["row"], e["field"]) for e in account_import.errors] == [(2, "owner_email")]
    assert not Account.objects.exists()


def test_it_does_nothing_on_a_second_delivery_of_the_task(in_alpha, alpha, lena):
    account_import = checked("external_id,name,arr\nN-1,One,10\n", workspace=alpha, by=lena)
    imports.account_import_queue(account_import=account_import, by=lena)
    account_import_commit_task.delay(alpha.pk, account_import.pk, lena.pk)
    account_import_commit_task.delay(alpha.pk, account_import.pk, lena.pk)
    account_import.refresh_from_db()
    assert (account_import.status, account_import.created_count) == (ImportStatus.DONE, 1)
    assert Account.objects.count() == 1
    assert ArrMovement.objects.count() == 1
    assert AuditEvent.objects.filter(action="account_import.commit").count() == 1


def test_it_writes_in_bulk_with_as_many_queries_for_60_rows_as_for_3(in_alpha, alpha, lena):
    def queries_to_commit(size: int, prefix: str) -> int:
        text = "external_id,name,arr\n" + "".join(f"{prefix}{n},Name,10\n" for n in range(size))
        account_import = checked(text, workspace=alpha, by=lena)
        imports.account_import_queue(account_import=account_import, by=lena)
        with CaptureQueriesContext(connection) as queries:
            imports.account_import_commit(import_id=account_import.pk, by=lena)
        return len(queries)

    assert queries_to_commit(3, "S-") == queries_to_commit(60, "L-")


# Purge


def test_it_purges_files_older_than_30_days_in_every_workspace(alpha, beta, lena, charlie):
    old = timezone.now() - dt.timedelta(days=31)

    def made(workspace, status, created_at=None) -> ImportJob:
        account_import = ImportJob.dangerously_unscoped.create(
            kind="accounts", workspace=workspace, filename="a.csv", content=GOOD, status=status
        )
        if created_at:
            ImportJob.dangerously_unscoped.filter(pk=account_import.pk).update(
                created_at=created_at
            )
        return account_import

    done_old, ready_old, queued_old = (made(alpha, s, old) for s in ("done", "ready", "queued"))
    done_recent, beta_old = made(alpha, "done"), made(beta, "failed", old)

    import_job_purge_all_task.delay()

    for account_import in (done_old, ready_old, queued_old, done_recent, beta_old):
        account_import.refresh_from_db()
    assert done_old.content == beta_old.content == ""
    assert (ready_old.content, ready_old.status) == ("", ImportStatus.INVALID)
    assert ready_old.errors == [FILE_PURGED]
    assert queued_old.content == done_recent.content == GOOD


def test_it_audits_each_arr_change_of_an_import(in_alpha, alpha, lena):
    AccountFactory(workspace=alpha, external_id="E-1", arr=Decimal("1000"))
    AccountFactory(workspace=alpha, external_id="E-2", arr=Decimal("1000"))
    commit(
        "external_id,name,arr\nE-1,Grows,1500\nE-2,Same,1000\nN-1,New,80\n",
        workspace=alpha,
        by=lena,
    )
    events = {
        event.object_repr: (event.actor, event.before, event.after["arr"], event.after["kind"])
        for event in AuditEvent.objects.filter(action="arr_movement.import")
    }
    assert events == {
        "Grows": (lena, {"arr": "1000.00", "status": "active"}, "1500.00", "expansion"),
        "New": (lena, {"arr": "0.00", "status": "active"}, "80.00", "new"),
    }
