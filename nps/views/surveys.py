"""Staff pages of surveys: the list with its counts, a survey, creating and editing one
(managers), launching a campaign (managers), and who was asked by it."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from cases.auth import is_manager, manager_required, staff_required
from cases.models import Customer
from cases.views.partials import wants_fragment
from nps.models import LANGUAGES, Survey
from nps.selectors import invitations as selectors
from nps.services import surveys as services

INVITATIONS_PER_PAGE = 25
LANGUAGE_NAMES = dict(Customer.Language.choices)


class SurveyForm(forms.Form):
    """The shape of a survey; the service checks the rules (English wording, window)."""

    name = forms.CharField(label=gettext_lazy("Name"), max_length=120)
    slug = forms.SlugField(label=gettext_lazy("Short name"), max_length=60,
                           help_text=gettext_lazy("Letters, digits and hyphens; in addresses."))
    trigger = forms.ChoiceField(label=gettext_lazy("When to ask"), choices=Survey.Trigger,
                                widget=forms.RadioSelect)
    delay_days = forms.IntegerField(
        label=gettext_lazy("Days after delivery"), min_value=0, max_value=365, initial=7,
        help_text=gettext_lazy("For surveys after a delivery."))
    segments = forms.MultipleChoiceField(
        label=gettext_lazy("Segments"), required=False, widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("None chosen: every segment."))
    value_tiers = forms.MultipleChoiceField(
        label=gettext_lazy("Value tiers"), required=False, choices=Customer.ValueTier,
        widget=forms.CheckboxSelectMultiple, help_text=gettext_lazy("None chosen: every tier."))
    languages = forms.MultipleChoiceField(
        label=gettext_lazy("Languages"), required=False, choices=Customer.Language,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("None chosen: customers of every language."))
    starts_at = forms.DateTimeField(
        label=gettext_lazy("Active from"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"))
    ends_at = forms.DateTimeField(
        label=gettext_lazy("Active until"), required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=gettext_lazy("Empty: until switched off."))
    active = forms.BooleanField(label=gettext_lazy("Active"), required=False, initial=True)
    throttle_days = forms.IntegerField(
        label=gettext_lazy("Ask a customer at most once in (days)"), min_value=0,
        max_value=3650, initial=90,
        help_text=gettext_lazy("Across all surveys: a customer asked by any survey in this "
                               "many days is not asked again."))
    expiry_days = forms.IntegerField(label=gettext_lazy("Links expire after (days)"),
                                     min_value=1, max_value=365, initial=30)
    reminder_days = forms.IntegerField(
        label=gettext_lazy("Remind after (days)"), min_value=1, max_value=365, required=False,
        help_text=gettext_lazy("One reminder to those who have not answered; empty for none."))
    send_per_minute = forms.IntegerField(label=gettext_lazy("Emails per minute"), min_value=1,
                                         max_value=100_000, initial=600)
    review_links = forms.CharField(
        label=gettext_lazy("Public review pages for promoters"), required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("One per line: name | https://address"))

    def __init__(self, *args, segments: list[str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for language in LANGUAGES:
            name = LANGUAGE_NAMES[language]
            self.fields[f"question_{language}"] = forms.CharField(
                label=_("Question (%(language)s)") % {"language": name},
                required=language == "en", max_length=500,
                widget=forms.Textarea(attrs={"rows": 2}))
            self.fields[f"follow_up_{language}"] = forms.CharField(
                label=_("Follow-up question (%(language)s)") % {"language": name},
                required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2}))
        chosen = self.initial.get("segments") or []
        self.fields["segments"].choices = [(s, s) for s in sorted({*segments, *chosen})]

    def language_fields(self) -> list[dict]:
        """Each language's question and follow-up, for one fieldset each."""
        return [{"code": language, "name": LANGUAGE_NAMES[language],
                 "question": self[f"question_{language}"],
                 "follow_up": self[f"follow_up_{language}"]} for language in LANGUAGES]

    def clean_review_links(self) -> list[dict]:
        links = []
        for line in self.cleaned_data["review_links"].splitlines():
            if not line.strip():
                continue
            label, bar, url = line.partition("|")
            if not bar or not url.strip().startswith(("https://", "http://")):
                raise ValidationError(_("Write each review page as: name | https://address"))
            links.append({"label": label.strip()[:60], "url": url.strip()[:500]})
        return links

    def survey_fields(self) -> dict:
        """The cleaned data as the service takes it."""
        data = dict(self.cleaned_data)
        data["texts"] = {language: {"question": data.pop(f"question_{language}", ""),
                                    "follow_up": data.pop(f"follow_up_{language}", "")}
                         for language in LANGUAGES}
        return data

    @staticmethod
    def initial_for(survey: Survey) -> dict:
        initial = {name: getattr(survey, name) for name in services.EDITABLE_FIELDS
                   if name not in ("texts", "review_links")}
        for language in LANGUAGES:
            wording = (survey.texts or {}).get(language) or {}
            initial[f"question_{language}"] = wording.get("question", "")
            initial[f"follow_up_{language}"] = wording.get("follow_up", "")
        initial["review_links"] = "\n".join(
            f"{link.get('label', '')} | {link.get('url', '')}" for link in survey.review_links)
        for moment in ("starts_at", "ends_at"):
            if initial[moment]:
                initial[moment] = timezone.localtime(initial[moment])
        return initial

    def add_service_errors(self, error: ValidationError) -> None:
        """The service's errors, keyed by model field, on the form's fields."""
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for field, errors in error.error_dict.items():
            target = "question_en" if field == "texts" else field
            self.add_error(target if target in self.fields else None, errors)


