"""Celery tasks of the feedback app: thin wrappers that take ids and call one service.

Every task may run twice (acks_late, the sweeper): the services make that harmless.
"""

from celery import shared_task


@shared_task(acks_late=True)
def import_feedback(*, batch_id: int) -> None:
    from feedback import services

    services.run_import(batch_id=batch_id)


@shared_task(acks_late=True)
def refresh_needs() -> int:
    from feedback import services

    return len(services.refresh_needs())


@shared_task(acks_late=True)
def refresh_analysis() -> int:
    from feedback import services

    return services.refresh_analysis()


@shared_task(acks_late=True)
def pull_feeds() -> dict[str, str]:
    from feedback import feeds

    return feeds.pull_feeds()


@shared_task(acks_late=True)
def recatalogue_feedback() -> int:
    """After a change to the taxonomy: every stored item catalogued again, then the needs
    and the analysis figures."""
    from feedback import services

    done = services.recatalogue()
    services.refresh_needs()
    services.refresh_analysis()
    return done
