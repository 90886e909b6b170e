"""The format presets read each platform's real export shape (samples in ``samples/``)."""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import feedback.presets  # noqa: F401 - registers the presets
from feedback.formats import FORMATS, Record, RowError, Skipped
from feedback.presets import preview_csv

SAMPLES = Path(__file__).parent / "samples"
UTC = dt.UTC


def parse(name: str, source: str | bytes, **options: Any) -> list[Any]:
    """All items of a sample file (by name) or of raw bytes."""
    data = source if isinstance(source, bytes) else (SAMPLES / source).read_bytes()
    return list(FORMATS[name].parse(io.BytesIO(data), **options))


def records(items: list[Any]) -> dict[int, Record]:
    return {item.line: item for item in items if isinstance(item, Record)}


def errors(items: list[Any]) -> list[tuple[int, str, str]]:
    return [(item.line, item.field, item.reason) for item in items if isinstance(item, RowError)]


def skipped(items: list[Any]) -> list[tuple[int, str]]:
    return [(item.line, item.reason) for item in items if isinstance(item, Skipped)]


def when(*args: int, tz: dt.tzinfo = UTC) -> dt.datetime:
    return dt.datetime(*args, tzinfo=tz)


def test_every_preset_is_registered():
    assert {"google-reviews-json", "google-takeout-json", "trustpilot-csv", "trustpilot-json",
            "tripadvisor-json", "amazon-2023-jsonl", "amazon-2018-jsonl", "zendesk-json",
            "facebook-comments-json", "csv"} <= set(FORMATS)
    assert FORMATS["trustpilot-csv"].extensions == (".csv",)
    assert ".jsonl" in FORMATS["amazon-2023-jsonl"].extensions


# -- Google ----------------------------------------------------------------------------


def test_google_reviews_api():
    items = parse("google-reviews-json", "google_reviews.json")
    found = records(items)
    assert sorted(found) == [1, 2, 3]
    first = found[1]
    assert first.external_id == "AbFvOqmX2aQ1"
    assert first.text == "Quick delivery and the support team sorted my invoice the same day."
    assert (first.rating, first.rating_scale) == (5.0, (1.0, 5.0))
    assert first.posted_at == dt.datetime(2024, 3, 2, 9, 15, 27, 713461, tzinfo=UTC)
    assert first.author == "Ingrid Solberg"
    assert first.raw["reviewReply"]["comment"] == "Thank you, Ingrid!"
    assert (found[2].text, found[2].rating) == ("", 2.0)  # a rating without a comment
    assert found[3].rating is None  # STAR_RATING_UNSPECIFIED
    assert found[3].posted_at == when(2024, 3, 6, 12, tz=dt.timezone(dt.timedelta(hours=1)))
    assert errors(items) == [(4, "comment", "no text and no rating"),
                             (5, "createTime", "not a date: 'last Tuesday'")]


def test_google_reviews_star_rating_outside_the_enum():
    data = json.dumps({"reviews": [{"reviewId": "x", "starRating": "SIX", "comment": "hm"},
                                   {"reviewId": "y", "starRating": 7, "comment": "hm"}]})
    assert errors(parse("google-reviews-json", data.encode())) == [
        (1, "starRating", "rating 'SIX' is not a number"),
        (2, "starRating", "rating 7 is outside 1\u20135"),
    ]


def test_google_takeout_reviews():
    items = parse("google-takeout-json", "google_takeout_reviews.json")
    found = records(items)
    assert sorted(found) == [1, 2, 3]
    assert found[1].external_id == (
        "https://www.google.com/maps/place//data=!4m2!3m1!1s0x0:0x85a4ae07074e37e6")
    assert found[1].text == "Friendly staff, they swapped my broken charger on the spot."
    assert (found[1].rating, found[1].rating_scale) == (5.0, (1.0, 5.0))
    assert found[1].posted_at == dt.datetime(2024, 8, 8, 18, 28, 57, 94036, tzinfo=UTC)
    assert (found[2].text, found[2].rating) == ("", 3.0)
    assert found[3].external_id == ""  # no google_maps_url: the pipeline hashes the content
    assert found[3].text == "Waited forty minutes at the counter."
    assert errors(items) == [
        (4, "properties.five_star_rating_published", "rating 7 is outside 1\u20135")]


# -- Trustpilot ------------------------------------------------------------------------


