"""Whether a demo workspace is being built, so the sign-in page can say why no login works yet.

The build holds a transaction-level advisory lock: PostgreSQL releases it when the build commits,
rolls back or its process dies, so the sign-in page never reports a build that is not running.
"""

from django.db import connection

# pg_advisory_xact_lock(int4, int4): shown in pg_locks as classid, objid and objsubid 2.
DEMO_BUILD_LOCK = (0x43534F53, 1)  # "CSOS", the demo build


def demo_build_lock() -> None:
    """Hold the demo build's lock until the current transaction ends: one build at a time."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", DEMO_BUILD_LOCK)


def demo_build_running() -> bool:
    """Whether some process holds the demo build's lock in this database."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT EXISTS (
              SELECT 1 FROM pg_locks
              WHERE locktype = 'advisory' AND objsubid = 2 AND classid = %s AND objid = %s
                AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
            )
            """,
            DEMO_BUILD_LOCK,
        )
        return cursor.fetchone()[0]
