import pytest
from django.core.management import CommandError, call_command

from csos.models import AuditEvent, Membership, Role, Workspace

STRONG = "a-long-enough-passphrase"


def _create(*extra):
    call_command(
        "workspace_create",
        "--name",
        "Acme Corp",
        "--slug",
        "acme",
        "--admin-email",
        "Ops@Acme.example",
        *extra,
    )


@pytest.mark.django_db
def test_it_opens_a_workspace_with_its_first_admin():
    _create("--password", STRONG, "--currency", "eur", "--time-zone", "Europe/Berlin")
    workspace = Workspace.objects.get(slug="acme")
    assert (workspace.name, workspace.default_currency, workspace.time_zone) == (
        "Acme Corp",
        "EUR",
        "Europe/Berlin",
    )
    admin = Membership.dangerously_unscoped.get(workspace=workspace)
    assert (admin.user.email, admin.role) == ("ops@acme.example", Role.ADMIN)
    assert admin.user.check_password(STRONG)
    actions = set(
        AuditEvent.dangerously_unscoped.filter(workspace=workspace).values_list("action", flat=True)
    )
    assert actions == {"workspace.create", "membership.add"}


@pytest.mark.django_db
def test_it_makes_an_existing_user_admin_without_touching_their_password(charlie):
    call_command(
        "workspace_create", "--name", "Second", "--slug", "second", "--admin-email", charlie.email
    )
    charlie.refresh_from_db()
    assert Membership.dangerously_unscoped.filter(user=charlie, workspace__slug="second").exists()
    assert charlie.has_usable_password()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "arguments, field",
    [
        (["--slug", "has spaces"], "slug"),
        (["--password", "123"], "password"),
        (["--currency", "dollars"], "ISO 4217"),
        (["--time-zone", "Mars/Olympus_Mons"], "time_zone"),
    ],
)
def test_it_names_what_is_wrong_and_creates_nothing(arguments, field):
    options = {
        "--name": "Acme",
        "--slug": "acme",
        "--admin-email": "ops@acme.example",
        "--password": STRONG,
    }
    options.update(dict(zip(arguments[::2], arguments[1::2], strict=True)))
    with pytest.raises(CommandError, match=field):
        call_command("workspace_create", *[part for pair in options.items() for part in pair])
    assert not Workspace.objects.exists()


@pytest.mark.django_db
def test_it_refuses_a_slug_in_use(alpha):
    with pytest.raises(CommandError, match="slug"):
        call_command(
            "workspace_create",
            "--name",
            "Again",
            "--slug",
            "alpha",
            "--admin-email",
            "x@example.com",
            "--password",
            STRONG,
        )
    assert Workspace.objects.count() == 1
