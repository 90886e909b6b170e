"""One case: its page, its actions and the decision brief; opening a case, logging a
contact, the desk's settings.

Every action is a plain POST form that works without JavaScript: on success it goes back
to the case page with a message; on an error the case page is shown again (status 200)
with that form's input and errors, and the rest of the case as it is now.
"""

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect

from cases import selectors, services
from cases.auth import is_manager, manager_required, staff_required
from cases.forms import (
    AssignForm,
    CaseForm,
    CaseNewForm,
    ContactForm,
    DecideForm,
    DeskSettingsForm,
    EmailForm,
    ImpactForm,
    NoteForm,
    PriorityForm,
    RemedyForm,
    ReopenForm,
    ResolveForm,
    StatusForm,
    add_service_error,
    is_stale,
)
from cases.models import Case, Remedy
from cases.views.partials import wants_fragment

CASE_PAGE = "cases/case_detail.html"
CASE_FORMS: dict[str, type[CaseForm]] = {
    form.key: form for form in (AssignForm, StatusForm, PriorityForm, NoteForm, ImpactForm,
                                RemedyForm, ResolveForm, ReopenForm, EmailForm)
}
# htmx targets of the case page that have a fragment of their own: id -> partial
FRAGMENTS = {"timeline": "timeline", "case-email": "email"}

Perform = Callable[[Case, dict], object]
# The newest events the page shows (a screenful or two); a case running for months links to
# the whole timeline, and the filters narrow it to the conversation or the decisions.
TIMELINE_LENGTH = 30


def _case(pk: int) -> Case:
    try:
        return selectors.case_detail(pk=pk)
    except Case.DoesNotExist:
        raise Http404(_("No case has this number.")) from None


def _email_form(request: HttpRequest, case: Case) -> EmailForm:
    """The email form, filled in from ``?template=`` when the advocate chose one."""
    template = request.GET.get("template", "")
    if not template:
        return EmailForm(case=case)
    form = EmailForm(case=case, initial={"template": template})
    try:
        form.fill(services.draft_customer_email(case=case, template=template,
                                                actor=request.user))
    except ValidationError:
        form.initial["template"] = ""  # not one of ours (an edited URL): start blank
    return form


def _case_context(request: HttpRequest, case: Case, bound: dict | None = None,
                  decide: DecideForm | None = None) -> dict:
    """Everything the case page shows; ``bound`` forms (with the user's input and errors)
    replace the empty ones, ``decide`` is a manager's refused decision on one remedy."""
    desk = selectors.desk_settings()
    forms = {key: form_class(case=case) for key, form_class in CASE_FORMS.items()}
    forms["remedy"].initial["currency"] = desk.approval_currency
    forms["email"] = _email_form(request, case)
    forms.update(bound or {})
    manager = is_manager(request.user)
    pending = [remedy for remedy in case.remedies.all()
               if remedy.decision == Remedy.Decision.PENDING] if manager else []
    decisions = {remedy.pk: DecideForm(remedy=remedy) for remedy in pending}
    if decide is not None:
        decisions[decide.remedy.pk] = decide
    remedies = [(remedy, decisions.get(remedy.pk)) for remedy in case.remedies.all()]
    show = request.GET.get("show", "")
    whole = request.GET.get("timeline") == "all"
    events = selectors.case_timeline(case=case, show=show)
    timeline = selectors.timeline_entries(events if whole else events[:TIMELINE_LENGTH + 1])
    return {
        "case": case, "customer": case.customer, "forms": forms, "remedies": remedies,
        "conflict": any(is_stale(form) for form in forms.values())
                    or bool(decide and is_stale(decide)),
        "relationship": selectors.customer_relationship(customer=case.customer, exclude=case),
        "loss": selectors.loss_figures(case=case), "sla": selectors.sla_clocks(case=case),
        "desk": desk, "is_manager": manager, "show": show,
        "timeline": timeline[:None if whole else TIMELINE_LENGTH],
        "timeline_cut": not whole and len(timeline) > TIMELINE_LENGTH,
        "emails": selectors.case_emails(case=case),
    }


def _back(request: HttpRequest, case: Case, anchor: str = "") -> HttpResponse:
    url = case.get_absolute_url() + anchor
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


def _act(request: HttpRequest, pk: int, key: str, perform: Perform, done: str,
         anchor: str = "") -> HttpResponse:
    """The path every case action shares: parse the form, call the service, go back to
    the case; or show the case page again with the form's errors (status 200)."""
    case = _case(pk)
    form = CASE_FORMS[key](request.POST, case=case)
    if form.is_valid():
        try:
            perform(case, form.cleaned_data)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, done)
            return _back(request, case, anchor)
    return render(request, CASE_PAGE, _case_context(request, case, bound={key: form}))


# --- pages --------------------------------------------------------------------------------


