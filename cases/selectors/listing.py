"""Cases as integrations read them, and the search the queue and the API share."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from cases.models import Case, CaseEvent, Order


def case_search(text: str) -> Q:
    """Cases matching a number (``123`` or ``#123``), a customer's name or email, an order
    ref or the text of a note."""
    text = text.strip()
    if not text:
        return Q()
    query = (
        Q(customer__name__icontains=text)
        | Q(customer__email__iexact=text)
        | Exists(Order.cases.through.objects.filter(case_id=OuterRef("pk"),
                                                    order__external_ref=text))
        | Exists(CaseEvent.objects.filter(case_id=OuterRef("pk"), kind=CaseEvent.Kind.NOTE,
                                          message__icontains=text))
    )
    number = text.removeprefix("#")
    return query | Q(pk=int(number)) if number.isdigit() else query


def cases_for_api() -> QuerySet[Case]:
    return Case.objects.select_related("customer", "owner", "team").prefetch_related(
        Prefetch("orders", queryset=Order.objects.only("pk", "external_ref"))
    )


def case_for_api(*, number: int) -> Case | None:
    return (
        cases_for_api()
        .select_related("impact")
        .prefetch_related("remedies", Prefetch("events", CaseEvent.objects.order_by(
            "-created_at", "-pk")))
        .filter(pk=number).first()
    )
