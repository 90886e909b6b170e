"""The customer's answer, from the link in the email: no login, the token is the only key.

A link leads to its invitation while the invitation is valid: the token is well formed and
known, the survey still runs and the link has not expired. Anything else is one and the
same refusal (``LinkUnavailable``), which says nothing about why beyond "gone" (a link
that existed: expired, survey closed) or not: never whose it was.

Opening a link records nothing but ``opened_at`` (mail scanners follow links); saving is a
POST. The answer may change until the invitation expires. Its comment joins the feedback
catalogue as an item of the "NPS survey" source, through a task after commit, so a slow
catalogue never slows the page; the sweeper catches a nudge the broker lost.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import CharField, Exists, OuterRef, Q, Value
from django.db.models.functions import Cast, Coalesce, Concat
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases.models import Customer
from cases.services.email import customer_language
from cases.services.pending import register_pending_work
from feedback import services as feedback_services
from feedback.catalogue import Cataloguer
from feedback.formats import Record
from feedback.models import FeedbackItem, Source, Theme
from nps import tokens
from nps.models import MAX_COMMENT_CHARS, Category, Invitation, Response, category_of
from nps.services import advocates

logger = logging.getLogger(__name__)

FEEDBACK_SOURCE_SLUG = "nps-survey"
# Answers whose comment may still be on its way to the catalogue: the sweeper looks this
# far back (through the index on answered_at).
CATALOGUE_SWEEP_WINDOW = dt.timedelta(days=2)


class LinkUnavailable(Exception):
    """The link leads nowhere the customer can go. ``gone``: it did lead somewhere once
    (expired, survey closed); otherwise it is unknown or malformed, and the two are not
    told apart."""

    def __init__(self, *, gone: bool = False) -> None:
        super().__init__("gone" if gone else "unknown")
        self.gone = gone


def page_language(invitation: Invitation) -> str:
    """The language the customer reads: the invitation's, English when we have no other."""
    return customer_language(invitation.language)


def expires_at(invitation: Invitation) -> dt.datetime:
    """When the links stop taking answers: as set when sent, else counted from the
    invitation's sending (or creation) by the survey's expiry days."""
    if invitation.expires_at is not None:
        return invitation.expires_at
    start = invitation.sent_at or invitation.created_at
    return start + dt.timedelta(days=invitation.survey.expiry_days)


def invitation_for_token(*, token: str, answering: bool = True) -> Invitation:
    """The invitation the link's token names (its main link or its reminder's), with its
    survey, customer and answer. ``answering``: it must still take answers (not expired,
    survey active); unsubscribing needs only a known link. Raises ``LinkUnavailable``."""
    if not tokens.looks_like_token(token):
        raise LinkUnavailable
    digest = tokens.token_hash(token)
    invitation = (Invitation.objects.select_related("survey", "customer", "response")
                  .filter(Q(token_hash=digest) | Q(reminder_token_hash=digest)).first())
    if invitation is None:
        raise LinkUnavailable
    if answering and (not invitation.survey.active or timezone.now() >= expires_at(invitation)):
        raise LinkUnavailable(gone=True)
    return invitation


def current_answer(invitation: Invitation) -> Response | None:
    try:
        return invitation.response
    except Response.DoesNotExist:
        return None


def open_invitation(*, token: str) -> Invitation:
    """A GET of a score link: notes the first opening, and nothing else."""
    invitation = invitation_for_token(token=token)
    if invitation.opened_at is None:
        now = timezone.now()
        Invitation.objects.filter(pk=invitation.pk, opened_at__isnull=True).update(opened_at=now)
        invitation.opened_at = now
    return invitation


def clean_comment(comment: str | None) -> str:
    """The comment as stored: browsers send line ends as CRLF (which would count twice
    against the limit), and PostgreSQL refuses NUL characters in text."""
    text = (comment or "").replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    return text.strip()


def is_negative(*, comment: str, language: str) -> bool:
    """The feedback cataloguer's reading of the comment alone (no score) is below zero."""
    if not comment:
        return False
    record = Record(line=1, text=comment, rating=None, rating_scale=None, posted_at=None,
                    language=language)
    sentiment = Cataloguer([], languages=[language]).catalogue([record])[0].sentiment
    return sentiment is not None and sentiment < 0


SCORE_MESSAGE = gettext_lazy(
    "Choose a score from 0 (not at all likely) to 10 (extremely likely).")


