"""``GET /api/v1/nps/summary``: the reports' figures for integrations, with the scope
``nps:read``, the same filters, and 422 in ninja's shape for a bad one."""

from __future__ import annotations

import pytest
from django.test import Client

from cases import services as desk
from nps.services.reports import refresh_invitation_tallies
from tests.nps.test_reports import TEN, answer, answers, at, invitation, make_survey

pytestmark = pytest.mark.django_db

URL = "/api/v1/nps/summary"


def api_client(*scopes: str) -> Client:
    _key, secret = desk.create_api_key(name="bi", scopes=list(scopes), actor=None)
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


def test_the_summary_needs_a_key_with_the_nps_scope():
    assert Client().get(URL).status_code == 401
    assert Client(HTTP_AUTHORIZATION="Bearer not-a-key").get(URL).status_code == 401
    refused = api_client("cases:read").get(URL)
    assert refused.status_code == 403 and "nps:read" in refused.json()["detail"]
    assert api_client("nps:read").get(URL).status_code == 200


def test_the_summary_gives_the_hand_computed_figures_and_the_trend(settings):
    settings.NPS_TREND_MIN_RESPONSES = 10
    survey = make_survey()
    answers(survey, TEN, when=at(2026, 1, 10))
    answers(survey, [9, 7, 7, 8, 8, 0, 1, 5, 6, 6], when=at(2026, 2, 10))
    for _ in range(5):
        invitation(survey, sent_at=at(2026, 1, 9))
    refresh_invitation_tallies()

    body = api_client("nps:read").get(URL, {"from": "2026-01-01", "to": "2026-02-28",
                                            "months": 3}).json()

    assert body["filters"] == {"from": "2026-01-01", "to": "2026-02-28"}
    assert (body["responses"], body["counts"]) == (20, {"promoters": 6, "passives": 7,
                                                        "detractors": 7})
    assert body["invitations_sent"] == 25 and body["response_rate"] == 0.8
    january, february = body["trend"]
    # 5 promoters, 3 passives, 2 detractors: NPS 30; 1.96 · sqrt((0.7 - 0.09) / 10) = 48.41
    assert {key: january[key] for key in ("month", "nps", "margin_of_error", "low", "high",
                                          "responses", "drop", "partial")} == {
        "month": "2026-01", "nps": 30.0, "margin_of_error": 48.41, "low": -18.41,
        "high": 78.41, "responses": 10, "drop": False, "partial": False}
    assert (january["invitations_sent"], january["invitations_answered"]) == (15, 10)
    assert january["response_rate"] == 0.6667
    # 1 promoter, 5 detractors of 10: NPS -40, below January's -18.41: a drop.
    assert (february["month"], february["nps"], february["drop"]) == ("2026-02", -40.0, True)


def test_the_summary_takes_the_reports_filters():
    after = make_survey()
    campaign = make_survey("key-accounts", "Key accounts")
    answer(after, 10, when=at(2026, 2, 1), segment="hotels", language="it")
    answer(after, 0, when=at(2026, 2, 2), value_tier="key")
    answer(campaign, 7, when=at(2026, 3, 2), segment="hotels", language="nb")
    client = api_client("nps:read")

    def responses(**query) -> int:
        response = client.get(URL, query)
        assert response.status_code == 200, response.content
        return response.json()["responses"]

    assert responses() == 3
    assert responses(survey="key-accounts") == 1
    assert responses(segment="hotels") == 2
    assert responses(language="it") == 1
    assert responses(value_tier="key") == 1
    assert responses(**{"from": "2026-02-02"}) == 2
    assert responses(to="2026-02-01") == 1
    empty = client.get(URL, {"segment": "nobody"}).json()
    assert (empty["responses"], empty["nps"], empty["margin_of_error"]) == (0, None, None)
    assert empty["response_rate"] is None and len(empty["trend"]) == 12


@pytest.mark.parametrize(("query", "field"), [
    ({"survey": "nope"}, "survey"),
    ({"language": "xx"}, "language"),
    ({"value_tier": "gold"}, "value_tier"),
    ({"segment": "s" * 61}, "segment"),
    ({"from": "2026-13-01"}, "from"),
    ({"from": "2026-03-02", "to": "2026-03-01"}, "to"),
    ({"months": "0"}, "months"),
])
def test_a_bad_filter_answers_422_naming_it(query, field):
    make_survey()

    response = api_client("nps:read").get(URL, query)

    assert response.status_code == 422
    detail = response.json()["detail"]
    assert [error["loc"] for error in detail] == [["query", field]]
    assert all(error["msg"] and error["type"] for error in detail)


def test_the_summary_reads_a_fixed_number_of_queries(django_assert_num_queries):
    survey = make_survey()
    for month in range(1, 13):
        answers(survey, [10, 4], when=at(2025, month, 3))
    client = api_client("nps:read")

    # the key and its last use, the survey, the answers, the invitation tallies
    with django_assert_num_queries(5):
        assert client.get(URL, {"survey": "after-delivery"}).status_code == 200
