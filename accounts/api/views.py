import django_filters

from accounts.api.serializers import AccountOutputSerializer
from accounts.models import Account, AccountStatus, LifecycleStage, Segment
from csos.api.base import ScopedReadOnlyViewSet


class AccountApiFilter(django_filters.FilterSet):
    external_id = django_filters.CharFilter()
    owner_email = django_filters.CharFilter(field_name="owner__email", lookup_expr="iexact")
    lifecycle_stage = django_filters.ChoiceFilter(choices=LifecycleStage.choices)
    status = django_filters.ChoiceFilter(choices=AccountStatus.choices)
    segment = django_filters.ChoiceFilter(choices=Segment.choices)
    renewal_after = django_filters.DateFilter(field_name="renewal_date", lookup_expr="gte")
    renewal_before = django_filters.DateFilter(field_name="renewal_date", lookup_expr="lte")
    updated_since = django_filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = Account
        fields = []


class AccountViewSet(ScopedReadOnlyViewSet):
    """Customer accounts of the workspace, oldest first, paged by cursor."""

    model = Account
    serializer_class = AccountOutputSerializer
    filterset_class = AccountApiFilter

    def scope_queryset(self, queryset):
        return queryset.select_related("owner")
