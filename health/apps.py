from django.apps import AppConfig


class HealthConfig(AppConfig):
    name = "health"

    def ready(self) -> None:
        from rest_framework import serializers

        from accounts.demo import demo_step_register
        from csos.api.annotations import ApiAnnotation, register_api_annotation
        from csos.panels import (
            NavEntry,
            Panel,
            PortfolioColumn,
            register_nav_entry,
            register_panel,
            register_portfolio_column,
        )
        from health.demo import demo_health_history_build, demo_health_signals_build
        from health.models import Band
        from health.selectors import (
            account_group_panel,
            account_health_panel,
            change_text,
            latest_band_subquery,
            latest_change_subquery,
            latest_total_subquery,
        )
        from health.signals import snapshots_recomputed
        from health.tasks import on_snapshots_recomputed

        register_panel(
            Panel(
                page="account",
                key="health",
                title="Health",
                template="health/panels/health.html",
                context=account_health_panel,
                order=15,
                query_budget=4,
            )
        )
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
        register_panel(
            Panel(
                page="prep",
                key="health",
                title="Health",
                template="health/panels/prep_health.html",
                context=account_health_panel,
                order=15,
                query_budget=4,
            )
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
        leaders = lambda membership: membership.sees_all_portfolios  # noqa: E731
        register_nav_entry(
            NavEntry(
                section="Leaders",
                label="Recompute health",
                url_name="health_recompute",
                order=60,
                visible=leaders,
                also_current=("health_recompute_detail",),
            )
        )
        register_nav_entry(
            NavEntry(
                section="Leaders",
                label="Health model quality",
                url_name="health_quality",
                order=61,
                visible=leaders,
                also_current=("health_quality_renewals",),
            )
        )
        register_nav_entry(
            NavEntry(
                section="Workspace",
                label="Health models",
                url_name="health_models",
                order=40,
                visible=leaders,
                also_current=("health_model_edit", "health_model_create"),
            )
        )
        snapshots_recomputed.connect(on_snapshots_recomputed, dispatch_uid="health-backtests")
        demo_step_register(demo_health_signals_build)
        demo_step_register(demo_health_history_build)
