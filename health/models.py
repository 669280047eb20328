from django.conf import settings
from django.db import models
from django.utils import timezone

from csos.models import TenantModel
from csos.tenancy import TenantForeignKey, TenantOneToOneField


class TicketPriority(models.TextChoices):
    P1 = "p1", "P1 (critical)"
    P2 = "p2", "P2 (high)"
    P3 = "p3", "P3 (normal)"
    P4 = "p4", "P4 (low)"


class TicketStatus(models.TextChoices):
    OPEN = "open", "Open"
    PENDING = "pending", "Waiting on customer"
    CLOSED = "closed", "Closed"


OPEN_TICKET_STATUSES = (TicketStatus.OPEN, TicketStatus.PENDING)


class SupportTicket(TenantModel):
    """A support ticket of an account, as the helpdesk reported it."""

    account = TenantForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="support_tickets"
    )
    external_id = models.CharField(max_length=100, help_text="The helpdesk's ticket key.")
    subject = models.CharField(max_length=200)
    priority = models.CharField(max_length=2, choices=TicketPriority.choices)
    status = models.CharField(max_length=10, choices=TicketStatus.choices)
    opened_on = models.DateField()
    closed_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "external_id"], name="support_ticket_unique_external_id"
            ),
        ]
        indexes = [models.Index(fields=["workspace", "account", "status"])]

    def __str__(self) -> str:
        return f"{self.external_id} {self.subject}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_TICKET_STATUSES


class SurveyKind(models.TextChoices):
    NPS = "nps", "NPS (0-10)"
    CSAT = "csat", "CSAT (1-5)"


# The answer range of each survey kind; the score module reads answers normalised to 0-10.
SURVEY_RANGE = {SurveyKind.NPS: (0, 10), SurveyKind.CSAT: (1, 5)}


