"""The format presets: one parser per platform export or API response, registered in ``FORMATS``.

Every parser is ``parse(stream, **options)`` over a binary stream and yields ``Record``,
``RowError`` or ``Skipped`` (see ``feedback.formats``). They stream: JSON documents go
through ``ijson`` item by item, JSON Lines and CSV are decoded one physical line at a time,
so a large export never sits in memory whole.

Shared rules, kept in the helpers at the top of this module:

* line numbers: a CSV row counts the header as row 1; a JSON Lines record is its physical
  line; a record of a JSON document is its position in the list, from 1;
* dates become aware datetimes (UTC when the source gives no offset); a missing date is
  ``None``, a present but unreadable one is a ``RowError`` on the platform's field;
* a rating outside the platform's scale, or not a number, is a ``RowError``;
* a record with neither text nor rating is a ``RowError`` on the platform's text field;
* input is UTF-8 (a BOM is accepted): a CSV row or JSON line that is not is a ``RowError``
  and reading goes on; a JSON document that breaks ends with one ``RowError`` where it broke.

Field names in ``RowError`` are the platform's own, as dotted paths inside the record
(``satisfaction_rating.score``) or CSV column headers (``Review Stars``).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, BinaryIO

import ijson
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from feedback.formats import Item, Record, RowError, Skipped, register_format

# --------------------------------------------------------------------------------------
# Shared helpers
# --------------------------------------------------------------------------------------

BOM = b"\xef\xbb\xbf"
FIVE_STARS: tuple[float, float] = (1.0, 5.0)
EN_DASH = "\u2013"
NOT_UTF8 = "not UTF-8 text"
# The Record fields that are plain strings, as a CSV mapping or a preset may fill them.
STRING_FIELDS = ("external_id", "title", "author", "language", "email", "order_ref",
                 "customer_ref")

Raw = dict[str, Any]
Builder = Callable[[Raw, int], Record]


class _Reject(Exception):
    """The record is broken: ``field`` (the platform's name) and why; becomes a RowError."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


class _Skip(Exception):
    """The record is not customer feedback; becomes a Skipped."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _text(value: Any) -> str:
    """A stripped string; ``None`` is ``""``."""
    if value is None:
        return ""
    return (value if isinstance(value, str) else str(value)).strip()


def _get(data: Any, path: str) -> Any:
    """The value at a dotted ``path`` of nested dicts, or ``None`` where a step is missing."""
    for key in path.split("."):
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _number(value: Any, field: str) -> float | None:
    """A rating as a float; ``None`` when empty. Accepts a decimal comma ("4,5")."""
    if value is None:
        return None
    shown = _text(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
    elif isinstance(value, str) and shown:
        try:
            number = float(shown if "." in shown else shown.replace(",", "."))
        except ValueError:
            raise _Reject(field, f"rating '{shown}' is not a number") from None
    elif isinstance(value, str):
        return None
    else:
        raise _Reject(field, f"rating '{shown}' is not a number")
    if not math.isfinite(number):
        raise _Reject(field, f"rating '{shown}' is not a number")
    return number


def _rating(value: Any, field: str, scale: tuple[float, float]) -> float | None:
    """A rating checked against the platform's ``(worst, best)`` scale."""
    number = _number(value, field)
    if number is not None and not scale[0] <= number <= scale[1]:
        raise _Reject(field, f"rating {number:g} is outside {scale[0]:g}{EN_DASH}{scale[1]:g}")
    return number


def _aware(moment: dt.datetime) -> dt.datetime:
    """UTC when the source gave no offset."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _iso_date(value: Any, field: str) -> dt.datetime | None:
    """An ISO 8601 / RFC 3339 date ("Z", "+00:00" and "+0000" offsets, date only)."""
    shown = _text(value)
    if not shown:
        return None
    try:
        return _aware(dt.datetime.fromisoformat(shown))
    except ValueError:
        raise _Reject(field, f"not a date: '{shown}'") from None


def _formatted_date(value: Any, field: str, date_format: str) -> dt.datetime | None:
    """A date in a ``strptime`` format; ISO 8601 when the format is ``""``."""
    if not date_format:
        return _iso_date(value, field)
    shown = _text(value)
    if not shown:
        return None
    try:
        return _aware(dt.datetime.strptime(shown, date_format))
    except ValueError:
        raise _Reject(field, f"not a date: '{shown}'") from None


def _epoch_date(value: Any, field: str, per_second: int = 1) -> dt.datetime | None:
    """A Unix timestamp (``per_second=1000`` for milliseconds)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        if isinstance(value, bool):
            raise ValueError(value)
        return dt.datetime.fromtimestamp(float(value) / per_second, tz=dt.UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        raise _Reject(field, f"not a date: '{_text(value)}'") from None


def _record(line: int, raw: Raw, *, text: Any, text_field: str, rating: float | None,
            scale: tuple[float, float] | None, posted_at: dt.datetime | None,
            **fields: Any) -> Record:
    """A ``Record`` with stripped strings; no text and no rating is a ``_Reject``."""
    body = _text(text).replace("\r\n", "\n")
    if not body and rating is None:
        raise _Reject(text_field, "no text and no rating")
    return Record(line=line, text=body, rating=rating, rating_scale=scale, posted_at=posted_at,
                  raw=raw, **{name: _text(value) for name, value in fields.items()})


def _outcome(line: int, raw: Any, build: Builder) -> Item:
    """Run a builder on one record read and turn its signals into items."""
    if not isinstance(raw, dict):
        return RowError(line, "", "not a JSON object")
    try:
        return build(raw, line)
    except _Reject as exc:
        return RowError(line, exc.field, exc.reason)
    except _Skip as exc:
        return Skipped(line, exc.reason)


# -- JSON documents (ijson) --------------------------------------------------------------


class _SkipBom:
    """A binary reader that drops a leading UTF-8 BOM (yajl rejects it)."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self._started = False

    def read(self, size: int = -1) -> bytes:
        if size == 0:
            return b""
        if self._started:
            return self._stream.read(size)
        self._started = True
        data = self._stream.read(size)
        while data and len(data) < len(BOM) and BOM.startswith(data):
            more = self._stream.read(size)
            if not more:
                break
            data += more
        if data.startswith(BOM):
            data = data[len(BOM):] or self._stream.read(size)
        return data


def _json_failure(exc: Exception) -> str:
    """The reason for a fatal ijson error, on one line."""
    message = exc.args[0] if exc.args else str(exc)
    if isinstance(message, bytes):
        message = message.decode("utf-8", "replace")
    first_line = str(message).strip().splitlines()[0] if str(message).strip() else "broken"
    if "UTF8" in first_line or "UTF-8" in first_line:
        return NOT_UTF8
    return f"not valid JSON: {first_line}"


def _parse_json_document(stream: BinaryIO, prefix: str, build: Builder) -> Iterator[Item]:
    """The records of the list at ``prefix`` of one JSON document, one by one."""
    items = ijson.items(_SkipBom(stream), f"{prefix}.item", use_float=True)
    position = 0
    while True:
        try:
            raw = next(items)
        except StopIteration:
            if not position:  # the wrong preset, most likely: say so instead of nothing
                yield RowError(1, prefix, f"the file holds no records at '{prefix}'")
            return
        except ijson.JSONError as exc:
            yield RowError(position + 1, "", _json_failure(exc))
            return
        position += 1
        yield _outcome(position, raw, build)


# -- JSON Lines --------------------------------------------------------------------------


def _json_line_failure(exc: json.JSONDecodeError) -> str:
    """E.g. "not valid JSON: Expecting ',' delimiter at column 31"."""
    where = "" if exc.msg.endswith(" at") else " at"
    return f"not valid JSON: {exc.msg}{where} column {exc.colno}"


def _parse_json_lines(stream: BinaryIO, build: Builder) -> Iterator[Item]:
    """One record per physical line; blank lines are ignored, broken ones reported."""
    for line, data in enumerate(stream, start=1):
        if line == 1:
            data = data.removeprefix(BOM)
        if not data.strip():
            continue
        try:
            raw = json.loads(data.decode("utf-8").strip())
        except UnicodeDecodeError:
            yield RowError(line, "", NOT_UTF8)
            continue
        except json.JSONDecodeError as exc:
            yield RowError(line, "", _json_line_failure(exc))
            continue
        yield _outcome(line, raw, build)


# -- CSV ---------------------------------------------------------------------------------


@dataclass
class _Row:
    line: int  # the header is row 1
    cells: list[str]
    problem: str = ""  # why the row cannot be read, "" when it can


def _decoded_lines(stream: Iterable[bytes]) -> Iterator[str]:
    """Physical lines as text; bytes that are not UTF-8 survive as surrogates, to be caught."""
    for number, data in enumerate(stream, start=1):
        yield (data.removeprefix(BOM) if number == 1 else data).decode("utf-8", "surrogateescape")


def _is_utf8(cells: Sequence[str]) -> bool:
    try:
        "".join(cells).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _csv_rows(stream: BinaryIO) -> Iterator[_Row]:
    """The non-blank rows of a CSV file, numbered as a spreadsheet numbers them."""
    reader = csv.reader(_decoded_lines(stream))
    line = 0
    while True:
        line += 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield _Row(line, [], f"not a CSV row: {exc}")
            continue
        if not any(cell.strip() for cell in cells):
            continue
        yield _Row(line, cells, "" if _is_utf8(cells) else NOT_UTF8)


def _header_key(name: str) -> str:
    return " ".join(name.split()).casefold()


def _find_column(headers: Sequence[str], names: Sequence[str]) -> tuple[str, int] | None:
    """The first of ``names`` in the header (exact first, then ignoring case and spacing)."""
    for name in names:
        if name in headers:
            return name, headers.index(name)
    keys = [_header_key(header) for header in headers]
    for name in names:
        if _header_key(name) in keys:
            index = keys.index(_header_key(name))
            return headers[index], index
    return None


Columns = dict[str, tuple[str, int]]  # our field -> (the file's header, its index)


def _csv_record(row: _Row, headers: Sequence[str], columns: Columns, *,
                scale: tuple[float, float], date_format: str, text_field: str) -> Record:
    """A record from one CSV row through the resolved ``columns``."""
    cells = row.cells
    if len(cells) < len(headers):  # a short row: the missing cells are empty
        cells = [*cells, *[""] * (len(headers) - len(cells))]

    def cell(field: str) -> str:
        column = columns.get(field)
        return cells[column[1]] if column else ""

    def header(field: str) -> str:
        return columns[field][0] if field in columns else ""

    return _record(
        row.line, dict(zip(headers, cells, strict=False)), text=cell("text"),
        text_field=header("text") or text_field,
        rating=_rating(cell("rating"), header("rating"), scale), scale=scale,
        posted_at=_formatted_date(cell("posted_at"), header("posted_at"), date_format),
        **{field: cells[index] for field, (_name, index) in columns.items()
           if field in STRING_FIELDS},
    )


def _parse_csv(stream: BinaryIO, resolve: Callable[[list[str]], Columns | list[RowError]],
               **record_options: Any) -> Iterator[Item]:
    """Header, then one item per data row; ``resolve`` maps the header to our fields."""
    rows = _csv_rows(stream)
    head = next(rows, None)
    if head is None:
        return
    if head.problem:
        yield RowError(head.line, "", head.problem)
        return
    headers = [cell.strip() for cell in head.cells]
    columns = resolve(headers)
    if isinstance(columns, list):
        yield from columns
        return
    for row in rows:
        if row.problem:
            yield RowError(row.line, "", row.problem)
            continue
        try:
            yield _csv_record(row, headers, columns, **record_options)
        except _Reject as exc:
            yield RowError(row.line, exc.field, exc.reason)


# --------------------------------------------------------------------------------------
# Google
# --------------------------------------------------------------------------------------

GOOGLE_STARS = {"ONE": 1.0, "TWO": 2.0, "THREE": 3.0, "FOUR": 4.0, "FIVE": 5.0}


def _google_star_rating(value: Any) -> float | None:
    """``starRating``: the enum ``ONE``..``FIVE``; ``STAR_RATING_UNSPECIFIED`` is no rating."""
    key = _text(value).upper()
    if key in ("", "STAR_RATING_UNSPECIFIED"):
        return None
    if key in GOOGLE_STARS:
        return GOOGLE_STARS[key]
    return _rating(value, "starRating", FIVE_STARS)


def _google_review(raw: Raw, line: int) -> Record:
    review_id = _text(raw.get("reviewId")) or _text(raw.get("name")).rpartition("/")[2]
    return _record(
        line, raw, text=raw.get("comment"), text_field="comment",
        rating=_google_star_rating(raw.get("starRating")), scale=FIVE_STARS,
        posted_at=_iso_date(raw.get("createTime"), "createTime"),
        external_id=review_id, author=_get(raw, "reviewer.displayName"),
    )


@register_format("google-reviews-json", _("Google Business Profile reviews (API, JSON)"),
                 (".json",))
def parse_google_reviews(stream: BinaryIO, **options: Any) -> Iterator[Item]:
    """Google Business Profile API ``accounts.locations.reviews.list`` response.

    ``{"reviews": [Review…], "averageRating", "totalReviewCount", "nextPageToken"}``; a
    Review has ``name``, ``reviewId``, ``reviewer {profilePhotoUrl, displayName,
    isAnonymous}``, ``starRating`` (``STAR_RATING_UNSPECIFIED``, ``ONE``..``FIVE``),
    ``comment``, ``createTime``, ``updateTime`` (RFC 3339) and ``reviewReply {comment,
    updateTime}``. Reference:
    https://developers.google.com/my-business/reference/rest/v4/accounts.locations.reviews
    """
    yield from _parse_json_document(stream, "reviews", _google_review)


def _takeout_review(raw: Raw, line: int) -> Record:
    props = raw.get("properties") if isinstance(raw.get("properties"), dict) else {}
    return _record(
        line, raw, text=props.get("review_text_published"),
        text_field="properties.review_text_published",
        rating=_rating(props.get("five_star_rating_published"),
                       "properties.five_star_rating_published", FIVE_STARS),
        scale=FIVE_STARS, posted_at=_iso_date(props.get("date"), "properties.date"),
        external_id=props.get("google_maps_url"),
    )


@register_format("google-takeout-json", _("Google Takeout, Maps (your places) Reviews.json"),
                 (".json",))
def parse_google_takeout(stream: BinaryIO, **options: Any) -> Iterator[Item]:
    """Google Takeout "Maps (your places)" ``Reviews.json``: a GeoJSON FeatureCollection.

    ``{"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": {…},
    "properties": {"date", "five_star_rating_published", "review_text_published",
    "google_maps_url", "location": {"name", "address", "country_code"}, "questions"}}]}``.
    There is no review id: the ``google_maps_url`` (the place) stands in, else ``""`` and the
    pipeline uses the content hash. Takeout: https://takeout.google.com (Maps (your places));
    Google publishes no schema, the names are those of real exports (see the tests' samples).
    """
    yield from _parse_json_document(stream, "features", _takeout_review)


# --------------------------------------------------------------------------------------
# Trustpilot
# --------------------------------------------------------------------------------------

# Header names of the Business "export reviews" file, with the variants seen in real exports.
TRUSTPILOT_COLUMNS: dict[str, tuple[str, ...]] = {
    "external_id": ("Review Id", "Review ID"),
    "posted_at": ("Review Created (UTC)", "Review Created"),
    "rating": ("Review Stars",),
    "title": ("Review Title",),
    "text": ("Review Content", "Review Text"),
    "author": ("Review Username", "Consumer Name"),
    "email": ("Consumer Email", "Review User Email"),
    "order_ref": ("Reference Id", "Reference ID", "Reference Number"),
    "language": ("Review Language",),
}


def _trustpilot_columns(headers: list[str]) -> Columns | list[RowError]:
    columns = {field: found for field, names in TRUSTPILOT_COLUMNS.items()
               if (found := _find_column(headers, names))}
    if "text" not in columns and "rating" not in columns:
        return [RowError(1, "", "no 'Review Content' or 'Review Stars' column: "
                                "not a Trustpilot reviews export")]
    return columns


@register_format("trustpilot-csv", _("Trustpilot reviews export (CSV)"), (".csv",))
def parse_trustpilot_csv(stream: BinaryIO, **options: Any) -> Iterator[Item]:
    """Trustpilot Business "export reviews" CSV (Business portal, Service reviews, Export).

    Columns read (case and spacing ignored): ``Review Id``, ``Review Created (UTC)``,
    ``Review Stars`` (1-5), ``Review Title``, ``Review Content``, ``Review Username``,
    ``Consumer Email``, ``Reference Id`` (the shop's order reference, as sent with the
    invitation: https://support.trustpilot.com/hc/en-us/articles/204868067) and
    ``Review Language``; the others (``Review Consumer User Id``, ``Source Of Review``,
    ``Domain URL``, ``Webshop Name``, ``Business Unit Id``, ``Tags``, ``Company Reply Date
    (UTC)``, ``Reply Content``…) stay in ``raw``.
    """
    yield from _parse_csv(stream, _trustpilot_columns, scale=FIVE_STARS, date_format="",
                          text_field="Review Content")


def _trustpilot_review(raw: Raw, line: int) -> Record:
    return _record(
        line, raw, text=raw.get("text"), text_field="text",
        rating=_rating(raw.get("stars"), "stars", FIVE_STARS), scale=FIVE_STARS,
        posted_at=_iso_date(raw.get("createdAt"), "createdAt"),
        external_id=raw.get("id"), title=raw.get("title"),
        author=_get(raw, "consumer.displayName"), language=raw.get("language"),
        email=raw.get("referralEmail"), order_ref=raw.get("referenceId"),
    )


@register_format("trustpilot-json", _("Trustpilot business unit reviews (API, JSON)"),
                 (".json",))
def parse_trustpilot_json(stream: BinaryIO, **options: Any) -> Iterator[Item]:
    """Trustpilot Business Units API reviews: ``GET /v1/business-units/{id}/reviews`` and
    the private ``GET /v1/private/business-units/{id}/reviews`` (with email and order id).

    ``{"reviews": [{"id", "consumer": {"id", "displayName"}, "stars", "title", "text",
    "language", "createdAt", "updatedAt", "referenceId", "referralEmail", "companyReply":
    {"text", "createdAt"}…}], "links": […]}``. Reference:
    https://developers.trustpilot.com/business-units-api
    """
    yield from _parse_json_document(stream, "reviews", _trustpilot_review)


# --------------------------------------------------------------------------------------
# Tripadvisor
# --------------------------------------------------------------------------------------


def _tripadvisor_review(raw: Raw, line: int) -> Record:
    return _record(
        line, raw, text=raw.get("text"), text_field="text",
        rating=_rating(raw.get("rating"), "rating", FIVE_STARS), scale=FIVE_STARS,
        posted_at=_iso_date(raw.get("published_date"), "published_date"),
        external_id=raw.get("id"), title=raw.get("title"),
        author=_get(raw, "user.username"), language=raw.get("lang"),
    )


@register_format("tripadvisor-json", _("Tripadvisor location reviews (Content API, JSON)"),
                 (".json",))
def parse_tripadvisor(stream: BinaryIO, **options: Any) -> Iterator[Item]:
    """Tripadvisor Content API ``GET /location/{locationId}/reviews``.

    ``{"data": [{"id", "lang", "location_id", "published_date", "rating", "helpful_votes",
    "rating_image_url", "url", "text", "title", "trip_type", "travel_date", "user":
    {"username", "user_location"…}, "subratings": {…}, "owner_response"}], "paging": {…}}``.
    Reference: https://tripadvisor-content-api.readme.io/reference/getlocationreviews
    """
    yield from _parse_json_document(stream, "data", _tripadvisor_review)


# --------------------------------------------------------------------------------------
# Amazon review datasets (McAuley Lab)
# --------------------------------------------------------------------------------------


def _joined_id(*parts: Any) -> str:
    """``a:b:c`` when every part is there, else ``""`` (the pipeline then hashes content)."""
    texts = [_text(part) for part in parts]
    return ":".join(texts) if all(texts) else ""


def _amazon_2023_review(raw: Raw, line: int) -> Record:
    return _record(
        line, raw, text=raw.get("text"), text_field="text",
        rating=_rating(raw.get("rating"), "rating", FIVE_STARS), scale=FIVE_STARS,
        posted_at=_epoch_date(raw.get("timestamp"), "timestamp", per_second=1000),
        external_id=_joined_id(raw.get("user_id"), raw.get("asin"), raw.get("timestamp")),
        title=raw.get("title"),
    )


@register_format("amazon-2023-jsonl", _("Amazon Reviews 2023 dataset (JSON Lines)"),
                 (".jsonl",))
def parse_amazon_2023(stream: BinaryIO, **options: Any) -> Iterator[Item]:
    """McAuley Lab "Amazon Reviews 2023" review files, one JSON object a line.

    ``rating`` (1.0-5.0), ``title``, ``text``, ``images``, ``asin``, ``parent_asin``,
    ``user_id``, ``timestamp`` (Unix milliseconds), ``helpful_vote``, ``verified_purchase``.
    No review id: ``external_id`` is ``"{user_id}:{asin}:{timestamp}"``. Reference:
    https://amazon-reviews-2023.github.io/ (Hou et al. 2024, arXiv:2403.03952)
    """
    yield from _parse_json_lines(stream, _amazon_2023_review)


def _amazon_2018_date(raw: Raw) -> dt.datetime | None:
    """``unixReviewTime`` (seconds), else ``reviewTime`` ("09 13, 2009")."""
    if raw.get("unixReviewTime") not in (None, ""):
        return _epoch_date(raw.get("unixReviewTime"), "unixReviewTime")
    return _formatted_date(raw.get("reviewTime"), "reviewTime", "%m %d, %Y")


def _amazon_2018_review(raw: Raw, line: int) -> Record:
    return _record(
        line, raw, text=raw.get("reviewText"), text_field="reviewText",
        rating=_rating(raw.get("overall"), "overall", FIVE_STARS), scale=FIVE_STARS,
        posted_at=_amazon_2018_date(raw),
        external_id=_joined_id(raw.get("reviewerID"), raw.get("asin"),
                               raw.get("unixReviewTime")),
        title=raw.get("summary"), author=raw.get("reviewerName"),
    )


@register_format("amazon-2018-jsonl", _("Amazon review data 2018 (JSON Lines)"),
                 (".json", ".jsonl"))
def parse_amazon_2018(stream: BinaryIO, **options: Any) -> Iterator[Item]:
    """The 2018 Amazon review data (Ni, Li, McAuley, EMNLP 2019), one JSON object a line.

    ``overall``, ``verified``, ``reviewTime`` ("09 13, 2009"), ``reviewerID``, ``asin``,
    ``reviewerName``, ``reviewText``, ``summary``, ``unixReviewTime`` (seconds), ``vote``
    (a string), ``style``, ``image``. ``external_id`` is
    ``"{reviewerID}:{asin}:{unixReviewTime}"``. Reference:
    https://nijianmo.github.io/amazon/index.html
    """
    yield from _parse_json_lines(stream, _amazon_2018_review)


# --------------------------------------------------------------------------------------
# Zendesk
# --------------------------------------------------------------------------------------

ZENDESK_SCALE: tuple[float, float] = (0.0, 1.0)
ZENDESK_SCORES: dict[str, float | None] = {"good": 1.0, "bad": 0.0, "offered": None,
                                           "unoffered": None}


def _zendesk_rating(raw: Raw) -> float | None:
    """``satisfaction_rating.score``: good 1, bad 0; offered/unoffered are no rating."""
    score = _text(_get(raw, "satisfaction_rating.score")).lower()
    if score and score not in ZENDESK_SCORES:
        raise _Reject("satisfaction_rating.score",
                      f"rating '{score}' is not one of good, bad, offered, unoffered")
    return ZENDESK_SCORES.get(score)


def _zendesk_ticket(raw: Raw, line: int) -> Record:
    if _text(raw.get("status")).lower() == "deleted":
        raise _Skip("deleted ticket")
    return _record(
        line, raw, text=raw.get("description"), text_field="description",
        rating=_zendesk_rating(raw), scale=ZENDESK_SCALE,
        posted_at=_iso_date(raw.get("created_at"), "created_at"),
        external_id=raw.get("id"), title=raw.get("subject") or raw.get("raw_subject"),
    )


@register_format("zendesk-json", _("Zendesk incremental ticket export (JSON)"), (".json",))
def parse_zendesk(stream: BinaryIO, **options: Any) -> Iterator[Item]:
    """Zendesk incremental ticket export, cursor-based
    (``GET /api/v2/incremental/tickets/cursor.json``) or time-based.

    ``{"tickets": [Ticket…], "after_cursor"/"next_page", "end_of_stream"…}``; a Ticket has
    ``id``, ``created_at``, ``subject``, ``raw_subject``, ``description``, ``status``
    (``"deleted"`` for deleted tickets: skipped), ``requester_id``, ``tags``, ``via
    {channel}``, ``satisfaction_rating {score, comment}``, ``external_id``. ``requester_id``
    is Zendesk's user, not a customer reference of ours: it stays in ``raw``. References:
    https://developer.zendesk.com/api-reference/ticketing/ticket-management/incremental_exports/
    https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/
    """
    yield from _parse_json_document(stream, "tickets", _zendesk_ticket)


# --------------------------------------------------------------------------------------
# Facebook
# --------------------------------------------------------------------------------------


def _facebook_comment(raw: Raw, line: int, *, page_id: str = "") -> Record:
    if page_id and _text(_get(raw, "from.id")) == page_id:
        raise _Skip("the page's own comment")
    return _record(
        line, raw, text=raw.get("message"), text_field="message", rating=None, scale=None,
        posted_at=_iso_date(raw.get("created_time"), "created_time"),
        external_id=raw.get("id"), author=_get(raw, "from.name"),
    )


@register_format("facebook-comments-json", _("Facebook comments (Graph API, JSON)"),
                 (".json",))
def parse_facebook_comments(stream: BinaryIO, **options: Any) -> Iterator[Item]:
    """Graph API ``GET /{object-id}/comments`` response.

    ``{"data": [{"id", "created_time" ("2023-01-05T10:00:00+0000"), "from": {"id",
    "name"}, "message", "like_count", "comment_count"…}], "paging": {"cursors"…}}``.
    Option ``page_id``: comments from that id are the page's own replies, skipped. No
    rating. Reference: https://developers.facebook.com/docs/graph-api/reference/object/comments
    """
    build = partial(_facebook_comment, page_id=_text(options.get("page_id")))
    yield from _parse_json_document(stream, "data", build)


# --------------------------------------------------------------------------------------
# Any CSV, through a column mapping
# --------------------------------------------------------------------------------------

CSV_REQUIRED_FIELDS = ("text", "rating")  # at least one of them
CSV_OPTIONAL_FIELDS = ("posted_at", "external_id", "title", "author", "language", "email",
                       "order_ref", "customer_ref")
CSV_FIELDS = CSV_REQUIRED_FIELDS + CSV_OPTIONAL_FIELDS


def _csv_mapping(mapping: Any) -> dict[str, str]:
    """The mapping our field -> column header; ``ValueError`` names what is wrong."""
    if mapping is not None and not isinstance(mapping, dict):
        raise ValueError(gettext("The column mapping must map field names to column headers."))
    mapped = {field: _text(column) for field, column in (mapping or {}).items()
              if _text(column)}
    unknown = sorted(set(mapped) - set(CSV_FIELDS))
    if unknown:
        raise ValueError(gettext("The column mapping has unknown fields: %(unknown)s; the "
                                 "fields are: %(fields)s.")
                         % {"unknown": ", ".join(unknown), "fields": ", ".join(CSV_FIELDS)})
    if not any(field in mapped for field in CSV_REQUIRED_FIELDS):
        raise ValueError(gettext("The column mapping needs a column for the text or for the "
                                 "rating: without either there is no feedback to import."))
    return mapped


def _csv_scale(rating_scale: Any) -> tuple[float, float]:
    """``rating_scale`` as ``(worst, best)``; ``ValueError`` unless two numbers, worst < best."""
    try:
        worst, best = (float(bound) for bound in rating_scale)
    except (TypeError, ValueError):
        raise ValueError(gettext("The rating scale must be two numbers, e.g. [1, 5].")) from None
    if not worst < best:
        raise ValueError(gettext("The rating scale must go from the worst to a better rating."))
    return worst, best


def _mapped_columns(mapping: dict[str, str], headers: list[str]) -> Columns | list[RowError]:
    columns: Columns = {}
    errors = []
    for field, column in mapping.items():
        found = _find_column(headers, [column])
        if found:
            columns[field] = found
        else:
            errors.append(RowError(1, column, f"the file has no column '{column}'"))
    return errors or columns


@register_format("csv", _("Any CSV file (column mapping)"), (".csv",))
def parse_csv(stream: BinaryIO, mapping: dict[str, str] | None = None,
              rating_scale: Sequence[float] | None = None, date_format: str | None = "",
              **options: Any) -> Iterator[Item]:
    """Any CSV through a column mapping (``Source.format_options``).

    ``mapping`` maps our fields (``text``, ``rating``, ``posted_at``, ``external_id``,
    ``title``, ``author``, ``language``, ``email``, ``order_ref``, ``customer_ref``) to
    column headers; ``text`` or ``rating`` is required. ``rating_scale`` is ``(worst,
    best)``, default ``(1, 5)``; ``date_format`` a ``strptime`` format, ``""`` for ISO 8601.

    Unlike the other presets this is a plain function, so that a bad mapping raises
    ``ValueError`` when it is called, before any row is read; the rows are still a stream.
    """
    mapped = _csv_mapping(mapping)
    scale = _csv_scale(FIVE_STARS if rating_scale is None else rating_scale)
    return _parse_csv(stream, partial(_mapped_columns, mapped), scale=scale,
                      date_format=_text(date_format),
                      text_field=mapped.get("text") or mapped["rating"])


def preview_csv(stream: BinaryIO, rows: int = 5) -> tuple[list[str], list[list[str]]]:
    """The headers and the first ``rows`` non-blank rows, for the column mapping screen.

    Reads only as far as it needs; bytes that are not UTF-8 show as U+FFFD.
    """
    lines = (text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
             for text in _decoded_lines(stream))
    found: list[list[str]] = []
    for cells in csv.reader(lines):
        if any(cell.strip() for cell in cells):
            found.append([cell.strip() for cell in cells])
        if len(found) > rows:
            break
    return (found[0], found[1:]) if found else ([], [])
