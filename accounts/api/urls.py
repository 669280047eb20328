from rest_framework.routers import SimpleRouter

from accounts.api.views import AccountViewSet

router = SimpleRouter()
router.register("accounts", AccountViewSet, basename="api-account")

urlpatterns = router.urls
