from django.apps import AppConfig


class ValueConfig(AppConfig):
    name = "value"

    def ready(self) -> None:
        from rest_framework import serializers

        from accounts.demo import demo_step_register
        from accounts.signals import stakeholder_erased, stakeholders_changed
        from csos.api.annotations import ApiAnnotation, register_api_annotation
        from csos.panels import (
            NavEntry,
            Panel,
            PortfolioColumn,
            register_nav_entry,
            register_panel,
            register_portfolio_column,
        )
        from value.demo import demo_value_build
        from value.panels import prep_value_panel, retention_artifact_panel, value_ladder_panel
        from value.selectors import LEVEL_CHOICES, highest_level_subquery

        register_panel(
            Panel(
                page="account",
                key="retention-artifact",
                title="Retention artifact",
                template="value/panels/retention_artifact.html",
                context=retention_artifact_panel,
                order=10,
                query_budget=3,
            )
        )
        register_panel(
            Panel(
                page="prep",
                key="proven-value",
                title="Proven value and disputed claims",
                template="value/panels/prep_value.html",
                context=prep_value_panel,
                order=10,
                query_budget=4,
            )
        )
        register_panel(
            Panel(
                page="account",
                key="value-ladder",
                title="Value ladder",
                template="value/panels/ladder.html",
                context=value_ladder_panel,
                order=12,
                query_budget=2,
            )
        )
        register_nav_entry(
            NavEntry(
                section="Leaders",
                label="Value coverage",
                url_name="value_coverage",
                order=30,
                visible=lambda membership: membership.sees_all_portfolios,
            )
        )
        register_nav_entry(
            NavEntry(
                section="Customers", label="Value framework", url_name="value_framework", order=40
            )
        )
        register_portfolio_column(
            PortfolioColumn(
                key="proven_level",
                label="Proven level",
                annotation=highest_level_subquery,
                choices=LEVEL_CHOICES,
                order=10,
            )
        )
        register_api_annotation(
            ApiAnnotation(
                model="accounts.Account",
                key="proven_level",
                annotation=highest_level_subquery,
                field=lambda: serializers.IntegerField(
                    read_only=True,
                    help_text="The highest value-ladder level reached over the account's use "
                    "cases: 1 presence, 2 engagement, 3 use-case value, 4 ROI; 0 for none.",
                ),
                order=10,
            )
        )
        demo_step_register(demo_value_build)
        stakeholders_changed.connect(
            ladder_refresh_for_people, dispatch_uid="value.ladder_refresh_for_people"
        )
        stakeholder_erased.connect(confirmer_erase_for_people, dispatch_uid="value.confirmer_erase")


def ladder_refresh_for_people(*, account_ids, **kwargs) -> None:
    """A stakeholder's role or standing changed: re-derive those accounts' stored ladders in the
    same transaction (see ``accounts.signals``)."""
    from value.services import ladder_refresh

    ladder_refresh(account_ids=account_ids)


def confirmer_erase_for_people(*, stakeholder_id, needles, replacement, **kwargs) -> None:
    """A person was erased on request: scrub value's copies of their name and e-mail."""
    from value.services import confirmer_erase

    confirmer_erase(stakeholder_id=stakeholder_id, needles=needles, replacement=replacement)
