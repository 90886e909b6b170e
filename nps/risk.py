"""A detractor's answer as a risk signal: a customer who answers 0-6 is someone to save.
The rule joins the engine of ``cases.risk`` and opens a case of kind "detractor" with origin
NPS (or joins the customer's open case), with the score and comment in its timeline."""

from __future__ import annotations

import datetime as dt

from django.db.models import BigIntegerField, CharField, F, IntegerField, Q, Value, When
from django.db.models import Case as SqlCase
from django.db.models.functions import Cast, Concat, JSONObject, Left, Substr
from django.utils.translation import gettext_lazy as _

from cases.models import Case, Impact, Priority
from cases.risk import Param, Rule, register_rule
from nps.models import Response

SUBJECT_PREFIX = "nps:"
# The comment as the timeline keeps it (the whole answer stays on the response).
COMMENT_CHARS = 500


def response_key() -> Concat:
    return Concat(Value(SUBJECT_PREFIX), Cast("pk", CharField()), output_field=CharField())


@register_rule
class DetractorAnswer(Rule):
    key = "nps_detractor"
    label = _("NPS detractor")
    description = _("A customer answered the NPS survey with a low score: reach them, find "
                    "out what went wrong and put it right before they leave.")
    params = {
        "max_score": Param(_("Score at or below (0 to 6)"), 6, 0, 6),
        "fresh_days": Param(_("Only answers of the last (days)"), 30, 1, 3650,
                            _("Older answers open no case when the rule is first switched "
                              "on.")),
    }
    case_kind = Case.Kind.DETRACTOR
    case_origin = Case.Origin.NPS
    default_priority = Priority.HIGH
    subject = "nps response"

    def matches(self, as_of, params, since=None):
        fresh = Q(answered_at__gt=as_of - dt.timedelta(days=params["fresh_days"]))
        answers = Response.objects.filter(answered_at__lte=as_of,
                                          score__lte=params["max_score"])
        if since is not None:
            # What can have started matching: fresh answers given, or changed, since then.
            # Two narrow index reads (answered since, changed since) rather than an OR that
            # reads the whole fresh window.
            recent = answers.filter(fresh)
            answered = recent.filter(answered_at__gt=since).values("pk").order_by()
            changed = (recent.filter(changed_at__gt=since, changed_at__lte=as_of)
                       .values("pk").order_by())
            answers = Response.objects.filter(pk__in=answered.union(changed))
        else:
            # A signal stays open while the answer is low, however old it grows: only the
            # customer changing their answer clears it (the case's timeline then says so).
            # Two narrow reads (the fresh range of nps_response_time_idx, the open signals'
            # answers by primary key) rather than an OR that reads every answer.
            signalled = answers.filter(pk__in=self._open_response_ids())
            answers = Response.objects.filter(pk__in=answers.filter(fresh).values("pk")
                                              .order_by().union(signalled.values("pk")
                                                                .order_by()))
        # The order the survey asked about is named in the facts, not linked as the signal's
        # order: the engine predicts an order's lateness from its promise alone, which for
        # an order delivered weeks ago says nothing true.
        return answers.order_by().values(
            "customer_id", order_id=Cast(Value(None), BigIntegerField()),
            subject_key=response_key(),
            severity=SqlCase(When(score__lte=2, then=Value(Impact.Severity.SEVERE)),
                             default=Value(Impact.Severity.MODERATE),
                             output_field=IntegerField()),
            facts=JSONObject(response=F("pk"), survey=F("survey__name"), score=F("score"),
                             comment=Left("comment", COMMENT_CHARS), language=F("language"),
                             answered=F("answered_at"),
                             order=F("invitation__order__external_ref")),
        )

    def _open_response_ids(self):
        start = len(SUBJECT_PREFIX) + 1
        return (self.open_signals().filter(subject_key__startswith=SUBJECT_PREFIX)
                .annotate(response_id=Cast(Substr("subject_key", start), BigIntegerField()))
                .values("response_id"))

    def subjects_of(self, orders, as_of, params):
        # Changes to orders concern no answer: new and changed answers come through
        # ``since``. (An empty query that still compiles to SQL: ``none()`` does not.)
        return Response.objects.filter(pk__isnull=True).values("pk")

    def candidates(self, as_of, params):
        return None

    def title(self, facts):
        return _("NPS detractor: %(score)s out of 10") % {"score": facts.get("score", "")}

    def describe(self, facts):
        values = {"score": facts.get("score", ""), "survey": facts.get("survey", ""),
                  "comment": (facts.get("comment") or "").strip(),
                  "order": facts.get("order") or ""}
        # Whole sentences, so each language can order them its own way.
        if values["order"] and values["comment"]:
            sentence = _("The customer answered %(score)s out of 10 to the survey “%(survey)s” "
                         "about order %(order)s and wrote: “%(comment)s”")
        elif values["order"]:
            sentence = _("The customer answered %(score)s out of 10 to the survey “%(survey)s” "
                         "about order %(order)s, with no comment.")
        elif values["comment"]:
            sentence = _("The customer answered %(score)s out of 10 to the survey “%(survey)s” "
                         "and wrote: “%(comment)s”")
        else:
            sentence = _("The customer answered %(score)s out of 10 to the survey “%(survey)s”, "
                         "with no comment.")
        return sentence % values
