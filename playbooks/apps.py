from django.apps import AppConfig


class PlaybooksConfig(AppConfig):
    name = "playbooks"

    def ready(self) -> None:
        from csos.panels import NavEntry, register_nav_entry
        from health.signals import snapshots_recomputed
        from playbooks.tasks import on_snapshots_recomputed

        snapshots_recomputed.connect(
            on_snapshots_recomputed, dispatch_uid="playbooks-band-triggers"
        )
        register_nav_entry(
            NavEntry(section="Customers", label="My tasks", url_name="my_tasks", order=15)
        )
