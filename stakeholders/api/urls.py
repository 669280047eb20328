from rest_framework.routers import SimpleRouter

from stakeholders.api.views import StakeholderViewSet

router = SimpleRouter()
router.register("stakeholders", StakeholderViewSet, basename="api-stakeholder")

urlpatterns = router.urls
