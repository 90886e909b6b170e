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
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from cases import selectors, services
from cases.auth import staff_required
from cases.forms import QueueBulkForm, QueueFilterForm, staff_name
from cases.models import Case, Customer, Priority
from cases.views.partials import wants_fragment

CASES_PER_PAGE = 25


@dataclass(frozen=True, slots=True)
class QueueRow:
    """One line of the queue, with its labels and dates already written out: the template
    only places them (resolving lookups and filters cell by cell cost more than the
    query)."""

    case: Case
    priority_label: str
    kind_label: str
    origin_label: str
    status_label: str
    customer_meta: str
    owner_label: str  # "" when nobody owns the case
    mine: bool
    due: dict | None  # iso, title, text
    opened: dict


def _when(moment, *, relative: bool, now) -> dict:
    local = timezone.localtime(moment)
    return {
        "iso": local.isoformat(),
        "title": date_format(local, "DATETIME_FORMAT"),
        "text": relative_time(moment, now) if relative else date_format(local, "DATE_FORMAT"),
    }


def relative_time(moment, now) -> str:
    """"3 hours ago", "in 2 days": the largest whole unit, one translated phrase (the
    humanize filter's two-unit phrases cost a dozen translation lookups each, and a queue
    page shows fifty of them)."""
    seconds = (moment - now).total_seconds()
    minutes = int(abs(seconds) // 60)
    if minutes < 1:
        return _("now")
    hours, days = minutes // 60, minutes // (60 * 24)
    if seconds > 0:
        if days:
            return ngettext("in %(count)d day", "in %(count)d days", days) % {"count": days}
        if hours:
            return ngettext("in %(count)d hour", "in %(count)d hours", hours) % {
                "count": hours}
        return ngettext("in %(count)d minute", "in %(count)d minutes", minutes) % {
            "count": minutes}
    if days:
        return ngettext("%(count)d day ago", "%(count)d days ago", days) % {"count": days}
    if hours:
        return ngettext("%(count)d hour ago", "%(count)d hours ago", hours) % {"count": hours}
    return ngettext("%(count)d minute ago", "%(count)d minutes ago", minutes) % {
        "count": minutes}


def queue_rows(cases, user) -> list[QueueRow]:
    priorities, kinds = dict(Priority.choices), dict(Case.Kind.choices)
    origins, statuses = dict(Case.Origin.choices), dict(Case.Status.choices)
    tiers = dict(Customer.ValueTier.choices)
    now = timezone.now()
    rows = []
    for case in cases:
        customer = case.customer
        meta = customer.segment or "—"
        if customer.value_tier != Customer.ValueTier.STANDARD:
            meta = f"{meta} · {tiers.get(customer.value_tier, customer.value_tier)}"
        rows.append(QueueRow(
            case=case,
            priority_label=str(priorities.get(case.priority, case.priority)),
            kind_label=str(kinds.get(case.kind, case.kind)),
            origin_label=str(origins.get(case.origin, case.origin)),
            status_label=str(statuses.get(case.status, case.status)),
            customer_meta=meta,
            owner_label=staff_name(case.owner) if case.owner else "",
            mine=case.owner_id == user.pk,
            due=(_when(case.due_at, relative=case.due_state != "done", now=now)
                 if case.due_at else None),
            opened=_when(case.opened_at, relative=True, now=now),
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
