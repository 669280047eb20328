from django.urls import path

from dashboards import captures, search, views

urlpatterns = [
    path("leaders/", views.cockpit, name="cockpit"),
    path("leaders/accounts/", views.cockpit_accounts, name="cockpit_accounts"),
    path("leaders/accounts.csv", views.cockpit_accounts_export, name="cockpit_accounts_export"),
    path("leaders/export.csv", views.cockpit_export, name="cockpit_export"),
    path("leaders/forecast/", views.renewal_forecast, name="renewal_forecast"),
    path("leaders/csm-load/", views.csm_load, name="csm_load"),
    path("leaders/value-capture/", captures.value_capture_counts, name="value_capture_counts"),
    path("search/", search.search, name="search"),
]
