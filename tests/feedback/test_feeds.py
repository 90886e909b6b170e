"""Scheduled pulls of feed sources, from an HTTP server the test starts on localhost."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from feedback import feeds
from feedback.models import FeedbackItem, ImportBatch, Source

pytestmark = pytest.mark.django_db

RSS = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Shop reviews</title>
<item><guid>r-1</guid><title>Late again</title>
<description>&lt;p&gt;The parcel arrived &lt;b&gt;two weeks&lt;/b&gt; late.&lt;/p&gt;</description>
<author>ola@example.no (Ola)</author><pubDate>Mon, 23 Nov 2026 10:00:00 +0000</pubDate></item>
<item><guid>r-2</guid><title>Great</title><description>Fast delivery, thank you!</description>
<pubDate>Tue, 24 Nov 2026 08:30:00 +0000</pubDate></item>
</channel></rss>"""

TRIPADVISOR = json.dumps({"data": [
    {"id": 901, "lang": "it", "published_date": "2026-11-20T10:00:00Z", "rating": 2,
     "text": "Consegna in ritardo di una settimana.", "title": "Ritardo",
     "user": {"username": "marco"}},
], "paging": {}}).encode()


@pytest.fixture
def server():
    bodies = {"/reviews.rss": RSS, "/reviews.json": TRIPADVISOR, "/broken.rss": b"<html>no"}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            body = bodies.get(self.path)
            self.send_response(200 if body is not None else 404)
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_an_rss_feed_is_pulled_and_a_second_pull_adds_nothing(server):
    source = Source.objects.create(name="Shop blog", slug="blog", intake="feed",
                                   feed_url=f"{server}/reviews.rss", feed_format="rss")

    first = feeds.pull_feed(source=source)
    again = feeds.pull_feed(source=source)

    assert (first.status, first.kind, first.imported) == ("done", "feed", 2)
    assert (again.imported, again.duplicates) == (0, 2)
    late = FeedbackItem.objects.get(external_id="r-1")
    assert late.text == "The parcel arrived two weeks late."
    assert late.posted_at.isoformat() == "2026-11-23T10:00:00+00:00"
    assert late.language == "en" and late.sentiment < 0


def test_a_json_feed_is_read_with_the_sources_format(server):
    source = Source.objects.create(name="Tripadvisor", slug="tripadvisor", intake="feed",
                                   feed_url=f"{server}/reviews.json", feed_format="json",
                                   default_format="tripadvisor-json")
    assert feeds.pull_feed(source=source).imported == 1
    assert FeedbackItem.objects.get().language == "it"


def test_beat_pulls_every_feed_and_one_failing_does_not_stop_the_others(server):
    Source.objects.create(name="Blog", slug="blog", intake="feed",
                          feed_url=f"{server}/reviews.rss", feed_format="rss")
    Source.objects.create(name="Gone", slug="gone", intake="feed",
                          feed_url=f"{server}/missing.rss", feed_format="rss")
    Source.objects.create(name="Odd", slug="odd", intake="feed",
                          feed_url=f"{server}/broken.rss", feed_format="rss")
    Source.objects.create(name="Uploads", slug="uploads", intake="upload")

    outcomes = feeds.pull_feeds()

    assert outcomes["blog"] == "done: 2 new"
    assert outcomes["gone"].startswith("failed: HTTP Error 404")
    assert set(outcomes) == {"blog", "gone", "odd"}
    odd = ImportBatch.objects.get(source__slug="odd")
    assert odd.row_errors.get().reason.startswith("not an RSS or Atom feed")


def test_a_feed_url_must_be_http(server):
    source = Source.objects.create(name="Local", slug="local", intake="feed",
                                   feed_url="file:///etc/passwd", feed_format="rss")
    with pytest.raises(Exception, match="starts with http"):
        feeds.pull_feed(source=source)
