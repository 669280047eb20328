"""The import arrows point one way: a lower layer never imports a higher one."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

LAYER = {
    "csos": 0,
    "accounts": 1,
    "value": 2,
    "stakeholders": 2,
    "health": 3,
    "playbooks": 4,
    "dashboards": 5,
    "assistant": 6,
}
# The root URL configuration mounts every app's pages; that is its whole job.
ROOT_URLCONF = "csos/urls.py"


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def _app_modules():
    for app in LAYER:
        for path in (ROOT / app).rglob("*.py"):
            relative = path.relative_to(ROOT).as_posix()
            if "/migrations/" not in relative and relative != ROOT_URLCONF:
                yield app, relative, _imports(path)


def test_it_never_imports_a_higher_layer_from_a_lower_one():
    upward = [
        f"{relative} imports {name}"
        for app, relative, imports in _app_modules()
        for name in imports
        if (other := name.split(".")[0]) in LAYER and other != app and LAYER[other] >= LAYER[app]
    ]
    assert upward == []


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
