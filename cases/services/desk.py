"""The case desk's verbs: every change to a case goes through here and lands in its timeline.

Each verb locks the case row (``select_for_update``) and, when the caller passes the
``expected_version`` it showed the user, refuses a change based on a stale copy: two
advocates editing one case never silently overwrite each other.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.auth import is_manager
from cases.display import staff_name
from cases.models import (
    Case,
    CaseEvent,
    Contact,
    Customer,
    DeskSettings,
    Impact,
    Order,
    Priority,
    Remedy,
    SlaTarget,
)

REOPEN_WINDOW = timedelta(days=14)

# Other apps add what raises a case's priority (a brand advocate's case comes first) here,
# from their AppConfig.ready, so `cases` never imports them. A factor returns points >= 0.
PRIORITY_FACTORS: list[Callable[[Case], int]] = []

SEVERITY_POINTS = {
    None: 1,  # no impact recorded yet: treat as moderate until the advocate knows
    Impact.Severity.MINOR: 0,
    Impact.Severity.MODERATE: 1,
    Impact.Severity.SEVERE: 2,
    Impact.Severity.CRITICAL: 3,
}
TIER_POINTS = {"standard": 0, "high": 1, "key": 2}

MANUAL_MOVES = {
    Case.Status.NEW: {Case.Status.IN_PROGRESS, Case.Status.AWAITING_CUSTOMER},
    Case.Status.IN_PROGRESS: {Case.Status.AWAITING_CUSTOMER},
    Case.Status.AWAITING_CUSTOMER: {Case.Status.IN_PROGRESS},
    Case.Status.AWAITING_DECISION: set(),  # leaves when the manager decides
    Case.Status.RESOLVED: {Case.Status.CLOSED},
    Case.Status.CLOSED: set(),
}


def register_priority_factor(factor: Callable[[Case], int]) -> Callable[[Case], int]:
    PRIORITY_FACTORS.append(factor)
    return factor


# --- helpers ------------------------------------------------------------------------------


def _actor_label(actor: AbstractBaseUser | None) -> str:
    return "" if actor is None else staff_name(actor)


def _event(
    case: Case, kind: str, actor: AbstractBaseUser | None, message: str = "",
    data: dict | None = None, actor_kind: str = CaseEvent.ActorKind.USER, label: str = "",
) -> CaseEvent:
    return CaseEvent.objects.create(
        case=case, kind=kind, actor=actor, actor_kind=actor_kind,
        actor_label=label or _actor_label(actor), message=message, data=data or {},
    )


def _locked(case: Case, expected_version: int | None) -> Case:
    current = Case.objects.select_for_update().get(pk=case.pk)
    if expected_version is not None and current.version != expected_version:
        raise ValidationError(
            _("Someone else changed this case while you were editing it. Reload it to see "
              "their change, then make yours again."),
            code="stale",
        )
    return current


def _save(case: Case, *fields: str) -> Case:
    case.version += 1
    case.save(update_fields=[*fields, "version"])
    return case


def computed_priority(case: Case) -> int:
    """Severity of the loss, the customer's value, a critical order and other apps' factors."""
    impact = Impact.objects.filter(case=case).first() if case.pk else None
    points = SEVERITY_POINTS[impact.severity if impact else None]
    points += TIER_POINTS.get(case.customer.value_tier, 0)
    if case.pk and case.orders.filter(critical=True).exists():
        points += 1
    points += sum(factor(case) for factor in PRIORITY_FACTORS)
    if points >= 5:
        return Priority.URGENT
    if points >= 3:
        return Priority.HIGH
    return Priority.NORMAL if points >= 1 else Priority.LOW


def _apply_sla(case: Case) -> None:
    target = SlaTarget.objects.filter(priority=case.priority).first()
    if target is None:
        return
    case.first_response_due_at = case.opened_at + timedelta(hours=target.first_response_hours)
    case.due_at = case.opened_at + timedelta(hours=target.resolution_hours)


def _reprioritise(case: Case, actor: AbstractBaseUser | None) -> list[str]:
    if case.priority_override_reason:
        return []
    priority = computed_priority(case)
    if priority == case.priority:
        return []
    _event(case, CaseEvent.Kind.PRIORITY, actor, data={
        "from": case.priority, "to": priority, "computed": True,
    })
    case.priority = priority
    _apply_sla(case)
    return ["priority", "first_response_due_at", "due_at"]


# --- verbs --------------------------------------------------------------------------------


@transaction.atomic
def open_case(
    *, customer: Customer, origin: str, kind: str, title: str, description: str = "",
    orders: Sequence[Order] = (), actor: AbstractBaseUser | None = None,
    actor_kind: str = CaseEvent.ActorKind.USER, actor_label: str = "",
    owner: AbstractBaseUser | None = None, opened_at: datetime | None = None,
) -> Case:
    case = Case(
        customer=customer, origin=origin, kind=kind, title=title.strip(),
        description=description, owner=owner, opened_at=opened_at or timezone.now(),
        status=Case.Status.IN_PROGRESS if owner else Case.Status.NEW,
    )
    case.full_clean(exclude=["priority"])
    case.save()
    case.orders.set(orders)
    case.priority = computed_priority(case)
    _apply_sla(case)
    case.save(update_fields=["priority", "first_response_due_at", "due_at"])
    _event(case, CaseEvent.Kind.OPENED, actor, message=description, actor_kind=actor_kind,
           label=actor_label, data={"origin": origin, "kind": kind,
                                    "orders": [order.external_ref for order in orders]})
    return case


@transaction.atomic
def assign_case(
    *, case: Case, owner: AbstractBaseUser | None, actor: AbstractBaseUser,
    expected_version: int | None = None,
) -> Case:
    case = _locked(case, expected_version)
    if owner == case.owner:
        return case
    case.owner = owner
    fields = ["owner"]
    if owner is not None and case.status == Case.Status.NEW:
        case.status = Case.Status.IN_PROGRESS
        fields.append("status")
    _event(case, CaseEvent.Kind.ASSIGNED, actor, data={
        "owner": owner.get_username() if owner else None,
        "owner_name": _actor_label(owner),
    })
    return _save(case, *fields)


@transaction.atomic
def change_status(
    *, case: Case, status: str, actor: AbstractBaseUser, expected_version: int | None = None,
) -> Case:
    """Moves an advocate makes by hand; resolving, reopening and decisions have their own."""
    case = _locked(case, expected_version)
    if status == case.status:
        return case
    if status not in MANUAL_MOVES[case.status]:
        raise ValidationError({"status": _("A case that is %(current)s cannot be set to "
                                           "%(wanted)s here.") % {
            "current": case.get_status_display().lower(),
            "wanted": Case.Status(status).label.lower(),
        }})
    _event(case, CaseEvent.Kind.STATUS, actor, data={"from": case.status, "to": status})
    case.status = status
    fields = ["status"]
    if status == Case.Status.CLOSED:
        case.closed_at = timezone.now()
        fields.append("closed_at")
    return _save(case, *fields)


@transaction.atomic
def add_note(*, case: Case, text: str, actor: AbstractBaseUser) -> CaseEvent:
    text = text.strip()
    if not text:
        raise ValidationError({"text": _("Write the note first.")})
    return _event(case, CaseEvent.Kind.NOTE, actor, message=text)


@transaction.atomic
def record_impact(
    *, case: Case, actor: AbstractBaseUser, severity: int, currency: str,
    money_lost: Decimal = Decimal("0"), disruption_days: Decimal = Decimal("0"),
    what_it_stopped: str = "", orders: Sequence[Order] = (),
    expected_version: int | None = None,
) -> Impact:
    case = _locked(case, expected_version)
    impact = Impact.objects.filter(case=case).first() or Impact(case=case)
    impact.severity, impact.currency = severity, currency.upper()
    impact.money_lost, impact.disruption_days = money_lost, disruption_days
    impact.what_it_stopped, impact.recorded_by = what_it_stopped.strip(), actor
    impact.recorded_at = timezone.now()
    impact.full_clean()
    impact.save()
    impact.orders.set(orders)
    _event(case, CaseEvent.Kind.IMPACT, actor, message=impact.what_it_stopped, data={
        "severity": impact.severity, "money_lost": str(impact.money_lost),
        "currency": impact.currency, "disruption_days": str(impact.disruption_days),
        "orders": [order.external_ref for order in orders],
    })
    _save(case, *_reprioritise(case, actor))
    return impact


def needs_manager(*, cost: Decimal, currency: str) -> bool:
    desk = DeskSettings.current()
    return currency.upper() != desk.approval_currency or cost > desk.approval_threshold


@transaction.atomic
def propose_remedy(
    *, case: Case, actor: AbstractBaseUser, kind: str, summary: str, cost: Decimal,
    currency: str, benefit: str, rationale: str = "", recommended: bool = False,
) -> Remedy:
    case = _locked(case, None)
    if not case.is_open:
        raise ValidationError(_("Reopen the case before proposing a remedy."))
    remedy = Remedy(
        case=case, kind=kind, summary=summary.strip(), cost=cost, currency=currency.upper(),
        benefit=benefit.strip(), rationale=rationale.strip(), recommended=recommended,
        proposed_by=actor,
    )
    if not needs_manager(cost=remedy.cost, currency=remedy.currency):
        remedy.decision = Remedy.Decision.NOT_NEEDED
    remedy.full_clean()
    remedy.save()
    _event(case, CaseEvent.Kind.REMEDY_PROPOSED, actor, message=remedy.summary, data={
        "remedy": remedy.pk, "kind": remedy.kind, "cost": str(remedy.cost),
        "currency": remedy.currency, "needs_manager": remedy.decision == Remedy.Decision.PENDING,
    })
    if remedy.decision == Remedy.Decision.PENDING and case.status != Case.Status.AWAITING_DECISION:
        _event(case, CaseEvent.Kind.STATUS, actor,
               data={"from": case.status, "to": Case.Status.AWAITING_DECISION})
        case.status = Case.Status.AWAITING_DECISION
        _save(case, "status")
    return remedy


@transaction.atomic
def decide_remedy(
    *, remedy: Remedy, manager: AbstractBaseUser, approve: bool, reason: str = "",
) -> Remedy:
    """The advocate argues; a manager weighs the cost, so deciding is theirs."""
    if not is_manager(manager):
        raise PermissionDenied(_("Only a manager decides on remedies."))
    case = _locked(remedy.case, None)
    remedy = Remedy.objects.select_for_update().get(pk=remedy.pk)
    if remedy.decision != Remedy.Decision.PENDING:
        raise ValidationError(_("This remedy was already decided (%(decision)s).") % {
            "decision": remedy.get_decision_display().lower()})
    if remedy.proposed_by_id == manager.pk:
        raise ValidationError(_("You proposed this remedy: another manager must decide it."))
    if not approve and not reason.strip():
        raise ValidationError({"reason": _("Say why the remedy is rejected.")})
    remedy.decision = Remedy.Decision.APPROVED if approve else Remedy.Decision.REJECTED
    remedy.decided_by, remedy.decided_at = manager, timezone.now()
    remedy.decision_reason = reason.strip()
    remedy.save(update_fields=["decision", "decided_by", "decided_at", "decision_reason"])
    _event(case, CaseEvent.Kind.REMEDY_DECIDED, manager, message=remedy.decision_reason,
           data={"remedy": remedy.pk, "decision": remedy.decision, "kind": remedy.kind})
    still_waiting = case.remedies.filter(decision=Remedy.Decision.PENDING).exists()
    if case.status == Case.Status.AWAITING_DECISION and not still_waiting:
        _event(case, CaseEvent.Kind.STATUS, manager,
               data={"from": case.status, "to": Case.Status.IN_PROGRESS})
        case.status = Case.Status.IN_PROGRESS
        _save(case, "status")
    return remedy


@transaction.atomic
def override_priority(
    *, case: Case, priority: int | None, reason: str, actor: AbstractBaseUser | None,
    expected_version: int | None = None, actor_kind: str = CaseEvent.ActorKind.USER,
    actor_label: str = "",
) -> Case:
    """Set the priority by hand (with a reason), or give it back to the desk (None). Another
    app's policy sets it with no ``actor``, naming itself in ``actor_kind``/``actor_label``."""
    case = _locked(case, expected_version)
    if priority is None:
        case.priority_override_reason = ""
        return _save(case, "priority_override_reason", *_reprioritise(case, actor))
    if not reason.strip():
        raise ValidationError({"reason": _("Say why you set the priority by hand.")})
    _event(case, CaseEvent.Kind.PRIORITY, actor, message=reason.strip(),
           actor_kind=actor_kind, label=actor_label,
           data={"from": case.priority, "to": priority, "computed": False})
    case.priority, case.priority_override_reason = priority, reason.strip()
    _apply_sla(case)
    return _save(case, "priority", "priority_override_reason", "first_response_due_at",
                 "due_at")


