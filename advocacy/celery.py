"""The Celery app: one worker pool for every app's tasks, and the beat schedule."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "advocacy.settings")

app = Celery("advocacy")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_finalize.connect
def schedule_periodic_tasks(sender: Celery, **kwargs) -> None:
    from django.conf import settings

    sender.conf.beat_schedule = {
        "sweep-pending-work": {
            "task": "cases.tasks.sweep_pending_work",
            "schedule": float(settings.SWEEP_INTERVAL),
        },
        "risk-checks": {
            "task": "cases.tasks.run_risk_checks",
            "schedule": float(settings.RISK_CHECK_INTERVAL),
        },
        "pull-feeds": {
            "task": "feedback.tasks.pull_feeds",
            "schedule": float(settings.FEED_PULL_INTERVAL),
        },
        "refresh-needs": {
            "task": "feedback.tasks.refresh_needs",
            "schedule": float(settings.NEEDS_REFRESH_INTERVAL),
        },
        "refresh-analysis": {
            "task": "feedback.tasks.refresh_analysis",
            "schedule": float(settings.ANALYSIS_REFRESH_INTERVAL),
        },
        "nps-create-invitations": {
            "task": "nps.tasks.create_invitations",
            "schedule": float(settings.NPS_CREATE_INTERVAL),
        },
        "nps-dispatch-invitations": {
            "task": "nps.tasks.dispatch_invitations",
            "schedule": float(settings.NPS_DISPATCH_INTERVAL),
        },
        "nps-advocate-cases": {
            "task": "nps.tasks.raise_advocate_cases",
            "schedule": float(settings.NPS_ADVOCATE_CASES_INTERVAL),
        },
        "nps-invitation-tallies": {
            "task": "nps.tasks.refresh_invitation_tallies",
            "schedule": float(settings.NPS_TALLY_INTERVAL),
        },
        "refresh-maturity": {
            "task": "advocacy.tasks.refresh_maturity",
            "schedule": float(settings.MATURITY_REFRESH_MINUTES * 60),
        },
        "warm-kpis": {
            "task": "advocacy.tasks.warm_kpis",
            "schedule": float(settings.KPI_WARM_SECONDS),
        },
    }
