from django.apps import AppConfig


class StakeholdersConfig(AppConfig):
    name = "stakeholders"

    def ready(self) -> None:
        from accounts.demo import demo_step_register
        from csos.imports.registry import register_batch_import
        from csos.panels import NavEntry, register_nav_entry, register_panel
        from stakeholders.demo import demo_stakeholders_rebuild
        from stakeholders.panels import ACCOUNT_PANELS
        from stakeholders.people_import import STAKEHOLDER_CSV

        demo_step_register(demo_stakeholders_rebuild)
        register_batch_import(STAKEHOLDER_CSV)
        for panel in ACCOUNT_PANELS:
            register_panel(panel)
        register_nav_entry(
            NavEntry(
                section="Workspace",
                label="Stakeholder model",
                url_name="stakeholder_model_settings",
                order=40,
                visible=lambda membership: membership.is_admin,
            )
        )
