"""The main navigation marks the section a page belongs to."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("page", "section"), [
    ("nps:reports", "nps"),
    ("nps:surveys", "nps"),
    ("nps:follow-ups", "nps"),
    ("nps:advocates", "advocates"),
    ("feedback:needs", "feedback"),
])
def test_the_current_section_is_the_only_one_marked(manager_client, page, section):
    response = manager_client.get(reverse(page))

    assert response.status_code == 200
    active = [item["key"] for item in response.context["nav_items"] if item["active"]]
    assert active == [section]
    links = {item["key"]: item["url"] for item in response.context["nav_items"]}
    assert links["nps"] == reverse("nps:reports")
