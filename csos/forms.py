import unicodedata

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, UsernameField
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.mail import EmailMultiAlternatives
from django.template import loader
from django.urls import reverse

from csos.currencies import CURRENCY_CHOICES, currency_problem
from csos.models import ApiScope, Invitation, Membership, Role, Workspace
from csos.scoping import WorkspaceScopedFieldsMixin
from csos.services import password_reset_email_claim
from csos.services.invitations import invitation_token
from csos.widgets import DateInput
from csos.zones import time_zone_names


class ServiceErrorsMixin:
    """A form on which a service's ValidationError always lands, never a 500.

    ``form.add_error(None, error)`` with a service's error: an error about a field the form
    shows lands on that field, one about a service argument the form asks for under another
    name (``service_field_names``, service argument → form field) lands on that field, and any
    other lands above the form. Django's own ``add_error`` raises ValueError ("has no field
    named ...") for the last two.
    """

    service_field_names: dict[str, str] = {}

    def add_error(self, field, error):
        if not isinstance(error, ValidationError):
            error = ValidationError(error)
        if field is not None or not hasattr(error, "error_dict"):
            return super().add_error(field, error)
        for name, errors in error.error_dict.items():
            target = self.service_field_names.get(name, name)
            if target != NON_FIELD_ERRORS and target not in self.fields:
                target = None
            super().add_error(target, errors)
        return None


class MemberInviteForm(ServiceErrorsMixin, forms.Form):
    """Invite a person by e-mail address: they choose their own name and password on accepting."""

    email = forms.EmailField(label="E-mail address")
    role = forms.ChoiceField(choices=Role.choices, initial=Role.CSM)