def test_trustpilot_csv_export():
    items = parse("trustpilot-csv", "trustpilot_reviews.csv")
    found = records(items)
    assert sorted(found) == [2, 3]
    first = found[2]
    assert first.external_id == "65f1a2b3c4d5e6f708192a3b"
    assert first.text == "Chat answered in two minutes and fixed my order."
    assert first.title == "Helpful support"
    assert (first.rating, first.rating_scale) == (5.0, (1.0, 5.0))
    assert first.posted_at == when(2024, 3, 14, 9, 12, 44)
    assert (first.author, first.language) == ("Astrid Lund", "en")
    assert (first.order_ref, first.email) == ("ORD-10017", "astrid.lund@example.com")
    assert first.customer_ref == ""  # Trustpilot's consumer id is not ours
    assert first.raw["Review Consumer User Id"] == "5f2b8c1d9e0a7b6c5d4e3f21"
    assert first.raw["Source Of Review"] == "AFSv2"
    # a quoted review over two physical lines is one row
    assert found[3].text == "The sofa arrived a week late,\nand one leg was broken."
    assert (found[3].order_ref, found[3].email) == ("", "")
    assert errors(items) == [
        (4, "Review Stars", "rating 7 is outside 1\u20135"),
        (5, "Review Created (UTC)", "not a date: '16/03/2024 08:00'"),
        (6, "Review Content", "no text and no rating"),
    ]


def test_trustpilot_csv_headers_in_any_case():
    data = ("\ufeffREVIEW ID,review created (utc),Review  Stars,review content,REFERENCE ID\n"
            "abc,2024-01-02T03:04:05Z,4,Good,ORD-1\n").encode()
    (record,) = parse("trustpilot-csv", data)
    assert (record.line, record.external_id, record.rating, record.text, record.order_ref) == (
        2, "abc", 4.0, "Good", "ORD-1")
    assert record.posted_at == when(2024, 1, 2, 3, 4, 5)


def test_trustpilot_csv_keeps_going_after_a_row_that_is_not_utf8():
    data = (b"Review Id,Review Stars,Review Content\n"
            b"r1,5,Fine\n"
            b"r2,1,Caf\xe9 was cold\n"
            b"r3,4,\xff\xfe\n"
            b"r4,3,Ok\n")
    items = parse("trustpilot-csv", data)
    assert [record.external_id for record in records(items).values()] == ["r1", "r4"]
    assert errors(items) == [(3, "", "not UTF-8 text"), (4, "", "not UTF-8 text")]


def test_trustpilot_csv_that_is_not_a_trustpilot_export():
    assert errors(parse("trustpilot-csv", b"name,score\nx,1\n")) == [
        (1, "", "no 'Review Content' or 'Review Stars' column: not a Trustpilot reviews export")]


def test_trustpilot_api_reviews():
    items = parse("trustpilot-json", "trustpilot_reviews.json")
    found = records(items)
    assert sorted(found) == [1, 2]
    first = found[1]
    assert first.external_id == "65f1a2b3c4d5e6f708192a3b"
    assert (first.title, first.text) == ("Helpful support",
                                         "Chat answered in two minutes and fixed my order.")
    assert (first.rating, first.rating_scale) == (5.0, (1.0, 5.0))
    assert first.posted_at == when(2024, 3, 14, 9, 12, 44)
    assert (first.author, first.language) == ("Astrid Lund", "en")
    assert (first.order_ref, first.email) == ("ORD-10017", "astrid.lund@example.com")
    assert (found[2].order_ref, found[2].email) == ("", "")  # null in the API
    assert found[2].posted_at == dt.datetime(2024, 3, 15, 18, 3, 10, 123000, tzinfo=UTC)
    assert errors(items) == [(3, "stars", "rating 0 is outside 1\u20135"),
                             (4, "text", "no text and no rating")]


# -- Tripadvisor -----------------------------------------------------------------------


def test_tripadvisor_location_reviews():
    items = parse("tripadvisor-json", "tripadvisor_reviews.json")
    found = records(items)
    assert sorted(found) == [1, 2]
    first = found[1]
    assert first.external_id == "987654321"
    assert (first.title, first.text) == ("Rescued our holiday",
                                         "Staff helped us rebook the tour after the storm, no fee.")
    assert (first.rating, first.rating_scale) == (5.0, (1.0, 5.0))
    assert first.posted_at == when(2024, 4, 10, 10, 15)
    assert (first.author, first.language) == ("TravellerMarie", "en")
    assert first.raw["subratings"]["0"]["name"] == "RATE_VALUE"
    assert found[2].posted_at == when(2024, 4, 11, 8, tz=dt.timezone(dt.timedelta(hours=-5)))
    assert errors(items) == [(3, "rating", "rating 6 is outside 1\u20135"),
                             (4, "published_date", "not a date: '12/04/2024'")]


