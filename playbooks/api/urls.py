from rest_framework.routers import SimpleRouter

from playbooks.api.views import TaskViewSet

router = SimpleRouter()
router.register("tasks", TaskViewSet, basename="api-task")

urlpatterns = router.urls
