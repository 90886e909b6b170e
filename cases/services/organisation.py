"""The staff organisation as managers shape it: departments, teams, who is in them, and the
staff accounts themselves (managers onboard staff here, not in the Django admin)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model
from django.utils.translation import gettext as _

from cases.display import staff_name
from cases.models import (
    ADVOCATES,
    MANAGERS,
    Case,
    Department,
    RiskRule,
    Team,
    TeamMembership,
)

STAFF_GROUPS = (ADVOCATES, MANAGERS)
DEPARTMENT_FIELDS = ("name", "description")
TEAM_FIELDS = ("name", "kind", "department", "email")


def _apply(instance: Model, fields: dict, allowed: tuple[str, ...]) -> None:
    unknown = set(fields) - set(allowed)
    if unknown:
        raise TypeError(f"Not editable: {', '.join(sorted(unknown))}")
    for name, value in fields.items():
        setattr(instance, name, value.strip() if isinstance(value, str) else value)


def _check_unique_name(model: type[Model], instance: Model, message: str) -> None:
    """Names are unique regardless of case: “Logistics” and “logistics” are one department."""
    clash = model.objects.filter(name__iexact=instance.name).exclude(pk=instance.pk)
    if instance.name and clash.exists():
        raise ValidationError({"name": message % {"name": instance.name}})


# --- departments ------------------------------------------------------------------------------


def _save_department(department: Department) -> Department:
    _check_unique_name(Department, department, _("A department named “%(name)s” exists already."))
    department.full_clean()
    department.save()
    return department


@transaction.atomic
def create_department(*, name: str, description: str = "") -> Department:
    department = Department()
    _apply(department, {"name": name, "description": description}, DEPARTMENT_FIELDS)
    return _save_department(department)


@transaction.atomic
def update_department(*, department: Department, **fields: object) -> Department:
    department = Department.objects.select_for_update().get(pk=department.pk)
    _apply(department, fields, DEPARTMENT_FIELDS)
    return _save_department(department)


def department_references(department: Department) -> list[tuple[str, int]]:
    """What still refers to a department, as (plural name, count): its teams and whatever
    other apps give it (customer needs, feedback sources), read from the foreign keys so
    that ``cases`` need not know those apps."""
    found = []
    for relation in Department._meta.related_objects:
        if not relation.one_to_many:
            continue
        model = relation.related_model
        count = model._base_manager.filter(**{relation.field.name: department}).count()
        if count:
            found.append((str(model._meta.verbose_name_plural), count))
    return found


@transaction.atomic
def delete_department(*, department: Department) -> None:
    """Delete a department nothing refers to. Teams are protected by the database; needs
    and sources would silently lose their owner, so they hold the department back too."""
    department = Department.objects.select_for_update().get(pk=department.pk)
    references = department_references(department)
    if references:
        held_by = ", ".join(f"{label}: {count}" for label, count in references)
        raise ValidationError(
            _(
                "“%(name)s” cannot be deleted while something refers to it (%(held_by)s). "
                "Move those to another department first."
            )
            % {"name": department.name, "held_by": held_by}
        )
    department.delete()


# --- teams ------------------------------------------------------------------------------------


def _save_team(team: Team) -> Team:
    _check_unique_name(Team, team, _("A team named “%(name)s” exists already."))
    team.full_clean()
    team.save()
    return team


@transaction.atomic
def create_team(
    *,
    name: str,
    kind: str = Team.Kind.ADVOCACY,
    department: Department | None = None,
    email: str = "",
) -> Team:
    team = Team()
    _apply(
        team, {"name": name, "kind": kind, "department": department, "email": email}, TEAM_FIELDS
    )
    return _save_team(team)


@transaction.atomic
def update_team(*, team: Team, **fields: object) -> Team:
    team = Team.objects.select_for_update().get(pk=team.pk)
    _apply(team, fields, TEAM_FIELDS)
    return _save_team(team)


@transaction.atomic
def delete_team(*, team: Team) -> None:
    """Delete a team and its memberships. Open cases and risk rules that route work to the
    team hold it back: deleting it would leave that work without a team unnoticed. Resolved
    cases keep their history but lose the team."""
    team = Team.objects.select_for_update().get(pk=team.pk)
    open_cases = Case.objects.filter(team=team, status__in=Case.OPEN_STATUSES).count()
    rules = RiskRule.objects.filter(owner_team=team).count()
    if open_cases or rules:
        raise ValidationError(
            _(
                "“%(name)s” cannot be deleted while %(open_cases)s open cases and %(rules)s risk "
                "rules are routed to it. Give them to another team first."
            )
            % {"name": team.name, "open_cases": open_cases, "rules": rules}
        )
    team.delete()


# --- members ----------------------------------------------------------------------------------


def _is_staff(user: AbstractBaseUser) -> bool:
    return user.groups.filter(name__in=STAFF_GROUPS).exists()


@transaction.atomic
def add_team_member(
    *, team: Team, user: AbstractBaseUser, role: str = TeamMembership.Role.MEMBER
) -> TeamMembership:
    if not user.is_active or not _is_staff(user):
        raise ValidationError(
            {"user": _("Only active staff (advocates or managers) can join a team.")}
        )
    if TeamMembership.objects.filter(team=team, user=user).exists():
        raise ValidationError(
            {
                "user": _("%(user)s is in “%(team)s” already.")
                % {"user": staff_name(user), "team": team.name}
            }
        )
    membership = TeamMembership(team=team, user=user, role=role)
    membership.full_clean(validate_unique=False)  # checked above, with a clearer message
    membership.save()
    return membership


@transaction.atomic
def set_member_role(*, membership: TeamMembership, role: str) -> TeamMembership:
    membership = TeamMembership.objects.select_for_update().get(pk=membership.pk)
    membership.role = role
    membership.full_clean()
    membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def remove_team_member(*, membership: TeamMembership) -> None:
    TeamMembership.objects.filter(pk=membership.pk).delete()


# --- staff accounts ---------------------------------------------------------------------------


def _check_groups(groups: list[str]) -> list[str]:
    chosen = [name for name in STAFF_GROUPS if name in groups]
    if set(groups) - set(STAFF_GROUPS):
        raise ValidationError({"groups": _("Choose advocates or managers.")})
    if not chosen:
        raise ValidationError(
            {
                "groups": _(
                    "Staff belong to advocates, managers or both. To take away someone's access, "
                    "deactivate the account instead."
                )
            }
        )
    return chosen


@transaction.atomic
def create_staff_user(
    *,
    username: str,
    first_name: str,
    last_name: str,
    email: str,
    groups: list[str],
    password: str,
    team: Team | None = None,
    role: str = TeamMembership.Role.MEMBER,
) -> AbstractBaseUser:
    """A new staff account with an initial password the manager hands over; optionally
    straight into a team."""
    user_model = get_user_model()
    errors: dict[str, list] = {}
    try:
        chosen = _check_groups(groups)
    except ValidationError as error:
        errors.update(error.message_dict)
    user = user_model(
        username=username.strip(),
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        email=user_model.objects.normalize_email(email.strip()),
    )
    if user_model.objects.filter(username__iexact=user.username).exists():
        errors["username"] = [
            _("The username “%(username)s” is taken.") % {"username": user.username}
        ]
    if user.email and user_model.objects.filter(email__iexact=user.email).exists():
        errors["email"] = [_("Another account uses %(email)s.") % {"email": user.email}]
    try:
        user.full_clean(exclude=["password"], validate_unique=False)
    except ValidationError as error:
        for field, messages in error.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    try:
        validate_password(password, user)
    except ValidationError as error:
        errors["password"] = error.messages
    if errors:
        raise ValidationError(errors)
    user.set_password(password)
    user.save()
    user.groups.set(Group.objects.filter(name__in=chosen))
    if team is not None:
        add_team_member(team=team, user=user, role=role)
    return user


@transaction.atomic
def set_staff_groups(
    *, user: AbstractBaseUser, groups: list[str], actor: AbstractBaseUser
) -> AbstractBaseUser:
    """Put a staff member in advocates, managers or both; groups beyond those stay as they
    are. A manager cannot take the managers group from themselves: someone else must."""
    chosen = _check_groups(groups)
    if user.pk == actor.pk and MANAGERS not in chosen:
        raise ValidationError(
            {"groups": _("You cannot remove yourself from the managers: ask another manager.")}
        )
    user.groups.remove(*Group.objects.filter(name__in=set(STAFF_GROUPS) - set(chosen)))
    user.groups.add(*Group.objects.filter(name__in=chosen))
    user.__dict__.pop("_group_names", None)  # cases.auth caches the names per request
    return user


@transaction.atomic
def set_staff_active(
    *, user: AbstractBaseUser, active: bool, actor: AbstractBaseUser
) -> AbstractBaseUser:
    """Deactivate (or reactivate) an account: the person can no longer sign in; their
    cases and history stay. Nobody deactivates themselves."""
    if user.pk == actor.pk and not active:
        raise ValidationError({"is_active": _("You cannot deactivate your own account.")})
    if user.is_active != active:
        user.is_active = active
        user.save(update_fields=["is_active"])
    return user


@transaction.atomic
def update_staff_access(
    *, user: AbstractBaseUser, groups: list[str], active: bool, actor: AbstractBaseUser
) -> AbstractBaseUser:
    """The staff page's one form: groups and the active flag, both or neither."""
    errors: dict[str, list] = {}
    for change, kwargs in (
        (set_staff_groups, {"groups": groups}),
        (set_staff_active, {"active": active}),
    ):
        try:
            with transaction.atomic():
                change(user=user, actor=actor, **kwargs)
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    return user


__all__ = [
    "add_team_member",
    "create_department",
    "create_staff_user",
    "create_team",
    "delete_department",
    "delete_team",
    "department_references",
    "remove_team_member",
    "set_member_role",
    "set_staff_active",
    "set_staff_groups",
    "update_department",
    "update_staff_access",
    "update_team",
]
