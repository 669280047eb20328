from django.urls import path

from accounts import captures, views
from accounts.csv_import import ACCOUNT_SPEC
from csos.imports.urls import import_urls

urlpatterns = [
    path("portfolio/", views.portfolio, name="portfolio"),
    path("portfolio/export.csv", views.portfolio_export, name="portfolio_export"),
    path("retention/", views.retention, name="retention"),
    *(
        path(
            f"retention/{table}.csv",
            views.retention_export,
            {"table": table},
            name=f"retention_export_{table}",
        )
        for table in ("csm", "segment", "trend")
    ),
    path("accounts/new/", views.account_create, name="account_create"),
    path("accounts/<int:account_id>/", views.account_detail, name="account_detail"),
    path("accounts/<int:account_id>/edit/", views.account_edit, name="account_edit"),
    path("accounts/<int:account_id>/arr/", views.arr_movement_add, name="arr_movement_add"),
    path(
        "accounts/<int:account_id>/arr/<int:movement_id>/reverse/",
        views.arr_movement_reverse,
        name="arr_movement_reverse",
    ),
    path(
        "accounts/<int:account_id>/captures/new/",
        captures.value_capture_add,
        name="value_capture_add",
    ),
    *import_urls("accounts/import/", kind=ACCOUNT_SPEC.kind, name="account_import"),
]
