"""NPS figures for integrations: ``GET /api/v1/nps/summary`` with an API key of scope
``nps:read``, under the reports page's filters."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.errors import ValidationError
from pydantic import Field, StringConstraints

from cases.api import ApiKeyAuth
from cases.models import Customer
from nps.models import LANGUAGES
from nps.selectors import reports as selectors

router = Router(tags=["nps"])


class SummaryQuery(Schema):
    survey: str = Field("", description="A survey's short name (slug); every survey if empty.")
    segment: Annotated[str, StringConstraints(max_length=selectors.MAX_SEGMENT_CHARS)] = Field(
        "", description="The customers' segment when they answered.")
    language: Literal[("", *LANGUAGES)] = ""  # type: ignore[valid-type]
    value_tier: Literal[("", *Customer.ValueTier.values)] = ""  # type: ignore[valid-type]
    start: dt.date | None = Field(None, alias="from",
                                  description="First day of the period (included).")
    end: dt.date | None = Field(None, alias="to", description="Last day of the period (included).")
    months: int = Field(12, ge=1, le=36, description="Months of the trend, ending with the "
                                                     "period's last month.")


class CountsOut(Schema):
    promoters: int
    passives: int
    detractors: int


class FiguresOut(Schema):
    responses: int
    counts: CountsOut
    nps: float | None = Field(description="% promoters - % detractors; null without answers.")
    margin_of_error: float | None = Field(description="Half the 95 % interval, in NPS points.")
    low: float | None
    high: float | None
    invitations_sent: int
    invitations_answered: int
    response_rate: float | None = Field(description="Answered per sent invitation, 0 to 1.")


class MonthOut(FiguresOut):
    month: str = Field(description="YYYY-MM")
    partial: bool = Field(description="The period covers only part of the month.")
    drop: bool = Field(description="The NPS fell below the previous month's interval.")


class SummaryOut(FiguresOut):
    filters: dict[str, str]
    trend: list[MonthOut]


def _rounded(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def _figures(figures: selectors.Figures) -> dict[str, Any]:
    return {
        "responses": figures.responses,
        "counts": {"promoters": figures.promoters, "passives": figures.passives,
                   "detractors": figures.detractors},
        "nps": _rounded(figures.nps, 2),
        "margin_of_error": _rounded(figures.margin_of_error, 2),
        "low": _rounded(figures.low, 2),
        "high": _rounded(figures.high, 2),
        "invitations_sent": figures.sent or 0,
        "invitations_answered": figures.answered or 0,
        "response_rate": _rounded(figures.response_rate, 4),
    }


@router.get(
    "/nps/summary",
    auth=ApiKeyAuth("nps:read"),
    response=SummaryOut,
    summary="The NPS with its margin of error, counts, response rate and monthly trend",
)
def nps_summary(request: HttpRequest, query: Query[SummaryQuery]):
    """Every answer unless narrowed by survey, segment, language, value tier or period
    (``from``/``to``, days in the desk's time zone, both included). The trend has the last
    ``months`` months of the period, each with its 95 % interval and a ``drop`` flag when
    its NPS fell below the previous month's interval. A bad filter answers 422 naming it."""
    try:
        filters = selectors.report_filters(
            survey=query.survey, segment=query.segment, language=query.language,
            value_tier=query.value_tier, start=query.start, end=query.end)
    except DjangoValidationError as error:
        raise ValidationError([
            {"loc": ["query", field], "msg": message, "type": "value_error"}
            for field, messages in error.message_dict.items() for message in messages
        ]) from error
    report = selectors.nps_report(filters=filters, months=query.months)
    return {
        **_figures(report.total),
        "filters": filters.as_query(),
        "trend": [{**_figures(month.figures), "month": month.label, "partial": month.partial,
                   "drop": month.drop} for month in report.trend],
    }
