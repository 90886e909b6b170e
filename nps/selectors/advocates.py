"""Reads about brand advocates: the Advocates page with its care gaps, an advocate's profile,
the NPS panel of the customer page, and the passives to call back."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import (
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Left
from django.utils import timezone

from cases.models import Case, CaseEvent, Customer, Order, Priority
from feedback.models import FeedbackItem, Source
from nps.models import AdvocateProfile, CareAction, Response

# The customer page shows this many answers, newest first.
PANEL_ANSWERS = 12
# A promoter's answer: 9 or 10. An advocate whose last answer is below drops.
PROMOTER_SCORE = 9
# A review counts as positive from this rating (0 to 1: 4 stars of 5) or any positive mood.
POSITIVE_RATING = 0.75
PROFILE_ROWS = 25
COMMENT_EXCERPT = 240


def care_gap_days() -> int:
    return settings.NPS_CARE_GAP_DAYS


def _latest_answer() -> QuerySet[Response]:
    return Response.objects.filter(customer=OuterRef("customer_id")).order_by(
        "-answered_at", "-pk")


def _open_cases() -> QuerySet[Case]:
    return Case.objects.filter(customer=OuterRef("customer_id"), status__in=Case.OPEN_STATUSES)


def _annotated(profiles: QuerySet[AdvocateProfile]) -> QuerySet[AdvocateProfile]:
    """Each profile with its last answer, last care action and most pressing open case,
    every one a correlated subquery, so a page of them costs one query."""
    latest = _latest_answer()
    lagging = _open_cases().filter(priority__gt=Priority.URGENT).order_by("priority", "opened_at",
                                                                          "pk")
    return profiles.select_related("customer").annotate(
        last_score=Subquery(latest.values("score")[:1], output_field=IntegerField()),
        last_answered_at=Subquery(latest.values("answered_at")[:1]),
        last_comment=Subquery(latest.annotate(excerpt=Left("comment", COMMENT_EXCERPT))
                              .values("excerpt")[:1]),
        last_care_on=Subquery(CareAction.objects.filter(advocate=OuterRef("pk"))
                              .order_by("-done_on").values("done_on")[:1]),
        open_cases=Subquery(_open_cases().order_by().values("customer_id")
                            .annotate(n=Count("pk")).values("n")[:1],
                            output_field=IntegerField()),
        lagging_case_id=Subquery(lagging.values("pk")[:1]),
        lagging_case_priority=Subquery(lagging.values("priority")[:1],
                                       output_field=IntegerField()),
        lagging_case_title=Subquery(lagging.values("title")[:1]),
        lagging_case_held=Subquery(lagging.values("priority_override_reason")[:1]),
    )


# --- care gaps ---------------------------------------------------------------------------------


def gap_filters(*, today: dt.date | None = None) -> dict[str, Q]:
    """Each care gap as a condition on ``_annotated`` profiles:
    ``quiet``: no care action in the last NPS_CARE_GAP_DAYS days (or none ever);
    ``open_case``: an open case that is not top priority;
    ``dropped``: their last answer is below 9."""
    today = today or timezone.localdate()
    since = today - dt.timedelta(days=care_gap_days())
    return {
        "quiet": Q(last_care_on__isnull=True) | Q(last_care_on__lt=since),
        "open_case": Q(lagging_case_id__isnull=False),
        "dropped": Q(last_score__lt=PROMOTER_SCORE),
    }


GAPS = ("quiet", "open_case", "dropped")


def confirmed_advocates(*, gap: str = "", today: dt.date | None = None
                        ) -> QuerySet[AdvocateProfile]:
    """Brand advocates with their facts, longest without care first; ``gap`` narrows to
    those with that care gap."""
    advocates = _annotated(AdvocateProfile.objects.filter(
        status=AdvocateProfile.Status.CONFIRMED))
    if gap in GAPS:
        advocates = advocates.filter(gap_filters(today=today)[gap])
    return advocates.order_by(F("last_care_on").asc(nulls_first=True), "customer__name", "pk")


def advocate_candidates() -> QuerySet[AdvocateProfile]:
    """Promoters waiting for someone to confirm or decline them, oldest first."""
    return _annotated(AdvocateProfile.objects.filter(
        status=AdvocateProfile.Status.CANDIDATE)).order_by("since", "pk")


def care_gap_counts(*, today: dt.date | None = None, segment: str = "",
                    value_tier: str = "") -> dict[str, int]:
    """How many advocates each gap concerns, and how many advocates and candidates there
    are, among all customers or one segment / value tier (the dashboard's KPIs): one
    query."""
    gaps = gap_filters(today=today)
    audience = AdvocateProfile.objects.all()
    if segment:
        audience = audience.filter(customer__segment=segment)
    if value_tier:
        audience = audience.filter(customer__value_tier=value_tier)
    profiles = _annotated(audience)
    confirmed = Q(status=AdvocateProfile.Status.CONFIRMED)
    return profiles.aggregate(
        advocates=Count("pk", filter=confirmed),
        candidates=Count("pk", filter=Q(status=AdvocateProfile.Status.CANDIDATE)),
        **{name: Count("pk", filter=confirmed & condition) for name, condition in gaps.items()},
    )


def unused_practices() -> list[tuple[str, str]]:
    """The practices no care action for a brand advocate has used yet: (value, label)."""
    used = set(CareAction.objects.filter(advocate__status=AdvocateProfile.Status.CONFIRMED)
               .order_by().values_list("practice", flat=True).distinct())
    return [(value, label) for value, label in CareAction.Practice.choices if value not in used]


def lagging_advocate_cases() -> QuerySet[Case]:
    """Open cases of brand advocates that are not top priority and that no person has held
    down by hand since the customer became an advocate: the cases to raise."""
    held_by_hand = CaseEvent.objects.filter(
        case=OuterRef("pk"), kind=CaseEvent.Kind.PRIORITY,
        actor_kind=CaseEvent.ActorKind.USER, actor__isnull=False,
        created_at__gte=OuterRef("customer__advocate_profile__confirmed_at"),
    )
    return (
        Case.objects.filter(status__in=Case.OPEN_STATUSES, priority__gt=Priority.URGENT,
                            customer__advocate_profile__status=AdvocateProfile.Status.CONFIRMED)
        .exclude(Q(~Q(priority_override_reason="")) & Q(Exists(held_by_hand)))
        .order_by("pk")
    )


# --- one advocate ------------------------------------------------------------------------------


def advocate_profiles() -> QuerySet[AdvocateProfile]:
    """Profiles of any status with their facts, for the profile page."""
    return _annotated(AdvocateProfile.objects.select_related("confirmed_by", "declined_by"))


@dataclass(frozen=True)
class AdvocateRecord:
    answers: list[Response]
    reviews: list[FeedbackItem]
    orders: list[Order]
    cases: list[Case]
    care_actions: list[CareAction]


def positive_reviews(*, customer: Customer) -> QuerySet[FeedbackItem]:
    """The customer's feedback that speaks well of us: a positive mood or a high rating
    (their own NPS comments, catalogued as feedback too, are listed with their answers)."""
    return (FeedbackItem.objects.filter(customer=customer)
            .exclude(source__platform=Source.Platform.NPS_SURVEY)
            .filter(Q(sentiment__gt=0) | Q(rating_normalised__gte=POSITIVE_RATING))
            .select_related("source").order_by(F("posted_at").desc(nulls_last=True), "-pk"))


def advocate_record(*, profile: AdvocateProfile) -> AdvocateRecord:
    """What the profile page lists, each the newest ``PROFILE_ROWS``: one query apiece."""
    customer = profile.customer
    return AdvocateRecord(
        answers=list(Response.objects.filter(customer=customer).select_related("survey")
                     .order_by("-answered_at", "-pk")[:PROFILE_ROWS]),
        reviews=list(positive_reviews(customer=customer)[:PROFILE_ROWS]),
        orders=list(Order.objects.filter(customer=customer)
                    .order_by("-ordered_at", "-pk")[:PROFILE_ROWS]),
        cases=list(Case.objects.filter(customer=customer).order_by("-opened_at", "-pk")
                   [:PROFILE_ROWS]),
        care_actions=list(profile.care_actions.select_related("actor", "case")
                          .order_by("-done_on", "-pk")[:PROFILE_ROWS * 2]),
    )


def open_cases_of(*, customer: Customer) -> QuerySet[Case]:
    """The cases a care action may be about."""
    return Case.objects.filter(customer=customer, status__in=Case.OPEN_STATUSES).order_by(
        "-opened_at", "-pk")


# --- the customer page ---------------------------------------------------------------------------


def customer_nps(*, customer: Customer) -> dict:
    """The NPS panel of the customer page: their answers over time and whether they are an
    advocate: two queries."""
    answers = list(Response.objects.filter(customer=customer).select_related("survey")
                   .order_by("-answered_at", "-pk")[:PANEL_ANSWERS + 1])
    return {
        "answers": answers[:PANEL_ANSWERS],
        "more": len(answers) > PANEL_ANSWERS,
        "advocate": AdvocateProfile.objects.filter(customer=customer).first(),
    }


# --- passives to call back -----------------------------------------------------------------------


def follow_ups() -> QuerySet[Response]:
    """Answers flagged for a call back (passives with a negative comment), newest first."""
    return (Response.objects.filter(follow_up=True).select_related("customer", "survey")
            .order_by("-answered_at", "-pk"))


def followed_up(*, limit: int = 10) -> list[Response]:
    """The latest follow-ups done, with who did them."""
    return list(Response.objects.filter(follow_up=False, followed_up_at__isnull=False)
                .select_related("customer", "followed_up_by")
                .order_by("-followed_up_at", "-pk")[:limit])


__all__ = [
    "GAPS",
    "advocate_candidates",
    "advocate_profiles",
    "advocate_record",
    "care_gap_counts",
    "confirmed_advocates",
    "customer_nps",
    "follow_ups",
    "followed_up",
    "gap_filters",
    "lagging_advocate_cases",
    "open_cases_of",
    "positive_reviews",
    "unused_practices",
]
