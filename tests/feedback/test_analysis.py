"""The analysis page: volume by source and month, ratings, sentiment by theme and rising
themes, with filters; every chart has its data table."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from feedback.models import FeedbackItem, ItemTheme, Source, Theme

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def said(source, theme_slug, *, days_ago=3, rating=None, sentiment=None, language="en"):
    item = FeedbackItem.objects.create(
        source=source, text="x", content_hash=str(FeedbackItem.objects.count()),
        rating_normalised=rating, sentiment=sentiment, language=language,
        posted_at=NOW - dt.timedelta(days=days_ago))
    ItemTheme.objects.create(item=item, theme=Theme.objects.get(slug=theme_slug))


def test_the_analysis_page_shows_each_chart_with_its_table(advocate_client):
    google = Source.objects.create(name="Google", slug="google")
    shop = Source.objects.create(name="Shop", slug="shop")
    for _ in range(3):
        said(google, "delivery-speed", rating=0.0, sentiment=-0.8)
    said(shop, "price-value", rating=1.0, sentiment=0.6, language="it")
    said(shop, "price-value", days_ago=120, sentiment=0.6)  # the period before

    response = advocate_client.get(reverse("feedback:analysis"))
    analysis = response.context["analysis"]

    assert analysis.total == 4
    assert analysis.sources == ["Google", "Shop"]
    assert [(bar.label, bar.value) for bar in analysis.ratings] == [
        ("1", 3), ("2", 0), ("3", 0), ("4", 0), ("5", 1)]
    assert {bar.label: bar.value for bar in analysis.themes} == {
        "Delivery speed": -0.8, "Price and value": 0.6}
    assert [(bar.label, bar.extra) for bar in analysis.rising] == [
        ("Delivery speed", {"now": 3, "before": 0})]
    page = response.content.decode()
    assert page.count('<table class="data-table data-table--compact">') == 4
    assert page.count('class="table-scroll"') == 4
    assert page.count('class="bars"') == 4


def test_the_analysis_filters_by_source_language_and_theme(advocate_client):
    google = Source.objects.create(name="Google", slug="google")
    said(google, "delivery-speed", language="nb")
    said(google, "price-value", language="en")

    def total(**query):
        return advocate_client.get(reverse("feedback:analysis"), query).context[
            "analysis"].total

    assert total() == 2
    assert total(language="nb") == 1
    assert total(theme="price-value") == 1
    assert total(source="elsewhere") == 0
    assert total(period="30") == 2
