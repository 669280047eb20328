from rest_framework.routers import SimpleRouter

from stakeholders.api.views import StakeholderViewSet, SuccessPlanViewSet

router = SimpleRouter()
router.register("stakeholders", StakeholderViewSet, basename="api-stakeholder")
router.register("success-plans", SuccessPlanViewSet, basename="api-success-plan")

urlpatterns = router.urls
