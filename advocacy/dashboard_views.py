"""The manager's dashboard at /dashboard/: the maturity level with its evidence, what the
next level needs, the monthly history; and the thresholds managers set."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from advocacy import maturity, selectors, services
from advocacy.forms import ThresholdsForm
from advocacy.models import MaturitySettings
from cases.auth import manager_required


@require_GET
@manager_required
def dashboard_page(request: HttpRequest) -> HttpResponse:
    """Reads the stored evaluation of this month (beat keeps it fresh): a handful of
    queries whatever the volume; with none stored yet, evaluates once and stores it."""
    history = selectors.maturity_history()
    snapshot = selectors.current_snapshot(history)
    if snapshot is None:
        snapshot = services.snapshot_maturity()
        history = selectors.maturity_history()
    minutes = int((timezone.now() - snapshot.evaluated_at).total_seconds() // 60)
    return render(
        request,
        "advocacy/dashboard.html",
        {
            "snapshot": snapshot,
            "evaluation": snapshot.evaluation,
            "history": history,
            "chart": selectors.history_chart(history),
            "minutes_ago": max(minutes, 0),
            "levels": maturity.LEVELS,
            "top_level": maturity.TOP_LEVEL,
            "window_days": maturity.WINDOW_DAYS,
        },
    )


@require_POST
@manager_required
def evaluate_now(request: HttpRequest) -> HttpResponse:
    snapshot = services.snapshot_maturity()
    messages.success(
        request,
        _("Re-evaluated from the latest evidence: level %(level)s.") % {"level": snapshot.level},
    )
    return redirect("dashboard")


@require_http_methods(["GET", "POST"])
@manager_required
def thresholds_page(request: HttpRequest) -> HttpResponse:
    current = MaturitySettings.current().effective_thresholds()
    form = ThresholdsForm(request.POST or None, thresholds=current)
    if request.method == "POST" and form.is_valid():
        try:
            evaluation = services.update_thresholds(
                thresholds=form.cleaned_data, actor=request.user
            )
            messages.success(
                request,
                _("Thresholds saved; re-evaluated under them: level %(level)s.")
                % {"level": evaluation.level},
            )
            return redirect("dashboard")
        except ValidationError as error:
            for key, errors in error.message_dict.items():
                form.add_error(key if key in form.fields else None, errors)
    return render(request, "advocacy/thresholds.html", {"form": form})
