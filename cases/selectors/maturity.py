"""Reads for the advocacy maturity model (``advocacy.maturity``): the desk's evidence over a
window ``[since, until)``, each function one aggregate query whatever the volume, so the
model can be evaluated as of any past moment too."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.db.models import Case as SqlCase
from django.db.models import Count, Exists, F, Max, OuterRef, Q, When

from cases.models import Case, CaseEvent, Order, Team, TeamMembership


def case_activity(*, since: dt.datetime, until: dt.datetime) -> dict[str, int]:
    """Cases resolved in the window; cases opened in it, those opened because a customer
    contacted us and how many of those got a first response, and the proactive ones the
    desk opened before the customer had to ask (no contact yet, or a contact after opening:
    a positive lead time). One query."""
    opened = Q(opened_at__gte=since, opened_at__lt=until)
    contact = opened & Q(origin=Case.Origin.CONTACT)
    ahead = (
        opened
        & Q(origin=Case.Origin.PROACTIVE)
        & (
            Q(first_customer_contact_at__isnull=True)
            | Q(first_customer_contact_at__gt=F("opened_at"))
        )
    )
    return (
        Case.objects.filter(opened | Q(resolved_at__gte=since, resolved_at__lt=until))
        .order_by()
        .aggregate(
            resolved=Count("pk", filter=Q(resolved_at__gte=since, resolved_at__lt=until)),
            opened=Count("pk", filter=opened),
            contact_opened=Count("pk", filter=contact),
            contact_answered=Count(
                "pk",
                filter=contact & Q(first_response_at__isnull=False, first_response_at__lt=until),
            ),
            proactive_ahead=Count("pk", filter=ahead),
        )
    )


def team_strength(*, until: dt.datetime) -> dict[str, int]:
    """Active people in the customer-advocacy teams and in the coordinating teams who had
    joined by ``until``. One query."""
    members = TeamMembership.objects.filter(user__is_active=True, joined_at__lt=until)
    return members.order_by().aggregate(
        advocacy=Count("user", distinct=True, filter=Q(team__kind=Team.Kind.ADVOCACY)),
        coordinating=Count("user", distinct=True, filter=Q(team__kind=Team.Kind.COORDINATING)),
    )


def staff_participation(*, since: dt.datetime, until: dt.datetime) -> dict[str, int]:
    """People in teams other than the customer-advocacy teams (and in none of those), and
    how many of them acted on a case in the window (any timeline entry of theirs). One
    query: the check per person is an index lookup on the timeline's actor."""
    outside = (
        get_user_model()
        .objects.filter(
            is_active=True,
            team_memberships__joined_at__lt=until,
        )
        .exclude(team_memberships__team__kind=Team.Kind.ADVOCACY)
    )
    acted = Exists(
        CaseEvent.objects.filter(actor=OuterRef("pk"), created_at__gte=since, created_at__lt=until)
    )
    return outside.order_by().aggregate(
        people=Count("pk", distinct=True),
        acted=Count("pk", distinct=True, filter=acted),
    )


def customer_retention(*, since: dt.datetime, until: dt.datetime) -> dict[str, int]:
    """Repeat purchase over three equal windows ending at ``until`` (the last one is
    ``[since, until)``): of the customers who ordered in the window before, how many
    ordered again in the next one, for the last two pairs of windows, so the trend is
    this window's rate against the previous window's. One query: the orders placed in the
    three windows (an index range on ``ordered_at``) grouped by customer, then counted."""
    length = until - since
    previous, earliest = since - length, since - 2 * length

    def ordered(condition: Q) -> Max:
        return Max(SqlCase(When(condition, then=1), default=0))

    customers = (
        Order.objects.filter(ordered_at__gte=earliest, ordered_at__lt=until)
        .order_by()
        .values("customer_id")
        .annotate(
            earlier=ordered(Q(ordered_at__lt=previous)),
            before=ordered(Q(ordered_at__gte=previous, ordered_at__lt=since)),
            now=ordered(Q(ordered_at__gte=since)),
        )
    )
    found = customers.aggregate(
        kept=Count("customer_id", filter=Q(before=1, now=1)),
        customers=Count("customer_id", filter=Q(before=1)),
        kept_earlier=Count("customer_id", filter=Q(earlier=1, before=1)),
        customers_earlier=Count("customer_id", filter=Q(earlier=1)),
    )
    return {key: value or 0 for key, value in found.items()}
