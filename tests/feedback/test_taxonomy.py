"""Advocates correct an item's themes; managers edit the taxonomy, which catalogues the
stored feedback again in the background without undoing the advocates' corrections."""

from __future__ import annotations

import pytest
from django.urls import reverse

from feedback import services
from feedback.catalogue import Cataloguer
from feedback.formats import Record
from feedback.models import FeedbackItem, ItemTheme, Source, Theme

pytestmark = pytest.mark.django_db


@pytest.fixture
def source():
    return Source.objects.create(name="Shop", slug="shop")


def stored(source, text, number=1) -> FeedbackItem:
    services.store_records(source=source, cataloguer=Cataloguer(Theme.objects.all()),
                           records=[Record(line=1, text=text, rating=None, rating_scale=None,
                                           posted_at=None, external_id=f"i-{number}")])
    return FeedbackItem.objects.get(external_id=f"i-{number}")


def themes(item) -> dict[str, str]:
    return dict(item.item_themes.values_list("theme__slug", "origin"))


def test_an_advocates_correction_survives_re_cataloguing(source, advocate_client):
    item = stored(source, "It arrived late.")
    assert themes(item) == {"delivery-speed": "catalogue"}
    quality = Theme.objects.get(slug="product-quality")

    response = advocate_client.post(reverse("feedback:item", args=[item.pk]),
                                     {"themes": [quality.pk]})

    assert response.status_code == 302
    assert themes(item) == {"delivery-speed": "removed", "product-quality": "added"}
    assert services.recatalogue() == 1
    assert themes(item) == {"delivery-speed": "removed", "product-quality": "added"}
    page = advocate_client.get(reverse("feedback:item", args=[item.pk])).content.decode()
    assert "Removed by an advocate" in page and "Added by an advocate" in page


def test_a_manager_changes_the_taxonomy_and_the_feedback_is_catalogued_again(
        source, manager_client, django_capture_on_commit_callbacks):
    item = stored(source, "The app crashed at checkout, the wobblegizmo froze.")
    other = stored(source, "The delivery was late again.", number=2)
    ItemTheme.objects.filter(item=other).update(origin=ItemTheme.Origin.REMOVED)
    assert "digital" in themes(item) and "glitches" not in themes(item)

    with django_capture_on_commit_callbacks(execute=True):
        response = manager_client.post(reverse("feedback:theme-new"), {
            "name": "App glitches", "slug": "glitches",
            "parent": Theme.objects.get(slug="digital").pk, "position": 20,
            "keywords_en": "wobblegizmo\nfroze", "keywords_it": "", "keywords_nb": "",
            "keywords_ro": ""})

    assert response.status_code == 302
    theme = Theme.objects.get(slug="glitches")
    assert theme.keywords["en"] == ["wobblegizmo", "froze"]
    assert themes(item)["glitches"] == "catalogue"  # found by the background run
    assert themes(other) == {"delivery-speed": "removed"}  # the advocate's word stands


def test_advocates_read_the_taxonomy_but_only_managers_edit_it(advocate_client):
    assert advocate_client.get(reverse("feedback:themes")).status_code == 200
    assert advocate_client.get(reverse("feedback:theme-new")).status_code == 403
    assert advocate_client.get(reverse("feedback:theme", args=["digital"])).status_code == 403
