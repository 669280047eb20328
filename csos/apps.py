from django.apps import AppConfig


class CsosConfig(AppConfig):
    name = "csos"
    verbose_name = "CSOS core"

    def ready(self) -> None:
        from csos.panels import NavEntry, register_nav_entry

        def admins(membership) -> bool:
            return membership.is_admin

        for order, (label, url_name) in enumerate(
            [
                ("Members", "member_list"),
                ("Settings", "workspace_settings"),
                ("Exchange rates", "exchange_rate_list"),
            ],
            start=10,
        ):
            register_nav_entry(
                NavEntry(
                    section="Workspace", label=label, url_name=url_name, order=order, visible=admins
                )
            )
        register_nav_entry(
            NavEntry(
                section="Workspace",
                label="Audit log",
                url_name="audit_log",
                order=90,
                visible=admins,
            )
        )
        register_nav_entry(
            NavEntry(
                section="Integrations",
                label="API tokens",
                url_name="api_token_list",
                order=80,
                visible=admins,
            )
        )
        register_nav_entry(
            NavEntry(
                section="Integrations",
                label="Import mappings",
                url_name="import_mapping_list",
                order=85,
                visible=admins,
                also_current=("import_mapping_change",),
            )
        )
        register_nav_entry(
            NavEntry(
                section="Integrations",
                label="Webhooks and chat",
                url_name="webhook_list",
                order=87,
                visible=admins,
                also_current=("webhook_detail",),
            )
        )
        register_nav_entry(
            NavEntry(
                section="Integrations", label="My alerts", url_name="personal_channels", order=88
            )
        )
        register_nav_entry(
            NavEntry(section="Integrations", label="API reference", url_name="api_docs", order=90)
        )
