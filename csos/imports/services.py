"""Remembered column mappings: found and saved for the workspace in scope."""

from collections.abc import Sequence

from django.contrib.auth.models import AbstractBaseUser

from csos.imports.spec import ColumnMapping, fingerprint
from csos.models import ImportMapping, Workspace


def import_mapping_find(*, kind: str, headers: Sequence[str]) -> ColumnMapping | None:
    """The mapping confirmed for this kind of import and this header row, if any."""
    remembered = ImportMapping.objects.filter(kind=kind, fingerprint=fingerprint(headers)).first()
    if remembered is None or len(remembered.columns) != len(headers):
        return None
    return ColumnMapping(columns=tuple(remembered.columns), values=remembered.values)


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
