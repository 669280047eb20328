import unicodedata

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, UsernameField

from csos.models import Membership, Role, Workspace
from csos.scoping import WorkspaceScopedFieldsMixin
from csos.services import password_reset_email_claim


class MemberAddForm(forms.Form):
    """Add a person by e-mail address. A person new to CSOS chooses their own password."""

    email = forms.EmailField()
    full_name = forms.CharField(max_length=150, required=False, label="Full name")
    role = forms.ChoiceField(choices=Role.choices, initial=Role.CSM)


class MemberRoleForm(forms.ModelForm):
    class Meta:
        model = Membership
        fields = ["role"]


def currency_code(value: str) -> str:
    """A currency as its upper-case ISO 4217 code, or a ValidationError saying what is expected."""
    code = value.strip().upper()
    if len(code) != 3 or not code.isalpha():
        raise forms.ValidationError("Use a three-letter ISO 4217 code such as USD or EUR.")
    return code


class WorkspaceSettingsForm(forms.Form):
    name = forms.CharField(max_length=Workspace._meta.get_field("name").max_length)
    default_currency = forms.CharField(max_length=3, label="Default currency")

    def clean_default_currency(self):
        return currency_code(self.cleaned_data["default_currency"])


class ScopedModelForm(WorkspaceScopedFieldsMixin, forms.ModelForm):
    """A model form whose related-object choices come only from the workspace in scope."""


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


class _InvitationForm(PasswordResetForm):
    """Django's reset e-mail, addressed to one known user instead of whoever has the address."""

    def __init__(self, user):
        super().__init__({"email": user.email})
        self.invited_user = user

    def get_users(self, email):
        return [self.invited_user]


def invitation_send(*, request, membership: Membership) -> None:
    """E-mail the member a one-use link to choose their password and sign in.

    The link is a password-reset link, valid for PASSWORD_RESET_TIMEOUT; once it has expired
    the member asks for a new one with "Forgot your password?".
    """
    form = _InvitationForm(membership.user)
    form.full_clean()
    form.save(
        request=request,
        use_https=request.is_secure(),
        subject_template_name="registration/invitation_subject.txt",
        email_template_name="registration/invitation_email.txt",
        extra_email_context={
            "inviter": request.user,
            "workspace_name": membership.workspace.name,
            **RESET_LINK_LIFETIME,
        },
    )
