"""The embedded server a laptop runs CSOS on trades durability for speed: its data is a trial's
or a test run's, which a rebuild restores, and migrate and the demo build flush nothing."""

import psycopg

from csos.embedded_db import embedded_database


def test_it_runs_the_embedded_server_without_disk_flushes():
    with embedded_database(database="csos_flush_probe") as url, psycopg.connect(url) as probe:
        settings = {
            name: probe.execute(f"SHOW {name}").fetchone()[0]
            for name in ("fsync", "synchronous_commit", "full_page_writes")
        }
    assert settings == {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}