@transaction.atomic
def record_first_response(*, case: Case, at: datetime | None = None) -> Case:
    """The desk reached the customer (an email sent, a call made): the SLA clock's first stop."""
    case = _locked(case, None)
    if case.first_response_at is None:
        case.first_response_at = at or timezone.now()
        _save(case, "first_response_at")
    return case


@transaction.atomic
def resolve_case(
    *, case: Case, actor: AbstractBaseUser, outcome: str, resolution: str,
    customer_reaction: str = "", expected_version: int | None = None,
) -> Case:
    case = _locked(case, expected_version)
    errors = {}
    if not case.is_open:
        errors["__all__"] = _("This case is already resolved.")
    if outcome not in Case.Outcome.values:
        errors["outcome"] = _("Choose the outcome: retained, at risk or lost.")
    if not resolution.strip():
        errors["resolution"] = _("Say what was done for the customer.")
    if case.remedies.filter(decision=Remedy.Decision.PENDING).exists():
        errors["__all__"] = _("A remedy still waits for a manager's decision.")
    if errors:
        raise ValidationError(errors)
    case.status, case.outcome = Case.Status.RESOLVED, outcome
    case.resolution, case.customer_reaction = resolution.strip(), customer_reaction.strip()
    case.resolved_at = timezone.now()
    _event(case, CaseEvent.Kind.RESOLVED, actor, message=case.resolution, data={
        "outcome": outcome,
        "hours_to_resolution": round((case.resolved_at - case.opened_at).total_seconds() / 3600,
                                     1),
    })
    return _save(case, "status", "outcome", "resolution", "customer_reaction", "resolved_at")


