from django.urls import path

from accounts import captures, import_views, views

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
    path("accounts/import/", import_views.import_upload, name="account_import"),
    path(
        "accounts/import/template.csv",
        import_views.import_template,
        name="account_import_template",
    ),
    path(
        "accounts/import/<int:import_id>/mapping/",
        import_views.import_mapping,
        name="account_import_mapping",
    ),
    path(
        "accounts/import/<int:import_id>/", import_views.import_detail, name="account_import_detail"
    ),
    path(
        "accounts/import/<int:import_id>/commit/",
        import_views.import_commit,
        name="account_import_commit",
    ),
    path(
        "accounts/import/<int:import_id>/progress/",
        import_views.import_progress,
        name="account_import_progress",
    ),
]
