"""Writes of the value ladder: framework, pursued use cases, evidence, confirmations, the artifact,
one module per concern; every name is offered here too, as when this was one module.

Every write that can move a level re-derives the ladder of the accounts it touches in the same
transaction, so the stored levels the coverage page groups by are never behind the evidence.
"""

from value.services.artifact import (
    retention_artifact_update,
)
from value.services.confirmation import (
    CONFIRMATION_LIFETIME,
    CONFIRMATION_PURPOSE,
    confirmer_erase,
    evidence_confirmation_respond,
    evidence_confirmation_send,
)
from value.services.evidence import (
    EVIDENCE_FIELDS,
    SIGNED_FIELDS,
    ProofRefused,
    evidence_record,
    evidence_update,
    evidence_validate,
)
from value.services.expiry import evidence_expiries_announce
from value.services.framework import (
    USE_CASE_FIELDS,
    account_use_cases_set,
    event_mapping_delete,
    event_mapping_save,
    metric_save,
    use_case_save,
    value_settings_update,
)
from value.services.levels import (
    UPDATE_CHUNK,
    ladder_refresh,
    ladder_refresh_pending_mark,
)

__all__ = [
    "CONFIRMATION_LIFETIME",
    "CONFIRMATION_PURPOSE",
    "EVIDENCE_FIELDS",
    "SIGNED_FIELDS",
    "UPDATE_CHUNK",
    "USE_CASE_FIELDS",
    "ProofRefused",
    "account_use_cases_set",
    "confirmer_erase",
    "event_mapping_delete",
    "event_mapping_save",
    "evidence_confirmation_respond",
    "evidence_confirmation_send",
    "evidence_expiries_announce",
    "evidence_record",
    "evidence_update",
    "evidence_validate",
    "ladder_refresh",
    "ladder_refresh_pending_mark",
    "metric_save",
    "retention_artifact_update",
    "use_case_save",
    "value_settings_update",
]