@transaction.atomic
def reopen_case(
    *, case: Case, actor: AbstractBaseUser | None, reason: str,
    actor_kind: str = CaseEvent.ActorKind.USER, expected_version: int | None = None,
) -> Case:
    case = _locked(case, expected_version)
    if case.is_open:
        raise ValidationError(_("This case is open already."))
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the case is reopened.")})
    _event(case, CaseEvent.Kind.REOPENED, actor, message=reason.strip(), actor_kind=actor_kind,
           data={"previous_outcome": case.outcome})
    case.status, case.outcome = Case.Status.IN_PROGRESS, ""
    case.resolved_at = case.closed_at = None
    return _save(case, "status", "outcome", "resolved_at", "closed_at")


@transaction.atomic
def log_contact(
    *, customer: Customer, channel: str, occurred_at: datetime, summary: str,
    order: Order | None = None, actor: AbstractBaseUser | None = None,
) -> Contact:
    """The customer reached out. It joins their open case for that order (or any open case
    of theirs); a case resolved in the last 14 days reopens; otherwise a case opens with
    origin "customer contact". The case learns when the customer first had to ask."""
    contact = Contact(customer=customer, order=order, channel=channel, occurred_at=occurred_at,
                      summary=summary.strip(), logged_by=actor)
    contact.full_clean(exclude=["case"])
    cases = Case.objects.select_for_update().filter(customer=customer).order_by("-opened_at")
    if order is not None:
        cases = cases.filter(orders=order)
    case = cases.filter(status__in=Case.OPEN_STATUSES).first()
    if case is None:
        recent = cases.filter(resolved_at__gte=occurred_at - REOPEN_WINDOW).first()
        if recent is not None:
            case = reopen_case(case=recent, actor=actor, actor_kind=CaseEvent.ActorKind.CUSTOMER,
                               reason=_("The customer got in touch again."))
    if case is None:
        kind = Case.Kind.LATE_DELIVERY if order and order.delivery_state().is_problem \
            else Case.Kind.OTHER
        case = open_case(
            customer=customer, origin=Case.Origin.CONTACT, kind=kind,
            title=summary.strip()[:120] or _("Customer contact"), orders=[order] if order else [],
            actor=actor, actor_kind=CaseEvent.ActorKind.CUSTOMER, actor_label=customer.name,
            opened_at=occurred_at,
        )
    contact.case = case
    contact.save()
    _event(case, CaseEvent.Kind.CONTACT, actor, message=contact.summary,
           actor_kind=CaseEvent.ActorKind.CUSTOMER, label=customer.name,
           data={"channel": channel, "occurred_at": occurred_at.isoformat(),
                 "order": order.external_ref if order else None})
    case = Case.objects.get(pk=case.pk)
    if case.first_customer_contact_at is None or occurred_at < case.first_customer_contact_at:
        case.first_customer_contact_at = occurred_at
        _save(case, "first_customer_contact_at")
    contact.case = case
    return contact


def change_each(
    *, cases: Sequence[Case], change: Callable[[Case], object]
) -> list[tuple[Case, ValidationError]]:
    """Bulk changes through the same verbs as single ones, in one transaction; each verb is
    its own savepoint, so a case the rules refuse stays as it was while the others change.
    Returns the refused cases with the reason."""
    refused = []
    with transaction.atomic():
        for case in cases:
            try:
                change(case)
            except ValidationError as error:
                refused.append((case, error))
    return refused
