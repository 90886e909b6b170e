"""Scheduled pulls of a source's feed: an RSS or Atom feed of reviews or comments, or a JSON
document in one of the platforms' formats (an API endpoint that answers without a login).

Beat pulls every feed source each ``FEED_PULL_INTERVAL``; a pull is an import like an
upload (``ImportBatch`` of kind "feed pull"), so what was pulled before counts as
duplicates, not twice."""

from __future__ import annotations

import calendar
import datetime as dt
import html
import re
import urllib.request
from collections.abc import Iterator
from typing import IO, Any

import feedparser
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from feedback import services
from feedback.formats import Record, RowError, register_format
from feedback.models import ImportBatch, Source

TAGS = re.compile(r"<[^>]+>")


@register_format("rss", gettext_lazy("RSS or Atom feed"), (".xml", ".rss", ".atom"))
def parse_rss(stream: IO[bytes], **options: Any) -> Iterator[Record | RowError]:
    """Each entry of an RSS or Atom feed (feedparser): its id (or link), title, text
    without markup, author and publication time. Feeds are small: read whole."""
    feed = feedparser.parse(stream.read())
    if feed.bozo and not feed.entries:
        yield RowError(1, "", f"not an RSS or Atom feed: {feed.bozo_exception}")
        return
    for line, entry in enumerate(feed.entries, start=1):
        text = html.unescape(TAGS.sub(" ", entry.get("summary", "") or "")).strip()
        title = html.unescape(TAGS.sub(" ", entry.get("title", "") or "")).strip()
        if not text and not title:
            yield RowError(line, "summary", "no text and no rating")
            continue
        published = entry.get("published_parsed") or entry.get("updated_parsed")
        yield Record(
            line=line, text=" ".join(text.split()), rating=None, rating_scale=None,
            posted_at=(dt.datetime.fromtimestamp(calendar.timegm(published), tz=dt.UTC)
                       if published else None),
            external_id=(entry.get("id") or entry.get("link") or "")[:200], title=title,
            author=entry.get("author", ""), language=entry.get("language", ""),
            raw={key: str(value) for key, value in entry.items()
                 if key in ("id", "link", "title", "summary", "author", "published")},
        )


def fetch(url: str) -> bytes:
    """The feed's body (http and https only), refused past ``FEEDBACK_UPLOAD_MAX_BYTES``."""
    if not url.lower().startswith(("http://", "https://")):
        raise ValidationError({"feed_url": _("A feed URL starts with http:// or https://.")})
    request = urllib.request.Request(  # noqa: S310 (the scheme is checked above)
        url, headers={"User-Agent": "AdvocacyDesk/1 (feed pull)"})
    with urllib.request.urlopen(request, timeout=settings.FEED_TIMEOUT) as response:  # noqa: S310
        body = response.read(settings.FEEDBACK_UPLOAD_MAX_BYTES + 1)
    if len(body) > settings.FEEDBACK_UPLOAD_MAX_BYTES:
        raise ValidationError(_("The feed is larger than the upload limit."))
    return body


def pull_feed(*, source: Source) -> ImportBatch:
    """Fetch a source's feed and import it (in this process: feeds are small)."""
    if not source.feed_url:
        raise ValidationError({"feed_url": _("This source has no feed URL.")})
    format_name = "rss" if source.feed_format == Source.FeedFormat.RSS else source.default_format
    if not format_name:
        raise ValidationError({"default_format": _(
            "Choose the file format of this JSON feed (one of the platforms' presets).")})
    body = fetch(source.feed_url)
    extension = ".xml" if format_name == "rss" else (
        ".jsonl" if format_name.endswith("jsonl") else ".json")
    batch = services.start_import(
        source=source, file=ContentFile(body, name=f"feed{extension}"),
        filename=f"{source.slug}-feed{extension}", format_name=format_name,
        kind=ImportBatch.Kind.FEED, enqueue=False)
    return services.run_import(batch_id=batch.pk) or batch


def pull_feeds() -> dict[str, str]:
    """Pull every feed source; a feed that fails is reported and the others still run."""
    outcomes = {}
    for source in Source.objects.filter(intake=Source.Intake.FEED).exclude(feed_url=""):
        try:
            batch = pull_feed(source=source)
            outcomes[source.slug] = f"{batch.status}: {batch.imported} new"
        except (OSError, ValidationError) as error:
            outcomes[source.slug] = f"failed: {error}"
    return outcomes
