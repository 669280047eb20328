"""Reads of account hierarchies: the accounts below a parent, at any depth."""

from django.db import connection
from django.db.models import Q
from django.db.models.expressions import RawSQL

from accounts.models import Account
from csos.tenancy import current_workspace


def descendants_filter(*, account: Account) -> Q:
    """Every account below ``account`` in its hierarchy: its children, their children and so
    on, in one recursive query of the account's workspace. UNION keeps each account once, so
    the walk ends even on a loop the services would have refused."""
    table = Account._meta.db_table
    below = RawSQL(
        f"""WITH RECURSIVE below(id) AS (
                SELECT id FROM {table} WHERE parent_id = %s AND workspace_id = %s
                UNION
                SELECT child.id FROM {table} child JOIN below ON child.parent_id = below.id
                WHERE child.workspace_id = %s
            ) SELECT id FROM below""",
        [account.pk, account.workspace_id, account.workspace_id],
    )
    return Q(pk__in=below)


def group_tops() -> dict[int, int]:
    """Each account that sits below a top parent (an account with no parent of its own), at
    any depth, mapped to that top parent's id: one recursive query of the workspace."""
    table = Account._meta.db_table
    workspace_id = current_workspace().pk
    with connection.cursor() as cursor:
        cursor.execute(
            f"""WITH RECURSIVE below(id, top_id) AS (
                    SELECT child.id, top.id FROM {table} child
                    JOIN {table} top ON top.id = child.parent_id
                    WHERE top.parent_id IS NULL AND top.workspace_id = %s
                      AND child.workspace_id = %s
                    UNION
                    SELECT child.id, below.top_id FROM {table} child
                    JOIN below ON child.parent_id = below.id WHERE child.workspace_id = %s
                ) SELECT id, top_id FROM below""",
            [workspace_id, workspace_id, workspace_id],
        )
        return dict(cursor.fetchall())
