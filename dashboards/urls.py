from django.urls import path

from dashboards import views

urlpatterns = [
    path("leaders/csm-load/", views.csm_load, name="csm_load"),
]
