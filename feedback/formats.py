"""File formats feedback arrives in: what each platform's export or API really gives, read
as a stream and turned into ``Record``s for the import pipeline.

A format is a function from a binary stream to an iterator of ``Record`` (a piece of
customer feedback), ``RowError`` (a record that is broken: its row or line, the field and
why) or ``Skipped`` (a record that is not customer feedback: the page's own replies, a
deleted ticket). Formats never load a whole file: CSV is read row by row, JSON with
``ijson`` item by item, JSON Lines line by line, so memory does not grow with the file.

``register_format`` adds one under its preset name (``trustpilot-csv``, …); ``FORMATS``
lists them for the upload form and ``import_feedback --format``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _


@dataclass
class Record:
    """One piece of customer feedback as the platform gave it, normalised."""

    line: int  # the CSV row (the header is row 1), JSON Lines line, or JSON item (from 1)
    text: str
    rating: float | None  # on the platform's own scale
    rating_scale: tuple[float, float] | None  # (worst, best), e.g. (1, 5); None: no rating
    posted_at: dt.datetime | None  # aware
    external_id: str = ""  # the platform's id of the review or comment; "" when none
    title: str = ""
    author: str = ""
    language: str = ""  # as the platform says ("en", "nb"…), "" when it does not
    email: str = ""  # the customer's, when the platform gives it
    order_ref: str = ""
    customer_ref: str = ""
    raw: dict[str, Any] = field(default_factory=dict)  # the record exactly as read

    @property
    def content_hash(self) -> str:
        """Identifies a record without an id: the same text, rating, author and time."""
        parts = [self.text.strip(), "" if self.rating is None else f"{self.rating:g}",
                 self.author.strip(), self.posted_at.isoformat() if self.posted_at else ""]
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


@dataclass
class RowError:
    """A record kept out of the import, with where and why."""

    line: int
    field: str
    reason: str


@dataclass
class Skipped:
    """A record that is not customer feedback (counted, not stored)."""

    line: int
    reason: str


Item = Record | RowError | Skipped
# parse(stream, **options): options come from the source (``Source.format_options``), e.g.
# the column mapping of ``csv`` or the page id whose own comments ``facebook-comments-json``
# skips; a format ignores options it does not know.
Parser = Callable[..., Iterator[Item]]


@dataclass(frozen=True)
class Format:
    name: str
    label: Any
    parse: Parser
    extensions: tuple[str, ...]  # what the upload accepts, e.g. (".csv",)


FORMATS: dict[str, Format] = {}


def register_format(name: str, label: Any, extensions: tuple[str, ...]):
    def register(parse: Parser) -> Parser:
        FORMATS[name] = Format(name, label, parse, extensions)
        return parse
    return register


def get_format(name: str) -> Format:
    try:
        return FORMATS[name]
    except KeyError:
        raise ValueError(_("There is no format %(name)s; the formats are: %(names)s.") % {
            "name": name, "names": ", ".join(sorted(FORMATS))}) from None
