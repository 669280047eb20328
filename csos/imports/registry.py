"""The kinds of CSV import whose remembered mappings an admin may edit, as apps register them.

The core imports no app: an app registers its import from its ``AppConfig.ready()``, giving
the spec and what its value fields may be mapped onto. A remembered mapping of a kind nobody
registered can still be seen and forgotten, only not edited.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from csos.imports.spec import ImportSpec


@dataclass(frozen=True)
class EditableImport:
    spec: ImportSpec
    choices: Callable[[], Mapping[str, Sequence[tuple[str, str]]]]


_imports: dict[str, EditableImport] = {}


def register_import(spec: ImportSpec, *, choices: Callable[[], Mapping]) -> None:
    _imports[spec.kind] = EditableImport(spec=spec, choices=choices)


def registered_import(kind: str) -> EditableImport | None:
    return _imports.get(kind)
