"""The case queue, the advocate's home page: filters, search, counts and bulk changes."""

from collections import defaultdict
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from cases import selectors, services
from cases.auth import staff_required
from cases.display import Moment, choice_label, moment, staff_name
from cases.forms import QueueBulkForm, QueueFilterForm
from cases.models import Case, Customer, Priority
from cases.views.partials import wants_fragment

CASES_PER_PAGE = 25


@dataclass(frozen=True, slots=True)
class QueueRow:
    """One line of the queue, with its labels and dates already written out: the template
    only places them (resolving lookups and filters cell by cell cost more than the
    query)."""

    case: Case
    tick_label: str  # "Tick case #42", for screen readers
    priority_label: str
    kind_label: str
    origin_label: str
    status_label: str
    customer_meta: str
    owner_label: str  # "" when nobody owns the case
    mine: bool
    due: Moment | None
    opened: Moment


def queue_rows(cases, user) -> list[QueueRow]:
    now = timezone.now()
    tick = _("Tick case #%(number)s")
    rows = []
    for case in cases:
        customer = case.customer
        meta = customer.segment or "—"
        if customer.value_tier != Customer.ValueTier.STANDARD:
            meta = f"{meta} · {choice_label(Customer.ValueTier, customer.value_tier)}"
        rows.append(QueueRow(
            case=case,
            tick_label=tick % {"number": case.pk},
            priority_label=choice_label(Priority, case.priority),
            kind_label=choice_label(Case.Kind, case.kind),
            origin_label=choice_label(Case.Origin, case.origin),
            status_label=choice_label(Case.Status, case.status),
            customer_meta=meta,
            owner_label=staff_name(case.owner) if case.owner else "",
            mine=case.owner_id == user.pk,
            due=(moment(case.due_at, now=None if case.due_state == "done" else now,
                        text_format="DATE_FORMAT") if case.due_at else None),
            opened=moment(case.opened_at, now=now),
        ))
    return rows


@require_GET
@vary_on_headers("HX-Request")
@staff_required
def queue_page(request: HttpRequest) -> HttpResponse:
    staff = list(selectors.assignable_staff())
    form = QueueFilterForm(request.GET, staff=staff, teams=selectors.teams(),
                           segments=selectors.customer_segments())
    filters = selectors.with_search_resolved(form.filters())
    counts = selectors.queue_counts(user=request.user, filters=filters)
    form.show_counts(counts)
    cases = selectors.case_queue(user=request.user, filters=filters)
    paginator = Paginator(cases, CASES_PER_PAGE)
    if counts.shown is not None:  # the counts already hold this view's size
        paginator.count = counts.shown
    page = paginator.get_page(request.GET.get("page"))
    fragment = wants_fragment(request)
    return render(request, "cases/queue.html" + ("#case-queue" if fragment else ""), {
        "form": form, "filters": filters, "counts": counts, "page": page,
        "rows": queue_rows(page.object_list, request.user),
        "fragment": fragment,
        "bulk_form": QueueBulkForm(staff=staff, initial={"next": request.get_full_path()}),
    })


@require_POST
@staff_required
def queue_bulk_action(request: HttpRequest) -> HttpResponse:
    """Apply one change to the ticked cases through the same services as the case page.
    Every case the change is allowed for gets it; the others are reported by number."""
    form = QueueBulkForm(request.POST, staff=selectors.assignable_staff())
    back = _queue_url(request, request.POST.get("next", ""))
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
        return redirect(back)
    cases, actor = form.cleaned_data["cases"], request.user
    if form.cleaned_data["action"] == "assign":
        owner = form.new_owner(actor)
        refused = services.change_each(cases=cases, change=lambda case: services.assign_case(
            case=case, owner=owner, actor=actor))
        changed = len(cases) - len(refused)
        done = _assigned_message(changed, owner)
    else:
        status = form.cleaned_data["status"]
        refused = services.change_each(cases=cases, change=lambda case: services.change_status(
            case=case, status=status, actor=actor))
        changed = len(cases) - len(refused)
        done = _moved_message(changed, Case.Status(status).label)
    if changed:
        messages.success(request, done)
    _report_refused(request, refused)
    return redirect(back)


# --- helpers ------------------------------------------------------------------------------


def _assigned_message(count: int, owner) -> str:
    if owner is None:
        return ngettext("%(count)d case is now unassigned.",
                        "%(count)d cases are now unassigned.", count) % {"count": count}
    return ngettext("%(count)d case assigned to %(owner)s.",
                    "%(count)d cases assigned to %(owner)s.", count) % {
        "count": count, "owner": staff_name(owner)}


def _moved_message(count: int, status: str) -> str:
    return ngettext("%(count)d case moved to “%(status)s”.",
                    "%(count)d cases moved to “%(status)s”.", count) % {
        "count": count, "status": status}


def _report_refused(request: HttpRequest, refused: list[tuple[Case, ValidationError]]) -> None:
    """One warning per reason, naming the cases it held back: "#4, #9 were not changed: …"."""
    numbers_by_reason: dict[str, list[str]] = defaultdict(list)
    for case, error in refused:
        numbers_by_reason[" ".join(error.messages)].append(f"#{case.pk}")
    for reason, numbers in numbers_by_reason.items():
        messages.warning(request, ngettext(
            "%(numbers)s was not changed: %(reason)s",
            "%(numbers)s were not changed: %(reason)s", len(numbers),
        ) % {"numbers": ", ".join(numbers), "reason": reason})


def _queue_url(request: HttpRequest, target: str) -> str:
    """Back to the queue view the change was made from, or the plain queue when ``next``
    points anywhere else."""
    queue = reverse("cases:queue")
    safe = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure())
    return target if safe and urlsplit(target).path == queue else queue