# -- Amazon ----------------------------------------------------------------------------


def test_amazon_2023_reviews():
    items = parse("amazon-2023-jsonl", "amazon_2023.jsonl")
    found = records(items)
    assert sorted(found) == [1, 2]  # line 3 is blank
    first = found[1]
    assert first.external_id == "AGKHLEW2SOWHNMFQIJGBECAF7INQ:B0BQWGSD3Z:1683295728923"
    assert (first.title, first.text) == (
        "Works as described", "Paired with my phone in seconds; battery lasts all week.")
    assert (first.rating, first.rating_scale) == (5.0, (1.0, 5.0))
    assert first.posted_at == dt.datetime(2023, 5, 5, 14, 8, 48, 923000, tzinfo=UTC)
    assert first.raw["verified_purchase"] is True
    assert found[2].external_id == "AE5KN3WCYFE6CPGILUOU6UD4MNEQ:B07XYZ1234:1590000000000"
    assert errors(items) == [
        (4, "", "not valid JSON: Unterminated string starting at column 87"),
        (5, "rating", "rating 0 is outside 1\u20135"),
        (6, "text", "no text and no rating"),
    ]


def test_amazon_2018_reviews():
    items = parse("amazon-2018-jsonl", "amazon_2018.jsonl")
    found = records(items)
    assert sorted(found) == [1, 2]
    first = found[1]
    assert first.external_id == "AUI6WTTT0QZYS:5120053084:1514764800"
    assert (first.title, first.author) == ("Comfy, flattering, discreet--highly recommended!",
                                           "Abbey")
    assert first.text == "I now have 4 of the 5 available colors of this shirt..."
    assert (first.rating, first.rating_scale) == (5.0, (1.0, 5.0))
    assert first.posted_at == when(2018, 1, 1)
    assert first.raw["vote"] == "2"
    # no unixReviewTime: the date comes from reviewTime, and there is no stable id
    assert (found[2].posted_at, found[2].external_id) == (when(2009, 9, 13), "")
    assert errors(items) == [(3, "overall", "rating 'five' is not a number"),
                             (4, "reviewTime", "not a date: '13 45, 2016'")]


def test_json_lines_keep_going_after_a_line_that_is_not_utf8():
    good = json.dumps({"rating": 4.0, "text": "ok", "user_id": "u", "asin": "a",
                       "timestamp": 1}).encode()
    data = b"\xef\xbb\xbf" + good + b"\n" + b'{"rating": 5.0, "text": "\xff"}\n' + good + b"\n"
    items = parse("amazon-2023-jsonl", data)
    assert sorted(records(items)) == [1, 3]
    assert errors(items) == [(2, "", "not UTF-8 text")]


def test_json_lines_line_that_is_not_an_object():
    assert errors(parse("amazon-2018-jsonl", b"[1, 2]\n")) == [(1, "", "not a JSON object")]


# -- Zendesk ---------------------------------------------------------------------------


def test_zendesk_incremental_ticket_export():
    items = parse("zendesk-json", "zendesk_tickets.json")
    found = records(items)
    assert sorted(found) == [1, 2, 3]
    first = found[1]
    assert first.external_id == "35436"
    assert (first.title, first.text) == ("Help, my printer is on fire!",
                                         "The fire is very colorful.")
    assert (first.rating, first.rating_scale) == (1.0, (0.0, 1.0))  # good
    assert first.posted_at == when(2024, 2, 20, 17, 5, 30)
    assert first.customer_ref == ""  # requester_id is Zendesk's user, not our customer
    assert first.raw["requester_id"] == 20978392
    assert found[2].rating == 0.0  # bad
    assert found[3].rating is None  # offered, not answered
    assert skipped(items) == [(4, "deleted ticket")]
    assert errors(items) == [(5, "description", "no text and no rating")]


def test_zendesk_unknown_satisfaction_score():
    data = b'{"tickets": [{"id": 1, "description": "x", "satisfaction_rating": {"score": "meh"}}]}'
    assert errors(parse("zendesk-json", data)) == [
        (1, "satisfaction_rating.score",
         "rating 'meh' is not one of good, bad, offered, unoffered")]


# -- Facebook --------------------------------------------------------------------------


