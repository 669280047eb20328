import django_filters

from csos.api.base import ScopedReadOnlyViewSet
from stakeholders.api.serializers import StakeholderOutputSerializer
from stakeholders.models import Stakeholder, StakeholderRole, StakeholderStatus


class StakeholderApiFilter(django_filters.FilterSet):
    account_external_id = django_filters.CharFilter(field_name="account__external_id")
    role = django_filters.ChoiceFilter(choices=StakeholderRole.choices)
    status = django_filters.ChoiceFilter(choices=StakeholderStatus.choices)

    class Meta:
        model = Stakeholder
        fields = []


class StakeholderViewSet(ScopedReadOnlyViewSet):
    """The people at customer accounts, oldest first, paged by cursor."""

    model = Stakeholder
    serializer_class = StakeholderOutputSerializer
    filterset_class = StakeholderApiFilter

    def scope_queryset(self, queryset):
        return queryset.select_related("account")
