"""What every app's search selector shares: how forgiving a trigram match is."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, transaction

# pg_trgm's default (0.6) misses a one-letter slip in a short word ("Glbex" for "Globex" scores
# 0.44); 0.4 still keeps unrelated words out.
WORD_SIMILARITY = 0.4


@contextmanager
def forgiving_trigrams() -> Iterator[None]:
    """Within the block, ``trigram_word_similar`` (pg_trgm's ``%>``, served by the GIN trigram
    indexes) matches from ``WORD_SIMILARITY`` on; the setting ends with the transaction."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('pg_trgm.word_similarity_threshold', %s, true)",
            [str(WORD_SIMILARITY)],
        )
        yield
