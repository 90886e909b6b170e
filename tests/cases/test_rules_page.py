"""The Rules page: who may see and change the risk rules, saving settings, a refused
parameter, the run history and the stale-rule warning, running a rule now, the
proactivity figures and their period, and a query count that stays flat."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from cases import selectors, services
from cases.forms import BacktestForm
from cases.models import Case, RiskBacktest, RiskRule, RuleRun, Team
from cases.risk import RULES, Param, Rule
from tests.cases.factories import CaseFactory, CustomerFactory, OrderFactory, UserFactory

pytestmark = pytest.mark.django_db

HOUR = dt.timedelta(hours=1)
MINUTE = dt.timedelta(minutes=1)
XSS = "<script>alert('x')</script>"
XSS_ESCAPED = "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;"
HTMX_PERIOD = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "proactivity"}
RULES_URL = reverse("cases:rules")


@pytest.fixture(autouse=True)
def five_minute_checks(settings):
    settings.RISK_CHECK_INTERVAL = 300  # stale after 15 minutes


def save_url(key: str = "late_delivery") -> str:
    return reverse("cases:rule-save", args=[key])


def run_url(key: str = "late_delivery") -> str:
    return reverse("cases:rule-run", args=[key])


def settings_post(**fields) -> dict:
    return {"enabled": "on", "param_grace_hours": "6", "owner_team": "", **fields}


def run(key: str, started: dt.datetime, status: str = RuleRun.Status.SUCCEEDED,
        **fields) -> RuleRun:
    finished = None if status == RuleRun.Status.RUNNING else started + dt.timedelta(
        milliseconds=850)
    return RuleRun.objects.create(rule=services.rule_row(key), as_of=started,
                                  started_at=started, finished_at=finished, status=status,
                                  **fields)


def enable(key: str) -> RiskRule:
    row = services.rule_row(key)
    row.enabled = True
    row.save()
    return row


def card(response, key: str) -> str:
    """The HTML of one rule's card."""
    content = response.content.decode()
    start = content.index(f'id="rule-{key}"')
    end = content.find('<section class="card rule-card', start + 1)
    return content[start:end if end != -1 else content.index('id="proactivity"')]


# --- who may see and change it --------------------------------------------------------------


@pytest.mark.parametrize(("method", "url"), [
    ("get", RULES_URL), ("post", save_url()), ("post", run_url())])
def test_anonymous_visitors_are_sent_to_the_login_page(client, method, url):
    response = getattr(client, method)(url)

    assert response.status_code == 302
    assert response["Location"].startswith(f"{reverse('login')}?next=")


@pytest.mark.parametrize(("method", "url"), [
    ("get", RULES_URL), ("post", save_url()), ("post", run_url())])
def test_people_outside_the_staff_groups_are_refused(client, method, url):
    client.force_login(UserFactory(username="outsider"))

    assert getattr(client, method)(url).status_code == 403


def test_an_advocate_sees_the_rules_but_no_controls(advocate_client):
    response = advocate_client.get(RULES_URL)

    assert response.status_code == 200
    content = response.content.decode()
    for rule in RULES.values():
        assert str(rule.label) in content
    assert "Only a manager changes the rules" in content
    assert save_url() not in content and run_url() not in content
    assert '<fieldset class="rule-form__fields" disabled>' in content


