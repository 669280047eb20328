"""The value app's registrations with the lower layers: account-page and prep panels,
navigation, the proven level in the portfolio and the API, the evidence change log the
relationship flags read, its subscribers and demo step.

Each is a function called from ``ready()``; they import lazily, as the app registry is still
loading when this module is imported.
"""

from django.apps import AppConfig


def register_panels() -> None:
    from csos.panels import Panel, register_panel
    from value.panels import prep_value_panel, retention_artifact_panel, value_ladder_panel

    panels = (
        (
            "account",
            "retention-artifact",
            "Retention artifact",
            "retention_artifact.html",
            retention_artifact_panel,
            10,
            3,
        ),
        (
            "prep",
            "proven-value",
            "Proven value and disputed claims",
            "prep_value.html",
            prep_value_panel,
            10,
            4,
        ),
        ("account", "value-ladder", "Value ladder", "ladder.html", value_ladder_panel, 12, 2),
    )
    for page, key, title, template, context, order, budget in panels:
        register_panel(
            Panel(
                page=page,
                key=key,
                title=title,
                template=f"value/panels/{template}",
                context=context,
                order=order,
                query_budget=budget,
            )
        )


def register_navigation() -> None:
    from csos.panels import NavEntry, register_nav_entry

    register_nav_entry(
        NavEntry(
            section="Leaders",
            label="Value coverage",
            url_name="value_coverage",
            order=30,
            visible=lambda membership: membership.sees_all_portfolios,
        )
    )
    register_nav_entry(
        NavEntry(section="Customers", label="Value framework", url_name="value_framework", order=40)
    )


def register_proven_level() -> None:
    """The highest proven level, as a portfolio column and a field of the accounts API."""
    from rest_framework import serializers

    from csos.api.annotations import ApiAnnotation, register_api_annotation
    from csos.panels import PortfolioColumn, register_portfolio_column
    from value.selectors import LEVEL_CHOICES, highest_level_subquery

    register_portfolio_column(
        PortfolioColumn(
            key="proven_level",
            label="Proven level",
            annotation=highest_level_subquery,
            choices=LEVEL_CHOICES,
            order=10,
        )
    )
    register_api_annotation(
        ApiAnnotation(
            model="accounts.Account",
            key="proven_level",
            annotation=highest_level_subquery,
            field=lambda: serializers.IntegerField(
                read_only=True,
                help_text="The highest value-ladder level reached over the account's use "
                "cases: 1 presence, 2 engagement, 3 use-case value, 4 ROI; 0 for none.",
            ),
            order=10,
        )
    )


def register_evidence_change_log() -> None:
    """A changed claim clears the relationship theatre flag stakeholders raise."""
    from stakeholders.change_logs import ChangeLog, register_change_log
    from value.models import EvidenceChange

    register_change_log(
        ChangeLog(model=EvidenceChange, account_path="evidence__account", day_path="at__date")
    )


def register_subscribers_and_demo_step() -> None:
    from accounts.demo import demo_step_register
    from accounts.signals import stakeholder_erased, stakeholders_changed
    from value.demo import demo_value_build

    demo_step_register(demo_value_build)
    stakeholders_changed.connect(
        ladder_refresh_for_people, dispatch_uid="value.ladder_refresh_for_people"
    )
    stakeholder_erased.connect(confirmer_erase_for_people, dispatch_uid="value.confirmer_erase")


class ValueConfig(AppConfig):
    name = "value"

    def ready(self) -> None:
        from csos.imports.registry import register_batch_import
        from value.usage_import import USAGE_CSV

        register_batch_import(USAGE_CSV)
        register_panels()
        register_navigation()
        register_proven_level()
        register_evidence_change_log()
        register_subscribers_and_demo_step()


def ladder_refresh_for_people(*, account_ids, **kwargs) -> None:
    """A stakeholder's role or standing changed: re-derive those accounts' stored ladders in the
    same transaction (see ``accounts.signals``)."""
    from value.services import ladder_refresh

    ladder_refresh(account_ids=account_ids)


def confirmer_erase_for_people(*, stakeholder_id, needles, replacement, **kwargs) -> None:
    """A person was erased on request: scrub value's copies of their name and e-mail."""
    from value.services import confirmer_erase

    confirmer_erase(stakeholder_id=stakeholder_id, needles=needles, replacement=replacement)
