"""The staff organisation for managers: departments, teams, their members and the staff
accounts, editable here rather than in the Django admin."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from cases.auth import manager_required
from cases.display import staff_name
from cases.forms_organisation import (
    AddMemberForm,
    DepartmentForm,
    NewStaffForm,
    RoleForm,
    StaffAccessForm,
    TeamForm,
)
from cases.models import ADVOCATES, MANAGERS, Department, Team, TeamMembership
from cases.selectors import organisation as selectors
from cases.services import organisation as services
from cases.views.partials import wants_fragment

FORM_PAGE = "cases/organisation_form.html"


def _form_page(
    request: HttpRequest,
    form,
    *,
    title: str,
    submit: str,
    cancel: str,
    delete_url: str = "",
    delete_question: str = "",
) -> HttpResponse:
    return render(
        request,
        FORM_PAGE,
        {
            "form": form,
            "title": title,
            "submit": submit,
            "cancel": cancel,
            "delete_url": delete_url,
            "delete_question": delete_question,
        },
    )


@require_GET
@manager_required
def organisation_page(request: HttpRequest) -> HttpResponse:
    return render(
        request, "cases/organisation.html", {"overview": selectors.organisation_overview()}
    )


# --- departments ------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@manager_required
def department_new_page(request: HttpRequest) -> HttpResponse:
    form = DepartmentForm(request.POST or None)
    if form.is_valid():
        try:
            department = services.create_department(**form.cleaned_data)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(
                request, _("The department “%(name)s” is created.") % {"name": department.name}
            )
            return redirect("cases:organisation")
    return _form_page(
        request,
        form,
        title=_("New department"),
        submit=_("Create department"),
        cancel="cases:organisation",
    )


@require_http_methods(["GET", "POST"])
@manager_required
def department_edit_page(request: HttpRequest, pk: int) -> HttpResponse:
    department = get_object_or_404(Department, pk=pk)
    form = DepartmentForm(
        request.POST or None,
        initial={"name": department.name, "description": department.description},
    )
    if form.is_valid():
        try:
            services.update_department(department=department, **form.cleaned_data)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("The department is saved."))
            return redirect("cases:organisation")
    return _form_page(
        request,
        form,
        title=_("Edit %(name)s") % {"name": department.name},
        submit=_("Save department"),
        cancel="cases:organisation",
        delete_url=reverse("cases:organisation-department-delete", args=[department.pk]),
        delete_question=_("Delete the department “%(name)s”?") % {"name": department.name},
    )


@require_POST
@manager_required
def department_delete(request: HttpRequest, pk: int) -> HttpResponse:
    department = get_object_or_404(Department, pk=pk)
    try:
        services.delete_department(department=department)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("cases:organisation-department-edit", pk=pk)
    messages.success(
        request, _("The department “%(name)s” is deleted.") % {"name": department.name}
    )
    return redirect("cases:organisation")


# --- teams ------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@manager_required
def team_new_page(request: HttpRequest) -> HttpResponse:
    form = TeamForm(
        request.POST or None, initial={"department": request.GET.get("department") or None}
    )
    if form.is_valid():
        try:
            team = services.create_team(**form.cleaned_data)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(
                request, _("The team “%(name)s” is created: add its members.") % {"name": team.name}
            )
            return redirect("cases:organisation-team", pk=team.pk)
    return _form_page(
        request, form, title=_("New team"), submit=_("Create team"), cancel="cases:organisation"
    )


@require_http_methods(["GET", "POST"])
@manager_required
def team_edit_page(request: HttpRequest, pk: int) -> HttpResponse:
    team = get_object_or_404(Team, pk=pk)
    form = TeamForm(
        request.POST or None,
        initial={
            "name": team.name,
            "kind": team.kind,
            "department": team.department_id,
            "email": team.email,
        },
    )
    if form.is_valid():
        try:
            services.update_team(team=team, **form.cleaned_data)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("The team is saved."))
            return redirect("cases:organisation-team", pk=team.pk)
    return _form_page(
        request,
        form,
        title=_("Edit %(name)s") % {"name": team.name},
        submit=_("Save team"),
        cancel="cases:organisation",
        delete_url=reverse("cases:organisation-team-delete", args=[team.pk]),
        delete_question=_("Delete the team “%(name)s” and its memberships?") % {"name": team.name},
    )


@require_POST
@manager_required
def team_delete(request: HttpRequest, pk: int) -> HttpResponse:
    team = get_object_or_404(Team, pk=pk)
    try:
        services.delete_team(team=team)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("cases:organisation-team", pk=pk)
    messages.success(request, _("The team “%(name)s” is deleted.") % {"name": team.name})
    return redirect("cases:organisation")


@require_http_methods(["GET", "POST"])
@manager_required
def team_page(request: HttpRequest, pk: int) -> HttpResponse:
    """The team and its members; POST adds a member."""
    team = get_object_or_404(selectors.teams(), pk=pk)
    form = AddMemberForm(request.POST or None, candidates=selectors.team_candidates(team=team))
    if form.is_valid():
        try:
            membership = services.add_team_member(team=team, **form.cleaned_data)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(
                request,
                _("%(user)s joins “%(team)s”.")
                % {"user": staff_name(membership.user), "team": team.name},
            )
            return redirect("cases:organisation-team", pk=team.pk)
    return render(
        request,
        "cases/organisation_team.html",
        {
            "team": team,
            "memberships": selectors.team_members(team=team),
            "form": form,
            "roles": TeamMembership.Role.choices,
        },
    )


@require_POST
@vary_on_headers("HX-Request")
@manager_required
def member_role(request: HttpRequest, pk: int) -> HttpResponse:
    membership = get_object_or_404(TeamMembership.objects.select_related("user", "team"), pk=pk)
    form = RoleForm(request.POST)
    if form.is_valid():
        membership = services.set_member_role(membership=membership, **form.cleaned_data)
        message = _("%(user)s is now %(role)s of “%(team)s”.") % {
            "user": staff_name(membership.user),
            "role": membership.get_role_display().lower(),
            "team": membership.team.name,
        }
    else:
        message = _("Choose member or lead.")
    if wants_fragment(request):
        return render(
            request,
            "cases/organisation_team.html#member-row",
            {"membership": membership, "roles": TeamMembership.Role.choices, "saved": message},
        )
    (messages.success if form.is_valid() else messages.error)(request, message)
    return redirect("cases:organisation-team", pk=membership.team_id)


@require_POST
@manager_required
def member_remove(request: HttpRequest, pk: int) -> HttpResponse:
    membership = get_object_or_404(TeamMembership.objects.select_related("user", "team"), pk=pk)
    services.remove_team_member(membership=membership)
    messages.success(
        request,
        _("%(user)s has left “%(team)s”.")
        % {"user": staff_name(membership.user), "team": membership.team.name},
    )
    return redirect("cases:organisation-team", pk=membership.team_id)


# --- staff ------------------------------------------------------------------------------------


@require_GET
@manager_required
def staff_page(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "cases/organisation_staff.html",
        {
            "staff": selectors.staff(),
            "summary": selectors.staff_summary(),
            "ADVOCATES": ADVOCATES,
            "MANAGERS": MANAGERS,
        },
    )


@require_http_methods(["GET", "POST"])
@manager_required
def staff_new_page(request: HttpRequest) -> HttpResponse:
    form = NewStaffForm(request.POST or None, initial={"team": request.GET.get("team") or None})
    if form.is_valid():
        try:
            user = services.create_staff_user(**form.cleaned_data)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(
                request,
                _("The account “%(username)s” is created.") % {"username": user.get_username()},
            )
            team = form.cleaned_data["team"]
            return (
                redirect("cases:organisation-team", pk=team.pk)
                if team
                else redirect("cases:organisation-staff")
            )
    return _form_page(
        request,
        form,
        title=_("New staff member"),
        submit=_("Create account"),
        cancel="cases:organisation-staff",
    )


@require_http_methods(["GET", "POST"])
@manager_required
def staff_edit_page(request: HttpRequest, pk: int) -> HttpResponse:
    user = get_object_or_404(selectors.staff(), pk=pk)
    form = StaffAccessForm(
        request.POST or None,
        initial={
            "groups": [group.name for group in user.groups.all()],
            "is_active": user.is_active,
        },
    )
    if form.is_valid():
        try:
            services.update_staff_access(
                user=user,
                actor=request.user,
                groups=form.cleaned_data["groups"],
                active=form.cleaned_data["is_active"],
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("%(user)s is saved.") % {"user": staff_name(user)})
            return redirect("cases:organisation-staff")
    return _form_page(
        request,
        form,
        title=_("Access of %(user)s") % {"user": staff_name(user)},
        submit=_("Save access"),
        cancel="cases:organisation-staff",
    )
