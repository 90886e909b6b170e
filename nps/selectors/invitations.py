"""Reads of surveys and their invitations: the surveys list with its counts, and who was
asked by a survey, who answered and who has not."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from cases.models import Customer
from nps.models import Invitation, Survey

Status = Invitation.Status

# The invitations page's filters (``?show=``), each with its condition.
INVITATION_FILTERS = {
    "answered": Q(answered_at__isnull=False),
    "not_answered": Q(status=Status.SENT, answered_at__isnull=True),
    "waiting": Q(status__in=[Status.PENDING, Status.SENDING]),
    "not_sent": Q(status__in=[Status.SUPPRESSED, Status.FAILED]),
}


def survey_overview() -> QuerySet[Survey]:
    """Surveys with their counts, in one query: ``invited`` (every invitation but those
    suppressed for consent), ``sent``, ``answered``, ``not_answered`` (sent, no answer
    yet), ``waiting`` (to be sent), ``not_sent`` (suppressed or failed), ``reminded``, ``total``.
    The response rate is answered / sent."""
    def count(**condition: object) -> Count:
        return Count("invitations", filter=Q(**{f"invitations__{key}": value
                                                for key, value in condition.items()}))

    return Survey.objects.annotate(
        invited=count(status__in=[Status.PENDING, Status.SENDING, Status.SENT, Status.FAILED]),
        sent=count(status=Status.SENT),
        answered=count(answered_at__isnull=False),
        not_answered=count(status=Status.SENT, answered_at__isnull=True),
        waiting=count(status__in=[Status.PENDING, Status.SENDING]),
        not_sent=count(status__in=[Status.SUPPRESSED, Status.FAILED]),
        reminded=count(reminded_at__isnull=False, reminder_token_hash__isnull=False),
        total=Count("invitations"),
    ).order_by("-created_at", "pk")


def survey_invitations(*, survey: Survey, show: str = "") -> QuerySet[Invitation]:
    """A survey's invitations, newest first, with the customer, order and answer; ``show``
    one of INVITATION_FILTERS, anything else for all."""
    invitations = (Invitation.objects.filter(survey=survey)
                   .select_related("customer", "order", "response")
                   .order_by("-created_at", "-pk"))
    condition = INVITATION_FILTERS.get(show)
    return invitations if condition is None else invitations.filter(condition)


def audience_segments() -> list[str]:
    """The customer segments there are, for choosing a survey's audience."""
    return list(Customer.objects.exclude(segment="").order_by("segment")
                .values_list("segment", flat=True).distinct())
