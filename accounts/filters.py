from datetime import timedelta

import django_filters
from django.db.models import Q
from django.utils import timezone

from accounts.models import Account, AccountStatus, LifecycleStage, Segment
from accounts.selectors import csm_options, with_portfolio_columns
from csos.filters import CharFilter, ChoiceFilter, StableOrderingFilter
from csos.panels import portfolio_columns

RENEWAL_WINDOWS = [
    ("30", "Next 30 days"),
    ("90", "Next 90 days"),
    ("180", "Next 180 days"),
    ("365", "Next 12 months"),
    ("overdue", "Overdue"),
]


# What each sort parameter orders by. The CSM column sorts by the name it shows, in the order
# the CSM filter lists people.
SORT_FIELDS = {
    "name": ("name",),
    "arr": ("arr",),
    "renewal_date": ("renewal_date",),
    "lifecycle_stage": ("lifecycle_stage",),
    "segment": ("segment",),
    "owner": ("owner__first_name", "owner__last_name", "owner__email"),
}


SORT_CHOICES: dict[tuple[str, ...], list[tuple[str, str]]] = {}


class PortfolioFilter(django_filters.FilterSet):
    """Search, filters and sorting of the portfolio table, shared by the page and the API."""

    q = CharFilter(method="filter_search", label="Search")
    owner = ChoiceFilter(field_name="owner_id", label="CSM", empty_label="All CSMs")
    lifecycle_stage = ChoiceFilter(
        choices=LifecycleStage.choices, empty_label="Any stage", label="Stage"
    )
    segment = ChoiceFilter(choices=Segment.choices, empty_label="Any segment", label="Segment")
    status = ChoiceFilter(choices=AccountStatus.choices, empty_label="Any status", label="Status")
    renewal = ChoiceFilter(
        choices=RENEWAL_WINDOWS, method="filter_renewal", empty_label="Any renewal", label="Renewal"
    )
    sort = StableOrderingFilter(columns=SORT_FIELDS, default="name")

    class Meta:
        model = Account
        fields = ["q", "owner", "lifecycle_stage", "segment", "status", "renewal"]

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(name__icontains=value) | Q(external_id__icontains=value))

    def filter_renewal(self, queryset, name, value):
        today = timezone.localdate()
        if value == "overdue":
            return queryset.filter(renewal_date__lt=today)
        return queryset.filter(
            renewal_date__gte=today, renewal_date__lte=today + timedelta(days=int(value))
        )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A list, not a callable: Django re-runs callable choices at every iteration.
        owners = csm_options()
        self.filters["owner"].extra["choices"] = owners.choices
        self.owner_names = owners.names
        self._add_registered_columns()

    def _add_registered_columns(self) -> None:
        """Filter and sort by the columns other apps add (see ``csos.panels``)."""
        sort = self.filters["sort"]
        for column in portfolio_columns():
            self.filters[column.key] = ChoiceFilter(
                field_name=column.key,
                choices=[(str(value), label) for value, label in column.choices],
                empty_label=f"Any {column.label.lower()}",
                label=column.label,
            )
            self.filters[column.key].model = Account
            self.filters[column.key].parent = self
            sort.columns = {**sort.columns, column.key: (column.sort_expression,)}
        params = tuple(sort.columns)
        if params not in SORT_CHOICES:
            # Plain strings, built once per set of columns: django-filter's lazy labels cost
            # a translation and a deep copy of each label on every page.
            choices = sort.build_choices(dict(zip(params, params, strict=True)), {})
            SORT_CHOICES[params] = [(value, str(label)) for value, label in choices]
        sort.extra["choices"] = SORT_CHOICES[params]

    def filter_queryset(self, queryset):
        in_use = {key for key, value in self.form.cleaned_data.items() if value}
        in_use.update(param.removeprefix("-") for param in self.form.cleaned_data.get("sort") or ())
        return super().filter_queryset(with_portfolio_columns(queryset, keys=in_use))

    def owner_name(self) -> str | None:
        """The name of the CSM whose portfolio is shown, or None for the whole workspace."""
        chosen = self.form.cleaned_data.get("owner") if self.is_bound else None
        return self.owner_names.get(chosen) if chosen else None
