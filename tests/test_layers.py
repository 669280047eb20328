"""The arrows point one way: a lower layer never refers to a higher one, by import, by
foreign key, by an app-registry lookup or by a migration dependency.

Between the two middle apps the arrow points from value down to stakeholders: the ladder reads
the people who confirm claims, so value holds keys to stakeholders and calls their selectors.
What both apply, the framework's use cases, sits below both; stakeholders hear of value's
changes only through what value registers with them from its ``AppConfig.ready()``.
"""

import ast
from collections.abc import Iterator
from pathlib import Path

from django.apps import apps

ROOT = Path(__file__).resolve().parents[1]

LAYER = {
    "csos": 0,
    "accounts": 1,
    "framework": 1,
    "stakeholders": 2,
    "value": 3,
    "health": 4,
    "playbooks": 5,
    "dashboards": 6,
    "assistant": 7,
}
# The root URL configuration mounts every app's pages; that is its whole job.
ROOT_URLCONF = "csos/urls.py"
# Migrations already applied in production, kept as they were written. Each reason says why the
# edge was there and which later migration removed what it added.
APPLIED_UPWARD_MIGRATIONS = {
    # Objectives pointed at use cases when use cases lived in value; 0006 points them at the
    # framework's.
    ("stakeholders", "0002_objective_use_case_alter_objective_use_case_name_and_more", "value"),
}


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def _registry_lookups(path: Path) -> set[str]:
    """The apps named by ``get_model("app", ...)`` or ``get_model("app.Model")`` calls."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", None)) == "get_model"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.add(node.args[0].value.split(".")[0].lower())
    return found


def _app_modules():
    for app in LAYER:
        for path in (ROOT / app).rglob("*.py"):
            relative = path.relative_to(ROOT).as_posix()
            if "/migrations/" not in relative and relative != ROOT_URLCONF:
                yield app, relative, _imports(path)


def _references() -> Iterator[tuple[str, str, str]]:
    """Every reference from one project app to another: (from app, to app, what refers)."""
    for app, relative, imports in _app_modules():
        for name in imports:
            yield app, name.split(".")[0], f"{relative} imports {name}"
        for label in _registry_lookups(ROOT / relative):
            yield app, label, f"{relative} looks up a model of {label}"
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if field.is_relation and field.concrete and field.related_model is not None:
                source, target = model._meta.app_label, field.related_model._meta.app_label
                yield source, target, f"{model._meta.label}.{field.name} -> {target}"
    for app in LAYER:
        for path in sorted((ROOT / app / "migrations").glob("0*.py")):
            for target, _name in _migration_dependencies(path):
                if (app, path.stem, target) not in APPLIED_UPWARD_MIGRATIONS:
                    yield app, target, f"{app}/migrations/{path.name} depends on {target}"


def _migration_dependencies(path: Path) -> list[tuple[str, str]]:
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Assign) and any(
            getattr(target, "id", None) == "dependencies" for target in node.targets
        ):
            return [
                (element.elts[0].value, element.elts[1].value)
                for element in node.value.elts
                if isinstance(element, ast.Tuple)
            ]
    return []


def test_it_never_refers_to_a_higher_layer_from_a_lower_one():
    upward = [
        what
        for source, target, what in _references()
        if source in LAYER and target in LAYER and source != target
        if LAYER[target] >= LAYER[source]
    ]
    assert upward == []


def test_it_points_value_at_stakeholders_and_never_back():
    between = {
        (source, target)
        for source, target, _what in _references()
        if {source, target} == {"value", "stakeholders"}
    }
    assert between == {("value", "stakeholders")}


def test_it_finds_each_kind_of_reference_it_guards(tmp_path):
    lookup = tmp_path / "lookup.py"
    lookup.write_text(
        'apps.get_model("value", "EvidenceChange")\napps.get_model("health.Snapshot")\n'
    )
    assert _registry_lookups(lookup) == {"value", "health"}
    kinds = {what.split(" ")[1] for _source, _target, what in _references()}
    assert {"imports", "->", "depends"} <= kinds


def test_it_lets_dashboards_read_other_apps_through_their_selectors_only():
    reaching = [
        f"{relative} imports {name}"
        for app, relative, imports in _app_modules()
        if app == "dashboards"
        for name in imports
        if (other := name.split(".")[0]) in LAYER
        and other not in {"csos", "dashboards"}
        and name.split(".")[1:2] not in (["selectors"], [])
    ]
    assert reaching == []


def test_it_lets_the_assistant_read_other_apps_through_selectors_and_api_serializers_only():
    reaching = [
        f"{relative} imports {name}"
        for app, relative, imports in _app_modules()
        if app == "assistant"
        for name in imports
        if (other := name.split(".")[0]) in LAYER
        and other not in {"csos", "assistant"}
        and name.split(".")[1:2] not in (["selectors"], [])
        and name.split(".")[1:3] != ["api", "serializers"]
    ]
    assert reaching == []
