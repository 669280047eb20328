from django.apps import AppConfig


class PlaybooksConfig(AppConfig):
    name = "playbooks"

    def ready(self) -> None:
        from accounts.demo import demo_step_register
        from accounts.signals import accounts_created
        from csos.panels import NavEntry, Panel, register_nav_entry, register_panel
        from health.signals import snapshots_recomputed
        from playbooks.demo import demo_playbooks_run
        from playbooks.segments.selectors import account_segment_panel
        from playbooks.segments.tasks import on_accounts_created
        from playbooks.selectors import (
            account_brief_panel,
            account_tasks_panel,
            portfolio_tasks_panel,
        )
        from playbooks.tasks import on_snapshots_recomputed

        demo_step_register(demo_playbooks_run)
        snapshots_recomputed.connect(
            on_snapshots_recomputed, dispatch_uid="playbooks-band-triggers"
        )
        accounts_created.connect(on_accounts_created, dispatch_uid="playbooks-segment-new-accounts")
        register_nav_entry(
            NavEntry(
                section="Workspace",
                label="Segment rules",
                url_name="segment_rules",
                order=46,
                visible=lambda membership: membership.is_admin,
                also_current=(
                    "segment_rule_create",
                    "segment_rule_edit",
                    "segmentation_run_detail",
                ),
            )
        )
        register_panel(
            Panel(
                page="account",
                key="segment",
                title="Motion and value problem",
                template="playbooks/panels/segment.html",
                context=account_segment_panel,
                order=18,
                query_budget=1,
            )
        )
        register_nav_entry(
            NavEntry(section="Customers", label="My tasks", url_name="my_tasks", order=15)
        )
        register_nav_entry(
            NavEntry(section="Workspace", label="My digest", url_name="digest_settings", order=90)
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
        register_panel(
            Panel(
                page="prep",
                key="brief",
                title="Account brief",
                template="playbooks/panels/brief.html",
                context=account_brief_panel,
                order=5,
                query_budget=16,
            )
        )
