"""The desk's pages: who may see them, what they show, htmx fragments, flat query counts."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from cases import services
from cases.models import ApiKey, Order, OrderImport
from tests.cases.factories import (
    PASSWORD,
    CustomerFactory,
    OrderFactory,
    ShipmentEventFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
XSS = "<script>alert('x')</script>"
XSS_ESCAPED = "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;"


def staff_urls() -> list[str]:
    return [
        reverse("cases:customers"),
        reverse("cases:customer", args=["C-1"]),
        reverse("cases:order-import-new"),
        reverse("cases:order-import", args=[1]),
        reverse("cases:api-keys"),
    ]


# --- who may see what -------------------------------------------------------------------


@pytest.mark.parametrize("url", staff_urls())
def test_anonymous_visitors_are_sent_to_the_login_page(client, url):
    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith(f"{reverse('login')}?next=")


def test_anonymous_revoke_is_sent_to_the_login_page(client):
    response = client.post(reverse("cases:api-key-revoke", args=[1]))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_user_outside_the_staff_groups_is_refused(client):
    client.force_login(UserFactory())

    assert client.get(reverse("cases:customers")).status_code == 403


def test_advocates_may_not_see_or_use_api_keys(advocate_client, manager):
    api_key, _raw = services.create_api_key(name="Shop", scopes=["orders:write"], actor=manager)

    assert advocate_client.get(reverse("cases:api-keys")).status_code == 403
    response = advocate_client.post(reverse("cases:api-key-revoke", args=[api_key.pk]))
    assert response.status_code == 403
    api_key.refresh_from_db()
    assert api_key.is_active


def test_the_login_page_signs_an_advocate_in(client, advocate):
    page = client.get(reverse("login"))
    assert page.status_code == 200
    assert b'autocomplete="current-password"' in page.content

    response = client.post(
        reverse("login"), {"username": advocate.username, "password": PASSWORD}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("cases:queue")


def test_the_user_menu_offers_api_keys_and_admin_to_managers_only(
    advocate_client, manager_client
):
    keys_url = reverse("cases:api-keys").encode()
    advocate_page = advocate_client.get(reverse("cases:customers"))
    manager_page = manager_client.get(reverse("cases:customers"))

    assert keys_url not in advocate_page.content
    assert reverse("admin:index").encode() not in advocate_page.content
    assert keys_url in manager_page.content
    assert reverse("admin:index").encode() in manager_page.content
    assert b'method="post" action="/accounts/logout/"' in advocate_page.content


def test_navigation_marks_the_current_section_and_disables_unbuilt_ones(advocate_client):
    content = advocate_client.get(reverse("cases:customers")).content.decode()

    assert f'<a href="{reverse("cases:customers")}" aria-current="page">Customers</a>' in content
    assert f'<a href="{reverse("cases:queue")}">Cases</a>' in content
    assert f'<a href="{reverse("feedback:sources")}">Feedback</a>' in content
    assert f'<a href="{reverse("nps:reports")}">NPS</a>' in content
    assert 'aria-disabled="true" title="Coming soon">Dashboard</span>' in content


# --- API keys ---------------------------------------------------------------------------


def test_a_manager_sees_a_new_key_once_and_then_only_its_prefix(manager_client):
    response = manager_client.post(
        reverse("cases:api-keys"), {"name": "Webshop", "scopes": ["orders:write"]}
    )

    assert response.status_code == 200
    api_key = ApiKey.objects.get(name="Webshop")
    raw_key = response.context["raw_key"]
    assert raw_key.startswith(f"adk_{api_key.prefix}_")
    content = response.content.decode()
    assert content.count(raw_key) == 1
    assert "it will not be shown again" in content
    assert "no-store" in response["Cache-Control"]

    later = manager_client.get(reverse("cases:api-keys")).content.decode()
    assert raw_key not in later
    assert f"{api_key.prefix}…" in later


def test_creating_a_key_without_a_scope_shows_the_error_and_creates_nothing(manager_client):
    response = manager_client.post(reverse("cases:api-keys"), {"name": "Webshop"})

    assert response.status_code == 200
    assert "Choose at least one scope." in response.content.decode()
    assert not ApiKey.objects.exists()


def test_revoking_a_key_takes_a_post_and_says_so(manager_client, manager):
    api_key, _raw = services.create_api_key(name="Feed", scopes=["orders:write"], actor=manager)
    url = reverse("cases:api-key-revoke", args=[api_key.pk])

    assert manager_client.get(url).status_code == 405
    api_key.refresh_from_db()
    assert api_key.is_active

    response = manager_client.post(url, follow=True)

    assert response.redirect_chain == [(reverse("cases:api-keys"), 302)]
    api_key.refresh_from_db()
    assert not api_key.is_active
    assert "The key “Feed” is revoked." in response.content.decode()
    assert "Revoked" in response.content.decode()


def test_revoking_an_unknown_key_is_not_found(manager_client):
    assert manager_client.post(reverse("cases:api-key-revoke", args=[999])).status_code == 404


# --- customer list ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "query", ["Rossi", "giulia@ROSSI.example", "giulia@ro", "C-777", "Trattoria"], ids=str
)
def test_customers_are_found_by_name_email_reference_or_company(advocate_client, query):
    CustomerFactory(name="Giulia Rossi", email="giulia@rossi.example", external_ref="C-777",
                    company="Trattoria da Giulia")
    CustomerFactory(name="Ola Nordmann", email="ola@example.no", company="Nordmann AS")

    response = advocate_client.get(reverse("cases:customers"), {"q": query})

    names = [customer.name for customer in response.context["page"].object_list]
    assert names == ["Giulia Rossi"]
    assert 'value="' + query + '"' in response.content.decode()


def test_a_search_without_results_says_so(advocate_client):
    CustomerFactory(name="Giulia Rossi")

    response = advocate_client.get(reverse("cases:customers"), {"q": "nobody"})

    assert "No customer matches your search" in response.content.decode()


def test_the_customer_list_pages_by_25_and_keeps_the_search(advocate_client):
    for number in range(30):
        CustomerFactory(name=f"Acme buyer {number:02d}", company="Acme")
    CustomerFactory(name="Someone else", company="Other")

    first = advocate_client.get(reverse("cases:customers"), {"q": "acme"})
    second = advocate_client.get(reverse("cases:customers"), {"q": "acme", "page": 2})

    assert len(first.context["page"].object_list) == 25
    assert len(second.context["page"].object_list) == 5
    assert 'href="?q=acme&amp;page=2"' in first.content.decode()
    assert 'hx-get="?q=acme&amp;page=2"' in first.content.decode()
    assert "Acme buyer 29" in second.content.decode()


def test_an_htmx_search_returns_only_the_table(advocate_client):
    CustomerFactory(name="Giulia Rossi")

    response = advocate_client.get(reverse("cases:customers"), {"q": "giulia"}, **HTMX)

    content = response.content.decode()
    assert content.strip().startswith('<div id="customer-table"')
    assert "<html" not in content
    assert "Giulia Rossi" in content
    assert "HX-Request" in response["Vary"]


def test_an_htmx_history_restore_gets_the_whole_page(advocate_client):
    response = advocate_client.get(
        reverse("cases:customers"), HTTP_HX_HISTORY_RESTORE_REQUEST="true", **HTMX
    )

    assert "<html" in response.content.decode()


def test_customer_names_are_escaped_in_the_list(advocate_client):
    CustomerFactory(name=XSS, company=XSS)

    content = advocate_client.get(reverse("cases:customers")).content.decode()

    assert XSS not in content
    assert XSS_ESCAPED in content


@pytest.mark.parametrize("size", [3, 30])
def test_the_customer_list_query_count_does_not_grow_with_rows(
    advocate_client, django_assert_num_queries, size
):
    CustomerFactory.create_batch(size)

    # session, user+groups, count, page
    with django_assert_num_queries(4):
        response = advocate_client.get(reverse("cases:customers"))
    assert response.status_code == 200


# --- customer page ----------------------------------------------------------------------


def order_in_each_state(customer) -> None:
    now = timezone.now()
    OrderFactory(customer=customer, external_ref="ON-TIME")
    OrderFactory(customer=customer, external_ref="AT-RISK",
                 expected_delivery_at=now + timedelta(days=5))
    OrderFactory(customer=customer, external_ref="LATE-3",
                 promised_delivery_at=now - timedelta(days=3), expected_delivery_at=None)
    OrderFactory(customer=customer, external_ref="LATE-1",
                 promised_delivery_at=now - timedelta(days=1), expected_delivery_at=None)
    OrderFactory(customer=customer, external_ref="DELIVERED-LATE",
                 promised_delivery_at=now - timedelta(days=6),
                 delivered_at=now - timedelta(days=4), status=Order.Status.DELIVERED)
    OrderFactory(customer=customer, external_ref="DELIVERED-OK",
                 promised_delivery_at=now - timedelta(days=2),
                 delivered_at=now - timedelta(days=3), status=Order.Status.DELIVERED)
    OrderFactory(customer=customer, external_ref="NO-PROMISE",
                 promised_delivery_at=None, expected_delivery_at=None)


def badge_of(content: str, order_ref: str) -> str:
    row = content.split(f'<code class="ref">{order_ref}</code>', 1)[1].split("</tr>", 1)[0]
    return row.split('class="badge', 1)[1].split("</span>", 1)[0]


def test_the_customer_page_shows_each_order_delivery_state(advocate_client):
    customer = CustomerFactory()
    order_in_each_state(customer)

    response = advocate_client.get(customer.get_absolute_url())

    content = response.content.decode()
    assert "On time" in badge_of(content, "ON-TIME")
    assert "At risk" in badge_of(content, "AT-RISK")
    assert "Late by 3 days" in badge_of(content, "LATE-3")
    assert badge_of(content, "LATE-1").endswith("Late by 1 day")
    assert "Delivered late by 2 days" in badge_of(content, "DELIVERED-LATE")
    assert "Delivered on time" in badge_of(content, "DELIVERED-OK")
    assert "No promised date" in badge_of(content, "NO-PROMISE")


def test_the_customer_page_shows_the_profile_and_relationship(advocate_client):
    now = timezone.now()
    customer = CustomerFactory(
        name="Giulia Rossi", company="Trattoria da Giulia", external_ref="C-42",
        email="giulia@rossi.example", value_tier="key", language="it", email_consent=False,
    )
    OrderFactory(customer=customer, value=Decimal("100.00"), currency="EUR",
                 ordered_at=now - timedelta(days=30))
    OrderFactory(customer=customer, value=Decimal("250.50"), currency="EUR",
                 ordered_at=now - timedelta(days=500), promised_delivery_at=None,
                 expected_delivery_at=None, shipped_at=None)
    OrderFactory(customer=customer, value=Decimal("4000.00"), currency="NOK",
                 ordered_at=now - timedelta(days=2), critical=True)

    response = advocate_client.get(reverse("cases:customer", args=["C-42"]))

    content = response.content.decode()
    for text in ["Giulia Rossi", "Trattoria da Giulia", "C-42", "giulia@rossi.example",
                 "Key account", "Italian", "No — no surveys or marketing", "Critical"]:
        assert text in content
    assert response.context["customer"].order_count == 3
    revenue = {row.currency: row for row in response.context["revenue"]}
    assert revenue["EUR"].last_12_months == Decimal("100.00")
    assert revenue["EUR"].all_time == Decimal("350.50")
    assert revenue["NOK"].all_time == Decimal("4000.00")
    assert "350.50 EUR all time" in content
    assert 'id="customer-panels"' in content


def test_orders_are_newest_first_and_paged_by_20_as_an_htmx_fragment(advocate_client):
    customer = CustomerFactory()
    now = timezone.now()
    for day in range(25):
        OrderFactory(customer=customer, external_ref=f"O-{day:02d}",
                     ordered_at=now - timedelta(days=day + 1))

    first = advocate_client.get(customer.get_absolute_url())
    second = advocate_client.get(customer.get_absolute_url(), {"page": 2}, **HTMX)

    refs = [row.order.external_ref for row in first.context["rows"]]
    assert refs == [f"O-{day:02d}" for day in range(20)]
    content = second.content.decode()
    assert content.strip().startswith('<div id="order-table"')
    assert "<html" not in content
    assert "O-24" in content
    assert "O-19" not in content


def test_the_latest_carrier_event_of_each_order_is_shown(advocate_client):
    order = OrderFactory()
    ShipmentEventFactory(order=order, code="in_transit", location="Verona",
                         occurred_at=timezone.now() - timedelta(days=2))
    ShipmentEventFactory(order=order, code="delayed", location="Bologna hub",
                         description=XSS, occurred_at=timezone.now() - timedelta(hours=3))

    content = advocate_client.get(order.customer.get_absolute_url()).content.decode()

    assert "Delayed" in content
    assert "Bologna hub" in content
    assert "Verona" not in content
    assert XSS not in content
    assert XSS_ESCAPED in content


def test_the_customer_page_escapes_customer_text(advocate_client):
    customer = CustomerFactory(name=XSS, company=XSS, segment=XSS)
    OrderFactory(customer=customer, carrier=XSS)

    content = advocate_client.get(customer.get_absolute_url()).content.decode()

    assert XSS not in content
    assert XSS_ESCAPED in content


def test_an_unknown_customer_is_not_found(advocate_client):
    assert advocate_client.get(reverse("cases:customer", args=["NOPE"])).status_code == 404


def test_a_customer_without_orders_says_so(advocate_client):
    customer = CustomerFactory()

    content = advocate_client.get(customer.get_absolute_url()).content.decode()

    assert "No orders yet" in content


@pytest.mark.parametrize("orders", [3, 40])
def test_the_customer_page_query_count_does_not_grow_with_orders(
    advocate_client, django_assert_num_queries, orders
):
    customer = CustomerFactory()
    for order in OrderFactory.create_batch(orders, customer=customer):
        ShipmentEventFactory(order=order)
        services.log_contact(customer=customer, order=order, channel="email",
                             occurred_at=order.ordered_at, summary="Where is it?")

    # session, user+groups, customer, order count, order page, events, revenue,
    # cases panel (list, totals), contacts panel, feedback panel (totals, items),
    # NPS panel (answers, advocate profile)
    with django_assert_num_queries(14):
        response = advocate_client.get(customer.get_absolute_url())
    assert response.status_code == 200


# --- CSV import -------------------------------------------------------------------------

CSV_HEADER = (
    "external_ref,customer_ref,customer_name,customer_email,value,currency,ordered_at,"
    "promised_delivery_at\n"
)


def upload(client, content: str, filename: str = "orders.csv", **extra):
    file = SimpleUploadedFile(filename, content.encode(), content_type="text/csv")
    return client.post(reverse("cases:order-import-new"), {"file": file}, **extra)


def test_the_upload_page_explains_the_columns(advocate_client):
    response = advocate_client.get(reverse("cases:order-import-new"))

    content = response.content.decode()
    assert 'accept=".csv"' in content
    for column in services.ORDER_CSV_COLUMNS:
        assert f"<code>{column}</code>" in content
    assert content.count("pill--required") == len(services.REQUIRED_CSV_COLUMNS)
    assert "Download a sample CSV" in content


def test_an_upload_imports_good_rows_and_lists_each_bad_one(
    advocate_client, django_capture_on_commit_callbacks
):
    content = (
        CSV_HEADER
        + "R-1,C-1,Ada Lovelace,ada@example.com,10.50,EUR,2026-11-01T10:00:00+01:00,\n"
        + "R-2,C-2,Bo,not-an-email,20,NOK,2026-11-01T10:00:00+01:00,\n"
        + "R-3,C-3,Cy,,abc,EUR,2026-11-01T10:00:00Z,\n"
        + "R-4,C-1,Ada Lovelace,ada@example.com,7,EUR,2026-11-02T10:00:00+01:00,\n"
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = upload(advocate_client, content)

    order_import = OrderImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == order_import.get_absolute_url()
    assert set(Order.objects.values_list("external_ref", flat=True)) == {"R-1", "R-4"}

    page = advocate_client.get(response["Location"]).content.decode()
    assert "Done" in page
    assert 'value="100"' in page
    errors = page.split('class="data-table data-table--errors"', 1)[1]
    assert "<td class=\"num\">3</td>" in errors and "customer_email" in errors
    assert "<td class=\"num\">4</td>" in errors and "<code>value</code>" in errors
    assert "hx-trigger" not in page  # finished: no more polling


def test_row_errors_are_escaped(advocate_client, django_capture_on_commit_callbacks):
    row = f'"{XSS}",C-1,Ada,,1,EUR,2026-11-01T10:00:00Z,\n'
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(advocate_client, CSV_HEADER + row + row)

    page = advocate_client.get(response["Location"]).content.decode()

    assert XSS not in page
    assert "is also on row 2" in page


@pytest.mark.parametrize(
    ("filename", "content", "message"),
    [
        ("orders.xlsx", CSV_HEADER, "Upload a .csv file."),
        ("orders.csv", "name,amount\nAda,10\n", "Missing columns: external_ref, customer_ref"),
        ("orders.csv", "", "The file is empty."),
    ],
    ids=["not-csv", "missing-columns", "empty"],
)
def test_a_bad_file_is_refused_with_the_reason_and_nothing_is_created(
    advocate_client, filename, content, message
):
    file = SimpleUploadedFile(filename, content.encode() or b"\n", content_type="text/csv")
    response = advocate_client.post(reverse("cases:order-import-new"), {"file": file})

    assert response.status_code == 200
    assert message in response.content.decode()
    assert 'aria-invalid="true"' in response.content.decode()
    assert not OrderImport.objects.exists()


def test_a_post_without_a_file_asks_for_one(advocate_client):
    response = advocate_client.post(reverse("cases:order-import-new"))

    assert response.status_code == 200
    assert "This field is required." in response.content.decode()


def test_an_import_in_progress_polls_and_offers_a_refresh_link(advocate_client, advocate):
    order_import = services.start_order_import(
        filename="orders.csv", raw=CSV_HEADER.encode(), actor=advocate
    )  # on_commit never runs here: the import stays pending
    url = order_import.get_absolute_url()

    page = advocate_client.get(url).content.decode()
    fragment = advocate_client.get(url, **HTMX).content.decode()

    assert f'hx-get="{url}" hx-trigger="every 1s" hx-swap="outerHTML"' in page
    assert f'<a href="{url}">Refresh</a>' in page
    assert "<progress" in page and 'for="import-progress-bar"' in page
    assert fragment.strip().startswith('<section id="import-progress"')
    assert "<html" not in fragment


def test_an_unknown_import_is_not_found(advocate_client):
    assert advocate_client.get(reverse("cases:order-import", args=[999])).status_code == 404


def test_the_sample_csv_imports_without_errors(advocate, django_capture_on_commit_callbacks):
    sample = Path(settings.BASE_DIR, "static", "cases", "orders-sample.csv").read_bytes()

    with django_capture_on_commit_callbacks(execute=True):
        order_import = services.start_order_import(
            filename="orders-sample.csv", raw=sample, actor=advocate
        )

    order_import.refresh_from_db()
    assert order_import.row_errors == []
    assert order_import.rows_imported == order_import.rows_total == 4


def test_recent_imports_are_listed(advocate_client, advocate):
    services.start_order_import(filename="october.csv", raw=CSV_HEADER.encode(), actor=advocate)

    content = advocate_client.get(reverse("cases:order-import-new")).content.decode()

    assert "october.csv" in content


def test_creating_a_key_with_an_empty_post_asks_for_a_name(manager_client):
    response = manager_client.post(reverse("cases:api-keys"))

    assert response.status_code == 200
    assert "This field is required." in response.content.decode()


def test_the_customer_page_shows_cases_outcomes_and_contacts(advocate_client, advocate):
    customer = CustomerFactory()
    contact = services.log_contact(customer=customer, channel="phone",
                                   occurred_at=timezone.now(), summary="<b>Oven</b> is late")
    past = services.open_case(customer=customer, origin="manual", kind="billing",
                              title="Double invoice")
    services.resolve_case(case=past, actor=advocate, outcome="retained", resolution="Refund")

    content = advocate_client.get(customer.get_absolute_url()).content.decode()

    assert f"#{contact.case_id}" in content and f"#{past.pk} Double invoice" in content
    assert "2 cases, 1 open." in content
    assert "1 retained, 0 at risk, 0 lost" in content
    assert "&lt;b&gt;Oven&lt;/b&gt; is late" in content
