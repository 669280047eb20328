from django.conf import settings
from django.db import models
from django.db.models.signals import class_prepared

from csos.currencies import plain_decimal
from csos.tenancy import (
    TenantForeignKey,
    UnscopedTenantManager,
    WorkspaceScopedManager,
    add_model_constraint,
    tenant_rows_check,
    workspace_unique_key,
)
from csos.zones import validate_time_zone


class Workspace(models.Model):
    """One company using CSOS: the tenant. Nothing of one workspace is visible to another."""

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60, unique=True)
    default_currency = models.CharField(max_length=3, default="USD")
    time_zone = models.CharField(
        max_length=64,
        default="UTC",
        validators=[validate_time_zone],
        help_text="The IANA time zone whose calendar days product events and usage fall in.",
    )
    is_demo = models.BooleanField(
        default=False,
        help_text="Built by the demo builder: its customers and their history are generated.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TenantModel(models.Model):
    """Base of every tenant-owned model: its workspace, and a default manager scoped to it.

    ``objects`` only ever returns rows of the workspace in scope and raises when none is;
    ``dangerously_unscoped`` is for migrations, management commands and the tenancy sweep.
    A save refuses a workspace other than the one in scope and a reference into another
    workspace; every concrete tenant model gets a unique ``(workspace, id)`` key for the
    composite foreign keys of ``TenantForeignKey`` to reference.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")

    objects = WorkspaceScopedManager()
    dangerously_unscoped = UnscopedTenantManager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        tenant_rows_check([self])
        super().save(*args, **kwargs)


def _add_workspace_key(sender, **kwargs) -> None:
    if issubclass(sender, TenantModel) and not sender._meta.abstract:
        add_model_constraint(sender, workspace_unique_key(sender))


class_prepared.connect(_add_workspace_key)


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"
    LEADER = "leader", "CS leader"
    CSM = "csm", "CSM"
    VIEWER = "viewer", "Viewer"


# The roles that run the whole book of business: leaders and admins.
LEADER_ROLES = frozenset({Role.ADMIN, Role.LEADER})


class Membership(TenantModel):
    """A user's place in a workspace, with the role that decides what they may see and change."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.CSM)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "user"], name="membership_unique_user"),
        ]
        ordering = ["user__email"]

    def __str__(self) -> str:
        return f"{self.user} in {self.workspace} as {self.get_role_display()}"

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def sees_all_portfolios(self) -> bool:
        """Leaders and admins run the whole book of business; CSMs start from their own."""
        return self.role in LEADER_ROLES

    @property
    def can_write(self) -> bool:
        return self.role != Role.VIEWER


class Invitation(TenantModel):
    """An offer to join a workspace, e-mailed to an address. Nobody joins until they accept it.

    It names no user: whether the address already uses CSOS is for the person, who accepts
    signed in as that user or chooses a password, not for the workspace inviting them.
    """

    email = models.EmailField()
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.CSM)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "email"],
                condition=models.Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="invitation_one_open_per_address",
            ),
        ]
        ordering = ["email"]

    def __str__(self) -> str:
        return f"Invitation of {self.email} to {self.workspace} as {self.get_role_display()}"

    @property
    def is_open(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None


class AuditEvent(TenantModel):
    """Who changed what, when, in which workspace, with the values before and after."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    action = models.CharField(max_length=80)
    object_type = models.CharField(max_length=80)
    object_id = models.CharField(max_length=40)
    object_repr = models.CharField(max_length=200)
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["workspace", "object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.action} {self.object_repr}"


class ImportMapping(TenantModel):
    """A column mapping someone confirmed for one header row of one kind of CSV import.

    The next file of that kind with the same header row (the nightly CRM export) is mapped the
    same way with no questions asked. ``columns`` holds per header, in order, its field or null;
    ``values`` holds per value field what each of the file's values stands for.
    """

    kind = models.CharField(max_length=40)
    fingerprint = models.CharField(max_length=64)
    headers = models.JSONField(default=list)
    columns = models.JSONField(default=list)
    values = models.JSONField(default=dict, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "kind", "fingerprint"], name="import_mapping_unique_headers"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} mapping of {len(self.headers)} columns"


class ApiScope(models.TextChoices):
    INGEST = "ingest", "Ingest (bulk upserts)"
    READ = "read", "Read"
    WRITE = "write", "Write"


class ApiToken(TenantModel):
    """A workspace's key for one integration. Only a hash of the secret is stored.

    The secret is ``csos_<prefix>_<secret>``: the prefix finds the row, the hash of the whole
    string proves it. It is shown once, when created.
    """

    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    secret_hash = models.CharField(max_length=64)
    scopes = models.JSONField(default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"


class IdempotencyKey(TenantModel):
    """The first request sent with an ``Idempotency-Key``, and its response once finished.

    The row is claimed before the request runs, so a second request with the key finds it
    running (409) or finished (replayed); a request that failed releases its claim.
    """

    token = TenantForeignKey(ApiToken, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.BinaryField(null=True, blank=True)
    response_content_type = models.CharField(max_length=100, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "token", "key"], name="idempotency_key_unique"
            ),
        ]
        indexes = [models.Index(fields=["created_at"])]

    def __str__(self) -> str:
        return self.key


class SharedLink(TenantModel):
    """A link someone outside the workspace may open without signing in, for one purpose.

    The URL carries a signed token naming this row (see ``csos.links``); the row decides
    whether it still opens: before it expires, not revoked, and for a single-use link only
    until it is used.
    """

    purpose = models.CharField(max_length=40)
    target_id = models.PositiveBigIntegerField(help_text="The id of the object the link shows.")
    single_use = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    used_from = models.GenericIPAddressField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["workspace", "purpose", "target_id"])]

    def __str__(self) -> str:
        return f"{self.purpose} link to {self.target_id}"


class ExchangeRate(TenantModel):
    """What one unit of ``currency`` is worth in the workspace's currency from ``valid_from`` on.

    Kept by the workspace's admins; reports convert with the latest rate valid on their date.
    The workspace's own currency has no rate: it is worth exactly 1.
    """

    currency = models.CharField(max_length=3)
    rate = models.DecimalField(
        "rate to the workspace's currency",
        max_digits=18,
        decimal_places=8,
        help_text="What one unit of the currency is worth in the workspace's currency.",
    )
    valid_from = models.DateField()
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["currency", "-valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "currency", "valid_from"], name="exchange_rate_unique_day"
            ),
            models.CheckConstraint(condition=models.Q(rate__gt=0), name="exchange_rate_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.currency} at {self.rate_text} from {self.valid_from}"

    @property
    def rate_text(self) -> str:
        return plain_decimal(self.rate)


# The CSV import job and what CSOS sends out live in modules of their own; importing them here
# registers their models.
from csos.import_models import ImportJob, ImportStatus  # noqa: E402, F401
from csos.outbound_models import (  # noqa: E402, F401
    DeliveryStatus,
    DomainEvent,
    EndpointKind,
    OutboxMessage,
    WebhookDelivery,
    WebhookEndpoint,
)