def test_an_advocate_may_not_save_a_rule_or_run_one(
    advocate_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        saved = advocate_client.post(save_url(), settings_post())
        ran = advocate_client.post(run_url())

    assert saved.status_code == ran.status_code == 403
    assert b"This page is not for your role" in saved.content
    assert not callbacks
    assert not RiskRule.objects.filter(enabled=True).exists()
    assert not RuleRun.objects.exists()


def test_the_main_navigation_leads_staff_to_the_rules(advocate_client):
    response = advocate_client.get(reverse("cases:queue"))

    assert f'<a href="{RULES_URL}">Rules</a>' in response.content.decode()
    on_the_page = advocate_client.get(RULES_URL).content.decode()
    assert f'<a href="{RULES_URL}" aria-current="page">Rules</a>' in on_the_page


def test_unknown_rules_are_not_found(manager_client):
    assert manager_client.post(save_url("no_such_rule"), settings_post()).status_code == 404
    assert manager_client.post(run_url("no_such_rule")).status_code == 404


def test_saving_and_running_only_accept_posts(manager_client):
    assert manager_client.get(save_url()).status_code == 405
    assert manager_client.get(run_url()).status_code == 405


# --- changing a rule ------------------------------------------------------------------------


def test_a_manager_saves_a_rules_settings(manager_client, manager):
    north = Team.objects.create(name="North")

    response = manager_client.post(save_url(), settings_post(
        param_grace_hours="6", owner_team=str(north.pk), outreach="on"), follow=True)

    row = RiskRule.objects.get(key="late_delivery")
    assert (row.enabled, row.params, row.owner_team, row.outreach, row.updated_by) == (
        True, {"grace_hours": 6}, north, True, manager)
    assert response.redirect_chain == [(f"{RULES_URL}#rule-late_delivery", 302)]
    assert "“Late delivery” is saved." in response.content.decode()
    shown = card(response, "late_delivery")
    assert 'name="param_grace_hours" value="6"' in shown
    assert f'<option value="{north.pk}" selected>North</option>' in shown
    assert ('id="rule-late_delivery-enabled" '
            'aria-describedby="rule-late_delivery-enabled_helptext" checked') in shown
    assert f"Settings last changed by {manager.get_full_name()} on" in shown


def test_a_manager_switches_a_rule_off(manager_client):
    enable("at_risk")

    manager_client.post(save_url("at_risk"), {"param_silent_hours": "48",
                                              "param_ship_by_hours": "24"})

    assert RiskRule.objects.get(key="at_risk").enabled is False


def test_the_parameters_are_typed_number_inputs_with_their_range_and_help(manager_client):
    shown = card(manager_client.get(RULES_URL), "late_delivery")

    assert 'type="number" name="param_grace_hours" value="2"' in shown
    assert 'min="0"' in shown and 'max="336"' in shown and 'step="1"' in shown
    assert "Grace period (hours)" in shown
    assert "How long after the promised time an order counts as late." in shown
    assert "From 0 to 336; 2 by default." in shown


@pytest.mark.parametrize(("value", "message"), [
    ("9999", "grace_hours must be between 0 and 336; 9999 is not."),
    ("soon", "grace_hours must be a whole number, not &#x27;soon&#x27;."),
    ("", "grace_hours needs a value."),
])
def test_a_bad_parameter_is_refused_next_to_its_field_and_nothing_is_saved(
    manager_client, value, message
):
    before = services.rule_row("late_delivery")

    response = manager_client.post(save_url(), settings_post(param_grace_hours=value))

    assert response.status_code == 200
    shown = card(response, "late_delivery")
    errors = shown[shown.index('id="rule-late_delivery-param_grace_hours_error"'):]
    assert message in errors[:errors.index("</ul>")]
    assert 'aria-invalid="true"' in shown
    typed = f'name="param_grace_hours" value="{value}"' if value else 'name="param_grace_hours" min'
    assert typed in shown  # what they typed, not the saved value
    after = RiskRule.objects.get(key="late_delivery")
    assert (after.enabled, after.params, after.updated_at) == (
        False, {"grace_hours": 2}, before.updated_at)


def test_a_refused_parameter_of_one_rule_leaves_the_other_cards_as_saved(manager_client):
    response = manager_client.post(save_url("repeated_trouble"), {
        "enabled": "on", "param_problem_orders": "1", "param_window_days": "90",
        "param_grace_hours": "2"})

    assert "problem_orders must be between 2 and 100; 1 is not." in card(
        response, "repeated_trouble")
    assert "must be" not in card(response, "late_delivery")


def test_an_owner_team_that_does_not_exist_is_refused(manager_client):
    response = manager_client.post(save_url(), settings_post(owner_team="999"))

    assert response.status_code == 200
    assert "Select a valid choice" in card(response, "late_delivery")
    assert RiskRule.objects.get(key="late_delivery").enabled is False


# --- running a rule now -----------------------------------------------------------------------


def test_run_now_runs_the_rule_on_a_worker_after_the_request(
    manager_client, django_capture_on_commit_callbacks
):
    customer = CustomerFactory()
    OrderFactory(customer=customer, promised_delivery_at=timezone.now() - 2 * 24 * HOUR)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = manager_client.post(run_url())

    assert len(callbacks) == 1
    assert response.status_code == 302
    assert response["Location"] == f"{RULES_URL}#rule-late_delivery"
    run = RuleRun.objects.get(rule__key="late_delivery")
    assert (run.status, run.signals_new, run.cases_opened) == (RuleRun.Status.SUCCEEDED, 1, 1)
    assert Case.objects.get(customer=customer).origin == Case.Origin.PROACTIVE
    page = manager_client.get(RULES_URL).content.decode()
    assert "“Late delivery” is running now" in page
    assert 'class="run run--succeeded"' in card(manager_client.get(RULES_URL), "late_delivery")


def test_run_now_asks_first_when_the_rule_is_off(manager_client):
    enable("at_risk")
    response = manager_client.get(RULES_URL)

    assert "This rule is off. Run it once anyway?" in card(response, "late_delivery")
    assert "data-confirm" not in card(response, "at_risk")


# --- run history and the stale warning ------------------------------------------------------


def test_each_rule_shows_its_last_ten_runs_newest_first(advocate_client):
    now = timezone.now()
    for minutes in range(12):
        run("late_delivery", now - minutes * 10 * MINUTE, rows_examined=1000 + minutes,
            signals_new=3, signals_open=7, signals_cleared=2, cases_opened=1)
    run("at_risk", now - HOUR, status=RuleRun.Status.FAILED, error=f"ValueError: {XSS}")
    RuleRun.objects.filter(rule__key="late_delivery", rows_examined=1001).update(full=False)

    response = advocate_client.get(RULES_URL)

    late = card(response, "late_delivery")
    assert late.count('class="run run--') == 10
    assert ">1000<" in late and ">1009<" in late and ">1010<" not in late
    assert late.index(">1000<") < late.index(">1009<")
    assert "850 ms" in late and "Succeeded" in late
    assert late.count(">Changes only<") == 1 and late.count(">Full<") == 9
    assert "The last 10 runs" in late
    risky = card(response, "at_risk")
    assert risky.count('class="run run--') == 1 and "Failed" in risky
    assert XSS_ESCAPED in risky and XSS not in response.content.decode()
    assert "No runs yet." in card(response, "carrier_exception")


def test_runs_started_at_the_same_moment_still_show_ten():
    started = timezone.now() - HOUR
    for _number in range(12):
        run("late_delivery", started)
    run("at_risk", started)

    overviews = {overview.key: overview for overview in selectors.rule_overviews()}

    assert len(overviews["late_delivery"].runs) == 10
    assert len(overviews["at_risk"].runs) == 1
    assert overviews["carrier_exception"].runs == []


def test_a_running_run_has_no_duration_yet(advocate_client):
    run("late_delivery", timezone.now() - MINUTE, status=RuleRun.Status.RUNNING)

    shown = card(advocate_client.get(RULES_URL), "late_delivery")

    assert "Running" in shown
    assert '<td class="num">—</td>' in shown


@pytest.mark.parametrize(("enabled", "last_success", "failed_since", "warning"), [
    (True, 20, True, "No successful run in the last 15"),
    (True, None, False, "This rule is on but has never run successfully."),
    (True, 5, False, None),
    (False, 20, True, None),  # an off rule is not expected to run
    (False, None, False, None),
])
def test_an_enabled_rule_without_success_for_three_intervals_is_flagged(
    advocate_client, enabled, last_success, failed_since, warning
):
    now = timezone.now()
    if enabled:
        enable("late_delivery")
    if last_success is not None:
        run("late_delivery", now - last_success * MINUTE)
    if failed_since:
        run("late_delivery", now - 10 * MINUTE, status=RuleRun.Status.FAILED,
            error="OperationalError: database is locked")
        run("late_delivery", now - 5 * MINUTE, status=RuleRun.Status.FAILED,
            error="OperationalError: database is locked")

    shown = card(advocate_client.get(RULES_URL), "late_delivery")

    if warning is None:
        assert "callout--stale" not in shown
        assert "rule-card--stale" not in shown
    else:
        assert 'class="callout callout--stale" role="alert"' in shown
        assert warning in shown


def test_the_stale_window_follows_the_check_interval(advocate_client, settings):
    settings.RISK_CHECK_INTERVAL = 60
    enable("late_delivery")
    run("late_delivery", timezone.now() - 4 * MINUTE)

    shown = card(advocate_client.get(RULES_URL), "late_delivery")

    assert "No successful run in the last 3\xa0minutes." in shown


def test_the_overviews_read_without_writing_a_settings_row():
    overviews = selectors.rule_overviews()

    assert [overview.key for overview in overviews] == list(RULES)
    assert not RiskRule.objects.exists()
    assert overviews[0].row.params == {"grace_hours": 2}


# --- proactivity ------------------------------------------------------------------------------


def contacted_case(*, opened: dt.datetime, contact: dt.datetime | None,
                   rule: str = "late_delivery") -> Case:
    case = CaseFactory(customer=CustomerFactory(), orders=[],
                       origin="proactive" if rule else "contact")
    Case.objects.filter(pk=case.pk).update(opened_at=opened, first_customer_contact_at=contact,
                                           opened_by_rule=rule)
    return case


@pytest.fixture
def known_cases():
    """Three late-delivery cases with a contact, two caught 4 h and 10 h ahead; one at-risk
    case caught 1 h ahead; one case opened from a contact; and cases that do not count."""
    start = timezone.now().replace(microsecond=0) - 5 * 24 * HOUR
    contacted_case(opened=start, contact=start + 4 * HOUR)
    contacted_case(opened=start, contact=start + 10 * HOUR)
    contacted_case(opened=start, contact=start - HOUR)  # the customer was first
    contacted_case(opened=start, contact=start + HOUR, rule="at_risk")
    contacted_case(opened=start, contact=start, rule="")  # a contact opened it
    contacted_case(opened=start, contact=None)  # no contact: not counted
    contacted_case(opened=start - 60 * 24 * HOUR, contact=start)  # before the period
    return start


def test_proactivity_per_rule_and_overall(known_cases):
    since, until = selectors.default_period()

    figures = selectors.proactivity(since=since, until=until)

    late = next(row for row in figures.rules if row.key == "late_delivery")
    assert (late.with_contact, late.caught, late.median_lead_hours) == (3, 2, 7.0)
    assert late.share == pytest.approx(2 / 3)
    risky = next(row for row in figures.rules if row.key == "at_risk")
    assert (risky.with_contact, risky.caught, risky.median_lead_hours) == (1, 1, 1.0)
    silent = next(row for row in figures.rules if row.key == "carrier_exception")
    assert (silent.with_contact, silent.caught, silent.share, silent.median_lead_hours) == (
        0, 0, None, None)
    assert (figures.no_rule.with_contact, figures.no_rule.caught) == (1, 0)
    overall = figures.overall
    assert (overall.with_contact, overall.caught, overall.median_lead_hours) == (5, 3, 4.0)
    assert overall.share == pytest.approx(3 / 5)


def test_the_period_counts_whole_days_in_local_time(known_cases):
    day = timezone.localdate(known_cases)

    assert selectors.proactivity(since=day, until=day).overall.with_contact == 5
    after = selectors.proactivity(since=day + dt.timedelta(days=1), until=timezone.localdate())
    assert after.overall.with_contact == 0
    assert after.overall.median_lead_hours is None


def test_a_rule_no_longer_registered_keeps_its_row(known_cases):
    contacted_case(opened=known_cases, contact=known_cases + 2 * HOUR, rule="retired_rule")
    since, until = selectors.default_period()

    rows = selectors.proactivity(since=since, until=until).rules

    assert rows[-1].key == "retired_rule" and rows[-1].caught == 1


def test_the_page_shows_the_proactivity_table(advocate_client, known_cases):
    content = advocate_client.get(RULES_URL).content.decode()

    table = content[content.index('id="proactivity"'):]
    late = table[table.index('data-rule="late_delivery"'):]
    late = late[:late.index("</tr>")]
    assert [cell.split("<")[0] for cell in late.split('class="num">')[1:]] == [
        "3", "2", "67%", "7.0 h"]
    overall = table[table.index('data-rule="*"'):]
    assert "All cases" in overall and "60%" in overall and "4.0 h" in overall


def test_the_period_comes_from_the_address(advocate_client, known_cases):
    day = timezone.localdate(known_cases)
    later = day + dt.timedelta(days=1)

    response = advocate_client.get(RULES_URL, {"since": later.isoformat(),
                                               "until": timezone.localdate().isoformat()})

    assert response.context["figures"].overall.with_contact == 0
    assert f'name="since" id="period-since" value="{later.isoformat()}"' in (
        response.content.decode())


@pytest.mark.parametrize("query", [
    {"since": "yesterday"},
    {"since": "2026-05-10", "until": "2026-05-01"},
])
def test_a_wrong_period_shows_the_default_with_a_message(advocate_client, query):
    response = advocate_client.get(RULES_URL, query)

    assert response.status_code == 200
    figures = response.context["figures"]
    assert (figures.since, figures.until) == selectors.default_period()
    content = response.content.decode()
    assert "Enter a valid date." in content or "must end on or after" in content


def test_htmx_gets_only_the_proactivity_table(advocate_client, known_cases):
    response = advocate_client.get(RULES_URL, {"since": "2020-01-01"}, **HTMX_PERIOD)

    content = response.content.decode()
    assert content.lstrip().startswith('<section id="proactivity"')
    assert "<html" not in content and "rule-card" not in content
    assert {"HX-Request", "HX-Target"} <= set(response["Vary"].split(", "))


# --- queries ----------------------------------------------------------------------------------


class ExtraRule(Rule):
    key = "extra_rule"
    label = "Extra rule"
    description = "A rule registered only for this test."
    params = {"hours": Param("Hours", 1, 0, 10)}
    case_kind = Case.Kind.OTHER


@pytest.mark.parametrize("size", [1, 15])
def test_the_page_query_count_does_not_grow_with_rules_or_runs(
    manager_client, django_assert_num_queries, monkeypatch, size
):
    if size > 1:  # more rules, every one with a settings row and a long history
        monkeypatch.setitem(RULES, "extra_rule", ExtraRule())
        keys = list(RULES)
        for team in range(5):
            Team.objects.create(name=f"Team {team}")
    else:
        keys = ["late_delivery"]
    now = timezone.now()
    for key in keys:
        enable(key)
        for number in range(size):
            run(key, now - number * MINUTE, error="boom" if number % 3 else "")
        for _number in range(size):
            contacted_case(opened=now - 3 * HOUR, contact=now - HOUR, rule=key)
    for _number in range(size):
        RiskBacktest.objects.create(rule_key="", start=now - 7 * 24 * HOUR, end=now,
                                    requested_by=UserFactory())

    # session, user+groups; rules with their last success; their runs; teams; the
    # proactivity counts and lead times; the recent backtests with who asked
    with django_assert_num_queries(8):
        response = manager_client.get(RULES_URL)
    assert response.status_code == 200


# --- backtests --------------------------------------------------------------------------------

BACKTEST_START = reverse("cases:rule-backtest-start")
RESULT = {"steps": 168, "rules": [
    {"key": "late_delivery", "label": "Late delivery", "problem_orders": 12,
     "caught_before_contact": 6, "with_contact": 9, "median_lead_hours": 7.5,
     "false_alarms": 2, "signals": 14},
    {"key": "at_risk", "label": "Delivery at risk", "problem_orders": 0,
     "caught_before_contact": 0, "with_contact": 0, "median_lead_hours": None,
     "false_alarms": 3, "signals": 3},
]}


def backtest_post(**fields) -> dict:
    return {"rule_key": "late_delivery", "start": "2026-10-01T00:00", "end": "2026-10-08T00:00",
            "step": "2", "params": "", **fields}


def test_only_managers_see_the_backtest_form(advocate_client, manager_client):
    assert 'id="backtest"' not in advocate_client.get(RULES_URL).content.decode()
    content = manager_client.get(RULES_URL).content.decode()
    assert f'action="{BACKTEST_START}#backtest"' in content
    assert '<option value="" selected>Every rule</option>' in content
    assert 'name="step" value="1"' in content


def test_an_advocate_may_not_start_or_read_a_backtest(advocate_client):
    assert advocate_client.post(BACKTEST_START, backtest_post()).status_code == 403
    url = reverse("cases:rule-backtest", args=[1])
    assert advocate_client.get(url).status_code == 403


def test_parameter_overrides_are_read_one_per_line():
    form = BacktestForm(backtest_post(params="grace_hours = 4\r\n\r\n  silent_hours=12  "))

    assert form.is_valid(), form.errors
    arguments = form.arguments()
    assert arguments["params"] == {"grace_hours": "4", "silent_hours": "12"}
    assert arguments["step"] == 2 * HOUR
    assert arguments["rule_key"] == "late_delivery"
    assert arguments["end"] - arguments["start"] == 7 * 24 * HOUR


@pytest.mark.parametrize(("params", "message"), [
    ("grace_hours=4\ngrace hours 5", "Line 2 is not KEY=VALUE: “grace hours 5”."),
    ("grace_hours=4\ngrace_hours=5", "grace_hours is set twice."),
])
def test_a_malformed_override_is_refused_before_the_service(manager_client, params, message):
    response = manager_client.post(BACKTEST_START, backtest_post(params=params))

    assert response.status_code == 200
    content = response.content.decode()
    errors = content[content.index('id="backtest-params_error"'):]
    assert message in errors[:errors.index("</ul>")]


def test_a_backtest_that_does_not_exist_is_not_found(manager_client):
    assert manager_client.get(reverse("cases:rule-backtest", args=[999])).status_code == 404


def fake_backtest(status: str, **fields):
    from types import SimpleNamespace

    labels = {"pending": "Pending", "running": "Running", "done": "Done", "failed": "Failed"}
    return SimpleNamespace(pk=7, status=status, get_status_display=lambda: labels[status],
                           **{"result": None, "error": "", "finished_at": None, **fields})


def render_result(backtest) -> str:
    from django.template.loader import render_to_string
    from django.test import RequestFactory

    request = RequestFactory().get("/rules/backtests/7/")
    return render_to_string("cases/rule_backtest.html#backtest-result", {
        "backtest": backtest, "rows": selectors.backtest_rows(backtest=backtest),
        "finished": backtest.status in selectors.BACKTEST_FINISHED}, request=request)


@pytest.mark.parametrize("status", ["pending", "running"])
def test_an_unfinished_backtest_polls_every_two_seconds_and_offers_a_reload(status):
    html = render_result(fake_backtest(status))

    assert 'hx-get="/rules/backtests/7/" hx-trigger="every 2s" hx-swap="outerHTML"' in html
    assert "Running…" in html
    assert '<p class="no-js-only"><a href="/rules/backtests/7/">' in html
    assert "<table" not in html


def test_a_finished_backtest_shows_each_rules_figures_and_stops_polling():
    html = render_result(fake_backtest("done", result=RESULT))

    assert "hx-trigger" not in html and "Running…" not in html
    assert "evaluated at 168 moments" in html
    late = html[html.index('data-rule="late_delivery"'):]
    late = late[:late.index("</tr>")]
    assert [cell.split("<")[0] for cell in late.split('class="num">')[1:]] == [
        "14", "12", "9", "6", "67%", "7.5 h", "2"]
    risky = html[html.index('data-rule="at_risk"'):]
    assert "—" in risky[:risky.index("</tr>")]


def test_a_failed_backtest_shows_its_error_escaped():
    html = render_result(fake_backtest("failed", error=f"ValueError: {XSS}"))

    assert "hx-trigger" not in html
    assert XSS_ESCAPED in html and XSS not in html


def test_a_manager_starts_a_backtest_and_waits_for_its_page(
    manager_client, manager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:  # the worker has not run yet
        response = manager_client.post(BACKTEST_START, backtest_post(params="grace_hours=4"))

    backtest = RiskBacktest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:rule-backtest", args=[backtest.pk])
    assert len(callbacks) == 1
    assert (backtest.rule_key, backtest.step_minutes, backtest.requested_by) == (
        "late_delivery", 120, manager)
    page = manager_client.get(response["Location"]).content.decode()
    assert 'hx-trigger="every 2s"' in page and "Running…" in page
    fragment = manager_client.get(response["Location"], HTTP_HX_REQUEST="true")
    assert fragment.content.decode().lstrip().startswith('<section id="backtest-result"')


def test_the_services_refusal_is_shown_next_to_its_field(manager_client):
    response = manager_client.post(BACKTEST_START, backtest_post(params="grace_hours=9999"))

    assert response.status_code == 200
    content = response.content.decode()
    errors = content[content.index('id="backtest-params_error"'):]
    assert "grace_hours" in errors[:errors.index("</ul>")]
    assert not RiskBacktest.objects.exists()


def test_a_done_backtest_page_shows_the_table_and_the_rules_page_links_to_it(
    manager_client, manager
):
    now = timezone.now()
    backtest = RiskBacktest.objects.create(
        rule_key="", params={}, start=now - 7 * 24 * HOUR, end=now, step_minutes=60,
        status="done", result=RESULT, requested_by=manager, finished_at=now)
    url = reverse("cases:rule-backtest", args=[backtest.pk])

    page = manager_client.get(url).content.decode()
    rules = manager_client.get(RULES_URL).content.decode()

    assert "Every rule" in page and 'data-rule="late_delivery"' in page
    assert "hx-trigger" not in page
    assert f'href="{url}"' in rules
