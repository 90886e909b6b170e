"""Staff pages of the closed loop: the Advocates page with its care gaps, each advocate's
profile with their care actions, and the passives to call back."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect

from cases.auth import staff_required
from cases.views.partials import wants_fragment
from nps.models import MAX_COMMENT_CHARS, AdvocateProfile, CareAction, Response
from nps.selectors import advocates as selectors
from nps.services import advocates as services

ADVOCATES_PER_PAGE = 25
CANDIDATES_PER_PAGE = 10
FOLLOW_UPS_PER_PAGE = 25


class DecisionForm(forms.Form):
    note = forms.CharField(label=gettext_lazy("Note"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}))


class FollowUpForm(forms.Form):
    note = forms.CharField(label=gettext_lazy("What came of it"), required=False,
                           max_length=MAX_COMMENT_CHARS, widget=forms.Textarea(attrs={"rows": 2}))


class CareActionForm(forms.Form):
    practice = forms.ChoiceField(label=gettext_lazy("Practice"), choices=CareAction.Practice)
    done_on = forms.DateField(label=gettext_lazy("Date"), initial=timezone.localdate,
                              widget=forms.DateInput(attrs={"type": "date"}))
    description = forms.CharField(label=gettext_lazy("What was done"), max_length=2000,
                                  widget=forms.Textarea(attrs={"rows": 3}))
    case = forms.ModelChoiceField(label=gettext_lazy("About their case"), required=False,
                                  queryset=None)

    def __init__(self, *args, advocate: AdvocateProfile, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["case"].queryset = selectors.open_cases_of(customer=advocate.customer)


@require_GET
@vary_on_headers("HX-Request")
@staff_required
def advocates_page(request: HttpRequest) -> HttpResponse:
    """Care gaps, the brand advocates (by gap) and the candidates; htmx asks for one table
    at a time (``candidates`` pages the candidates, ``page`` and ``gap`` the advocates)."""
    gap = request.GET.get("gap", "")
    gap = gap if gap in selectors.GAPS else ""
    candidates_only = wants_fragment(request) and "candidates" in request.GET
    context = {"gap": gap, "gap_days": selectors.care_gap_days()}
    if not candidates_only:
        context["page"] = Paginator(selectors.confirmed_advocates(gap=gap),
                                    ADVOCATES_PER_PAGE).get_page(request.GET.get("page"))
    if wants_fragment(request) and not candidates_only:
        return render(request, "nps/advocates.html#advocate-table", context)
    context["candidates"] = Paginator(selectors.advocate_candidates(),
                                      CANDIDATES_PER_PAGE).get_page(request.GET.get("candidates"))
    if candidates_only:
        return render(request, "nps/advocates.html#candidate-table", context)
    return render(request, "nps/advocates.html", {
        **context, "counts": selectors.care_gap_counts(),
        "unused_practices": selectors.unused_practices()})


def _profile(request: HttpRequest, profile: AdvocateProfile, *,
             care_form: CareActionForm | None = None) -> HttpResponse:
    return render(request, "nps/advocates_profile.html", {
        "profile": profile, "record": selectors.advocate_record(profile=profile),
        "care_form": care_form or CareActionForm(advocate=profile),
        "decision_form": DecisionForm(), "gap_days": selectors.care_gap_days(),
    })


@require_GET
@staff_required
def advocate_page(request: HttpRequest, pk: int) -> HttpResponse:
    return _profile(request, get_object_or_404(selectors.advocate_profiles(), pk=pk))


@require_POST
@staff_required
def advocate_care(request: HttpRequest, pk: int) -> HttpResponse:
    profile = get_object_or_404(selectors.advocate_profiles(), pk=pk)
    form = CareActionForm(request.POST, advocate=profile)
    if form.is_valid():
        try:
            services.add_care_action(advocate=profile, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The care action is recorded."))
            return _redirect(request, profile)
    return _profile(request, profile, care_form=form)


@require_POST
@staff_required
def advocate_decide(request: HttpRequest, pk: int, decision: str) -> HttpResponse:
    """Confirm or decline a candidate, from the Advocates page (``next=list``) or theirs."""
    profile = get_object_or_404(AdvocateProfile.objects.select_related("customer"), pk=pk)
    form = DecisionForm(request.POST)
    decide = services.confirm_advocate if decision == "confirm" else services.decline_advocate
    try:
        if not form.is_valid():
            raise ValidationError(form.errors["note"])
        decide(profile=profile, actor=request.user, note=form.cleaned_data["note"])
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        done = (_("%(name)s is a brand advocate now.") if decision == "confirm"
                else _("%(name)s is not an advocate."))
        messages.success(request, done % {"name": profile.customer.name})
    if request.POST.get("next") == "list":
        return redirect("nps:advocates")
    return _redirect(request, profile)


def _redirect(request: HttpRequest, profile: AdvocateProfile) -> HttpResponse:
    url = reverse("nps:advocate", args=[profile.pk])
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


@require_GET
@vary_on_headers("HX-Request")
@staff_required
def follow_ups_page(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.follow_ups(), FOLLOW_UPS_PER_PAGE).get_page(
        request.GET.get("page"))
    template = "nps/advocates_follow_ups.html" + ("#follow-up-table" if wants_fragment(request)
                                                  else "")
    return render(request, template, {
        "page": page, "done": [] if wants_fragment(request) else selectors.followed_up()})


@require_POST
@staff_required
def follow_up_done(request: HttpRequest, pk: int) -> HttpResponse:
    response = get_object_or_404(Response.objects.select_related("customer"), pk=pk)
    form = FollowUpForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        services.mark_followed_up(response=response, actor=request.user, note=note)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Followed up: %(name)s.") % {"name": response.customer.name})
    return redirect("nps:follow-ups")
