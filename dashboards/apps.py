from django.apps import AppConfig


def _sees_all_portfolios(membership) -> bool:
    return membership.sees_all_portfolios


class DashboardsConfig(AppConfig):
    """Leader pages that compose several apps. They read other apps' selectors only, own no
    models, and no other app imports them: the top of the layer order."""

    name = "dashboards"

    def ready(self) -> None:
        from csos.panels import NavEntry, register_nav_entry

        register_nav_entry(
            NavEntry(
                section="Leaders",
                label="Cockpit",
                url_name="cockpit",
                order=1,
                visible=_sees_all_portfolios,
                also_current=("cockpit_accounts",),
            )
        )
        register_nav_entry(
            NavEntry(
                section="Leaders",
                label="Renewal forecast",
                url_name="renewal_forecast",
                order=5,
                visible=_sees_all_portfolios,
            )
        )
        register_nav_entry(
            NavEntry(
                section="Leaders",
                label="CSM load",
                url_name="csm_load",
                order=10,
                visible=_sees_all_portfolios,
            )
        )
        register_nav_entry(
            NavEntry(
                section="Leaders",
                label="Value captured",
                url_name="value_capture_counts",
                order=20,
                visible=lambda membership: membership.sees_all_portfolios,
            )
        )