@transaction.atomic
def record_answer(*, invitation: Invitation, score: int | None, comment: str) -> Response:
    """Save the customer's answer, or change it until the invitation expires. The same
    answer sent twice (a double click, a resent form) changes nothing.

    Raises ``ValidationError`` (score, comment) for an answer we cannot keep, and
    ``LinkUnavailable`` when the invitation no longer takes answers."""
    comment = clean_comment(comment)
    errors = {}
    if score is None or isinstance(score, bool) or not 0 <= score <= 10:
        errors["score"] = str(SCORE_MESSAGE)
    if len(comment) > MAX_COMMENT_CHARS:
        errors["comment"] = _(
            "Your comment is %(length)d characters long; please shorten it to "
            "%(limit)d characters or fewer.") % {"length": len(comment),
                                                 "limit": MAX_COMMENT_CHARS}
    if errors:
        raise ValidationError(errors)
    # One answer at a time per invitation: a double submission waits here, then finds the
    # first one saved.
    invitation = (Invitation.objects.select_for_update(of=("self",))
                  .select_related("survey", "customer").get(pk=invitation.pk))
    now = timezone.now()
    if not invitation.survey.active or now >= expires_at(invitation):
        raise LinkUnavailable(gone=True)
    language = page_language(invitation)
    category = category_of(score)
    previous = Response.objects.filter(invitation=invitation).first()
    previous_score = previous.score if previous else None
    previous_comment = previous.comment if previous else ""
    if previous is not None and previous.score == score and previous.comment == comment:
        return previous  # the same answer again
    negative_passive = category == Category.PASSIVE and is_negative(comment=comment,
                                                                      language=language)
    if previous is None:
        customer = invitation.customer
        response = Response(
            invitation=invitation, survey=invitation.survey, customer=customer, score=score,
            category=category, comment=comment, language=language,
            segment=customer.segment, value_tier=customer.value_tier, answered_at=now,
            follow_up=negative_passive)
    else:
        response = previous
        comment_changed = response.comment != comment
        if not negative_passive:
            response.follow_up = False
        elif comment_changed or response.category != Category.PASSIVE:
            response.follow_up = True  # new words to call back about (else staff's word stands)
        response.score, response.category, response.comment = score, category, comment
        response.changed_at, response.changes = now, response.changes + 1
    # The related rows are the ones just read; the constraints are the table's to guard.
    response.full_clean(exclude=["invitation", "survey", "customer"],
                        validate_unique=False, validate_constraints=False)
    response.save()
    if invitation.answered_at is None:
        Invitation.objects.filter(pk=invitation.pk).update(answered_at=now)
        invitation.answered_at = now
    advocates.answer_recorded(response=response, previous_score=previous_score)
    if comment or previous_comment:
        from nps import tasks

        transaction.on_commit(lambda: tasks.catalogue_nps_comment.delay(response_id=response.pk))
    return response


@transaction.atomic
def unsubscribe(*, invitation: Invitation) -> Customer:
    """No more survey emails for this customer: their email consent is off."""
    Customer.objects.filter(pk=invitation.customer_id).update(email_consent=False)
    customer = invitation.customer
    customer.email_consent = False
    logger.info("Customer %s unsubscribed through NPS invitation %s",
                customer.pk, invitation.pk)
    return customer


def review_links(*, response: Response) -> list[dict[str, str]]:
    """The public review pages a promoter may be invited to: only after a 9 or 10, and only
    web addresses (a survey edited outside its form cannot slip a script link in)."""
    if response.category != Category.PROMOTER:
        return []
    links = []
    for link in response.survey.review_links or []:
        if not isinstance(link, dict):
            continue
        url, label = str(link.get("url", "")).strip(), str(link.get("label", "")).strip()
        if url.startswith(("https://", "http://")):
            links.append({"url": url, "label": label or url})
    return links


# --- the comment in the feedback catalogue -------------------------------------------------


def feedback_source() -> Source:
    """The feedback source of NPS answers: the one of platform "NPS survey" (a manager may
    have made it), else a new one, selected (customers asked by us are worth reading)."""
    source = (Source.objects.filter(platform=Source.Platform.NPS_SURVEY).order_by("pk").first())
    if source is None:
        source, _created = Source.objects.get_or_create(slug=FEEDBACK_SOURCE_SLUG, defaults={
            "name": "NPS survey", "platform": Source.Platform.NPS_SURVEY, "selected": True,
            "intake": Source.Intake.WEBHOOK,
            "selection_reason": "Comments customers write when they answer our NPS surveys."})
    return source


def external_id(response_id: int) -> str:
    return f"nps-response-{response_id}"


def catalogue_comment(*, response_id: int) -> FeedbackItem | None:
    """Bring the answer's comment into the feedback catalogue (or up to date there, or out
    of it when the customer erased it). Safe to run twice, and in any order: it reads the
    answer as it is now, under a lock on it."""
    source = feedback_source()
    with transaction.atomic():
        response = (Response.objects.select_for_update(of=("self",))
                    .select_related("customer", "survey", "invitation__order")
                    .filter(pk=response_id).first())
        if response is None:
            return None
        if not response.comment:
            feedback_services.remove_record(source=source, external_id=external_id(response.pk))
            return None
        customer, order = response.customer, response.invitation.order
        record = Record(
            line=1, text=response.comment, rating=response.score, rating_scale=(0, 10),
            posted_at=response.changed_at or response.answered_at,
            external_id=external_id(response.pk), author=customer.name,
            language=response.language, email=customer.email,
            order_ref=order.external_ref if order else "", customer_ref=customer.external_ref,
            raw={"nps_response": response.pk, "survey": response.survey.slug,
                 "score": response.score, "category": response.category})
        return feedback_services.save_record(source=source, record=record,
                                             cataloguer=Cataloguer(Theme.objects.all()))


@register_pending_work("nps comments")
def requeue_uncatalogued_comments() -> int:
    """Recent answers whose comment is not in the catalogue as written (the task's nudge
    was lost): enqueued again."""
    from nps import tasks

    now = timezone.now()
    stale = now - dt.timedelta(seconds=settings.PENDING_WORK_STALE_AFTER)
    source = Source.objects.filter(platform=Source.Platform.NPS_SURVEY).order_by("pk").first()
    waiting = (Response.objects.filter(answered_at__gte=now - CATALOGUE_SWEEP_WINDOW)
               .exclude(comment="")
               .annotate(written_at=Coalesce("changed_at", "answered_at"))
               .filter(written_at__lt=stale))
    if source is not None:
        item_id = Concat(Value("nps-response-"), Cast(OuterRef("pk"), CharField()),
                         output_field=CharField())
        waiting = waiting.exclude(Exists(FeedbackItem.objects.filter(
            source=source, external_id=item_id, text=OuterRef("comment"))))
    ids = list(waiting.order_by().values_list("pk", flat=True)[:1000])
    for pk in ids:
        tasks.catalogue_nps_comment.delay(response_id=pk)
    return len(ids)
