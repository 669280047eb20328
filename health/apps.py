"""The health app's registrations with the lower layers: account-page panels, the portfolio's
health column, the API's health fields, navigation, the recompute's subscribers and demo steps.

Each is a function called from ``ready()``; they import lazily, as the app registry is still
loading when this module is imported.
"""

from django.apps import AppConfig


def register_panels() -> None:
    from csos.panels import Panel, register_panel
    from health.selectors import account_group_panel, account_health_panel

    register_panel(
        Panel(
            page="account",
            key="group",
            title="Group",
            template="health/panels/group.html",
            context=account_group_panel,
            order=17,
            query_budget=2,
        )
    )
    for page, template in (("account", "health.html"), ("prep", "prep_health.html")):
        register_panel(
            Panel(
                page=page,
                key="health",
                title="Health",
                template=f"health/panels/{template}",
                context=account_health_panel,
                order=15,
                query_budget=4,
            )
        )


def register_portfolio_column() -> None:
    from csos.panels import PortfolioColumn, register_portfolio_column
    from health.models import Band
    from health.selectors import (
        change_text,
        latest_band_subquery,
        latest_change_subquery,
        latest_total_subquery,
    )

    register_portfolio_column(
        PortfolioColumn(
            key="health_band",
            label="Health",
            annotation=latest_band_subquery,
            choices=Band.choices,
            order=20,
            detail=latest_change_subquery,
            detail_text=change_text,
            sort_order=(Band.RED, Band.YELLOW, Band.GREEN, Band.INSUFFICIENT),
            exported=(("Health score", latest_total_subquery),),
        )
    )


def register_api_annotations() -> None:
    from rest_framework import serializers

    from csos.api.annotations import ApiAnnotation, register_api_annotation
    from health.models import Band
    from health.selectors import latest_band_subquery, latest_total_subquery

    register_api_annotation(
        ApiAnnotation(
            model="accounts.Account",
            key="health_band",
            annotation=latest_band_subquery,
            field=lambda: serializers.ChoiceField(
                Band.choices,
                allow_null=True,
                read_only=True,
                help_text="The band of the latest weekly health snapshot; null before one.",
            ),
            order=20,
        )
    )
    register_api_annotation(
        ApiAnnotation(
            model="accounts.Account",
            key="health_score",
            annotation=latest_total_subquery,
            field=lambda: serializers.FloatField(
                allow_null=True,
                read_only=True,
                help_text="The latest snapshot's score, 0-100; null when data was too thin.",
            ),
            order=21,
        )
    )


def _leaders(membership) -> bool:
    return membership.sees_all_portfolios


def register_navigation() -> None:
    from csos.panels import NavEntry, register_nav_entry

    entries = (
        ("Leaders", "Recompute health", "health_recompute", 60, ("health_recompute_detail",)),
        ("Leaders", "Health model quality", "health_quality", 61, ("health_quality_renewals",)),
        (
            "Workspace",
            "Health models",
            "health_models",
            40,
            ("health_model_edit", "health_model_create"),
        ),
    )
    for section, label, url_name, order, also_current in entries:
        register_nav_entry(
            NavEntry(
                section=section,
                label=label,
                url_name=url_name,
                order=order,
                visible=_leaders,
                also_current=also_current,
            )
        )


def register_subscribers_and_demo_steps() -> None:
    from accounts.demo import demo_step_register
    from health.demo import (
        demo_health_history_build,
        demo_health_signals_build,
        demo_interactions_settle,
    )
    from health.signals import snapshots_recomputed
    from health.tasks import on_snapshots_recomputed

    snapshots_recomputed.connect(on_snapshots_recomputed, dispatch_uid="health-backtests")
    demo_step_register(demo_interactions_settle)
    demo_step_register(demo_health_signals_build)
    demo_step_register(demo_health_history_build)


class HealthConfig(AppConfig):
    name = "health"

    def ready(self) -> None:
        from csos.imports.registry import register_batch_import
        from health.imports import SURVEY_CSV, TICKET_CSV

        register_batch_import(TICKET_CSV)
        register_batch_import(SURVEY_CSV)
        register_panels()
        register_portfolio_column()
        register_api_annotations()
        register_navigation()
        register_subscribers_and_demo_steps()
