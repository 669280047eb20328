"""Remembered column mappings: found, saved, edited and forgotten for the workspace in scope."""

from collections.abc import Sequence

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from csos.imports.spec import ColumnMapping, fingerprint
from csos.models import ImportMapping, Workspace
from csos.services import audit_record


def import_mapping_find(*, kind: str, headers: Sequence[str]) -> ColumnMapping | None:
    """The mapping confirmed for this kind of import and this header row, if any."""
    remembered = ImportMapping.objects.filter(kind=kind, fingerprint=fingerprint(headers)).first()
    if remembered is None or len(remembered.columns) != len(headers):
        return None
    return ColumnMapping(columns=tuple(remembered.columns), values=remembered.values)


def import_mapping_known_values(*, kind: str) -> dict[str, dict[str, str]]:
    """Per value field, what each value meant in the mappings confirmed for this kind of import,
    the latest confirmation first: a CRM's user id names the same member whatever the columns."""
    known: dict[str, dict[str, str]] = {}
    for values in (
        ImportMapping.objects.filter(kind=kind)
        .order_by("updated_at")
        .values_list("values", flat=True)
    ):
        for key, meanings in values.items():
            known.setdefault(key, {}).update(meanings)
    return known


def import_mapping_remember(
    *,
    workspace: Workspace,
    kind: str,
    headers: Sequence[str],
    mapping: ColumnMapping,
    by: AbstractBaseUser | None,
) -> ImportMapping:
    """Store a confirmed mapping, replacing the one this header row had."""
    remembered, _ = ImportMapping.objects.update_or_create(
        workspace=workspace,
        kind=kind,
        fingerprint=fingerprint(headers),
        defaults={
            "headers": list(headers),
            "columns": list(mapping.columns),
            "values": {key: dict(values) for key, values in mapping.values.items()},
            "confirmed_by": by,
        },
    )
    return remembered


def _audited(remembered: ImportMapping) -> dict:
    return {"kind": remembered.kind, "columns": remembered.columns, "values": remembered.values}


@transaction.atomic
def import_mapping_edit(
    *, import_mapping: ImportMapping, mapping: ColumnMapping, by: AbstractBaseUser
) -> ImportMapping:
    """Change what a remembered mapping does with the next file of its header row."""
    before = _audited(import_mapping)
    import_mapping.columns = list(mapping.columns)
    import_mapping.values = {key: dict(values) for key, values in mapping.values.items()}
    import_mapping.confirmed_by = by
    import_mapping.save(update_fields=["columns", "values", "confirmed_by", "updated_at"])
    audit_record(
        workspace=import_mapping.workspace,
        actor=by,
        action="import_mapping.edit",
        obj=import_mapping,
        before=before,
        after=_audited(import_mapping),
    )
    return import_mapping


@transaction.atomic
def import_mapping_forget(*, import_mapping: ImportMapping, by: AbstractBaseUser) -> None:
    """Forget a remembered mapping: the next file of its header row asks for its mapping again."""
    audit_record(
        workspace=import_mapping.workspace,
        actor=by,
        action="import_mapping.forget",
        obj=import_mapping,
        before=_audited(import_mapping),
    )
    import_mapping.delete()
