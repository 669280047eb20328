from django.urls import path
from rest_framework.routers import SimpleRouter

from stakeholders.api.ingest_views import StakeholderBulkView
from stakeholders.api.views import StakeholderViewSet, SuccessPlanViewSet

router = SimpleRouter()
router.register("stakeholders", StakeholderViewSet, basename="api-stakeholder")
router.register("success-plans", SuccessPlanViewSet, basename="api-success-plan")

urlpatterns = [
    path("stakeholders/bulk/", StakeholderBulkView.as_view(), name="api-stakeholder-bulk"),
    *router.urls,
]
