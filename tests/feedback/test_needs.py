"""Customer needs ranked from the themes of the feedback, owned by departments, with their
history and evidence; exported to CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import Department
from feedback import services
from feedback.models import FeedbackItem, ItemTheme, Need, NeedChange, Source, Theme
from tests.cases.factories import CustomerFactory, OrderFactory

pytestmark = pytest.mark.django_db

NOW = timezone.now()
DAY = dt.timedelta(days=1)


@pytest.fixture
def selected():
    return Source.objects.create(name="Trustpilot", slug="trustpilot", selected=True)


def said(source, theme_slug, *, days_ago=5, sentiment=-0.5, customer=None, text="x",
         removed=False):
    item = FeedbackItem.objects.create(
        source=source, text=text, content_hash=str(FeedbackItem.objects.count()),
        sentiment=sentiment, posted_at=NOW - days_ago * DAY, customer=customer)
    ItemTheme.objects.create(item=item, theme=Theme.objects.get(slug=theme_slug),
                             origin="removed" if removed else "catalogue")
    return item


def test_needs_are_ranked_by_negative_volume_growth_and_customer_value(selected):
    valued = CustomerFactory()
    OrderFactory(customer=valued, value=Decimal("9000"), ordered_at=NOW - 30 * DAY)
    for _ in range(6):
        said(selected, "delivery-speed")  # many complaints, all this period
    for _ in range(6):
        said(selected, "price-value", days_ago=120)  # last period: shrinking now
    said(selected, "price-value")
    said(selected, "customer-service", sentiment=0.8, customer=valued)
    said(selected, "customer-service", sentiment=-0.6, customer=valued)
    said(selected, "digital", removed=True)  # an advocate took this theme away
    unselected = Source.objects.create(name="Forum", slug="forum", selected=False)
    for _ in range(9):
        said(unselected, "returns-refunds")

    needs = services.refresh_needs(now=NOW)

    ranked = [(need.theme.slug, need.volume, need.negative) for need in needs if need.volume]
    assert ranked[0] == ("delivery-speed", 6, 6)
    service = Need.objects.get(theme__slug="customer-service")
    assert (service.volume, service.negative, service.customers) == (2, 1, 1)
    assert service.customer_value == Decimal("9000.00")
    price = Need.objects.get(theme__slug="price-value")
    assert (price.volume, price.previous_volume) == (1, 6) and price.trend < 0
    assert not Need.objects.filter(theme__slug__in=["digital", "returns-refunds"]).exists()
    assert service.score > price.score  # valuable customers speak louder


def test_a_manager_gives_a_need_to_a_department_with_its_history(manager_client, manager,
                                                                  selected):
    said(selected, "delivery-speed")
    need = services.refresh_needs(now=NOW)[0]
    logistics = Department.objects.create(name="Logistics")

    response = manager_client.post(need.get_absolute_url(), {
        "prefix": f"need-{need.pk}", "next": "list", f"need-{need.pk}-department": logistics.pk,
        f"need-{need.pk}-status": "planned", f"need-{need.pk}-note": ""})

    assert response.status_code == 302 and response["Location"] == reverse("feedback:needs")
    need.refresh_from_db()
    assert (need.department, need.status) == (logistics, "planned")
    assert sorted(NeedChange.objects.values_list("field", "old", "new")) == [
        ("department", "", "Logistics"), ("status", "New", "Planned")]
    page = manager_client.get(need.get_absolute_url()).content.decode()
    assert "status: New → Planned" in page


def test_advocates_read_needs_but_do_not_change_them(advocate_client, selected):
    said(selected, "delivery-speed", text="<script>x</script> slow")
    need = services.refresh_needs(now=NOW)[0]

    assert advocate_client.get(reverse("feedback:needs")).status_code == 200
    page = advocate_client.get(need.get_absolute_url()).content.decode()
    assert "&lt;script&gt;x&lt;/script&gt; slow" in page
    assert advocate_client.post(need.get_absolute_url(), {"status": "done"}).status_code == 403
    assert advocate_client.post(reverse("feedback:needs-refresh")).status_code == 403


def test_the_evidence_filters_by_source_language_and_negativity(advocate_client, selected):
    said(selected, "delivery-speed", text="slow and sad", sentiment=-0.7)
    said(selected, "delivery-speed", text="quick and fine", sentiment=0.7)
    need = services.refresh_needs(now=NOW)[0]

    negative = advocate_client.get(need.get_absolute_url(), {"negative": "1"})
    other_source = advocate_client.get(need.get_absolute_url(), {"source": "elsewhere"})

    assert [item.text for item in negative.context["page"].object_list] == ["slow and sad"]
    assert other_source.context["page"].paginator.count == 0


def test_the_needs_export_is_formula_safe(advocate_client, selected):
    theme = Theme.objects.get(slug="delivery-speed")
    theme.name = "=cmd|' /C calc'!A0"
    theme.save()
    said(selected, "delivery-speed")
    services.refresh_needs(now=NOW)

    response = advocate_client.get(reverse("feedback:needs-csv"))

    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:3] == ["rank", "need", "items"]
    assert rows[1][:3] == ["1", "'=cmd|' /C calc'!A0", "1"]


def test_the_needs_list_reads_the_departments_once(manager_client, selected,
                                                   django_assert_num_queries):
    logistics = Department.objects.create(name="Logistics")
    Department.objects.create(name="Product")
    for slug in ("delivery-speed", "price-value", "digital"):
        said(selected, slug)
    services.refresh_needs(now=NOW)
    Need.objects.filter(theme__slug="price-value").update(department=logistics)

    with django_assert_num_queries(4):  # session, user with groups, needs, departments
        page = manager_client.get(reverse("feedback:needs")).content.decode()

    assert page.count(f'<option value="{logistics.pk}" selected>Logistics</option>') == 1
    assert page.count(f'<option value="{logistics.pk}">Logistics</option>') == 2
