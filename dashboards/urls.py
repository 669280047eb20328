from django.urls import path

from dashboards import captures, search, views

urlpatterns = [
    path("leaders/csm-load/", views.csm_load, name="csm_load"),
    path("leaders/value-capture/", captures.value_capture_counts, name="value_capture_counts"),
    path("search/", search.search, name="search"),
]
