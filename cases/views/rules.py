"""The Rules page: managers switch the proactive risk rules on and off, set their
parameters, owner team and outreach, run one now, and backtest them on a past period;
everyone on the desk sees the rules' recent runs, which ones have stopped succeeding, and
how often a rule caught a problem before the customer complained.
"""

import datetime as dt
from functools import partial

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.timesince import timesince
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from cases import selectors, services, tasks
from cases.auth import is_manager, manager_required, staff_required
from cases.forms import BacktestForm, RuleForm, RulePeriodForm, add_service_error
from cases.risk import RULES, Rule
from cases.views.partials import wants_fragment

RULES_PAGE = "cases/rules.html"
BACKTEST_PAGE = "cases/rule_backtest.html"


def _rule(key: str) -> Rule:
    if key not in RULES:
        raise Http404(_("There is no such risk rule."))
    return RULES[key]


def _rules_url(key: str = "") -> str:
    return reverse("cases:rules") + (f"#rule-{key}" if key else "")


def _page_context(request: HttpRequest, *, period: RulePeriodForm,
                  bound: RuleForm | None = None, backtest: BacktestForm | None = None) -> dict:
    """Everything the page shows; ``bound`` is a manager's refused settings for one rule,
    ``backtest`` their refused backtest."""
    teams = selectors.teams()
    now = timezone.now()
    cards = [
        (overview, bound if bound is not None and bound.rule.key == overview.key
         else RuleForm(rule=overview.rule, row=overview.row, teams=teams))
        for overview in selectors.rule_overviews(now=now)
    ]
    since, until = period.period()
    manager = is_manager(request.user)
    return {
        "cards": cards, "is_manager": manager, "period": period,
        "backtest_form": (backtest or BacktestForm()) if manager else None,
        "backtests": selectors.recent_backtests() if manager else [],
        "figures": selectors.proactivity(since=since, until=until),
        "stale_window": timesince(now - selectors.stale_after(), now),
        "check_interval": timesince(
            now - dt.timedelta(seconds=settings.RISK_CHECK_INTERVAL), now),
    }


@require_GET
@vary_on_headers("HX-Request", "HX-Target")
@staff_required
def rules_page(request: HttpRequest) -> HttpResponse:
    period = RulePeriodForm(request.GET)
    if wants_fragment(request) and request.htmx.target == "proactivity":
        since, until = period.period()
        return render(request, RULES_PAGE + "#proactivity", {
            "period": period, "figures": selectors.proactivity(since=since, until=until)})
    return render(request, RULES_PAGE, _page_context(request, period=period))


@require_POST
@manager_required
def rule_save(request: HttpRequest, key: str) -> HttpResponse:
    """Save one rule's settings; a refused parameter is shown next to its field, with the
    rest of the page as it is, and nothing is saved."""
    rule = _rule(key)
    form = RuleForm(request.POST, rule=rule, row=services.rule_row(key),
                    teams=selectors.teams())
    if form.is_valid():
        try:
            services.update_rule(key=key, changes=form.settings(), actor=request.user)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("“%(rule)s” is saved.") % {"rule": rule.label})
            return redirect(_rules_url(key))
    context = _page_context(request, period=RulePeriodForm({}), bound=form)
    return render(request, RULES_PAGE, context)


@require_POST
@manager_required
def rule_run(request: HttpRequest, key: str) -> HttpResponse:
    """Run one rule now, on a worker, as the schedule would."""
    rule = _rule(key)
    transaction.on_commit(partial(tasks.run_risk_rule.delay, key=key))
    messages.success(request, _("“%(rule)s” is running now; its run appears in the list "
                                "when it finishes.") % {"rule": rule.label})
    return redirect(_rules_url(key))


@require_POST
@manager_required
def rule_backtest_start(request: HttpRequest) -> HttpResponse:
    """Start a backtest on a worker and go to its page, which shows the result when ready."""
    form = BacktestForm(request.POST)
    if form.is_valid():
        try:
            backtest = services.start_backtest(requested_by=request.user, **form.arguments())
        except ValidationError as error:
            add_service_error(form, error)
        else:
            return redirect("cases:rule-backtest", pk=backtest.pk)
    context = _page_context(request, period=RulePeriodForm({}), backtest=form)
    return render(request, RULES_PAGE, context)


@require_GET
@vary_on_headers("HX-Request")
@manager_required
def rule_backtest_page(request: HttpRequest, pk: int) -> HttpResponse:
    """One backtest: "running…" (htmx asks again every 2 s) until done, then its figures."""
    try:
        backtest = selectors.risk_backtest(pk=pk)
    except ObjectDoesNotExist:
        raise Http404(_("No backtest has this number.")) from None
    template = BACKTEST_PAGE + ("#backtest-result" if wants_fragment(request) else "")
    return render(request, template, {
        "backtest": backtest, "rows": selectors.backtest_rows(backtest=backtest),
        "finished": backtest.status in selectors.BACKTEST_FINISHED,
        "rule": RULES.get(backtest.rule_key),
    })
