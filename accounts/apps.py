from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"

    def ready(self) -> None:
        from accounts.captures import captures_panel
        from accounts.csv_import import ACCOUNT_SPEC
        from accounts.import_pages import ACCOUNT_PAGES
        from accounts.imports import account_import_mapping_choices
        from accounts.models import Segment
        from csos.imports.registry import register_import
        from csos.panels import NavEntry, Panel, register_nav_entry, register_panel
        from csos.webhooks.forms import register_segment_choices

        register_import(
            ACCOUNT_SPEC,
            choices=account_import_mapping_choices,
            check_task="accounts.tasks.account_import_check_task",
            commit_task="accounts.tasks.account_import_commit_task",
            pages=ACCOUNT_PAGES,
        )
        register_segment_choices(Segment.choices)
        register_panel(
            Panel(
                page="account",
                key="value_capture",
                title="Value captured",
                template="accounts/panels/value_capture.html",
                context=captures_panel,
                order=90,
                query_budget=1,
            )
        )

        register_nav_entry(
            NavEntry(section="Customers", label="Portfolio", url_name="portfolio", order=10)
        )
        register_nav_entry(
            NavEntry(section="Customers", label="Retention", url_name="retention", order=20)
        )
        register_nav_entry(
            NavEntry(
                section="Customers",
                label="Import accounts",
                url_name="account_import",
                order=80,
                visible=lambda membership: membership.sees_all_portfolios,
                also_current=("account_import_detail",),
            )
        )
