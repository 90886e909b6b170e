"""Celery tasks of the desk: thin wrappers that take ids and call one service each.

Every task may run twice (acks_late, the sweeper): the services make that harmless.
"""

from celery import shared_task

from cases import services


@shared_task(acks_late=True)
def import_orders(*, order_import_id: int) -> None:
    services.import_orders(order_import_id=order_import_id)


@shared_task(acks_late=True)
def sweep_pending_work() -> dict[str, int]:
    return services.sweep_pending_work().requeued


@shared_task(
    acks_late=True, autoretry_for=(OSError,), retry_backoff=30, retry_backoff_max=600,
    max_retries=5,
)
def send_customer_email(*, email_id: int) -> None:
    services.send_customer_email(email_id=email_id)


@shared_task(acks_late=True)
def run_risk_checks() -> list[str]:
    """Beat's entry: one task per enabled rule, so a slow or failing rule delays no other."""
    from cases.models import RiskRule

    services.sync_rules()
    keys = list(RiskRule.objects.filter(enabled=True).values_list("key", flat=True))
    for key in keys:
        run_risk_rule.delay(key=key)
    return keys


@shared_task(acks_late=True)
def run_risk_rule(*, key: str, as_of: str | None = None) -> int:
    from datetime import datetime

    moment = datetime.fromisoformat(as_of) if as_of else None
    return services.run_rule(key=key, as_of=moment).pk


@shared_task(
    acks_late=True, autoretry_for=(OSError,), retry_backoff=30, retry_backoff_max=600,
    max_retries=5,
)
def send_team_alert(*, alert_id: int) -> None:
    services.send_team_alert(alert_id=alert_id)


@shared_task(acks_late=True)
def run_risk_backtest(*, backtest_id: int) -> None:
    services.run_backtest(backtest_id=backtest_id)
