import logging

import kombu.exceptions
from django.shortcuts import render

from csos.api.problems import UNAVAILABLE_RETRY_AFTER_SECONDS
from csos.cache import REDIS_UNREACHABLE
from csos.selectors import membership_pick, memberships_of_user
from csos.tenancy import workspace_scope

logger = logging.getLogger(__name__)

SESSION_WORKSPACE_KEY = "csos_workspace_id"


class WorkspaceMiddleware:
    """Resolve the signed-in user's active workspace and hold it in scope for the whole request.

    Template rendering happens inside this scope too, so lazy querysets stay scoped.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.memberships = memberships_of_user(user=request.user)
        request.membership = membership_pick(
            memberships=request.memberships,
            workspace_id=request.session.get(SESSION_WORKSPACE_KEY),
        )
        request.workspace = request.membership.workspace if request.membership else None
        with workspace_scope(request.workspace):
            return self.get_response(request)


class RedisUnavailableMiddleware:
    """A page that needs Redis (to queue work) while Redis is unreachable answers 503 with
    Retry-After, not a generic 500. Reads of the cache do not get here: the cache answers them
    as misses (csos/cache.py). API views answer the same errors as problems (csos/api)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, (kombu.exceptions.OperationalError, *REDIS_UNREACHABLE)):
            return None
        logger.warning(
            "%s %s failed, Redis is unreachable: %s", request.method, request.path, exception
        )
        response = render(
            request,
            "503.html",
            {"retry_after": UNAVAILABLE_RETRY_AFTER_SECONDS},
            status=503,
        )
        response["Retry-After"] = str(UNAVAILABLE_RETRY_AFTER_SECONDS)
        return response
