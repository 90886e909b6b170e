"""Celery tasks of the programme view: thin wrappers over its services."""

from celery import shared_task


@shared_task(acks_late=True)
def refresh_maturity() -> int:
    """Beat: re-evaluate the maturity model and upsert this month's snapshot (its level)."""
    from advocacy import services

    return services.snapshot_maturity().level


@shared_task(acks_late=True)
def warm_kpis() -> int:
    """Beat: compute the KPI dashboard's preset periods ahead of the managers."""
    from advocacy import kpis

    return kpis.warm_kpi_figures()
