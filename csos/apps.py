from django.apps import AppConfig


def _admins(membership) -> bool:
    return membership.is_admin


def register_navigation() -> None:
    """The core's own pages in the sidebar: workspace administration and integrations."""
    from csos.panels import NavEntry, register_nav_entry

    workspace = [
        ("Members", "member_list", 10),
        ("Settings", "workspace_settings", 11),
        ("Exchange rates", "exchange_rate_list", 12),
        ("Audit log", "audit_log", 90),
    ]
    for label, url_name, order in workspace:
        register_nav_entry(
            NavEntry(
                section="Workspace", label=label, url_name=url_name, order=order, visible=_admins
            )
        )
    integrations = [
        NavEntry(
            section="Integrations",
            label="API tokens",
            url_name="api_token_list",
            order=80,
            visible=_admins,
        ),
        NavEntry(
            section="Integrations",
            label="Import mappings",
            url_name="import_mapping_list",
            order=85,
            visible=_admins,
            also_current=("import_mapping_change",),
        ),
        NavEntry(
            section="Integrations",
            label="Webhooks and chat",
            url_name="webhook_list",
            order=87,
            visible=_admins,
            also_current=("webhook_detail",),
        ),
        NavEntry(section="Integrations", label="My alerts", url_name="personal_channels", order=88),
        NavEntry(section="Integrations", label="API reference", url_name="api_docs", order=90),
    ]
    for entry in integrations:
        register_nav_entry(entry)


class CsosConfig(AppConfig):
    name = "csos"
    verbose_name = "CSOS core"

    def ready(self) -> None:
        register_navigation()