def test_facebook_comments_skip_the_pages_own_replies():
    items = parse("facebook-comments-json", "facebook_comments.json", page_id=104857600000001)
    found = records(items)
    assert sorted(found) == [1, 3]
    first = found[1]
    assert first.external_id == "118745_5531209936"
    assert first.text == "My order #5521 still hasn't shipped, any news?"
    assert (first.rating, first.rating_scale) == (None, None)
    assert first.posted_at == when(2023, 1, 5, 10)
    assert first.author == "Lena Fischer"
    assert found[3].author == ""  # the Graph API leaves out "from" without page access
    assert skipped(items) == [(2, "the page's own comment")]
    assert errors(items) == [(4, "message", "no text and no rating")]


def test_facebook_comments_without_page_id_keep_every_comment():
    items = parse("facebook-comments-json", "facebook_comments.json")
    assert sorted(records(items)) == [1, 2, 3]
    assert skipped(items) == []


# -- Any CSV ---------------------------------------------------------------------------

MAPPING = {"text": "Kommentar", "rating": "Note", "posted_at": "Datum",
           "order_ref": "Bestellnummer", "email": "E-Mail", "customer_ref": "Kunde"}


def test_csv_with_a_column_mapping():
    items = parse("csv", "generic_feedback.csv", mapping=MAPPING, rating_scale=[0, 10],
                  date_format="%d.%m.%Y")
    found = records(items)
    assert sorted(found) == [2, 3]
    first = found[2]
    assert first.text == "Schnelle Lieferung, gerne wieder."
    assert (first.rating, first.rating_scale) == (9.0, (0.0, 10.0))
    assert first.posted_at == when(2024, 3, 14)
    assert (first.order_ref, first.email, first.customer_ref) == (
        "B-1001", "anna@example.de", "K-77")
    assert first.external_id == ""
    assert first.raw == {"Datum": "14.03.2024", "Note": "9",
                         "Kommentar": "Schnelle Lieferung, gerne wieder.",
                         "Bestellnummer": "B-1001", "E-Mail": "anna@example.de", "Kunde": "K-77"}
    assert found[3].rating == 7.5  # decimal comma
    assert errors(items) == [  # row 6 is blank
        (4, "Note", "rating 11 is outside 0\u201310"),
        (5, "Datum", "not a date: '2024-03-17'"),
        (7, "Kommentar", "no text and no rating"),
    ]


def test_csv_defaults_to_one_to_five_and_iso_dates():
    data = b"when,stars,text\n2024-05-01T10:00:00+02:00,5,Great\n2024-05-02,6,Too many\n"
    items = parse("csv", data, mapping={"text": "text", "rating": "stars", "posted_at": "when"})
    (record,) = records(items).values()
    assert (record.rating_scale, record.posted_at) == (
        (1.0, 5.0), when(2024, 5, 1, 10, tz=dt.timezone(dt.timedelta(hours=2))))
    assert errors(items) == [(3, "stars", "rating 6 is outside 1\u20135")]


def test_csv_keeps_going_after_a_row_that_is_not_utf8():
    data = b"text,rating\nfine,4\n\xff\xfe broken,3\nalso fine,5\n"
    items = parse("csv", data, mapping={"text": "text", "rating": "rating"})
    assert sorted(records(items)) == [2, 4]
    assert errors(items) == [(3, "", "not UTF-8 text")]


class Unreadable(io.RawIOBase):
    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        raise AssertionError("read before the options were checked")


@pytest.mark.parametrize(("options", "message"), [
    ({}, "needs a column for the text or for the rating"),
    ({"mapping": {"title": "Headline"}}, "needs a column for the text or for the rating"),
    ({"mapping": {"text": "C", "rating": "R", "stars": "S"}}, "unknown fields: stars"),
    ({"mapping": {"text": "C", "rating": "R"}, "rating_scale": [5]}, "two numbers"),
    ({"mapping": {"text": "C", "rating": "R"}, "rating_scale": [5, 1]}, "from the worst"),
])
def test_csv_options_are_checked_before_any_row_is_read(options, message):
    with pytest.raises(ValueError, match=message):
        FORMATS["csv"].parse(io.BufferedReader(Unreadable()), **options)


def test_csv_with_only_comments_or_only_scores():
    comments = parse("csv", b"Comment\nGreat service\n", mapping={"text": "Comment"})
    scores = parse("csv", b"Score\n9\n", mapping={"rating": "Score"}, rating_scale=[0, 10])
    assert [(r.text, r.rating) for r in records(comments).values()] == [("Great service", None)]
    assert [(r.text, r.rating) for r in records(scores).values()] == [("", 9.0)]


def test_a_json_file_without_the_presets_list_says_so():
    items = parse("trustpilot-json", b'{"tickets": [{"id": 1}]}')
    assert errors(items) == [(1, "reviews", "the file holds no records at 'reviews'")]


