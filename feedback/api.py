"""Feedback pushed by integrations: ``POST /api/v1/feedback`` with an API key (scope
``feedback:write``), and each source's webhook, signed with HMAC-SHA256."""

from __future__ import annotations

import hashlib
import hmac
from typing import Annotated

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Schema
from ninja.errors import HttpError
from pydantic import AwareDatetime, Field, StringConstraints, model_validator

from cases.api import ApiKeyAuth, BatchInvalid, one_or_many, parse_batch
from cases.schemas import StrictIn
from feedback.catalogue import Cataloguer
from feedback.formats import Record
from feedback.models import Source, Theme
from feedback.services import store_records

BATCH_LIMIT = 1000
SIGNATURE_HEADER = "X-Signature-256"  # "sha256=" + hex HMAC of the raw body

Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=20_000)]
Short = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]


class FeedbackIn(StrictIn):
    """One piece of feedback. ``text`` or ``rating`` is required; ``rating`` is on
    ``rating_scale`` (worst, best), 1 to 5 unless said otherwise."""

    external_id: Short = ""
    text: Text = ""
    rating: float | None = None
    rating_scale: tuple[float, float] = (1, 5)
    title: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] = ""
    author: Short = ""
    posted_at: AwareDatetime | None = None
    language: Annotated[str, StringConstraints(strip_whitespace=True, max_length=10)] = ""
    email: Annotated[str, StringConstraints(strip_whitespace=True, max_length=254)] = ""
    order_ref: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] = ""
    customer_ref: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] = ""

    @model_validator(mode="after")
    def says_something(self) -> FeedbackIn:
        if not self.text and self.rating is None:
            raise ValueError("give text or rating (or both)")
        worst, best = self.rating_scale
        if worst >= best:
            raise ValueError("rating_scale goes from the worst to the best rating")
        if self.rating is not None and not worst <= self.rating <= best:
            raise ValueError(f"rating {self.rating:g} is outside {worst:g}-{best:g}")
        return self


class SourcedFeedbackIn(FeedbackIn):
    source: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                             max_length=60)] = Field(
        description="The source's short name (slug), as on its page.")


class FeedbackStoredOut(Schema):
    received: int
    imported: int
    duplicates: int


router = Router(tags=["feedback"])


def _records(items: list[FeedbackIn]) -> list[Record]:
    return [Record(line=index, text=item.text, rating=item.rating,
                   rating_scale=item.rating_scale if item.rating is not None else None,
                   posted_at=item.posted_at, external_id=item.external_id, title=item.title,
                   author=item.author, language=item.language, email=item.email,
                   order_ref=item.order_ref, customer_ref=item.customer_ref,
                   raw=item.model_dump(mode="json", exclude={"source"}))
            for index, item in enumerate(items)]


@transaction.atomic
def _store(by_source: dict[Source, list[FeedbackIn]]) -> dict[str, int]:
    cataloguer = Cataloguer(Theme.objects.all())
    received = sum(len(items) for items in by_source.values())
    imported = sum(store_records(source=source, records=_records(items), cataloguer=cataloguer)
                   for source, items in by_source.items())
    Source.objects.filter(pk__in=[source.pk for source in by_source]).update(
        last_intake_at=timezone.now())
    return {"received": received, "imported": imported, "duplicates": received - imported}


@router.post(
    "/feedback",
    auth=ApiKeyAuth("feedback:write"),
    response={200: FeedbackStoredOut},
    openapi_extra=one_or_many(SourcedFeedbackIn),
    summary="Push feedback items into their sources",
)
def post_feedback(request: HttpRequest):
    """One item or a list of up to 1,000, each naming its source. A batch is all or
    nothing: on 422 nothing was stored, and each error names the list index and field.
    Items already stored (same source and external_id, or the same content when there is
    no id) are counted as duplicates, not stored twice."""
    items, single = parse_batch(request, SourcedFeedbackIn, BATCH_LIMIT)
    sources = {source.slug: source for source in Source.objects.filter(
        slug__in={item.source for item in items})}
    unknown = [index for index, item in enumerate(items) if item.source not in sources]
    if unknown:
        raise BatchInvalid([{"loc": ["body", *([] if single else [index]), "source"],
                             "msg": "No feedback source has this short name.",
                             "type": "value_error"} for index in unknown])
    by_source: dict[Source, list[FeedbackIn]] = {}
    for item in items:
        by_source.setdefault(sources[item.source], []).append(item)
    return _store(by_source)


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@router.post(
    "/feedback/webhooks/{slug}",
    response={200: FeedbackStoredOut, 401: dict},
    openapi_extra=one_or_many(FeedbackIn),
    summary="A source's webhook: feedback signed with the source's secret",
)
def post_webhook(request: HttpRequest, slug: str):
    """Items for this source, one or a list of up to 1,000. The request carries
    ``X-Signature-256: sha256=<hex>``, the HMAC-SHA256 of the raw body with the secret
    shown on the source's page; without a valid signature the answer is 401 and nothing
    is stored."""
    source = Source.objects.filter(slug=slug).first()
    given = request.headers.get(SIGNATURE_HEADER, "")
    if source is None or not hmac.compare_digest(signature(source.webhook_secret,
                                                           request.body), given):
        raise HttpError(401, "Missing or wrong signature.")
    items, _single = parse_batch(request, FeedbackIn, BATCH_LIMIT)
    return _store({source: items})
