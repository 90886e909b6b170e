"""Cases as integrations read them (the API filters with the queue's search)."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from cases.models import Case, CaseEvent, Order


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
