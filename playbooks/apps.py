from django.apps import AppConfig


class PlaybooksConfig(AppConfig):
    name = "playbooks"

    def ready(self) -> None:
        from accounts.demo import demo_step_register
        from csos.panels import NavEntry, Panel, register_nav_entry, register_panel
        from health.signals import snapshots_recomputed
        from playbooks.demo import demo_playbooks_run
        from playbooks.selectors import account_tasks_panel, portfolio_tasks_panel
        from playbooks.tasks import on_snapshots_recomputed

        demo_step_register(demo_playbooks_run)
        snapshots_recomputed.connect(
            on_snapshots_recomputed, dispatch_uid="playbooks-band-triggers"
        )
        register_nav_entry(
            NavEntry(section="Customers", label="My tasks", url_name="my_tasks", order=15)
        )
        register_nav_entry(
            NavEntry(
                section="Customers",
                label="Attention queue",
                url_name="attention_queue",
                order=5,
            )
        )
        register_nav_entry(
            NavEntry(
                section="Customers",
                label="Pooled queue",
                url_name="pooled_queue",
                order=16,
                # Pooled CSMs reach it from their queue: a sidebar check would cost a query
                # on every page.
                visible=lambda membership: membership.sees_all_portfolios,
            )
        )
        register_nav_entry(
            NavEntry(
                section="Workspace",
                label="Attention weights",
                url_name="attention_settings",
                order=46,
                visible=lambda membership: membership.sees_all_portfolios,
            )
        )
        register_panel(
            Panel(
                page="account",
                key="tasks",
                title="Open tasks",
                template="playbooks/panels/account_tasks.html",
                context=account_tasks_panel,
                order=15,
                query_budget=1,
            )
        )
        register_nav_entry(
            NavEntry(
                section="Workspace",
                label="Playbooks",
                url_name="playbook_settings",
                order=45,
                visible=lambda membership: membership.is_admin,
            )
        )
        register_panel(
            Panel(
                page="portfolio",
                key="tasks",
                title="My open tasks",
                template="playbooks/panels/tasks.html",
                context=portfolio_tasks_panel,
                order=10,
                query_budget=1,
            )
        )
