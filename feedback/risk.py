"""Negative feedback as a risk signal: a known customer who writes a bad review, or gives
a low rating, is someone to reach before they leave. The rule joins the engine of
``cases.risk`` and opens a case of kind "negative review" (or joins the customer's open
case), with the item's words in its timeline."""

from __future__ import annotations

import datetime as dt

from django.db.models import CharField, F, Q, Value
from django.db.models.functions import Cast, Concat, JSONObject, Left
from django.utils.translation import gettext_lazy as _

from cases.models import Case, Impact, Priority
from cases.risk import Param, Rule, register_rule
from feedback.models import FeedbackItem, Source


def item_key() -> Concat:
    return Concat(Value("feedback:"), Cast("pk", CharField()), output_field=CharField())


@register_rule
class NegativeFeedback(Rule):
    key = "negative_feedback"
    label = _("Negative feedback")
    description = _("A known customer wrote something negative or gave a low rating: reach "
                    "them before they leave.")
    params = {
        "sentiment_below": Param(_("Sentiment at or below (-100 to 100)"), -30, -100, 100),
        "max_stars": Param(_("Or rated at most (stars out of 5)"), 2, 1, 5),
        "fresh_days": Param(_("Only feedback posted at most this many days before it "
                              "reached us"), 30, 1, 3650,
                            _("Old reviews brought in by an import open no case.")),
    }
    case_kind = Case.Kind.NEGATIVE_REVIEW
    default_priority = Priority.HIGH
    subject = "feedback item"

    def matches(self, as_of, params, since=None):
        # NPS answers reach the catalogue as items of the "NPS survey" source; the NPS app
        # has its own rule for detractors, so they open no second case here.
        items = (FeedbackItem.objects.filter(customer__isnull=False, received_at__lte=as_of)
                 .exclude(source__platform=Source.Platform.NPS_SURVEY))
        if since is not None:
            items = items.filter(received_at__gt=since)
        negative = (Q(sentiment__lte=params["sentiment_below"] / 100)
                    | Q(rating_normalised__lte=(params["max_stars"] - 1) / 4))
        fresh = (Q(posted_at__isnull=True)
                 | Q(posted_at__gte=F("received_at") - dt.timedelta(days=params["fresh_days"])))
        return items.filter(negative, fresh).order_by().values(
            "customer_id", "order_id", subject_key=item_key(),
            severity=Value(Impact.Severity.MODERATE),
            facts=JSONObject(item=F("pk"), source=F("source__name"), rating=F("rating"),
                             scale=F("rating_scale"), sentiment=F("sentiment"),
                             title=F("title"), excerpt=Left("text", 300)),
        )

    def subjects_of(self, orders, as_of, params):
        # Nothing to re-check: new items come through ``since``. (An empty query that still
        # compiles to SQL: ``none()`` does not.)
        return FeedbackItem.objects.filter(pk__isnull=True).values("pk")

    def candidates(self, as_of, params):
        return None

    def title(self, facts):
        return _("Negative feedback on %(source)s") % {"source": facts.get("source", "")}

    def describe(self, facts):
        excerpt = (facts.get("title") or facts.get("excerpt") or "").strip()
        return _("The customer wrote on %(source)s: “%(excerpt)s”") % {
            "source": facts.get("source", ""), "excerpt": excerpt[:200]}
