"""Modules stay under 400 lines and functions under 60, so each reads as one concern.

A module past the limit becomes a package or gains a sibling module split by concern; a
function past it is split into named steps. The few exceptions are listed with their reason.
"""

import ast

from tests.test_layers import LAYER, ROOT

MODULE_LINES = 400
FUNCTION_LINES = 60

IMPORT_PIPELINE = "the accounts CSV import's parse, check and write, each one pass over the rows"
LONG_MODULES = {
    "csos/settings.py": "the one settings module, every variable read from the environment",
}
BULK_INGEST = "every record checked against the stored rows, then one write: one transaction"
LONG_FUNCTIONS = {
    "accounts/imports/commit.py::_write": IMPORT_PIPELINE,
    "accounts/imports/commit.py::account_import_commit": IMPORT_PIPELINE,
    "accounts/csv_import/parsing.py::parse_accounts_csv": IMPORT_PIPELINE,
    "accounts/ingest.py::account_bulk_upsert": BULK_INGEST,
    "accounts/ingest.py::arr_movement_bulk_record": BULK_INGEST,
    "value/ingest.py::usage_bulk_upsert": BULK_INGEST,
    "playbooks/segments/allocation.py::rebalance": "one integer program: variables, costs and "
    "constraints read together",
    "dashboards/cockpit.py::health_tables": "the band table now and over 26 weeks, one read",
}


def _project_files():
    for app in LAYER:
        for path in sorted((ROOT / app).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if "/migrations/" not in relative:
                yield relative, path.read_text()


def _long_functions(source: str) -> list[tuple[str, int]]:
    return [
        (node.name, node.end_lineno - node.lineno + 1)
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno - node.lineno + 1 > FUNCTION_LINES
    ]


def test_it_keeps_every_module_under_the_line_limit():
    long = {
        relative: len(source.splitlines())
        for relative, source in _project_files()
        if len(source.splitlines()) > MODULE_LINES
    }
    assert sorted(long) == sorted(LONG_MODULES)


def test_it_keeps_every_function_under_the_line_limit():
    long = {
        f"{relative}::{name}": lines
        for relative, source in _project_files()
        for name, lines in _long_functions(source)
    }
    assert sorted(long) == sorted(LONG_FUNCTIONS)


def test_it_measures_a_function_from_its_signature_to_its_last_line():
    body = "\n".join(f"    x = {n}" for n in range(FUNCTION_LINES))
    assert _long_functions(f"def long():\n{body}\n") == [("long", FUNCTION_LINES + 1)]
    assert _long_functions(f"def short():\n{body[: body.rindex(chr(10))]}\n") == []
