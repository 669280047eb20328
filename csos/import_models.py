"""A CSV import as a stored job, whatever it imports. Imported by ``csos.models``."""

from django.conf import settings
from django.db import models

from csos.models import TenantModel


class ImportStatus(models.TextChoices):
    CHECKING = "checking", "Checking"
    MAPPING = "mapping", "Needs its columns mapped"
    INVALID = "invalid", "Has errors"
    READY = "ready", "Ready to commit"
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Importing"
    DONE = "done", "Imported"
    FAILED = "failed", "Failed"


class ImportJob(TenantModel):
    """An uploaded CSV of one ``kind`` (accounts, usage, ...): mapped, checked on a worker,
    previewed, then committed at once.

    The check's outcome is stored (errors, their counts by kind, the preview), so its pages
    never read the file again.
    """

    kind = models.CharField(max_length=40)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    filename = models.CharField(max_length=255)
    content = models.TextField(help_text="The uploaded file; purged some days after the import.")
    status = models.CharField(max_length=10, choices=ImportStatus.choices)
    row_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True, help_text="The first errors, row by row.")
    error_kinds = models.JSONField(default=list, blank=True, help_text="Every error, by kind.")
    error_count = models.PositiveIntegerField(default=0)
    headers = models.JSONField(default=list, blank=True)
    columns = models.JSONField(
        default=list, blank=True, help_text="The field each header fills, once mapped."
    )
    value_map = models.JSONField(default=dict, blank=True)
    samples = models.JSONField(
        default=list, blank=True, help_text="Each column's distinct values, for the mapping step."
    )
    preview = models.JSONField(default=dict, blank=True)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    # Spreadsheet rows the committer chose to leave out: likely duplicates of existing accounts.
    skip_rows = models.JSONField(default=list, blank=True)
    skipped_count = models.PositiveIntegerField(default=0)
    # Spreadsheet row (as text) -> the external ID of the existing account the committer chose
    # to link it to: the row updates that account, and its own ID becomes an alias of it.
    link_rows = models.JSONField(default=dict, blank=True)
    linked_count = models.PositiveIntegerField(default=0)
    queued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    queued_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(
        default=0, help_text="How many times a worker has started writing it."
    )
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["workspace", "kind", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.filename} ({self.get_status_display()})"

    @property
    def is_finished(self) -> bool:
        return self.status in {ImportStatus.DONE, ImportStatus.FAILED, ImportStatus.INVALID}

    @property
    def is_under_way(self) -> bool:
        """Whether a worker is checking or writing it (or about to), so its page polls."""
        return self.status in {ImportStatus.CHECKING, ImportStatus.QUEUED, ImportStatus.RUNNING}
