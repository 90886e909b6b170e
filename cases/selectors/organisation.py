"""Reads of the staff organisation for the manager's pages: departments with their teams
and what else they own, teams with their members, the staff and where they work.

Other apps hang rows on a department (``feedback``: customer needs, sources). ``cases``
finds them through the foreign keys, without importing those apps; an app may register
the page listing its rows for one department, so the overview can link there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import (
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce

from cases.models import ADVOCATES, MANAGERS, Case, Department, Team, TeamMembership

STAFF_GROUPS = (ADVOCATES, MANAGERS)

# model label ("feedback.Need") -> the URL of its list filtered to one department
DEPARTMENT_LISTS: dict[str, Callable[[Department], str]] = {}


def register_department_list(model_label: str, url: Callable[[Department], str]) -> None:
    """Say where the rows of ``model_label`` owned by one department are listed (an app
    above ``cases`` does it in its ``AppConfig.ready``)."""
    DEPARTMENT_LISTS[model_label] = url


@dataclass(frozen=True)
class DepartmentHolding:
    """One kind of row other apps give departments (customer needs, feedback sources)."""

    key: str  # the annotation holding each department's count
    label: str  # plural: "customer needs"
    singular: str  # "customer need"
    model_label: str
    model: type
    field: str  # the foreign key's name on ``model``

    def url(self, department: Department) -> str | None:
        list_url = DEPARTMENT_LISTS.get(self.model_label)
        return list_url(department) if list_url else None


def department_holdings() -> list[DepartmentHolding]:
    """The foreign keys to Department from outside the organisation itself, in a stable
    order: every one is a kind of work a department can own."""
    holdings = []
    for relation in Department._meta.related_objects:
        if not relation.one_to_many or relation.related_model is Team:
            continue
        meta = relation.related_model._meta
        holdings.append(
            DepartmentHolding(
                key=f"holds_{meta.app_label}_{meta.model_name}",
                label=str(meta.verbose_name_plural),
                singular=str(meta.verbose_name),
                model_label=meta.label,
                model=relation.related_model,
                field=relation.field.name,
            )
        )
    return sorted(holdings, key=lambda holding: holding.model_label)


def _count_of(model, field: str, **conditions: object) -> Coalesce:
    """How many rows of ``model`` point at the outer row through ``field`` (a subquery, so
    several counts in one query do not multiply each other as joins would)."""
    rows = (
        model._base_manager.filter(**{field: OuterRef("pk")}, **conditions)
        .order_by()
        .values(field)
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), Value(0))


def departments() -> QuerySet[Department]:
    """Departments with how many teams they have and how many rows of each holding."""
    annotations = {"team_count": _count_of(Team, "department")}
    for holding in department_holdings():
        annotations[holding.key] = _count_of(holding.model, holding.field)
    return Department.objects.annotate(**annotations).order_by("name")


def _staff_filter() -> Q:
    return Q(
        Exists(
            get_user_model().groups.through.objects.filter(
                user=OuterRef("pk"), group__name__in=STAFF_GROUPS
            )
        )
    )


def teams() -> QuerySet[Team]:
    """Teams with their department, member count and leads (``team.leads``)."""
    leads = (
        TeamMembership.objects.filter(role=TeamMembership.Role.LEAD)
        .select_related("user")
        .order_by("user__first_name", "user__last_name", "user__username")
    )
    return (
        Team.objects.select_related("department")
        .annotate(member_count=Count("memberships"))
        .prefetch_related(Prefetch("memberships", queryset=leads, to_attr="leads"))
        .order_by("name")
    )


def staff() -> QuerySet:
    """Everyone in the advocates or managers group, active first, with their groups,
    teams and how many open cases they own."""
    open_cases = _count_of(Case, "owner", status__in=Case.OPEN_STATUSES)
    memberships = TeamMembership.objects.select_related("team").order_by("team__name")
    return (
        get_user_model()
        .objects.filter(_staff_filter())
        .annotate(open_cases=open_cases)
        .prefetch_related("groups", Prefetch("team_memberships", queryset=memberships))
        .order_by("-is_active", "first_name", "last_name", "username")
    )


def staff_without_team() -> QuerySet:
    return (
        get_user_model()
        .objects.filter(_staff_filter(), is_active=True)
        .exclude(Exists(TeamMembership.objects.filter(user=OuterRef("pk"))))
        .order_by("first_name", "last_name", "username")
    )


def team_members(*, team: Team) -> QuerySet[TeamMembership]:
    """Leads first, then by name."""
    return team.memberships.select_related("user", "team").order_by(
        "-role", "user__first_name", "user__last_name", "user__username"
    )


def team_candidates(*, team: Team) -> QuerySet:
    """Active staff not yet in the team: who may be added."""
    return (
        get_user_model()
        .objects.filter(_staff_filter(), is_active=True)
        .exclude(Exists(TeamMembership.objects.filter(user=OuterRef("pk"), team=team)))
        .order_by("first_name", "last_name", "username")
    )


def staff_summary() -> dict[str, int]:
    """The organisation's facts the maturity model reads, counted in one query: active
    staff, those in no team, those outside every advocacy team, and how many of those own
    open cases (advocacy reaching beyond the advocacy team)."""
    in_advocacy = Exists(
        TeamMembership.objects.filter(user=OuterRef("pk"), team__kind=Team.Kind.ADVOCACY)
    )
    in_team = Exists(TeamMembership.objects.filter(user=OuterRef("pk")))
    owns_open = Exists(Case.objects.filter(owner=OuterRef("pk"), status__in=Case.OPEN_STATUSES))
    return (
        get_user_model()
        .objects.filter(_staff_filter(), is_active=True)
        .aggregate(
            staff=Count("pk"),
            without_team=Count("pk", filter=~Q(in_team)),
            outside_advocacy=Count("pk", filter=~Q(in_advocacy)),
            outside_advocacy_with_cases=Count("pk", filter=~Q(in_advocacy) & Q(owns_open)),
        )
    )


@dataclass
class HoldingSummary:
    holding: DepartmentHolding
    departments: int  # how many departments own at least one
    rows: int


@dataclass
class Overview:
    departments: list[Department]  # each with .team_list and .holding_rows
    teams_without_department: list[Team]
    holdings: list[HoldingSummary]
    teams_by_kind: list[tuple[str, str, int]]  # kind, label, count
    staff: dict[str, int]
    staff_without_team: list


def organisation_overview() -> Overview:
    """Everything the overview shows, in a fixed number of queries whatever the size."""
    holdings = department_holdings()
    department_list = list(departments())
    team_list = list(teams())
    by_department: dict[int | None, list[Team]] = {}
    for team in team_list:
        by_department.setdefault(team.department_id, []).append(team)
    for department in department_list:
        department.team_list = by_department.get(department.pk, [])
        department.holding_rows = [
            (holding, getattr(department, holding.key), holding.url(department))
            for holding in holdings
        ]
    kinds = {kind: 0 for kind in Team.Kind.values}
    for team in team_list:
        kinds[team.kind] += 1
    return Overview(
        departments=department_list,
        teams_without_department=by_department.get(None, []),
        holdings=[
            HoldingSummary(
                holding=holding,
                departments=sum(1 for d in department_list if getattr(d, holding.key)),
                rows=sum(getattr(d, holding.key) for d in department_list),
            )
            for holding in holdings
        ],
        teams_by_kind=[(kind, label, kinds[kind]) for kind, label in Team.Kind.choices],
        staff=staff_summary(),
        staff_without_team=list(staff_without_team()),
    )
