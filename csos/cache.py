"""The cache on Redis, which answers as an empty cache while Redis is unreachable.

Sessions (``cached_db``), throttles and page caches read through it. During a Redis outage a
read is a miss and a write is skipped, each with a log line, so pages that can run on the
database alone keep working; work that needs Redis (queueing a task) still fails, and the
request middleware answers it with 503.
"""

import functools
import logging
from collections.abc import Callable

import redis.exceptions
from django.core.cache.backends.redis import RedisCache

logger = logging.getLogger(__name__)

REDIS_UNREACHABLE = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)


def _tolerant(method: Callable, outage_result: Callable) -> Callable:
    """``method``, answering ``outage_result(*args, **kwargs)`` when Redis is unreachable."""

    @functools.wraps(method)
    def call(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except REDIS_UNREACHABLE as error:
            logger.warning("Cache %s skipped, Redis is unreachable: %s", method.__name__, error)
            return outage_result(*args, **kwargs)

    return call


def _default(key, default=None, version=None):
    return default


def _not_done(*args, **kwargs) -> bool:
    return False


def _nothing(*args, **kwargs) -> None:
    return None


def _no_values(*args, **kwargs) -> dict:
    return {}


def _none_stored(data, timeout=None, version=None) -> list:
    return list(data)


class ResilientRedisCache(RedisCache):
    """Django's Redis cache whose connection errors and timeouts are misses and skipped writes.

    ``incr`` and ``decr`` still raise: a counter that silently stays put would be wrong.
    """

    get = _tolerant(RedisCache.get, _default)
    get_many = _tolerant(RedisCache.get_many, _no_values)
    has_key = _tolerant(RedisCache.has_key, _not_done)
    add = _tolerant(RedisCache.add, _not_done)
    set = _tolerant(RedisCache.set, _nothing)
    set_many = _tolerant(RedisCache.set_many, _none_stored)
    touch = _tolerant(RedisCache.touch, _not_done)
    delete = _tolerant(RedisCache.delete, _not_done)
    delete_many = _tolerant(RedisCache.delete_many, _nothing)
    clear = _tolerant(RedisCache.clear, _not_done)
