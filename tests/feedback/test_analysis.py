"""The analysis page: volume by source and month, ratings, sentiment by theme and rising
themes, with filters; every chart has its data table."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone

from feedback import services
from feedback.models import AnalysisDay, FeedbackItem, ItemTheme, Source, Theme

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


def figures(client, **query):
    analysis = client.get(reverse("feedback:analysis"), query).context["analysis"]
    return (analysis.total, [(bar.label, bar.extra["by_source"]) for bar in analysis.months],
            [bar.value for bar in analysis.ratings],
            [(bar.label, bar.value, bar.extra) for bar in analysis.themes],
            [(bar.label, bar.extra) for bar in analysis.rising])


def test_counted_days_and_new_items_add_up_to_the_live_figures(advocate_client):
    google = Source.objects.create(name="Google", slug="google")
    shop = Source.objects.create(name="Shop", slug="shop")
    said(google, "delivery-speed", rating=0.0, sentiment=-0.8)
    said(google, "delivery-speed", days_ago=40, rating=0.3, sentiment=-0.2, language="nb")
    said(shop, "price-value", rating=1.0, sentiment=0.6, language="it")
    said(shop, "price-value", days_ago=120, sentiment=0.6)
    removed = FeedbackItem.objects.create(source=shop, content_hash="r", language="en",
                                          posted_at=NOW - dt.timedelta(days=2), sentiment=0.1)
    ItemTheme.objects.create(item=removed, theme=Theme.objects.get(slug="digital"),
                             origin="removed")
    queries = [{}, {"source": "google"}, {"language": "nb"}, {"theme": "price-value"},
               {"period": "30"}, {"period": "365", "source": "shop", "language": "en"}]
    live = [figures(advocate_client, **query) for query in queries]

    assert services.refresh_analysis() > 0
    assert [figures(advocate_client, **query) for query in queries] == live

    said(google, "delivery-speed", days_ago=1, rating=0.0, sentiment=-0.5)  # after the count
    said(shop, "digital", days_ago=100, sentiment=0.4)
    total, _months, _ratings, themes, rising = figures(advocate_client)
    assert total == live[0][0] + 1
    assert ("Delivery speed", -0.5, {"count": 3}) in themes
    assert ("Delivery speed", {"now": 3, "before": 0}) in rising
    services.refresh_analysis()
    assert figures(advocate_client)[3] == themes


def test_the_analysis_reads_a_few_queries_whatever_the_volume(advocate_client,
                                                               django_assert_num_queries):
    google = Source.objects.create(name="Google", slug="google")
    for days_ago in range(0, 200, 5):
        said(google, "delivery-speed", days_ago=days_ago, rating=0.5, sentiment=0.1)
    services.refresh_analysis()
    said(google, "communication", days_ago=1)
    url = reverse("feedback:analysis")
    # session, user, groups; sources, themes, the count's mark, items, themes; the filters
    with django_assert_num_queries(9):
        advocate_client.get(url, {"theme": "delivery-speed"})


def test_an_import_has_its_items_counted_once_it_ends(django_capture_on_commit_callbacks):
    source = Source.objects.create(name="Trustpilot", slug="trustpilot", selected=True)
    sample = Path(__file__).parent / "samples" / "trustpilot_reviews.csv"
    with django_capture_on_commit_callbacks(execute=True):
        batch = services.start_import(source=source, file=ContentFile(sample.read_bytes()),
                                      filename=sample.name, format_name="trustpilot-csv",
                                      enqueue=False)
        batch = services.run_import(batch_id=batch.pk)

    assert batch.imported > 0
    dated = FeedbackItem.objects.exclude(posted_at=None)
    assert AnalysisDay.objects.filter(theme=None).aggregate(n=Sum("items"))["n"] == dated.count()
    assert set(AnalysisDay.objects.values_list("counted_to", flat=True)) == {
        FeedbackItem.objects.latest("pk").pk}
