from csos.selectors import membership_pick, memberships_of_user
from csos.tenancy import workspace_scope

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