def test_csv_mapping_to_a_column_the_file_lacks():
    items = parse("csv", b"text,rating\nx,1\n",
                  mapping={"text": "text", "rating": "Score", "title": "Headline"})
    assert errors(items) == [(1, "Score", "the file has no column 'Score'"),
                             (1, "Headline", "the file has no column 'Headline'")]
    assert records(items) == {}


def test_preview_csv():
    with (SAMPLES / "generic_feedback.csv").open("rb") as stream:
        headers, rows = preview_csv(stream, rows=2)
    assert headers == ["Datum", "Note", "Kommentar", "Bestellnummer", "E-Mail", "Kunde"]
    assert rows == [["14.03.2024", "9", "Schnelle Lieferung, gerne wieder.", "B-1001",
                     "anna@example.de", "K-77"],
                    ["15.03.2024", "7,5", "Ganz ok", "B-1002", "", "K-78"]]
    assert preview_csv(io.BytesIO(b"")) == ([], [])
    assert preview_csv(io.BytesIO(b"\xef\xbb\xbfa,b\n\xff,2\n")) == (["a", "b"], [["\ufffd", "2"]])


# -- JSON documents that break ---------------------------------------------------------


def test_json_document_cut_short_stops_with_one_error_where_it_broke():
    data = (SAMPLES / "tripadvisor_reviews.json").read_bytes()
    cut = data[: data.index(b'"id": 987654322')]
    items = parse("tripadvisor-json", cut)
    assert sorted(records(items)) == [1]
    assert errors(items) == [(2, "", "not valid JSON: parse error: premature EOF")]


def test_json_document_that_is_not_utf8():
    data = b'{"data": [{"id": 1, "rating": 5, "text": "ok"}, {"id": 2, "text": "\xff"}]}'
    items = parse("tripadvisor-json", data)
    assert sorted(records(items)) == [1]
    assert errors(items) == [(2, "", "not UTF-8 text")]


def test_json_document_with_a_bom():
    data = b"\xef\xbb\xbf" + (SAMPLES / "zendesk_tickets.json").read_bytes()
    assert sorted(records(parse("zendesk-json", data))) == [1, 2, 3]


def test_json_document_item_that_is_not_an_object():
    assert errors(parse("facebook-comments-json", b'{"data": ["x"]}')) == [
        (1, "", "not a JSON object")]


# -- Streaming -------------------------------------------------------------------------

ROWS = 20_000


class GeneratedFile(io.RawIOBase):
    """A file whose lines are made only when read, counting how many were made."""

    def __init__(self, lines: Iterator[bytes]) -> None:
        self._lines = lines
        self._pending = b""
        self.made = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while len(self._pending) < len(buffer):
            line = next(self._lines, None)
            if line is None:
                break
            self._pending += line
            self.made += 1
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


def jsonl_lines() -> Iterator[bytes]:
    for n in range(ROWS):
        yield json.dumps({"rating": 1 + n % 5, "title": "t", "text": f"review {n}",
                          "asin": "B0", "user_id": f"U{n}", "timestamp": 1_600_000_000_000 + n,
                          "helpful_vote": 0, "verified_purchase": True}).encode() + b"\n"


def csv_lines() -> Iterator[bytes]:
    yield b"Review Id,Review Created (UTC),Review Stars,Review Content\n"
    for n in range(ROWS):
        yield f"r{n},2024-01-01 00:00:00,{1 + n % 5},review {n}\n".encode()


def json_document_lines() -> Iterator[bytes]:
    yield b'{"tickets": [\n'
    for n in range(ROWS):
        ticket = json.dumps({"id": n, "created_at": "2024-01-01T00:00:00Z", "subject": "s",
                             "description": f"ticket {n}", "status": "open"}).encode()
        yield ticket + (b",\n" if n < ROWS - 1 else b"\n")
    yield b'], "end_of_stream": true}\n'


@pytest.mark.parametrize(("name", "lines"), [
    ("amazon-2023-jsonl", jsonl_lines),
    ("trustpilot-csv", csv_lines),
    ("zendesk-json", json_document_lines),
])
def test_large_files_are_read_as_a_stream(name, lines):
    source = GeneratedFile(lines())
    items = FORMATS[name].parse(io.BufferedReader(source))
    first = next(items)
    assert isinstance(first, Record)
    assert source.made < ROWS // 10  # only what the first record needed was read
    rest = sum(1 for item in items if isinstance(item, Record))
    assert rest + 1 == ROWS
    assert source.made == sum(1 for _ in lines())  # and all of it in the end
