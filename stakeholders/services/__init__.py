"""Writes of stakeholders, success plans, handoffs and interactions, one module per concern;
every name is offered here too, as when this was one module."""

from stakeholders.services.framework import (
    flag_thresholds_save,
    role_guide_save,
)
from stakeholders.services.handoffs import (
    handoff_save,
    promise_status_set,
)
from stakeholders.services.interactions import (
    INTERACTION_FIELDS,
    interaction_save,
)
from stakeholders.services.people import (
    ERASED_NAME,
    ERASED_TEXT,
    STAKEHOLDER_FIELDS,
    stakeholder_changes_announce,
    stakeholder_create,
    stakeholder_delete,
    stakeholder_erase,
    stakeholder_states_record,
    stakeholder_update,
)
from stakeholders.services.plans import (
    OBJECTIVE_OWNER_ROLES,
    SHARE_LINK_DAYS,
    milestone_save,
    objective_save,
    plan_create,
    plan_review_record,
    plan_share_link_create,
    plan_share_link_revoke,
    plan_update,
)

__all__ = [
    "ERASED_NAME",
    "ERASED_TEXT",
    "INTERACTION_FIELDS",
    "OBJECTIVE_OWNER_ROLES",
    "SHARE_LINK_DAYS",
    "STAKEHOLDER_FIELDS",
    "flag_thresholds_save",
    "handoff_save",
    "interaction_save",
    "milestone_save",
    "objective_save",
    "plan_create",
    "plan_review_record",
    "plan_share_link_create",
    "plan_share_link_revoke",
    "plan_update",
    "promise_status_set",
    "role_guide_save",
    "stakeholder_changes_announce",
    "stakeholder_create",
    "stakeholder_delete",
    "stakeholder_erase",
    "stakeholder_states_record",
    "stakeholder_update",
]
