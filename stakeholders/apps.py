from django.apps import AppConfig


class StakeholdersConfig(AppConfig):
    name = "stakeholders"

    def ready(self) -> None:
        from accounts.demo import demo_step_register
        from stakeholders.demo import demo_stakeholders_rebuild

        demo_step_register(demo_stakeholders_rebuild)
