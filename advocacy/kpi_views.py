"""The KPIs tab of the manager dashboard, and its CSV export."""

from __future__ import annotations

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from advocacy import kpis
from cases.auth import manager_required
from cases.selectors import customer_segments
from feedback.selectors import write_csv


class KpiFilterForm(forms.Form):
    """The page's query string: a preset period or a custom one, and a segment. A value
    that is not allowed is ignored (the default applies), so an old link still opens."""

    period = forms.ChoiceField(label=_("Period"), required=False)
    segment = forms.ChoiceField(label=_("Customer segment"), required=False)

    def __init__(self, data, *, segments: list[str]) -> None:
        data = data.copy()
        data.setdefault("period", kpis.DEFAULT_PRESET)  # shown chosen when none is asked
        super().__init__(data, auto_id="kpi-%s")
        # "from" and "to", as on the NPS reports page (not Python names).
        for name, label in (("from", _("From")), ("to", _("To"))):
            self.fields[name] = forms.DateField(
                label=label, required=False, widget=forms.DateInput(attrs={"type": "date"})
            )
        self.fields["period"].choices = [*kpis.PRESETS.items(), (kpis.CUSTOM, _("Custom"))]
        self.fields["segment"].choices = [
            ("", _("All customers")),
            *((name, name) for name in segments),
        ]

    def chosen(self) -> tuple[kpis.Period, str]:
        self.is_valid()
        data = self.cleaned_data
        custom = data.get("period") == kpis.CUSTOM
        period = kpis.kpi_period(
            preset=data.get("period") or "",
            start=data.get("from") if custom else None,
            end=data.get("to") if custom else None,
        )
        if custom and period.key != kpis.CUSTOM:
            self.add_error(
                "to", _("Choose a first and a last day, in order, at most three years apart.")
            )
        return period, data.get("segment") or ""


def _dashboard(request: HttpRequest) -> tuple[KpiFilterForm, kpis.Dashboard]:
    form = KpiFilterForm(request.GET, segments=customer_segments())
    period, segment = form.chosen()
    return form, kpis.dashboard(period=period, segment=segment, cached=True)


@require_http_methods(["GET", "POST"])
@manager_required
def kpis_page(request: HttpRequest) -> HttpResponse:
    """The KPIs; a POST computes the figures again (they are kept a few minutes)."""
    if request.method == "POST":
        kpis.refresh_kpi_figures()
        query = request.GET.urlencode()
        return redirect(reverse("dashboard-kpis") + (f"?{query}" if query else ""))
    form, board = _dashboard(request)
    return render(
        request,
        "advocacy/kpis.html",
        {"form": form, "board": board, "query": request.GET.urlencode()},
    )


@require_GET
@manager_required
def kpis_csv(request: HttpRequest) -> HttpResponse:
    """The same KPIs, one row each, for a spreadsheet (cells safe from formulas)."""
    _form, board = _dashboard(request)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    segment = f"-{slugify(board.segment)}" if board.segment else ""
    response["Content-Disposition"] = (
        f'attachment; filename="kpis-{board.period.start.isoformat()}-'
        f'{board.period.end.isoformat()}{segment}.csv"'
    )
    write_csv(response, kpis.CSV_HEADER, kpis.csv_rows(board))
    return response
