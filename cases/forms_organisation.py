"""Forms of the organisation pages: they check the shape of input; the services in
``cases.services.organisation`` check the rules (unique names, who may join, self-lockout)."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from cases.models import ADVOCATES, MANAGERS, Department, Team, TeamMembership

GROUP_CHOICES = [(ADVOCATES, _("Advocate")), (MANAGERS, _("Manager"))]


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, user) -> str:
        name = user.get_full_name()
        return f"{name} ({user.get_username()})" if name else user.get_username()


class ServiceErrorsMixin:
    """The service's errors, keyed by model field, on the form's fields."""

    def add_service_errors(self, error: ValidationError) -> None:
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for field, errors in error.error_dict.items():
            self.add_error(field if field in self.fields else None, errors)


class DepartmentForm(ServiceErrorsMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What the department is responsible for."),
    )


class TeamForm(ServiceErrorsMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=Team.Kind,
        widget=forms.RadioSelect,
        initial=Team.Kind.ADVOCACY,
        help_text=_(
            "The advocacy team works the customers' cases; a coordinating team "
            "carries advocacy across the departments."
        ),
    )
    department = forms.ModelChoiceField(
        label=_("Department"),
        queryset=Department.objects.order_by("name"),
        required=False,
        empty_label=_("No department"),
    )
    email = forms.EmailField(
        label=_("Team address"),
        required=False,
        help_text=_("Reply-to address for customer emails from this team's cases."),
    )


class AddMemberForm(ServiceErrorsMixin, forms.Form):
    user = StaffChoiceField(
        label=_("Staff member"), queryset=get_user_model().objects.none(), empty_label=_("Choose…")
    )
    role = forms.ChoiceField(
        label=_("Role"), choices=TeamMembership.Role, initial=TeamMembership.Role.MEMBER
    )

    def __init__(self, *args, candidates: QuerySet, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = candidates


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=TeamMembership.Role)


class NewStaffForm(ServiceErrorsMixin, forms.Form):
    username = forms.CharField(
        label=_("Username"), max_length=150, help_text=_("What they sign in with.")
    )
    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    email = forms.EmailField(label=_("Email"))
    groups = forms.MultipleChoiceField(
        label=_("Access"),
        choices=GROUP_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        initial=[ADVOCATES],
        help_text=_("Advocates work cases; managers also decide remedies and set up the desk."),
    )
    password = forms.CharField(
        label=_("Initial password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("Hand it over in person; they can change it after signing in."),
    )
    team = forms.ModelChoiceField(
        label=_("Team"),
        queryset=Team.objects.order_by("name"),
        required=False,
        empty_label=_("No team yet"),
    )
    role = forms.ChoiceField(
        label=_("Role in the team"), choices=TeamMembership.Role, initial=TeamMembership.Role.MEMBER
    )


class StaffAccessForm(ServiceErrorsMixin, forms.Form):
    groups = forms.MultipleChoiceField(
        label=_("Access"),
        choices=GROUP_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    is_active = forms.BooleanField(
        label=_("Active"),
        required=False,
        help_text=_("An inactive account cannot sign in; its cases and history stay."),
    )