@require_GET
@vary_on_headers("HX-Request", "HX-Target")
@staff_required
def case_page(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case(pk)
    context = _case_context(request, case)
    fragment = FRAGMENTS.get(request.htmx.target) if wants_fragment(request) else None
    return render(request, CASE_PAGE + (f"#{fragment}" if fragment else ""), context)


@require_GET
@staff_required
def decision_brief_page(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case(pk)
    remedies = list(case.remedies.all())
    return render(request, "cases/case_brief.html", {
        "case": case, "customer": case.customer, "remedies": remedies,
        "recommended": [remedy for remedy in remedies if remedy.recommended],
        "relationship": selectors.customer_relationship(customer=case.customer, exclude=case),
        "loss": selectors.loss_figures(case=case),
        "story": selectors.timeline_entries(selectors.brief_events(case=case)),
        "desk": selectors.desk_settings(),
    })


@require_http_methods(["GET", "POST"])
@staff_required
def case_new_page(request: HttpRequest) -> HttpResponse:
    posted = request.method == "POST"
    form = CaseNewForm(request.POST if posted else None,
                       initial={"customer": request.GET.get("customer", "")})
    if posted and form.is_valid():
        data = form.cleaned_data
        owner = request.user if data.pop("take_it") else None
        try:
            case = services.open_case(origin=Case.Origin.MANUAL, actor=request.user,
                                      owner=owner, **data)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("Case #%(number)s is open.") % {"number": case.pk})
            return redirect(case)
    return render(request, "cases/case_new.html", {"form": form})


@require_http_methods(["GET", "POST"])
@staff_required
def contact_new_page(request: HttpRequest) -> HttpResponse:
    posted = request.method == "POST"
    form = ContactForm(request.POST if posted else None, initial={
        "customer": request.GET.get("customer", ""), "order": request.GET.get("order", ""),
        "occurred_at": timezone.localtime().replace(second=0, microsecond=0),
    })
    if posted and form.is_valid():
        try:
            contact = services.log_contact(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("The contact is logged on case #%(number)s.")
                             % {"number": contact.case.pk})
            return redirect(contact.case.get_absolute_url() + "#timeline")
    return render(request, "cases/contact_new.html", {"form": form})


@require_http_methods(["GET", "POST"])
@manager_required
def desk_settings_page(request: HttpRequest) -> HttpResponse:
    desk, targets = selectors.desk_settings(), selectors.sla_targets()
    form = DeskSettingsForm(
        request.POST if request.method == "POST" else None, targets=targets,
        initial={"approval_threshold": desk.approval_threshold,
                 "approval_currency": desk.approval_currency},
    )
    if form.is_valid():
        try:
            services.update_desk_settings(actor=request.user, **form.service_arguments())
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("The desk's settings are saved."))
            return redirect("cases:desk-settings")
    return render(request, "cases/desk_settings.html", {"form": form})


# --- actions on a case --------------------------------------------------------------------


@require_POST
@staff_required
def case_assign(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, "assign", lambda case, data: services.assign_case(
        case=case, actor=request.user, **data), _("The case has a new owner."))


@require_POST
@staff_required
def case_status(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, "status", lambda case, data: services.change_status(
        case=case, actor=request.user, **data), _("The status is changed."))


@require_POST
@staff_required
def case_priority(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, "priority", lambda case, data: services.override_priority(
        case=case, actor=request.user, **data), _("The priority is updated."))


@require_POST
@staff_required
def case_impact(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, "impact", lambda case, data: services.record_impact(
        case=case, actor=request.user, **data), _("The loss is recorded."), "#impact")


@require_POST
@staff_required
def case_remedy_propose(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, "remedy", lambda case, data: services.propose_remedy(
        case=case, actor=request.user, **data), _("The remedy is proposed."), "#remedies")


@require_POST
@staff_required
def case_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, "resolve", lambda case, data: services.resolve_case(
        case=case, actor=request.user, **data), _("The case is resolved."))


@require_POST
@staff_required
def case_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, "reopen", lambda case, data: services.reopen_case(
        case=case, actor=request.user, **data), _("The case is open again."))


@require_POST
@staff_required
def case_email(request: HttpRequest, pk: int) -> HttpResponse:
    def send(case: Case, data: dict) -> object:
        data.pop("template", None)
        return services.notify_customer(case=case, actor=request.user, **data)

    return _act(request, pk, "email", send,
                _("The email is on its way; the timeline shows it once it is sent."),
                "#case-email")


@require_POST
@staff_required
def case_note(request: HttpRequest, pk: int) -> HttpResponse:
    """With htmx the note appears in the timeline without a page load."""
    case = _case(pk)
    form = NoteForm(request.POST, case=case)
    if form.is_valid():
        try:
            services.add_note(case=case, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            if not wants_fragment(request):
                messages.success(request, _("The note is added."))
                return redirect(case.get_absolute_url() + "#timeline")
            form = NoteForm(case=case)
    context = _case_context(request, case, bound={"note": form})
    return render(request, CASE_PAGE + ("#activity" if wants_fragment(request) else ""), context)


@require_POST
@manager_required
def case_remedy_decide(request: HttpRequest, pk: int, remedy_pk: int) -> HttpResponse:
    case = _case(pk)
    remedy = next((remedy for remedy in case.remedies.all() if remedy.pk == remedy_pk), None)
    if remedy is None:
        raise Http404(_("This case has no such remedy."))
    form = DecideForm(request.POST, remedy=remedy)
    if form.is_valid():
        approve = form.cleaned_data["decision"] == "approve"
        try:
            services.decide_remedy(remedy=remedy, manager=request.user, approve=approve,
                                   reason=form.cleaned_data["reason"])
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("The remedy is approved.") if approve
                             else _("The remedy is rejected."))
            return _back(request, case, "#remedies")
    return render(request, CASE_PAGE, _case_context(request, case, decide=form))

