from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, UsernameField

from csos.models import Membership, Role, Workspace
from csos.services import password_reset_email_claim


class MemberAddForm(forms.Form):
    email = forms.EmailField()
    full_name = forms.CharField(max_length=150, required=False, label="Full name")
    role = forms.ChoiceField(choices=Role.choices, initial=Role.CSM)
    password = forms.CharField(
        widget=forms.PasswordInput,
        required=False,
        help_text="Needed only for a person new to CSOS; share it with them to sign in.",
    )

    def clean_password(self):
        password = self.cleaned_data.get("password")
        if password:
            password_validation.validate_password(password)
        return password


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


def scoped_choice_queryset(model):
    """The rows a choice field may offer: the workspace's own, or for users, its members."""
    from django.contrib.auth import get_user_model

    from csos.models import TenantModel
    from csos.tenancy import current_workspace

    if issubclass(model, TenantModel):
        return model.objects.all()
    if model is get_user_model():
        return model.objects.filter(memberships__workspace=current_workspace()).order_by(
            "first_name", "last_name", "email"
        )
    raise TypeError(f"{model.__name__} has no workspace scope to offer choices from.")


class ScopedModelForm(forms.ModelForm):
    """A model form whose related-object choices come only from the workspace in scope."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, forms.ModelChoiceField):
                field.queryset = scoped_choice_queryset(field.queryset.model)


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
        # Django already matches the address case-insensitively and leaves out inactive users
        # and unusable passwords; the claim keeps this public form from flooding an inbox.
        return (user for user in super().get_users(email) if password_reset_email_claim(user=user))
