"""Any CSV through the column-mapping screen: preview, map, keep the mapping as the
source's preset, import."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from feedback.models import FeedbackItem, Source

pytestmark = pytest.mark.django_db

CSV = ("Datum;Note;Kommentar\n".replace(";", ",")
       + "14.03.2026,9,\"Schnelle Lieferung, gerne wieder.\"\n"
       + "15.03.2026,2,Paket kam beschädigt an\n"
       + "16.03.2026,11,Out of range\n").encode()


@pytest.fixture
def source():
    return Source.objects.create(name="Shop survey", slug="survey")


def test_a_manager_maps_a_csv_keeps_the_mapping_and_imports_it(manager_client, source,
                                                               django_capture_on_commit_callbacks):
    url = reverse("feedback:source-mapping", args=[source.slug])
    preview = manager_client.post(url, {"file": SimpleUploadedFile("survey.csv", CSV)})
    page = preview.content.decode()
    assert "Schnelle Lieferung, gerne wieder." in page and "<th scope=\"col\">Note</th>" in page
    upload = preview.context["form"].initial["upload"]

    with django_capture_on_commit_callbacks(execute=True):
        response = manager_client.post(url, {
            "upload": upload, "column_text": "Kommentar", "column_rating": "Note",
            "column_posted_at": "Datum", "worst": "0", "best": "10",
            "date_format": "%d.%m.%Y", "import_now": "on"})

    source.refresh_from_db()
    assert source.default_format == "csv"
    assert source.format_options == {
        "mapping": {"text": "Kommentar", "rating": "Note", "posted_at": "Datum"},
        "rating_scale": [0.0, 10.0], "date_format": "%d.%m.%Y"}
    batch = source.batches.get()
    assert response["Location"] == batch.get_absolute_url()
    assert (batch.imported, batch.errors) == (2, 1)
    assert sorted(FeedbackItem.objects.values_list("rating_normalised", flat=True)) == [0.2, 0.9]


def test_a_mapping_without_text_or_rating_is_refused(manager_client, source):
    url = reverse("feedback:source-mapping", args=[source.slug])
    upload = manager_client.post(url, {"file": SimpleUploadedFile("survey.csv", CSV)}
                                 ).context["form"].initial["upload"]

    response = manager_client.post(url, {"upload": upload, "column_posted_at": "Datum",
                                         "worst": "1", "best": "5"})

    assert "Choose the column of the text or of the rating" in response.content.decode()
    source.refresh_from_db()
    assert source.format_options == {}


def test_only_managers_map_columns(advocate_client, source):
    url = reverse("feedback:source-mapping", args=[source.slug])
    assert advocate_client.get(url).status_code == 403