@require_GET
@staff_required
def surveys_page(request: HttpRequest) -> HttpResponse:
    return render(request, "nps/surveys.html", {"surveys": selectors.survey_overview()})


@require_http_methods(["GET", "POST"])
@manager_required
def survey_new_page(request: HttpRequest) -> HttpResponse:
    form = SurveyForm(request.POST or None, segments=selectors.audience_segments(),
                      initial={"starts_at": timezone.localtime().replace(second=0, microsecond=0),
                               "trigger": Survey.Trigger.AFTER_DELIVERY})
    if form.is_valid():
        try:
            survey = services.create_survey(actor=request.user, **form.survey_fields())
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("The survey “%(name)s” is saved.") % {"name": survey.name})
            return redirect("nps:survey", slug=survey.slug)
    return render(request, "nps/surveys_form.html", {"form": form, "survey": None})


@require_http_methods(["GET", "POST"])
@manager_required
def survey_edit_page(request: HttpRequest, slug: str) -> HttpResponse:
    survey = get_object_or_404(Survey, slug=slug)
    form = SurveyForm(request.POST or None, segments=selectors.audience_segments(),
                      initial=SurveyForm.initial_for(survey))
    if form.is_valid():
        try:
            survey = services.update_survey(survey=survey, actor=request.user,
                                            **form.survey_fields())
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("The survey is saved."))
            return redirect("nps:survey", slug=survey.slug)
    return render(request, "nps/surveys_form.html", {"form": form, "survey": survey})


@require_GET
@staff_required
def survey_page(request: HttpRequest, slug: str) -> HttpResponse:
    survey = get_object_or_404(selectors.survey_overview(), slug=slug)
    wordings = [{"code": code, "name": LANGUAGE_NAMES[code], **survey.texts[code]}
                for code in LANGUAGES if code in (survey.texts or {})]
    return render(request, "nps/surveys_detail.html", {
        "survey": survey, "wordings": wordings, "can_edit": is_manager(request.user),
        "segments": ", ".join(survey.segments), "tiers": _display(survey.value_tiers,
                                                                   Customer.ValueTier),
        "languages": _display(survey.languages, Customer.Language),
    })


def _display(values: list[str], choices: type) -> str:
    names = dict(choices.choices)
    return ", ".join(str(names.get(value, value)) for value in values)


@require_POST
@manager_required
def survey_launch(request: HttpRequest, slug: str) -> HttpResponse:
    survey = get_object_or_404(Survey, slug=slug)
    try:
        services.launch_campaign(survey=survey, actor=request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("The campaign is launched: its audience is being invited."))
    return redirect("nps:survey", slug=survey.slug)


@require_GET
@vary_on_headers("HX-Request")
@staff_required
def survey_invitations_page(request: HttpRequest, slug: str) -> HttpResponse:
    survey = get_object_or_404(selectors.survey_overview(), slug=slug)
    show = request.GET.get("show", "")
    show = show if show in selectors.INVITATION_FILTERS else ""
    invitations = selectors.survey_invitations(survey=survey, show=show)
    page = Paginator(invitations, INVITATIONS_PER_PAGE).get_page(request.GET.get("page"))
    template = "nps/invitations.html" + ("#invitation-table" if wants_fragment(request) else "")
    return render(request, template, {"survey": survey, "page": page, "show": show})