class SurveyResponse(TenantModel):
    """One answer to an NPS or CSAT survey by someone at the account."""

    account = TenantForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="survey_responses"
    )
    kind = models.CharField(max_length=4, choices=SurveyKind.choices)
    score = models.PositiveSmallIntegerField()
    comment = models.TextField(blank=True)
    respondent = TenantForeignKey(
        "stakeholders.Stakeholder",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="survey_responses",
        help_text="The stakeholder who answered, when they are on the account's map.",
    )
    respondent_name = models.CharField(max_length=200, blank=True)
    respondent_email = models.EmailField(blank=True)
    answered_on = models.DateField()
    external_id = models.CharField(
        max_length=100, blank=True, help_text="The survey tool's response id, when it sent one."
    )

    class Meta:
        ordering = ["-answered_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "external_id"],
                condition=~models.Q(external_id=""),
                name="survey_response_unique_external_id",
            ),
            models.CheckConstraint(
                condition=(models.Q(kind=SurveyKind.NPS) & models.Q(score__lte=10))
                | (models.Q(kind=SurveyKind.CSAT) & models.Q(score__gte=1, score__lte=5)),
                name="survey_response_score_in_range",
            ),
        ]
        indexes = [models.Index(fields=["workspace", "account", "answered_on"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.score} on {self.answered_on}"


class SurveyInvitation(TenantModel):
    """An NPS or CSAT question CSOS sent to one stakeholder through a signed, expiring,
    single-use link; the answer is stored as a ``SurveyResponse`` of that stakeholder.

    The name and e-mail are those the link was sent to; one reminder at most.
    """

    account = TenantForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="survey_invitations"
    )
    stakeholder = TenantForeignKey(
        "stakeholders.Stakeholder",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="survey_invitations",
    )
    kind = models.CharField(max_length=4, choices=SurveyKind.choices)
    link = TenantOneToOneField("csos.SharedLink", on_delete=models.CASCADE, related_name="+")
    recipient_name = models.CharField(max_length=120)
    recipient_email = models.EmailField()
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    sent_at = models.DateTimeField(default=timezone.now)
    reminded_at = models.DateTimeField(null=True, blank=True)
    response = TenantOneToOneField(
        SurveyResponse, null=True, blank=True, on_delete=models.SET_NULL, related_name="invitation"
    )

    class Meta:
        ordering = ["-sent_at", "-id"]
        indexes = [models.Index(fields=["workspace", "account", "sent_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} survey to {self.recipient_name}"


class Band(models.TextChoices):
    GREEN = "green", "Green"
    YELLOW = "yellow", "Yellow"
    RED = "red", "Red"
    INSUFFICIENT = "insufficient", "Insufficient data"


class HealthModel(TenantModel):
    """A weighting of health dimensions and the band thresholds, applied to the accounts of
    its segments. Models are tried in ``position`` order, first match wins; the default one
    takes every account no other model claims. Each edit raises ``version``."""

    name = models.CharField(max_length=100)
    position = models.PositiveSmallIntegerField(default=0)
    segments = models.JSONField(default=list, blank=True, help_text="Account segments it scores.")
    is_default = models.BooleanField(default=False)
    version = models.PositiveIntegerField(default=1)
    dimensions = models.JSONField(
        default=list, help_text="[{key, calculator, weight, params}], weights summing to 100."
    )
    green_above = models.FloatField(default=75)
    red_below = models.FloatField(default=50)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="health_model_unique_name"),
            models.UniqueConstraint(
                fields=["workspace"],
                condition=models.Q(is_default=True),
                name="health_model_one_default",
            ),
            models.CheckConstraint(
                condition=models.Q(red_below__lte=models.F("green_above")),
                name="health_model_thresholds_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


class HealthSnapshot(TenantModel):
    """An account's health in one ISO week (``week`` is its Monday), with the facts behind it."""

    account = TenantForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="health_snapshots"
    )
    week = models.DateField(help_text="The Monday of the ISO week.")
    total = models.FloatField(null=True, blank=True, help_text="0-100; empty: insufficient data.")
    band = models.CharField(max_length=12, choices=Band.choices)
    scores = models.JSONField(default=dict, help_text="Dimension key -> 0-10, null if no data.")
    drivers = models.JSONField(default=dict, help_text="Dimension key -> the facts behind it.")
    proven_evidence = models.PositiveIntegerField(null=True, blank=True)
    model_name = models.CharField(max_length=100)
    model_version = models.PositiveIntegerField()
    change = models.FloatField(null=True, blank=True, help_text="Total minus last week's.")
    theatre = models.CharField(
        max_length=300, blank=True, help_text="Dimensions that moved while usage and proof stood."
    )
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-week", "account_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "account", "week"], name="health_snapshot_one_per_week"
            ),
        ]
        indexes = [
            models.Index(fields=["workspace", "week", "band"]),
            # What lists read of an account's latest week (band, change, score), answered from
            # the index alone: the portfolio looks it up for every row it shows.
            models.Index(
                fields=["workspace", "account", "-week"],
                include=["band", "change", "total"],
                name="health_snapshot_latest",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.week}: {self.total} {self.band}"


class RecomputeStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class HealthRecompute(TenantModel):
    """One recompute of a week's snapshots, split into chunks that report progress here."""

    week = models.DateField()
    status = models.CharField(
        max_length=10, choices=RecomputeStatus.choices, default=RecomputeStatus.QUEUED
    )
    chunk_count = models.PositiveIntegerField(default=0)
    chunks_done = models.JSONField(default=list, help_text="Numbers of the chunks written.")
    account_count = models.PositiveIntegerField(default=0)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"Recompute of {self.week} ({self.get_status_display()})"

    @property
    def is_finished(self) -> bool:
        return self.status in {RecomputeStatus.DONE, RecomputeStatus.FAILED}


class HealthRecomputeChunk(TenantModel):
    """One chunk of a recompute: the account-id range it scores, the day it scores them on, and
    its last sign of life, from which the sweep tells a chunk lost with its worker."""

    recompute = TenantForeignKey(HealthRecompute, on_delete=models.CASCADE, related_name="chunks")
    number = models.PositiveIntegerField()
    first_account_id = models.BigIntegerField()
    last_account_id = models.BigIntegerField()
    as_of = models.DateField()
    heartbeat_at = models.DateTimeField(help_text="When the chunk was last sent or claimed.")
    attempts = models.PositiveIntegerField(default=0, help_text="Times a worker claimed it.")

    class Meta:
        ordering = ["recompute", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "recompute", "number"], name="health_recompute_chunk_unique"
            )
        ]

    def __str__(self) -> str:
        return f"Chunk {self.number} of recompute {self.recompute_id}"


class HealthOverride(TenantModel):
    """A person's band for an account until ``expires_on``, shown beside the computed one."""

    account = TenantForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="health_overrides"
    )
    band = models.CharField(
        max_length=12, choices=[(b, label) for b, label in Band.choices if b != Band.INSUFFICIENT]
    )
    reason = models.TextField()
    expires_on = models.DateField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_band_display()} until {self.expires_on}"


class Verdict(models.TextChoices):
    YES = "yes", "Retained in substance"
    AT_RISK = "at_risk", "At risk"
    NO = "no", "Not retained"


class HealthJudgement(TenantModel):
    """A person's judgement of whether the account is retained in substance."""

    account = TenantForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="health_judgements"
    )
    verdict = models.CharField(max_length=8, choices=Verdict.choices)
    reason = models.TextField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.get_verdict_display()


class HealthBacktest(TenantModel):
    """The backtest of one version of a health model, computed once a week on Celery and served
    stored: how the bands and scores it gives foretold the past renewals of the accounts it
    scores (``health.quality.backtest``). A row is requested before it is computed, so the
    quality page can say since when it has been computing."""

    model = TenantForeignKey(HealthModel, on_delete=models.CASCADE, related_name="backtests")
    model_version = models.PositiveIntegerField()
    week = models.DateField(help_text="The Monday of the ISO week it was computed in.")
    figures = models.JSONField(default=dict, help_text="What the quality page shows.")
    renewals = models.JSONField(
        default=list, help_text="The scored renewals behind the figures, for drill-down."
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    computed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-week", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "model", "model_version", "week"],
                name="health_backtest_one_per_version_and_week",
            ),
        ]

    def __str__(self) -> str:
        return f"Backtest of model {self.model_id} v{self.model_version}, week of {self.week}"
