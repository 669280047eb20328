"""The playbooks app's registrations with the lower layers: account, portfolio and prep panels,
navigation, its subscribers and demo step.

Each is a function called from ``ready()``; they import lazily, as the app registry is still
loading when this module is imported.
"""

from django.apps import AppConfig


def register_panels() -> None:
    from csos.panels import Panel, register_panel
    from playbooks.segments.selectors import account_segment_panel
    from playbooks.selectors import (
        account_brief_panel,
        account_tasks_panel,
        portfolio_tasks_panel,
    )

    panels = (
        (
            "account",
            "segment",
            "Motion and value problem",
            "segment.html",
            account_segment_panel,
            18,
            1,
        ),
        ("account", "tasks", "Open tasks", "account_tasks.html", account_tasks_panel, 15, 1),
        ("portfolio", "tasks", "My open tasks", "tasks.html", portfolio_tasks_panel, 10, 1),
        ("prep", "brief", "Account brief", "brief.html", account_brief_panel, 5, 16),
    )
    for page, key, title, template, context, order, budget in panels:
        register_panel(
            Panel(
                page=page,
                key=key,
                title=title,
                template=f"playbooks/panels/{template}",
                context=context,
                order=order,
                query_budget=budget,
            )
        )


def register_navigation() -> None:
    from csos.panels import NavEntry, register_nav_entry

    def admins(membership) -> bool:
        return membership.is_admin

    def leaders(membership) -> bool:
        return membership.sees_all_portfolios

    entries = (
        NavEntry(section="Customers", label="Attention queue", url_name="attention_queue", order=5),
        NavEntry(section="Customers", label="My tasks", url_name="my_tasks", order=15),
        # Pooled CSMs reach it from their queue: a sidebar check would cost a query on every
        # page.
        NavEntry(
            section="Customers",
            label="Pooled queue",
            url_name="pooled_queue",
            order=16,
            visible=leaders,
        ),
        NavEntry(
            section="Workspace",
            label="Playbooks",
            url_name="playbook_settings",
            order=45,
            visible=admins,
        ),
        NavEntry(
            section="Workspace",
            label="Segment rules",
            url_name="segment_rules",
            order=46,
            visible=admins,
            also_current=("segment_rule_create", "segment_rule_edit", "segmentation_run_detail"),
        ),
        NavEntry(
            section="Workspace",
            label="Attention weights",
            url_name="attention_settings",
            order=46,
            visible=leaders,
        ),
        NavEntry(section="Workspace", label="My digest", url_name="digest_settings", order=90),
    )
    for entry in entries:
        register_nav_entry(entry)


def register_subscribers_and_demo_step() -> None:
    from accounts.demo import demo_step_register
    from accounts.signals import accounts_created
    from health.signals import snapshots_recomputed
    from playbooks.demo import demo_playbooks_run
    from playbooks.segments.tasks import on_accounts_created
    from playbooks.tasks import on_snapshots_recomputed

    demo_step_register(demo_playbooks_run)
    snapshots_recomputed.connect(on_snapshots_recomputed, dispatch_uid="playbooks-band-triggers")
    accounts_created.connect(on_accounts_created, dispatch_uid="playbooks-segment-new-accounts")


class PlaybooksConfig(AppConfig):
    name = "playbooks"

    def ready(self) -> None:
        register_panels()
        register_navigation()
        register_subscribers_and_demo_step()
