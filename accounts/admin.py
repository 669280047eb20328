from django.contrib import admin

from accounts.models import Account, ArrMovement
from csos.admin import WorkspaceScopedAdmin

# Read-only (WorkspaceScopedAdmin): ARR and status follow the ledger, and every change to an
# account, its ledger or an import goes through the audited services behind the pages.


@admin.register(Account)
class AccountAdmin(WorkspaceScopedAdmin):
    list_display = ("name", "external_id", "owner", "arr", "currency", "renewal_date", "status")
    list_filter = ("status", "segment", "lifecycle_stage")
    search_fields = ("name", "external_id")


@admin.register(ArrMovement)
class ArrMovementAdmin(WorkspaceScopedAdmin):
    list_display = ("account", "kind", "date", "amount")
    list_filter = ("kind",)
