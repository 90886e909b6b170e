"""The customer-advocacy maturity model: where the organisation stands, from the evidence in
the data, never self-declared.

Four levels, each with criteria. A criterion measures one thing over the 90 days ending
at the moment of evaluation (``as_of``), compares it with a threshold managers can edit
(``MaturitySettings``; the defaults below are justified in README.md) and links to the
page that shows the evidence. The organisation is at the highest level L such that every
criterion of levels 1..L is met (level 0: not even level 1 yet).

The measures come from the other apps' selectors, a few aggregate queries in all
(``measure``), so a past month can be evaluated as of its end as well as now. An
evaluation is stored as numbers only (``Evaluation.to_json``); its labels and sentences
are written when it is shown, in the reader's language.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import formats, timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from advocacy.models import TOP_LEVEL, MaturitySettings
from cases.selectors import maturity as desk
from feedback import maturity_selectors as feedback
from nps.selectors import maturity as nps

WINDOW_DAYS = 90
# A trend compares two NPS figures only when each window has at least this many answers.
TREND_MIN_ANSWERS = 30

COUNT, PERCENT, POINTS = "count", "percent", "points"
AT_LEAST, ABOVE = "at_least", "above"


@dataclass(frozen=True)
class Level:
    number: int
    name: Promise
    description: Promise


LEVELS = {
    0: Level(
        0,
        _("Not yet level 1"),
        _("The evidence does not yet show employees resolving the cases customers bring them."),
    ),
    1: Level(
        1,
        _("Individual advocates"),
        _(
            "Individual employees act as customer advocates: they help customers who ask "
            "for help with urgent needs."
        ),
    ),
    2: Level(
        2,
        _("An advocacy team"),
        _(
            "A customer-advocacy team exists. Besides solving customers' needs, it "
            "collects feedback to identify and prioritise them, and shows the company how "
            "to improve."
        ),
    ),
    3: Level(
        3,
        _("Coordinated across the company"),
        _(
            "A dedicated internal team coordinates customer advocacy and applies it across "
            "the whole company."
        ),
    ),
    4: Level(
        4,
        _("Advocacy everywhere"),
        _(
            "Every strategy of the organisation applies advocacy principles and every "
            "employee does advocacy work."
        ),
    ),
}


def _url(name: str, **query: str) -> Callable[[dt.datetime], str]:
    def build(as_of: dt.datetime) -> str:
        url = reverse(name)
        return f"{url}?{urlencode(query)}" if query else url

    return build


def _nps_reports(as_of: dt.datetime) -> str:
    first = timezone.localdate(window_start(as_of))
    last = timezone.localdate(as_of - dt.timedelta(microseconds=1))
    return f"{reverse('nps:reports')}?{urlencode({'from': first, 'to': last})}"


def _organisation(as_of: dt.datetime) -> str:
    return reverse("cases:organisation")


@dataclass(frozen=True)
class Criterion:
    """One piece of evidence a level needs.

    ``measure`` turns the figures of ``measure()`` into the measured value (None when
    there is nothing to measure yet, which never meets the threshold); ``step`` is the
    sentence "what the next level needs", with %(value)s, %(threshold)s and %(level)s.
    """

    key: str
    level: int
    label: Promise
    how: Promise  # how it is measured, for the page and the thresholds form
    unit: str
    default: Decimal
    measure: Callable[[dict], float | None]
    evidence: Callable[[dt.datetime], str]
    step: Promise
    comparison: str = AT_LEAST
    minimum: Decimal = Decimal(0)
    maximum: Decimal | None = None
    facts: Callable[[dict], dict] = field(default=lambda figures: {})
    detail: Promise | None = None  # a sentence with the facts, e.g. "62 of 77 items"

    def meets(self, value: float | None, threshold: Decimal) -> bool:
        if value is None:
            return False
        if self.comparison == ABOVE:
            return Decimal(str(value)) > threshold
        return Decimal(str(value)) >= threshold


def _share(part: int, whole: int) -> float | None:
    return None if not whole else round(100 * part / whole, 1)


def _nps(promoters: int, detractors: int, answers: int) -> float | None:
    return None if not answers else 100 * (promoters - detractors) / answers


def _nps_trend(figures: dict) -> float | None:
    answers = figures["nps"]
    if min(answers["answers"], answers["previous_answers"]) < TREND_MIN_ANSWERS:
        return None
    now = _nps(answers["promoters"], answers["detractors"], answers["answers"])
    before = _nps(
        answers["previous_promoters"], answers["previous_detractors"], answers["previous_answers"]
    )
    return round(now - before, 1)


def _retention_trend(figures: dict) -> float | None:
    kept = figures["retention"]
    now = _share(kept["kept"], kept["customers"])
    before = _share(kept["kept_earlier"], kept["customers_earlier"])
    return None if now is None or before is None else round(now - before, 1)


def _retention_facts(figures: dict) -> dict:
    kept = figures["retention"]
    return {
        "now": _share(kept["kept"], kept["customers"]),
        "before": _share(kept["kept_earlier"], kept["customers_earlier"]),
    }


CRITERIA: tuple[Criterion, ...] = (
    # --- level 1: individual advocates ------------------------------------------------------
    Criterion(
        key="resolved_cases",
        level=1,
        unit=COUNT,
        default=Decimal(10),
        label=_("Advocates resolve cases"),
        how=_("Cases resolved in the last 90 days."),
        measure=lambda f: f["cases"]["resolved"],
        evidence=_url("cases:queue", status="resolved"),
        step=_(
            "Resolve customers' cases: %(value)s resolved in the last 90 days; level "
            "%(level)s needs %(threshold)s."
        ),
    ),
    Criterion(
        key="contacts_answered",
        level=1,
        unit=PERCENT,
        default=Decimal(90),
        maximum=Decimal(100),
        label=_("Customers who ask get an answer"),
        how=_(
            "Share of the cases opened in the last 90 days because a customer contacted us "
            "that got a first response."
        ),
        measure=lambda f: _share(f["cases"]["contact_answered"], f["cases"]["contact_opened"]),
        facts=lambda f: {
            "part": f["cases"]["contact_answered"],
            "whole": f["cases"]["contact_opened"],
        },
        detail=_("%(part)s of %(whole)s cases"),
        evidence=_url("cases:queue", origin="contact", status="all"),
        step=_(
            "Answer every customer who asks: %(value)s of their cases got a first response; "
            "level %(level)s needs %(threshold)s."
        ),
    ),
    # --- level 2: an advocacy team ----------------------------------------------------------
    Criterion(
        key="advocacy_team",
        level=2,
        unit=COUNT,
        default=Decimal(2),
        minimum=Decimal(1),
        label=_("A customer-advocacy team exists"),
        how=_("Active people in teams of the kind “customer-advocacy team”."),
        measure=lambda f: f["teams"]["advocacy"],
        evidence=_organisation,
        step=_(
            "Form the customer-advocacy team (active members now: %(value)s; level "
            "%(level)s needs %(threshold)s)."
        ),
    ),
    Criterion(
        key="sources_collected",
        level=2,
        unit=COUNT,
        default=Decimal(3),
        minimum=Decimal(1),
        label=_("Feedback sources are selected and collected"),
        how=_("Selected feedback sources that brought feedback in the last 90 days."),
        measure=lambda f: f["sources"]["collecting"],
        facts=lambda f: {"part": f["sources"]["collecting"], "whole": f["sources"]["selected"]},
        detail=_("%(part)s of %(whole)s selected sources"),
        evidence=_url("feedback:sources"),
        step=_(
            "Select feedback sources and collect from them: %(value)s brought feedback in "
            "the last 90 days; level %(level)s needs %(threshold)s."
        ),
    ),
    Criterion(
        key="feedback_catalogued",
        level=2,
        unit=PERCENT,
        default=Decimal(80),
        maximum=Decimal(100),
        label=_("Feedback is catalogued"),
        how=_(
            "Share of the feedback from selected sources posted in the last 90 days that "
            "carries at least one theme."
        ),
        measure=lambda f: _share(f["catalogue"]["themed"], f["catalogue"]["items"]),
        facts=lambda f: {"part": f["catalogue"]["themed"], "whole": f["catalogue"]["items"]},
        detail=_("%(part)s of %(whole)s items"),
        evidence=_url("feedback:analysis", period="90"),
        step=_(
            "Catalogue feedback: %(value)s of the items have a theme; level %(level)s "
            "needs %(threshold)s."
        ),
    ),
    Criterion(
        key="needs_reviewed",
        level=2,
        unit=COUNT,
        default=Decimal(3),
        minimum=Decimal(1),
        label=_("Customer needs are ranked and reviewed"),
        how=_("Customer needs whose owner, status or note a person changed in the last 90 days."),
        measure=lambda f: f["needs"]["reviewed"],
        evidence=_url("feedback:needs"),
        step=_(
            "Review the ranked customer needs: %(value)s reviewed in the last 90 days; "
            "level %(level)s needs %(threshold)s."
        ),
    ),
    Criterion(
        key="nps_measured",
        level=2,
        unit=COUNT,
        default=Decimal(100),
        minimum=Decimal(1),
        label=_("NPS is measured"),
        how=_("NPS answers received in the last 90 days."),
        measure=lambda f: f["nps"]["answers"],
        evidence=_nps_reports,
        step=_(
            "Measure NPS (answers in the last 90 days: %(value)s; level %(level)s needs "
            "%(threshold)s)."
        ),
    ),
    # --- level 3: coordinated across the company --------------------------------------------
    Criterion(
        key="coordinating_team",
        level=3,
        unit=COUNT,
        default=Decimal(2),
        minimum=Decimal(1),
        label=_("A coordinating team exists"),
        how=_("Active people in teams of the kind “coordinating team”."),
        measure=lambda f: f["teams"]["coordinating"],
        evidence=_organisation,
        step=_(
            "Set up a team that coordinates advocacy across the company (active members "
            "now: %(value)s; level %(level)s needs %(threshold)s)."
        ),
    ),
    Criterion(
        key="needs_departments",
        level=3,
        unit=COUNT,
        default=Decimal(3),
        minimum=Decimal(1),
        label=_("Several departments own needs and move them"),
        how=_("Departments owning a customer need whose status changed in the last 90 days."),
        measure=lambda f: f["needs"]["acting_departments"],
        facts=lambda f: {
            "part": f["needs"]["acting_departments"],
            "whole": f["needs"]["departments"],
        },
        detail=_("%(part)s of %(whole)s departments"),
        evidence=_url("feedback:needs"),
        step=_(
            "Give customer needs to departments and move them on (departments that did in "
            "the last 90 days: %(value)s; level %(level)s needs %(threshold)s)."
        ),
    ),
    Criterion(
        key="proactive_share",
        level=3,
        unit=PERCENT,
        default=Decimal(25),
        maximum=Decimal(100),
        label=_("A real share of cases is proactive"),
        how=_(
            "Share of the cases opened in the last 90 days that a risk rule opened before "
            "the customer contacted us (a positive lead time)."
        ),
        measure=lambda f: _share(f["cases"]["proactive_ahead"], f["cases"]["opened"]),
        facts=lambda f: {"part": f["cases"]["proactive_ahead"], "whole": f["cases"]["opened"]},
        detail=_("%(part)s of %(whole)s cases"),
        evidence=_url("cases:rules"),
        step=_(
            "Catch problems before customers do: %(value)s of cases were opened ahead of "
            "the customer; level %(level)s needs %(threshold)s."
        ),
    ),
    Criterion(
        key="advocates_cared",
        level=3,
        unit=PERCENT,
        default=Decimal(50),
        maximum=Decimal(100),
        label=_("Brand advocates receive care"),
        how=_("Share of the confirmed brand advocates who got a care action in the last 90 days."),
        measure=lambda f: _share(f["care"]["cared"], f["care"]["advocates"]),
        facts=lambda f: {"part": f["care"]["cared"], "whole": f["care"]["advocates"]},
        detail=_("%(part)s of %(whole)s advocates"),
        evidence=_url("nps:advocates", gap="quiet"),
        step=_(
            "Care for your brand advocates: %(value)s got a care action in the last 90 "
            "days; level %(level)s needs %(threshold)s."
        ),
    ),
    # --- level 4: advocacy everywhere -------------------------------------------------------
    Criterion(
        key="departments_acting",
        level=4,
        unit=PERCENT,
        default=Decimal(60),
        maximum=Decimal(100),
        label=_("Most departments act on customer needs"),
        how=_(
            "Share of the departments owning a customer need whose status changed in the "
            "last 90 days."
        ),
        measure=lambda f: _share(f["needs"]["acting_departments"], f["needs"]["departments"]),
        facts=lambda f: {
            "part": f["needs"]["acting_departments"],
            "whole": f["needs"]["departments"],
        },
        detail=_("%(part)s of %(whole)s departments"),
        evidence=_url("feedback:needs"),
        step=_(
            "Have every department act on customer needs: %(value)s did in the last 90 "
            "days; level %(level)s needs %(threshold)s."
        ),
    ),
    Criterion(
        key="staff_participation",
        level=4,
        unit=PERCENT,
        default=Decimal(50),
        maximum=Decimal(100),
        label=_("Staff outside the advocacy team take part in cases"),
        how=_(
            "Share of the people in teams other than the customer-advocacy teams who "
            "worked on a case in the last 90 days."
        ),
        measure=lambda f: _share(f["staff"]["acted"], f["staff"]["people"]),
        facts=lambda f: {"part": f["staff"]["acted"], "whole": f["staff"]["people"]},
        detail=_("%(part)s of %(whole)s people"),
        evidence=_organisation,
        step=_(
            "Involve staff outside the advocacy team in cases: %(value)s of them took part "
            "in the last 90 days; level %(level)s needs %(threshold)s."
        ),
    ),
    Criterion(
        key="proactive_majority",
        level=4,
        unit=PERCENT,
        default=Decimal(50),
        maximum=Decimal(100),
        label=_("Most cases are proactive"),
        how=_(
            "Share of the cases opened in the last 90 days that a risk rule opened before "
            "the customer contacted us."
        ),
        measure=lambda f: _share(f["cases"]["proactive_ahead"], f["cases"]["opened"]),
        facts=lambda f: {"part": f["cases"]["proactive_ahead"], "whole": f["cases"]["opened"]},
        detail=_("%(part)s of %(whole)s cases"),
        evidence=_url("cases:queue", origin="proactive", status="all"),
        step=_(
            "Make proactive cases the rule: %(value)s of cases were opened ahead of the "
            "customer; level %(level)s needs %(threshold)s."
        ),
    ),
    Criterion(
        key="care_practices",
        level=4,
        unit=COUNT,
        default=Decimal(6),
        minimum=Decimal(1),
        maximum=Decimal(6),
        label=_("All six care practices are in use"),
        how=_(
            "Care practices (appreciation, recognition, presence, active listening, "
            "accessibility, mutual respect) used for brand advocates in the last 90 days."
        ),
        measure=lambda f: f["care"]["practices"],
        evidence=_url("nps:advocates"),
        step=_(
            "Use every care practice: %(value)s of the six were used in the last 90 days; "
            "level %(level)s needs %(threshold)s."
        ),
    ),
    Criterion(
        key="nps_trend",
        level=4,
        unit=POINTS,
        default=Decimal(0),
        comparison=ABOVE,
        minimum=Decimal(-100),
        maximum=Decimal(100),
        label=_("NPS trends up"),
        how=_(
            "NPS of the last 90 days minus the NPS of the 90 days before (each needs at "
            "least 30 answers)."
        ),
        measure=_nps_trend,
        evidence=_nps_reports,
        step=_(
            "Raise NPS: it moved by %(value)s against the 90 days before; level %(level)s "
            "needs more than %(threshold)s."
        ),
    ),
    Criterion(
        key="retention_trend",
        level=4,
        unit=POINTS,
        default=Decimal(0),
        comparison=ABOVE,
        minimum=Decimal(-100),
        maximum=Decimal(100),
        label=_("Customer retention trends up"),
        how=_(
            "Of the customers who ordered in the previous 90 days, the share who ordered "
            "again in the last 90 days, minus the same share a window earlier."
        ),
        measure=_retention_trend,
        facts=_retention_facts,
        detail=_("%(now)s %% now, %(before)s %% a window earlier"),
        evidence=_url("cases:customers"),
        step=_(
            "Keep more customers: repeat purchase moved by %(value)s against the window "
            "before; level %(level)s needs more than %(threshold)s."
        ),
    ),
)
BY_KEY = {criterion.key: criterion for criterion in CRITERIA}


def default_thresholds() -> dict[str, Decimal]:
    return {criterion.key: criterion.default for criterion in CRITERIA}


def window_start(as_of: dt.datetime) -> dt.datetime:
    return as_of - dt.timedelta(days=WINDOW_DAYS)


def measure(*, as_of: dt.datetime) -> dict[str, dict]:
    """Every figure the criteria read, over the 90 days ending at ``as_of``: nine
    aggregate queries, whatever the volume of cases, orders, answers and feedback."""
    since = window_start(as_of)
    window = {"since": since, "until": as_of}
    return {
        "cases": desk.case_activity(**window),
        "teams": desk.team_strength(until=as_of),
        "staff": desk.staff_participation(**window),
        "retention": desk.customer_retention(**window),
        "sources": feedback.collecting_sources(**window),
        "catalogue": feedback.catalogue_coverage(**window),
        "needs": feedback.need_activity(**window),
        "nps": nps.nps_windows(**window),
        "care": nps.advocate_care(**window),
    }


# --- the evaluation ----------------------------------------------------------------------------


def format_value(value: float | Decimal | None, unit: str, *, signed: bool = False) -> str:
    """A measured value or threshold as the page writes it: "62 %", "3", "+1.5 points"."""
    if value is None:
        return str(_("no data"))
    number = Decimal(str(value))
    places = 0 if number == number.to_integral_value() else 1
    text = formats.number_format(number, places, use_l10n=True)
    if signed and number > 0:
        text = f"+{text}"
    if unit == PERCENT:
        return f"{text} %"
    if unit == POINTS:
        # ngettext counts in integers: a fraction ("1.5 points") takes the form of 2.
        count = int(abs(number)) if places == 0 else 2
        return ngettext("%(number)s point", "%(number)s points", count) % {"number": text}
    return text


@dataclass(frozen=True)
class Result:
    criterion: Criterion
    value: float | None
    threshold: Decimal
    met: bool
    facts: dict
    evidence_url: str

    @property
    def key(self) -> str:
        return self.criterion.key

    @property
    def value_text(self) -> str:
        return format_value(self.value, self.criterion.unit, signed=self.criterion.unit == POINTS)

    @property
    def threshold_text(self) -> str:
        prefix = "> " if self.criterion.comparison == ABOVE else "≥ "
        return prefix + format_value(
            self.threshold, self.criterion.unit, signed=self.criterion.unit == POINTS
        )

    @property
    def detail_text(self) -> str:
        if not self.criterion.detail or not self.facts:
            return ""
        shown = {
            name: "—"
            if number is None
            else formats.number_format(
                number, 0 if float(number).is_integer() else 1, use_l10n=True, force_grouping=True
            )
            for name, number in self.facts.items()
        }
        return str(self.criterion.detail) % shown

    @property
    def step_text(self) -> str:
        return str(self.criterion.step) % {
            "value": self.value_text,
            "threshold": format_value(
                self.threshold, self.criterion.unit, signed=self.criterion.unit == POINTS
            ),
            "level": self.criterion.level,
        }


@dataclass(frozen=True)
class Evaluation:
    as_of: dt.datetime
    level: int
    results: list[Result]

    @property
    def current(self) -> Level:
        return LEVELS[self.level]

    @property
    def next_level(self) -> Level | None:
        return LEVELS.get(self.level + 1) if self.level < TOP_LEVEL else None

    @property
    def next_steps(self) -> list[Result]:
        """The unmet criteria of the next level: what it needs, in the model's order."""
        if self.next_level is None:
            return []
        return [
            result
            for result in self.results
            if result.criterion.level == self.next_level.number and not result.met
        ]

    def levels(self) -> list[tuple[Level, list[Result], bool]]:
        """Each level with its criteria's results and whether all of them are met."""
        return [
            (LEVELS[number], rows, all(row.met for row in rows))
            for number in range(1, TOP_LEVEL + 1)
            for rows in [[row for row in self.results if row.criterion.level == number]]
        ]

    def to_json(self) -> list[dict]:
        return [
            {
                "key": row.key,
                "level": row.criterion.level,
                "value": row.value,
                "threshold": str(row.threshold),
                "met": row.met,
                "facts": row.facts,
            }
            for row in self.results
        ]

    @classmethod
    def from_json(cls, *, as_of: dt.datetime, level: int, rows: list[dict]) -> Evaluation:
        """An evaluation as stored; criteria the model no longer has are skipped."""
        results = [
            Result(
                criterion=BY_KEY[row["key"]],
                value=row["value"],
                threshold=Decimal(row["threshold"]),
                met=row["met"],
                facts=row.get("facts") or {},
                evidence_url=BY_KEY[row["key"]].evidence(as_of),
            )
            for row in rows
            if row["key"] in BY_KEY
        ]
        return cls(as_of=as_of, level=level, results=results)


def level_of(results: list[Result]) -> int:
    """The highest level L whose criteria, and those of every level below, are all met."""
    level = 0
    for number in range(1, TOP_LEVEL + 1):
        if not all(row.met for row in results if row.criterion.level == number):
            break
        level = number
    return level


def evaluate_maturity(
    *, as_of: dt.datetime | None = None, thresholds: dict[str, Decimal] | None = None
) -> Evaluation:
    """Place the organisation on the model from the evidence of the 90 days ending at
    ``as_of`` (now by default), under ``thresholds`` (the managers' settings by
    default)."""
    if thresholds is None:
        thresholds = MaturitySettings.current().effective_thresholds()
    as_of = as_of or timezone.now()
    figures = measure(as_of=as_of)
    results = []
    for criterion in CRITERIA:
        value = criterion.measure(figures)
        threshold = Decimal(str(thresholds.get(criterion.key, criterion.default)))
        results.append(
            Result(
                criterion=criterion,
                value=value,
                threshold=threshold,
                met=criterion.meets(value, threshold),
                facts=criterion.facts(figures),
                evidence_url=criterion.evidence(as_of),
            )
        )
    return Evaluation(as_of=as_of, level=level_of(results), results=results)
