import getpass

from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.validators import validate_email, validate_slug

from csos.forms import currency_code
from csos.services import workspace_create


class Command(BaseCommand):
    help = "Open a workspace for a company, with its first admin."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", required=True, help="the company's name")
        parser.add_argument("--slug", required=True, help="short unique key, e.g. acme")
        parser.add_argument("--admin-email", required=True, help="the first admin's e-mail")
        parser.add_argument("--currency", default="USD", help="default ARR currency (ISO 4217)")
        parser.add_argument(
            "--time-zone",
            default="UTC",
            help="IANA time zone whose days events and usage fall in, e.g. Europe/Berlin",
        )
        parser.add_argument(
            "--password",
            help="the admin's password, for a person new to CSOS (asked for when omitted)",
        )

    def handle(self, *args, **options) -> None:
        email = options["admin_email"].strip().lower()
        try:
            validate_slug(options["slug"])
            validate_email(email)
            currency = currency_code(options["currency"])
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        password = None
        if not get_user_model().objects.filter(email__iexact=email).exists():
            password = options["password"] or self._ask_password()
            try:
                password_validation.validate_password(password)
            except ValidationError as error:
                raise CommandError("password: " + " ".join(error.messages)) from None
        try:
            workspace = workspace_create(
                name=options["name"],
                slug=options["slug"],
                admin_email=email,
                admin_password=password,
                default_currency=currency,
                time_zone=options["time_zone"],
            )
        except ValidationError as error:
            raise CommandError(
                "; ".join(
                    f"{field}: {' '.join(msgs)}" for field, msgs in error.message_dict.items()
                )
            ) from None
        self.stdout.write(
            self.style.SUCCESS(f"Workspace {workspace.name!r} ({workspace.slug}) is open.")
            + f"\nSign in as {email}; add the team at /settings/members/."
        )

    def _ask_password(self) -> str:
        first = getpass.getpass("Password for the new admin: ")
        if first != getpass.getpass("Password (again): "):
            raise CommandError("password: the two entries differ.")
        return first