class InvitationAcceptForm(forms.Form):
    """A person new to CSOS accepts an invitation by naming themselves and choosing a password."""

    full_name = forms.CharField(max_length=150, label="Your name")
    new_password1 = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    new_password2 = forms.CharField(
        label="Password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, email: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.email = email

    def clean(self):
        cleaned = super().clean()
        first, second = cleaned.get("new_password1"), cleaned.get("new_password2")
        if first and second and first != second:
            self.add_error("new_password2", "The two passwords differ.")
        elif first:
            user_model = get_user_model()
            try:
                password_validation.validate_password(
                    first, user_model(email=self.email, username=self.email)
                )
            except forms.ValidationError as error:
                self.add_error("new_password1", error)
        return cleaned


class MemberRoleForm(forms.ModelForm):
    class Meta:
        model = Membership
        fields = ["role"]


def currency_code(value: str) -> str:
    """A currency as its upper-case ISO 4217 code, or a ValidationError saying what is expected."""
    problem = currency_problem(value)
    if problem:
        raise forms.ValidationError(problem, code="invalid_currency")
    return value.strip().upper()


class CurrencyField(forms.ChoiceField):
    """A select of the ISO 4217 currencies; a code posted in any case is taken as its own."""

    def __init__(self, **kwargs):
        super().__init__(choices=CURRENCY_CHOICES, **kwargs)

    def to_python(self, value) -> str:
        value = super().to_python(value)
        return value.strip().upper() if value and value.isascii() else value

    def validate(self, value) -> None:
        if value in self.empty_values:
            super().validate(value)
        else:
            currency_code(value)


class WorkspaceSettingsForm(ServiceErrorsMixin, forms.Form):
    name = forms.CharField(max_length=Workspace._meta.get_field("name").max_length)
    default_currency = CurrencyField(label="Default currency")
    time_zone = forms.ChoiceField(
        label="Time zone",
        choices=lambda: [(name, name) for name in sorted(time_zone_names())],
        help_text=Workspace._meta.get_field("time_zone").help_text,
        error_messages={
            "invalid_choice": "%(value)s is not an IANA time zone name; choose one such as "
            "Europe/Berlin, America/New_York or UTC."
        },
    )


class ExchangeRateForm(ServiceErrorsMixin, forms.Form):
    """A dated rate; the rules (above zero, not the workspace's currency) are the service's."""

    currency = CurrencyField()
    rate = forms.DecimalField(
        label="Rate to the workspace's currency",
        max_digits=18,
        decimal_places=8,
        help_text="What one unit of the currency is worth in the workspace's currency.",
    )
    valid_from = forms.DateField(label="Valid from", widget=DateInput())


class ScopedModelForm(ServiceErrorsMixin, WorkspaceScopedFieldsMixin, forms.ModelForm):
    """A model form whose related-object choices come only from the workspace in scope, and on
    which a service's errors land."""


class EmailAuthenticationForm(AuthenticationForm):
    """Sign-in by e-mail address: CSOS usernames are the members' addresses, in lower case."""

    username = UsernameField(
        label="E-mail address", widget=forms.EmailInput(attrs={"autofocus": True})
    )

    def clean_username(self) -> str:
        return self.cleaned_data["username"].strip().lower()


class EmailPasswordResetForm(PasswordResetForm):
    """Ask for a password-reset link by the e-mail address one signs in with, in any case."""

    email = forms.EmailField(
        label="E-mail address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )

    def get_users(self, email):
        # Django leaves out users with an unusable password. In CSOS that is a person invited
        # who has not chosen a password yet, so they too get a link: without it an expired
        # invitation would shut them out for good. The claim keeps this public form from
        # flooding an inbox.
        user_model = get_user_model()
        email_field = user_model.get_email_field_name()
        candidates = user_model._default_manager.filter(
            **{f"{email_field}__iexact": email, "is_active": True}
        )
        return (
            user
            for user in candidates
            if same_email_address(email, getattr(user, email_field))
            and password_reset_email_claim(user=user)
        )


def same_email_address(first: str, second: str) -> bool:
    """Compare addresses as Django's reset form does (Unicode TR 36, 2.11.2(B)(2)).

    The database's case-insensitive match can pair addresses that differ in characters such as
    the Turkish dotless i (CVE-2019-19844); this leaves those out.
    """
    return (
        unicodedata.normalize("NFKC", first).casefold()
        == unicodedata.normalize("NFKC", second).casefold()
    )


# Reset and invitation e-mails, and the page after a reset request, say how long the link works.
RESET_LINK_LIFETIME = {"link_valid_hours": settings.PASSWORD_RESET_TIMEOUT // (60 * 60)}


class _OneUserResetForm(PasswordResetForm):
    """Django's reset e-mail, addressed to one known user instead of whoever has the address."""

    def __init__(self, user):
        super().__init__({"email": user.email})
        self.invited_user = user

    def get_users(self, email):
        return [self.invited_user]


def invitation_send(*, request, invitation: Invitation) -> None:
    """E-mail the invited address a signed link to accept, valid for PASSWORD_RESET_TIMEOUT.

    The e-mail is the same whether or not the address already uses CSOS: the accept page asks
    a known person to sign in and a new one to choose a password.
    """
    path = reverse("invitation_accept", args=[invitation_token(invitation=invitation)])
    context = {
        "inviter": request.user,
        "workspace_name": invitation.workspace.name,
        "role": invitation.get_role_display(),
        "link": request.build_absolute_uri(path),
        **RESET_LINK_LIFETIME,
    }
    subject = loader.render_to_string("registration/invitation_subject.txt", context)
    body = loader.render_to_string("registration/invitation_email.txt", context)
    EmailMultiAlternatives(" ".join(subject.splitlines()), body, to=[invitation.email]).send()


def password_reset_send(*, request, user) -> None:
    """E-mail ``user`` the same one-use link "Forgot your password?" sends."""
    form = _OneUserResetForm(user)
    form.full_clean()
    form.save(
        request=request,
        use_https=request.is_secure(),
        email_template_name="registration/password_reset_email.txt",
        subject_template_name="registration/password_reset_subject.txt",
        extra_email_context=RESET_LINK_LIFETIME,
    )


class ApiTokenForm(ServiceErrorsMixin, forms.Form):
    service_field_names = {"expires_at": "expires_on"}

    name = forms.CharField(max_length=100, help_text="Which integration uses it, e.g. CRM sync.")
    scopes = forms.MultipleChoiceField(
        choices=ApiScope.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=[ApiScope.INGEST],
        help_text="Ingest pushes batches; read and write use the rest of the API.",
    )
    expires_on = forms.DateField(
        required=False,
        label="Expires on",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Optional. The token stops working at the start of that day (UTC).",
    )
