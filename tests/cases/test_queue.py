"""The case queue: filters, search, sort, counts, htmx fragments and bulk changes."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases import selectors, services
from cases.models import Case, CaseEvent, Team
from cases.selectors import queue as queue_selectors
from tests.cases.factories import CaseFactory, CustomerFactory, OrderFactory, UserFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
XSS = "<script>alert('x')</script>"
XSS_ESCAPED = "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;"


def make_case(title: str, *, customer=None, orders=(), origin="manual", kind="other",
              **fields) -> Case:
    """A case opened through the service (so it has its timeline), then put in the state
    a test needs: status, priority, owner, team, due date."""
    case = CaseFactory(title=title, customer=customer or CustomerFactory(), orders=list(orders),
                       origin=origin, kind=kind)
    if fields:
        Case.objects.filter(pk=case.pk).update(**fields)
        case.refresh_from_db()
    return case


def titles(response) -> list[str]:
    return [case.title for case in response.context["page"].object_list]


@pytest.fixture
def desk(advocate, manager):
    """Five cases, one for each filter to find."""
    now = timezone.now()
    north = Team.objects.create(name="North")
    south = Team.objects.create(name="South")
    hotel = CustomerFactory(name="Giulia Rossi", email="giulia@trattoria.example",
                            segment="hospitality")
    return {
        "north": north,
        "overdue": make_case(
            "Oven overdue", customer=hotel, kind="late_delivery", origin="proactive",
            priority=1, team=north, due_at=now - timedelta(hours=3)),
        "soon": make_case(
            "Invoice due soon", kind="billing", origin="contact", priority=2,
            status="in_progress", owner=advocate, team=south, due_at=now + timedelta(hours=5)),
        "later": make_case(
            "Wrong item later", kind="wrong_item", origin="nps", priority=3,
            status="awaiting_customer", owner=manager, due_at=now + timedelta(days=3)),
        "resolved": make_case(
            "Resolved late delivery", kind="late_delivery", priority=3, status="resolved",
            outcome="retained", resolved_at=now, owner=advocate,
            due_at=now - timedelta(days=2)),
        "closed": make_case(
            "Closed billing", kind="billing", priority=4, status="closed", outcome="lost",
            resolved_at=now - timedelta(days=9), closed_at=now - timedelta(days=8)),
    }


# --- who may see it -----------------------------------------------------------------------


@pytest.mark.parametrize("method, name", [("get", "cases:queue"), ("post", "cases:queue-bulk")])
def test_anonymous_visitors_are_sent_to_the_login_page(client, method, name):
    response = getattr(client, method)(reverse(name))

    assert response.status_code == 302
    assert response["Location"].startswith(f"{reverse('login')}?next=")


def test_users_outside_the_staff_groups_are_refused(client):
    client.force_login(UserFactory())

    assert client.get(reverse("cases:queue")).status_code == 403
    assert client.post(reverse("cases:queue-bulk")).status_code == 403


def test_the_queue_is_home_and_in_the_navigation(advocate_client):
    assert advocate_client.get("/")["Location"] == reverse("cases:queue")

    content = advocate_client.get(reverse("cases:queue")).content.decode()

    assert f'<a href="{reverse("cases:queue")}" aria-current="page">Cases</a>' in content


# --- filters ------------------------------------------------------------------------------


def test_the_default_view_is_open_cases_by_priority_then_due_date(advocate_client, desk):
    response = advocate_client.get(reverse("cases:queue"))

    assert response.status_code == 200
    assert titles(response) == ["Oven overdue", "Invoice due soon", "Wrong item later"]


@pytest.mark.parametrize("query, expected", [
    ({"status": "all"}, {"Oven overdue", "Invoice due soon", "Wrong item later",
                         "Resolved late delivery", "Closed billing"}),
    ({"status": "resolved"}, {"Resolved late delivery"}),
    ({"status": "in_progress"}, {"Invoice due soon"}),
    ({"priority": "1"}, {"Oven overdue"}),
    ({"priority": "4", "status": "all"}, {"Closed billing"}),
    ({"kind": "billing"}, {"Invoice due soon"}),
    ({"kind": "billing", "status": "all"}, {"Invoice due soon", "Closed billing"}),
    ({"origin": "nps"}, {"Wrong item later"}),
    ({"owner": "mine"}, {"Invoice due soon"}),
    ({"owner": "mine", "status": "all"}, {"Invoice due soon", "Resolved late delivery"}),
    ({"owner": "unassigned"}, {"Oven overdue"}),
    ({"overdue": "1"}, {"Oven overdue"}),
    ({"overdue": "1", "status": "all"}, {"Oven overdue"}),  # a resolved case is never overdue
    ({"segment": "hospitality"}, {"Oven overdue"}),
    ({"priority": "2", "owner": "unassigned"}, set()),
])
def test_each_filter_narrows_the_queue(advocate_client, desk, query, expected):
    response = advocate_client.get(reverse("cases:queue"), query)

    assert set(titles(response)) == expected


def test_owner_and_team_filter_by_id(advocate_client, desk, manager):
    by_owner = advocate_client.get(reverse("cases:queue"), {"owner": manager.pk})
    by_team = advocate_client.get(reverse("cases:queue"), {"team": desk["north"].pk})

    assert titles(by_owner) == ["Wrong item later"]
    assert titles(by_team) == ["Oven overdue"]


def test_values_that_are_not_allowed_are_ignored(advocate_client, desk):
    response = advocate_client.get(reverse("cases:queue"), {
        "status": "deleted", "priority": "9", "kind": "x", "origin": "<b>", "owner": "everyone",
        "team": "north", "segment": "nowhere", "overdue": "0", "sort": "title; drop", "page": "x",
    })

    assert response.status_code == 200
    assert titles(response) == ["Oven overdue", "Invoice due soon", "Wrong item later"]
    content = response.content.decode()
    assert 'aria-invalid="true"' not in content
    assert '<option value="" selected>Open (3)</option>' in content


# --- search -------------------------------------------------------------------------------


def test_search_finds_a_case_by_number(advocate_client, desk):
    case = desk["later"]

    with_hash = advocate_client.get(reverse("cases:queue"), {"q": f"#{case.pk}"})
    digits = advocate_client.get(reverse("cases:queue"), {"q": str(case.pk), "status": "all"})

    assert titles(with_hash) == ["Wrong item later"]
    assert "Wrong item later" in titles(digits)


def test_search_finds_cases_by_customer_name_or_part_of_the_email(advocate_client, desk):
    by_email = advocate_client.get(reverse("cases:queue"), {"q": "giulia@TRATTORIA"})
    by_name = advocate_client.get(reverse("cases:queue"), {"q": "rossi"})

    assert titles(by_email) == ["Oven overdue"]
    assert titles(by_name) == ["Oven overdue"]


def test_search_finds_a_case_by_its_whole_order_reference(advocate_client):
    customer = CustomerFactory()
    order = OrderFactory(customer=customer, external_ref="WEB-88213")
    make_case("Late oven", customer=customer, orders=[order, OrderFactory(customer=customer)])
    make_case("Another case")

    whole = advocate_client.get(reverse("cases:queue"), {"q": "WEB-88213"})
    part = advocate_client.get(reverse("cases:queue"), {"q": "WEB-882"})

    assert titles(whole) == ["Late oven"]
    assert titles(part) == []


def test_search_finds_words_in_notes_once_per_case(advocate_client, advocate):
    noted = make_case("Noted case")
    services.add_note(case=noted, text="She prefers phone calls after 18:00", actor=advocate)
    services.add_note(case=noted, text="Phone calls only, she repeated", actor=advocate)
    make_case("Described case", description="phone calls mentioned outside a note")

    response = advocate_client.get(reverse("cases:queue"), {"q": "phone calls"})

    assert titles(response) == ["Noted case"]  # one row for two matching notes
    assert response.context["page"].paginator.count == 1


def test_search_keeps_the_other_filters(advocate_client, desk):
    response = advocate_client.get(reverse("cases:queue"), {"q": "late", "status": "all"})
    only_open = advocate_client.get(reverse("cases:queue"), {"q": "late"})

    assert set(titles(response)) == {"Wrong item later", "Resolved late delivery"}
    assert titles(only_open) == ["Wrong item later"]


# --- sort and pages -----------------------------------------------------------------------


def test_sorts_by_due_date_or_by_when_opened(advocate_client):
    now = timezone.now()
    make_case("Normal, due in 2 days", priority=3, due_at=now + timedelta(days=2),
              opened_at=now - timedelta(days=1))
    make_case("Normal, due in 1 day", priority=3, due_at=now + timedelta(days=1),
              opened_at=now - timedelta(days=3))
    make_case("Low, due in 1 hour", priority=4, due_at=now + timedelta(hours=1),
              opened_at=now - timedelta(days=2))
    make_case("Urgent, no due date", priority=1, due_at=None, opened_at=now)

    def sorted_by(sort: str) -> list[str]:
        return titles(advocate_client.get(reverse("cases:queue"), {"sort": sort}))

    assert sorted_by("priority") == ["Urgent, no due date", "Normal, due in 1 day",
                                     "Normal, due in 2 days", "Low, due in 1 hour"]
    assert sorted_by("due") == ["Low, due in 1 hour", "Normal, due in 1 day",
                                "Normal, due in 2 days", "Urgent, no due date"]
    assert sorted_by("newest") == ["Urgent, no due date", "Normal, due in 2 days",
                                   "Low, due in 1 hour", "Normal, due in 1 day"]
    assert sorted_by("oldest") == list(reversed(sorted_by("newest")))


def test_pages_keep_the_filters_in_their_links(advocate_client):
    customer = CustomerFactory()
    for number in range(30):
        make_case(f"Unassigned {number}", customer=customer)
    make_case("Someone's", owner=UserFactory.advocate())

    first = advocate_client.get(reverse("cases:queue"), {"owner": "unassigned", "sort": "due"})
    second = advocate_client.get(reverse("cases:queue"),
                                 {"owner": "unassigned", "sort": "due", "page": 2})

    content = first.content.decode()
    assert len(titles(first)) == 25 and len(titles(second)) == 5
    assert 'href="?owner=unassigned&amp;sort=due&amp;page=2"' in content
    assert 'hx-get="?owner=unassigned&amp;sort=due&amp;page=2"' in content
    assert "Someone's" not in titles(first) + titles(second)


# --- counts -------------------------------------------------------------------------------


def test_counts_per_option_keep_the_other_filters(advocate, desk):
    counts = selectors.queue_counts(user=advocate, filters=selectors.QueueFilters(priority=3))

    statuses = {option.value: option.count for option in counts.statuses}
    priorities = {option.value: option.count for option in counts.priorities}
    assert statuses == {"": 1, "all": 2, "new": 0, "in_progress": 0, "awaiting_decision": 0,
                        "awaiting_customer": 1, "resolved": 1, "closed": 0}
    assert priorities == {"": 3, "1": 1, "2": 1, "3": 1, "4": 0}  # under "open", any priority
    assert [option.value for option in counts.priorities if option.selected] == ["3"]
    assert (counts.mine, counts.unassigned, counts.overdue) == (0, 0, 0)


def test_mine_unassigned_and_overdue_counts(advocate, desk):
    counts = selectors.queue_counts(user=advocate, filters=selectors.QueueFilters())
    everything = selectors.queue_counts(user=advocate,
                                        filters=selectors.QueueFilters(status="all"))

    assert (counts.mine, counts.unassigned, counts.overdue) == (1, 1, 1)
    assert (everything.mine, everything.unassigned, everything.overdue) == (2, 2, 1)


def test_counts_are_one_query(advocate, desk):
    filters = selectors.QueueFilters(search="late", kind="late_delivery", owner="mine",
                                     overdue=True, segment="retail")

    with CaptureQueriesContext(connection) as queries:
        selectors.queue_counts(user=advocate, filters=filters)

    assert len(queries) == 1


@pytest.mark.parametrize("search", ["", "Brook", "#"])
def test_every_count_is_the_number_of_rows_its_option_shows(advocate, manager, search):
    """Random cases and random filter choices: the number next to each option is the
    number of rows the queue shows once that option is chosen, with or without a search
    (looked up once for the page, or run inside each query)."""
    import random

    rng = random.Random(20261130)
    now = timezone.now()
    brook = CustomerFactory(name="Ada Brook")
    owners = [advocate, manager, None]
    cases = []
    for number in range(40):
        cases.append(make_case(
            f"Case {number}", customer=brook if number % 3 else None,
            kind=rng.choice(["late_delivery", "billing"]),
            status=rng.choice(Case.Status.values), priority=rng.randint(1, 4),
            owner=rng.choice(owners),
            due_at=rng.choice([None, now - timedelta(hours=5), now + timedelta(hours=5)])))
    if search == "#":
        search = f"#{cases[7].pk}"

    def rows(filters) -> int:
        return selectors.case_queue(user=advocate, filters=filters, now=now).count()

    for _ in range(12):
        chosen = selectors.QueueFilters(
            search=search, status=rng.choice(["", "all", *Case.Status.values]),
            priority=rng.choice([None, 1, 2, 3, 4]),
            owner=rng.choice(["", "mine", "unassigned", str(manager.pk)]),
            overdue=rng.random() < 0.3, kind=rng.choice(["", "billing"]))
        for filters in (chosen, selectors.with_search_resolved(chosen, now)):
            counts = selectors.queue_counts(user=advocate, filters=filters, now=now)
            for option in counts.statuses:
                assert option.count == rows(replace(filters, status=option.value)), option
            for option in counts.priorities:
                priority = int(option.value) if option.value else None
                assert option.count == rows(replace(filters, priority=priority)), option
            assert counts.mine == rows(replace(filters, owner="mine"))
            assert counts.unassigned == rows(replace(filters, owner="unassigned"))
            assert counts.overdue == rows(replace(filters, overdue=True))
            assert counts.shown in (None, rows(filters))


def test_done_statuses_are_counted_up_to_a_cap(advocate, desk, monkeypatch):
    monkeypatch.setattr(queue_selectors, "COUNT_CAP", 1)
    for number in range(2):
        make_case(f"Old case {number}", status=Case.Status.CLOSED)

    counts = selectors.queue_counts(user=advocate, filters=selectors.QueueFilters())
    archive = selectors.queue_counts(user=advocate,
                                     filters=selectors.QueueFilters(status="closed"))

    statuses = {option.value: (option.count, option.more) for option in counts.statuses}
    assert statuses["closed"] == (1, True) and statuses["resolved"] == (1, False)
    assert statuses["all"] == (counts.statuses[0].count + 2, True)  # open + capped ones
    assert statuses[""] == (counts.shown, False)
    # browsing the archive, its own options are exact
    closed = Case.objects.filter(status="closed").count()
    assert closed > 2 and {o.value: o.count for o in archive.priorities}[""] == closed
    assert archive.shown is None  # capped: the page counts its rows itself


def test_a_capped_count_says_so(advocate_client, desk, monkeypatch):
    monkeypatch.setattr(queue_selectors, "COUNT_CAP", 1)
    for number in range(2):
        make_case(f"Old case {number}", status=Case.Status.CLOSED)

    content = advocate_client.get(reverse("cases:queue"), {"status": "closed"}).content.decode()

    assert '<option value="closed" selected>Closed (1+)</option>' in content
    assert f"{Case.objects.filter(status='closed').count()} cases" in content  # exact


def test_the_page_shows_the_counts_next_to_the_options(advocate_client, desk):
    content = advocate_client.get(reverse("cases:queue")).content.decode()

    assert '<option value="all">All (5)</option>' in content
    assert '<option value="1">Urgent (1)</option>' in content
    assert '<option value="mine">Me (1)</option>' in content
    assert '<option value="unassigned">Unassigned (1)</option>' in content
    assert 'Overdue <span class="queue-quick__count">1</span>' in content


# --- the rows -----------------------------------------------------------------------------


def test_overdue_and_due_soon_are_worded_not_only_coloured(advocate_client, desk):
    response = advocate_client.get(reverse("cases:queue"), {"status": "all"})

    states = {case.title: case.due_state for case in response.context["page"].object_list}
    assert states == {"Oven overdue": "overdue", "Invoice due soon": "soon",
                      "Wrong item later": "later", "Resolved late delivery": "done",
                      "Closed billing": "done"}
    content = response.content.decode()
    assert 'class="queue-due queue-due--overdue">Overdue</span>' in content
    assert 'class="queue-due queue-due--soon">Due soon</span>' in content


def test_rows_link_to_the_case_and_label_their_checkbox(advocate_client, desk):
    case = desk["overdue"]

    content = advocate_client.get(reverse("cases:queue")).content.decode()

    assert f'<a href="{case.get_absolute_url()}" data-queue-open>Oven overdue</a>' in content
    assert (f'<label class="visually-hidden" for="tick-case-{case.pk}">Tick case #{case.pk}'
            "</label>") in content
    assert "<caption" in content and 'scope="col"' in content


def test_untrusted_titles_names_and_searches_are_escaped(advocate_client, advocate):
    case = make_case(XSS, customer=CustomerFactory(name=XSS, segment=XSS))
    services.add_note(case=case, text=XSS, actor=advocate)

    listed = advocate_client.get(reverse("cases:queue")).content.decode()
    searched = advocate_client.get(reverse("cases:queue"), {"q": XSS}).content.decode()

    assert XSS not in listed and XSS not in searched
    assert XSS_ESCAPED in listed
    assert f'value="{XSS_ESCAPED}"' in searched


# --- htmx ---------------------------------------------------------------------------------


def test_an_htmx_request_gets_only_the_queue_fragment(advocate_client, desk):
    response = advocate_client.get(reverse("cases:queue"), {"priority": "1"}, **HTMX)

    content = response.content.decode()
    assert content.strip().startswith('<div id="case-queue"')
    assert "<html" not in content and 'id="queue-search"' not in content
    assert "Oven overdue" in content and "Invoice due soon" not in content
    assert "HX-Request" in response["Vary"]


def test_an_htmx_history_restore_gets_the_whole_page(advocate_client):
    response = advocate_client.get(
        reverse("cases:queue"), HTTP_HX_HISTORY_RESTORE_REQUEST="true", **HTMX)

    assert "<html" in response.content.decode()


# --- bulk changes -------------------------------------------------------------------------


def bulk(client, cases, **data):
    data.setdefault("next", reverse("cases:queue") + "?status=all")
    return client.post(reverse("cases:queue-bulk"), {"cases": [c.pk for c in cases], **data})


def test_bulk_assign_gives_every_ticked_case_to_the_chosen_person(
    manager_client, desk, advocate
):
    response = bulk(manager_client, [desk["overdue"], desk["later"]], action="assign",
                    owner=str(advocate.pk))

    assert response.status_code == 302
    assert response["Location"] == reverse("cases:queue") + "?status=all"
    overdue, later = (Case.objects.get(pk=desk[key].pk) for key in ("overdue", "later"))
    assert overdue.owner == later.owner == advocate
    assert overdue.status == Case.Status.IN_PROGRESS  # the service's rule: work starts
    assert CaseEvent.objects.filter(case__in=[overdue, later],
                                    kind=CaseEvent.Kind.ASSIGNED).count() == 2


def test_bulk_assign_to_me_and_to_nobody(advocate_client, desk, advocate):
    bulk(advocate_client, [desk["overdue"]], action="assign", owner="me")
    assert Case.objects.get(pk=desk["overdue"].pk).owner == advocate

    response = bulk(advocate_client, [desk["overdue"], desk["soon"]], action="assign",
                    owner="nobody")

    assert Case.objects.filter(pk__in=[desk["overdue"].pk, desk["soon"].pk],
                               owner=None).count() == 2
    page = advocate_client.get(response["Location"]).content.decode()
    assert "2 cases are now unassigned." in page


def test_bulk_status_applies_allowed_moves_and_reports_refused_ones(advocate_client, desk):
    response = bulk(advocate_client, [desk["overdue"], desk["resolved"], desk["closed"]],
                    action="status", status="in_progress", follow=False)

    assert response.status_code == 302
    assert Case.objects.get(pk=desk["overdue"].pk).status == Case.Status.IN_PROGRESS
    assert Case.objects.get(pk=desk["resolved"].pk).status == Case.Status.RESOLVED
    assert Case.objects.get(pk=desk["closed"].pk).status == Case.Status.CLOSED
    page = advocate_client.get(response["Location"]).content.decode()
    assert "1 case moved to “In progress”." in page
    resolved, closed = desk["resolved"].pk, desk["closed"].pk
    assert (f"#{resolved} was not changed: A case that is resolved cannot be set to in "
            "progress here.") in page
    assert f"#{closed} was not changed: A case that is closed cannot be set to" in page


def test_bulk_status_that_no_case_may_take_changes_nothing(advocate_client, desk):
    response = bulk(advocate_client, [desk["later"]], action="status", status="closed")

    page = advocate_client.get(response["Location"]).content.decode()
    assert Case.objects.get(pk=desk["later"].pk).status == Case.Status.AWAITING_CUSTOMER
    assert "moved to" not in page
    assert f"#{desk['later'].pk} was not changed" in page


def test_cases_refused_for_the_same_reason_share_one_message(advocate_client):
    first, second = make_case("First"), make_case("Second")

    response = bulk(advocate_client, [first, second], action="status", status="closed")

    page = advocate_client.get(response["Location"]).content.decode()
    assert (f"#{first.pk}, #{second.pk} were not changed: A case that is new cannot be set "
            "to closed here.") in page


def test_bulk_without_a_ticked_case_or_a_choice_says_what_is_missing(advocate_client, desk):
    def page_after(response) -> str:
        return advocate_client.get(response["Location"]).content.decode()

    nothing = bulk(advocate_client, [], action="assign", owner="me")
    assert "Tick at least one case first." in page_after(nothing)
    no_owner = bulk(advocate_client, [desk["overdue"]], action="assign", owner="")
    assert "Choose who gets the cases." in page_after(no_owner)
    assert Case.objects.get(pk=desk["overdue"].pk).owner is None


@pytest.mark.parametrize("next_url", [
    "https://evil.example/cases/", "//evil.example/cases/", "/customers/", "javascript:alert(1)",
])
def test_bulk_only_returns_to_the_queue(advocate_client, desk, next_url):
    response = bulk(advocate_client, [desk["overdue"]], action="assign", owner="me",
                    next=next_url)

    assert response["Location"] == reverse("cases:queue")


def test_bulk_with_htmx_comes_back_as_the_fragment_with_its_messages(advocate_client, desk):
    response = bulk(advocate_client, [desk["overdue"]], action="assign", owner="me", **HTMX)
    # htmx follows the redirect itself, sending HX-Request again
    fragment = advocate_client.get(response["Location"], **HTMX).content.decode()

    assert fragment.strip().startswith('<div id="case-queue"')
    assert "1 case assigned to" in fragment


def test_the_bulk_form_carries_the_current_view_back(advocate_client, desk):
    content = advocate_client.get(reverse("cases:queue"), {"owner": "mine", "page": "1"})

    assert ('<input type="hidden" name="next" value="/cases/?owner=mine&amp;page=1"'
            in content.content.decode())


def test_bulk_only_accepts_post(advocate_client):
    assert advocate_client.get(reverse("cases:queue-bulk")).status_code == 405


# --- query count --------------------------------------------------------------------------


# session, user+groups, staff, teams, segments, then: the open counts, the capped resolved
# and closed counts and the rows (the open counts hold the page count); or, searching, the
# matching customers, the matching cases (the counts are added up from them) and the rows.
QUEUE_VIEWS = [({"sort": "due"}, 9), ({"q": "case", "sort": "due"}, 8)]


@pytest.mark.parametrize("size", [5, 40])
@pytest.mark.parametrize(("query", "expected"), QUEUE_VIEWS)
def test_the_queue_query_count_does_not_grow_with_rows(
    advocate_client, advocate, django_assert_num_queries, size, query, expected
):
    team = Team.objects.create(name="North")
    for number in range(size):
        make_case(f"Case {number}", owner=advocate if number % 2 else None, team=team,
                  due_at=timezone.now() + timedelta(hours=number - 3))

    with django_assert_num_queries(expected):
        response = advocate_client.get(reverse("cases:queue"), query)
    assert response.status_code == 200


@pytest.mark.parametrize(("offset", "text"), [
    (timedelta(seconds=20), "now"),
    (timedelta(minutes=1), "in 1 minute"),
    (-timedelta(minutes=45), "45 minutes ago"),
    (timedelta(hours=5, minutes=59), "in 5 hours"),
    (-timedelta(hours=1), "1 hour ago"),
    (timedelta(days=1, hours=3), "in 1 day"),
    (-timedelta(days=40), "40 days ago"),
])
def test_due_and_opened_times_read_as_the_largest_whole_unit(offset, text):
    from cases.display import relative_time

    now = timezone.now()
    assert relative_time(now + offset, now) == text
