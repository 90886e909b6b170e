"""The NPS reports page: the score with its margin of error, the trend with its interval
band and drop flags, breakdowns, and the comments beside their scores."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from cases.auth import staff_required
from cases.models import Customer
from cases.selectors import customer_segments
from cases.views.partials import wants_fragment
from nps.models import Category, Survey
from nps.selectors import reports as selectors

BREAKDOWN_CHOICES = list(selectors.BREAKDOWNS.items())
DEFAULT_BREAKDOWN = "survey"
FILTER_FIELDS = ("survey", "segment", "language", "value_tier", "from", "to")


class ReportFilterForm(forms.Form):
    """The page's query string; every field may be left out."""

    survey = forms.ChoiceField(label=_("Survey"), required=False)
    segment = forms.ChoiceField(label=_("Segment"), required=False)
    language = forms.ChoiceField(label=_("Language"), required=False)
    value_tier = forms.ChoiceField(label=_("Value tier"), required=False)
    by = forms.ChoiceField(label=_("Break down by"), required=False,
                           choices=[("", ""), *BREAKDOWN_CHOICES])
    category = forms.ChoiceField(label=_("Comments from"), required=False,
                                 choices=[("", _("Everyone")), *Category.choices])
    page = forms.IntegerField(required=False, min_value=1, max_value=10_000)

    def __init__(self, data, *, surveys: list[Survey], segments: list[str]) -> None:
        super().__init__(data)
        # The period's query keys are "from" and "to", as in the API (not Python names).
        for name, label in (("from", _("From")), ("to", _("To"))):
            self.fields[name] = forms.DateField(label=label, required=False,
                                                widget=forms.DateInput(attrs={"type": "date"}))
        self.surveys = surveys
        anyone = [("", _("Any"))]
        self.fields["survey"].choices = anyone + [(s.slug, s.name) for s in surveys]
        self.fields["segment"].choices = anyone + [(segment, segment) for segment in segments]
        self.fields["language"].choices = anyone + list(settings.LANGUAGES)
        self.fields["value_tier"].choices = anyone + list(Customer.ValueTier.choices)

    def report_filters(self) -> selectors.ReportFilters:
        """The valid filters (a bad one is left out and shown as an error)."""
        data = {name: self.cleaned_data.get(name) or "" for name in
                ("survey", "segment", "language", "value_tier")}
        start, end = self.cleaned_data.get("from"), self.cleaned_data.get("to")
        if start and end and start > end:
            self.add_error("to", _("The period must end on or after its first day."))
            start = end = None
        return selectors.report_filters(**data, start=start, end=end, surveys=self.surveys)


def _comments(filters: selectors.ReportFilters, form: ReportFilterForm
              ) -> selectors.CommentPage:
    return selectors.nps_comments(filters=filters, category=form.cleaned_data.get("category", ""),
                                  page=form.cleaned_data.get("page") or 1)


@require_GET
@vary_on_headers("HX-Request")
@staff_required
def reports_page(request: HttpRequest) -> HttpResponse:
    """The page, or (for htmx) only the comments or the breakdown it asked for. The
    breakdown reads every answer of the period again, so the page leaves it to a request of
    its own (htmx loads it once the page is shown; without JavaScript, a link)."""
    surveys = list(Survey.objects.order_by("name").only("name", "slug"))
    form = ReportFilterForm(request.GET, surveys=surveys, segments=customer_segments())
    form.is_valid()
    filters = form.report_filters()
    by = form.cleaned_data.get("by") or ""
    fragment = request.htmx.target if wants_fragment(request) else None
    context = {"form": form, "filters": filters, "by": by or DEFAULT_BREAKDOWN,
               "filter_fields": [form[name] for name in FILTER_FIELDS],
               "query": filters.as_query(), "breakdowns": BREAKDOWN_CHOICES,
               "categories": Category.choices,
               "category": form.cleaned_data.get("category", ""), "slices": None}
    if fragment == "nps-comments":
        context["comments"] = _comments(filters, form)
        return render(request, "nps/reports.html#comments", context)
    if fragment == "nps-breakdown" or by:
        context["slices"] = selectors.nps_breakdown(filters=filters, by=by or DEFAULT_BREAKDOWN)
    if fragment == "nps-breakdown":
        return render(request, "nps/reports.html#breakdown", context)
    report = selectors.nps_report(filters=filters)
    context.update(report=report, chart=selectors.trend_chart(report.trend),
                   comments=_comments(filters, form))
    return render(request, "nps/reports.html", context)
