"""Every project module imports on its own: no import cycle hidden by the order in which the
apps' ``ready()`` happen to import modules first."""

import subprocess
import sys
import textwrap

from tests.test_layers import LAYER, ROOT

# Run in a fresh interpreter: Django is set up once (so models, which may be loaded only once,
# stay loaded, whether an app's ``models`` is a module or a package), then before each module
# every other project module is dropped from ``sys.modules`` and the admin site reset to the
# other apps' registrations, so each import starts from the same state whatever was imported
# before it.
SCRIPT = textwrap.dedent(
    """
    import importlib, json, sys, traceback
    import django
    django.setup()
    from django.contrib import admin

    apps, names = json.loads(sys.argv[1]), json.loads(sys.argv[2])
    # Other apps' admin modules, run again to register their models as before the project's.
    others = [
        module
        for name, module in list(sys.modules.items())
        if name.endswith(".admin")
        and name != "django.contrib.admin"
        and name.split(".")[0] not in apps
    ]

    def ours(name):
        return name.split(".")[0] in apps and "models" not in name.split(".")

    failures = {}
    for name in names:
        for loaded in [loaded for loaded in sys.modules if ours(loaded)]:
            del sys.modules[loaded]
        admin.site._registry = {}
        for module in others:
            importlib.reload(module)
        try:
            importlib.import_module(name)
        except Exception:
            failures[name] = traceback.format_exc(limit=-3)
    print(json.dumps(failures))
    """
)


def _modules() -> list[str]:
    names = []
    for app in LAYER:
        for path in sorted((ROOT / app).rglob("*.py")):
            relative = path.relative_to(ROOT).with_suffix("")
            if "migrations" in relative.parts or "models" in relative.parts:
                continue
            parts = relative.parts[:-1] if relative.name == "__init__" else relative.parts
            names.append(".".join(parts))
    return names


def test_it_imports_every_project_module_on_its_own():
    import json

    modules = _modules()
    assert "value.events" in modules and "health.recovery" in modules
    run = subprocess.run(
        [sys.executable, "-c", SCRIPT, json.dumps(list(LAYER)), json.dumps(modules)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout.strip().splitlines()[-1]) == {}
