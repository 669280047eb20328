from rest_framework.routers import SimpleRouter

from health.api.views import HealthSnapshotViewSet

router = SimpleRouter()
router.register("health-snapshots", HealthSnapshotViewSet, basename="api-health-snapshot")

urlpatterns = router.urls
