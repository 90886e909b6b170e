"""Forms of the desk's pages: they check the shape of input; services check the rules."""

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django import forms
from django.conf import settings
from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.forms.utils import flatatt
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from cases import selectors, services
from cases.display import staff_name
from cases.models import (
    Case,
    Contact,
    Customer,
    Impact,
    Order,
    Priority,
    Remedy,
    RiskRule,
    SlaTarget,
    Team,
)
from cases.risk import RULES, Param, Rule
from cases.services.desk import MANUAL_MOVES

ORDER_CSV_COLUMN_HELP: dict[str, Promise] = {
    "external_ref": _("Your order number; unique. A row with a known number updates that order."),
    "customer_ref": _("Your customer number; creates or updates the customer."),
    "customer_name": _("The customer's name."),
    "customer_email": _("Email address, used for surveys and outreach."),
    "customer_language": _("en, it, nb or ro; en when empty."),
    "customer_company": _("Company name, for business customers."),
    "customer_segment": _("A segment of your own, e.g. retail or wholesale."),
    "value": _("Order value, with a dot for decimals, e.g. 1249.90."),
    "currency": _("Three-letter ISO 4217 code, e.g. EUR."),
    "critical": _("yes/no: the customer depends on this order."),
    "ordered_at": _("When the order was placed."),
    "promised_delivery_at": _("The delivery date the customer was promised."),
    "shipped_at": _("When it left the warehouse."),
    "delivered_at": _("When it was delivered."),
    "carrier": _("Carrier name, e.g. DHL."),
    "tracking_number": _("The carrier's tracking number."),
}
TIMESTAMP_COLUMNS = {"ordered_at", "promised_delivery_at", "shipped_at", "delivered_at"}


@dataclass(frozen=True)
class CsvColumn:
    name: str
    required: bool
    timestamp: bool
    help: str


class OrderImportForm(forms.Form):
    file = forms.FileField(
        label=_("Orders CSV file"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv"}),
    )

    @staticmethod
    def max_megabytes() -> int:
        return settings.ORDER_CSV_MAX_BYTES // (1024 * 1024)

    @staticmethod
    def columns() -> list[CsvColumn]:
        """The columns the import reads, in order, for the page that explains them."""
        return [
            CsvColumn(
                name=name,
                required=name in services.REQUIRED_CSV_COLUMNS,
                timestamp=name in TIMESTAMP_COLUMNS,
                help=ORDER_CSV_COLUMN_HELP.get(name, ""),
            )
            for name in services.ORDER_CSV_COLUMNS
        ]


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("Who uses the key, for example “Webshop” or “Carrier feed”."),
    )
    scopes = forms.MultipleChoiceField(
        label=_("Scopes"),
        # Read when the form is built: other apps add their scopes when they load.
        choices=lambda: list(services.API_SCOPES.items()),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one scope.")},
    )


# --- the case page ------------------------------------------------------------------------
# Each form parses one action of the case page; its field names are the service's keyword
# arguments, so a service's ValidationError lands on the field it names.


def add_service_error(form: forms.Form, error: ValidationError) -> None:
    """Show a service's ValidationError on the field it names, else above the form."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def is_stale(form: forms.Form) -> bool:
    """The service refused the change: someone changed the case since the user loaded it."""
    return form.is_bound and form.has_error(NON_FIELD_ERRORS, code="stale")


class CaseForm(forms.Form):
    """A form about one case; ids are prefixed by ``key`` so many forms share one page."""

    key = "case"

    def __init__(self, *args, case: Case, **kwargs) -> None:
        kwargs.setdefault("auto_id", f"{self.key}-%s")
        super().__init__(*args, **kwargs)
        self.case = case
        flat_selects(self)


class CaseChangeForm(CaseForm):
    """Carries the case version the user saw: a change based on a stale copy is refused."""

    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)


class AssignForm(CaseChangeForm):
    key = "assign"
    owner = forms.ModelChoiceField(
        label=_("Give the case to"), queryset=None, required=False,
        empty_label=_("Nobody (unassigned)"),
    )

    def __init__(self, *args, case: Case, **kwargs) -> None:
        super().__init__(*args, case=case, **kwargs)
        owner = self.fields["owner"]
        owner.queryset = selectors.assignable_staff()
        # The staff read once, in one plain query (iterating the field's choices reads them
        # through a server-side cursor: three round trips), for the page's select.
        owner.widget.choices = [("", owner.empty_label),
                                *((user.pk, staff_name(user)) for user in owner.queryset)]
        self.initial.setdefault("owner", case.owner_id)


class StatusForm(CaseChangeForm):
    key = "status"
    status = forms.ChoiceField(label=_("Move the case to"), choices=Case.Status.choices)

    def moves(self) -> list[tuple[str, str]]:
        """The statuses an advocate may set by hand from the current one."""
        allowed = MANUAL_MOVES.get(self.case.status, set())
        return [(value, label) for value, label in Case.Status.choices if value in allowed]


class PriorityForm(CaseChangeForm):
    key = "priority"
    priority = forms.TypedChoiceField(
        label=_("Set it to"), coerce=int, empty_value=None, required=False,
        choices=[("", _("Let the desk compute it")), *Priority.choices],
    )
    reason = forms.CharField(
        label=_("Why, when set by hand"), max_length=300, required=False,
        help_text=_("Decision makers and the team read this next to the priority."),
    )

    def __init__(self, *args, case: Case, **kwargs) -> None:
        super().__init__(*args, case=case, **kwargs)
        if case.priority_override_reason:
            self.initial.setdefault("priority", case.priority)
            self.initial.setdefault("reason", case.priority_override_reason)


class NoteForm(CaseForm):
    key = "note"
    text = forms.CharField(
        label=_("Note for the team"), widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Write the note first.")},
        help_text=_("Only staff see notes; the customer never does."),
    )


class ImpactForm(CaseChangeForm):
    key = "impact"
    severity = forms.TypedChoiceField(
        label=_("How badly it hit them"), coerce=int, choices=Impact.Severity.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose how badly it hit the customer.")},
    )
    money_lost = forms.DecimalField(
        label=_("Money they lost"), min_value=0, max_digits=12, decimal_places=2,
        required=False, help_text=_("Sales lost, costs they had to pay; 0 if none."),
    )
    currency = forms.CharField(label=_("Currency"), max_length=3, min_length=3)
    disruption_days = forms.DecimalField(
        label=_("Days of disruption"), min_value=0, max_digits=5, decimal_places=1,
        required=False, help_text=_("Days their business did not run normally."),
    )
    what_it_stopped = forms.CharField(
        label=_("What it stopped them doing"), required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("In the customer's words: the service they could not give, the sale lost."),
    )
    orders = forms.ModelMultipleChoiceField(
        label=_("Affected orders"), queryset=Order.objects.none(), required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, case: Case, **kwargs) -> None:
        super().__init__(*args, case=case, **kwargs)
        self.fields["orders"].queryset = case.orders.all()
        impact = selectors.case_impact(case=case)
        if impact is not None:
            for name in ("severity", "money_lost", "currency", "disruption_days",
                         "what_it_stopped"):
                self.initial.setdefault(name, getattr(impact, name))
            self.initial.setdefault("orders", [order.pk for order in impact.orders.all()])
        else:
            orders = list(case.orders.all())
            self.initial.setdefault("currency", orders[0].currency if orders else "")
            self.initial.setdefault("orders", [order.pk for order in orders])

    def clean_currency(self) -> str:
        return self.cleaned_data["currency"].upper()

    def clean_money_lost(self) -> Decimal:
        return self.cleaned_data["money_lost"] or Decimal("0")

    def clean_disruption_days(self) -> Decimal:
        return self.cleaned_data["disruption_days"] or Decimal("0")


class RemedyForm(CaseForm):
    key = "remedy"
    kind = forms.ChoiceField(label=_("Remedy"), choices=Remedy.Kind.choices)
    summary = forms.CharField(
        label=_("What we would do"), max_length=300,
        help_text=_("One sentence a decision maker understands."),
    )
    cost = forms.DecimalField(
        label=_("Cost to the company"), min_value=0, max_digits=12, decimal_places=2
    )
    currency = forms.CharField(label=_("Currency"), max_length=3, min_length=3)
    benefit = forms.CharField(
        label=_("Benefit to the customer"), widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("What it repairs for them, in their terms."),
    )
    rationale = forms.CharField(
        label=_("Why this remedy"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Your argument: the relationship, the loss, what else was considered."),
    )
    recommended = forms.BooleanField(
        label=_("I recommend this remedy"), required=False,
        help_text=_("The decision brief shows it as your recommendation."),
    )

    def clean_currency(self) -> str:
        return self.cleaned_data["currency"].upper()


class DecideForm(forms.Form):
    """A manager's decision on one remedy: approve, or reject with a reason."""

    decision = forms.ChoiceField(
        choices=[("approve", _("Approve")), ("reject", _("Reject"))],
        error_messages={"required": _("Approve or reject the remedy.")},
    )
    reason = forms.CharField(
        label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required to reject; the advocate reads it."),
    )

    def __init__(self, *args, remedy: Remedy, **kwargs) -> None:
        kwargs.setdefault("auto_id", f"decide-{remedy.pk}-%s")
        super().__init__(*args, **kwargs)
        self.remedy = remedy


class ResolveForm(CaseChangeForm):
    key = "resolve"
    outcome = forms.ChoiceField(
        label=_("Outcome for the relationship"), choices=Case.Outcome.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose the outcome: retained, at risk or lost.")},
    )
    resolution = forms.CharField(
        label=_("What was done"), widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Say what was done for the customer.")},
    )
    customer_reaction = forms.CharField(
        label=_("The customer's reaction"), required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("What they said or how they took it, if you know."),
    )


class ReopenForm(CaseChangeForm):
    key = "reopen"
    reason = forms.CharField(
        label=_("Why reopen"), max_length=500,
        error_messages={"required": _("Say why the case is reopened.")},
    )


class EmailForm(CaseChangeForm):
    key = "email"
    template = forms.ChoiceField(label=_("Start from"), required=False, choices=())
    subject = forms.CharField(
        label=_("Subject"), max_length=200, error_messages={"required": _("Write a subject.")}
    )
    body = forms.CharField(
        label=_("Message"), widget=forms.Textarea(attrs={"rows": 10}),
        error_messages={"required": _("Write the message.")},
    )

    draft = None  # the EmailDraft the form was filled from

    def __init__(self, *args, case: Case, **kwargs) -> None:
        super().__init__(*args, case=case, **kwargs)
        self.fields["template"].choices = [
            ("", _("A blank message")), *services.customer_email_templates()
        ]

    def fill(self, draft: "services.EmailDraft") -> None:
        self.draft = draft
        self.initial.update(subject=draft.subject, body=draft.body)


# --- opening a case, logging a contact, the desk's settings -------------------------------


def split_refs(text: str) -> list[str]:
    """Order refs typed with commas, spaces or one per line, each once, in order."""
    return list(dict.fromkeys(ref for ref in re.split(r"[\s,;]+", text) if ref))


class CustomerRefField(forms.ModelChoiceField):
    """A customer typed by their external reference."""

    def __init__(self, **kwargs) -> None:
        super().__init__(
            queryset=Customer.objects.all(), to_field_name="external_ref",
            widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
            error_messages={"invalid_choice": _("No customer has this reference."),
                            "required": _("Type the customer's reference.")},
            **kwargs,
        )


class CaseNewForm(forms.Form):
    customer = CustomerRefField(
        label=_("Customer reference"), help_text=_("As on the customer's page, e.g. C-1042."),
    )
    kind = forms.ChoiceField(label=_("Kind of problem"), choices=Case.Kind.choices)
    title = forms.CharField(
        label=_("Title"), max_length=200,
        help_text=_("What went wrong for the customer, in a line."),
    )
    description = forms.CharField(
        label=_("What happened"), required=False, widget=forms.Textarea(attrs={"rows": 5}),
    )
    order_refs = forms.CharField(
        label=_("Related orders"), required=False,
        help_text=_("Order references, separated by commas or spaces."),
    )
    take_it = forms.BooleanField(label=_("Assign the case to me"), required=False)

    def clean(self) -> dict:
        data = super().clean()
        refs = split_refs(data.pop("order_refs", "") or "")
        customer = data.get("customer")
        found = selectors.customer_orders_by_ref(customer=customer, refs=refs) if customer else {}
        missing = [ref for ref in refs if ref not in found]
        if customer and missing:
            self.add_error("order_refs", _("This customer has no order %(refs)s.")
                           % {"refs": ", ".join(missing)})
        data["orders"] = [found[ref] for ref in refs if ref in found]
        return data


class ContactForm(forms.Form):
    customer = CustomerRefField(label=_("Customer reference"))
    order = forms.CharField(
        label=_("Order reference"), required=False, max_length=64,
        help_text=_("If they asked about one order: the contact joins that order's case."),
    )
    channel = forms.ChoiceField(label=_("Channel"), choices=Contact.Channel.choices)
    occurred_at = forms.DateTimeField(
        label=_("When"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"},
                                                    format="%Y-%m-%dT%H:%M"),
    )
    summary = forms.CharField(
        label=_("What the customer said"), widget=forms.Textarea(attrs={"rows": 4}),
    )

    def clean(self) -> dict:
        data = super().clean()
        ref, customer = (data.get("order") or "").strip(), data.get("customer")
        data["order"] = None
        if ref and customer:
            data["order"] = selectors.customer_orders_by_ref(customer=customer, refs=[ref]).get(ref)
            if data["order"] is None:
                self.add_error("order", _("This customer has no order %(ref)s.") % {"ref": ref})
        return data


class DeskSettingsForm(forms.Form):
    approval_threshold = forms.DecimalField(
        label=_("A manager decides remedies costing more than"), min_value=0, max_digits=12,
        decimal_places=2,
    )
    approval_currency = forms.CharField(
        label=_("Currency of the threshold"), max_length=3, min_length=3,
        help_text=_("A remedy in another currency always needs a manager: the desk does not "
                    "convert currencies."),
    )

    def __init__(self, *args, targets: Sequence[SlaTarget], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.targets = targets
        for target in targets:
            for name, label in (("first_response_hours", _("First response within (hours)")),
                                ("resolution_hours", _("Resolution within (hours)"))):
                key = f"{name}_{target.priority}"
                self.fields[key] = forms.IntegerField(label=label, min_value=1,
                                                      max_value=24 * 365)
                self.initial.setdefault(key, getattr(target, name))

    def rows(self) -> list[tuple[SlaTarget, forms.BoundField, forms.BoundField]]:
        return [(target, self[f"first_response_hours_{target.priority}"],
                 self[f"resolution_hours_{target.priority}"]) for target in self.targets]

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {
            "approval_threshold": data["approval_threshold"],
            "approval_currency": data["approval_currency"],
            "sla_hours": {target.priority: (data[f"first_response_hours_{target.priority}"],
                                            data[f"resolution_hours_{target.priority}"])
                          for target in self.targets},
        }


# --- the case queue -----------------------------------------------------------------------

QUEUE_SORT_LABELS = {
    "priority": _("Priority, then due date"),
    "due": _("Due date, soonest first"),
    "newest": _("Newest first"),
    "oldest": _("Oldest first"),
}
# What a status may be set to in bulk: every status some manual move reaches.
BULK_STATUSES = [(value, label) for value, label in Case.Status.choices
                 if any(value in moves for moves in MANUAL_MOVES.values())]


class FlatSelect(forms.Select):
    """A select written out in one pass, for the queue's ten selects on every page view:
    Django renders each option through its own template, which cost the queue page about
    5 ms. No option groups."""

    def render(self, name, value, attrs=None, renderer=None) -> str:
        chosen = {str(item) for item in self.format_value(value)}
        options = format_html_join(
            "", '<option value="{}"{}>{}</option>',
            ((key, mark_safe(" selected") if str(key) in chosen else "", label)
             for key, label in self.choices),
        )
        return format_html('<select name="{}"{}>{}</select>', name,
                           flatatt(self.build_attrs(self.attrs, attrs)), options)


def flat_selects(form: forms.Form) -> None:
    for field in form.fields.values():
        if type(field.widget) is forms.Select:
            field.widget = FlatSelect(attrs=field.widget.attrs, choices=field.widget.choices)


def with_count(label: str, count: int, more: bool = False) -> str:
    """``Open (12)``; ``Closed (1,000+)`` when the count stopped at a cap."""
    if more:
        return _("%(label)s (%(count)s+)") % {"label": label, "count": intcomma(count)}
    return _("%(label)s (%(count)s)") % {"label": label, "count": intcomma(count)}


QUEUE_DAY_FILTERS = ("opened_from", "opened_to", "resolved_from", "resolved_to")


class QueueFilterForm(forms.Form):
    """The queue's filters, read from the query string. A value that is not allowed is
    dropped and that filter's default applies: links get bookmarked and shared, and an
    old or edited one must still open the queue, never an error page."""

    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    status = forms.ChoiceField(
        label=_("Status"), required=False,
        choices=[("", _("Open")), ("all", _("All")), *Case.Status.choices],
    )
    priority = forms.TypedChoiceField(
        label=_("Priority"), required=False, coerce=int, empty_value=None,
        choices=[("", _("Any")), *Priority.choices],
    )
    owner = forms.ChoiceField(label=_("Owner"), required=False)
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("Any")), *Case.Kind.choices]
    )
    origin = forms.ChoiceField(
        label=_("Origin"), required=False, choices=[("", _("Any")), *Case.Origin.choices]
    )
    team = forms.TypedChoiceField(label=_("Team"), required=False, coerce=int, empty_value=None)
    segment = forms.ChoiceField(label=_("Customer segment"), required=False)
    overdue = forms.TypedChoiceField(
        label=_("Overdue only"), required=False, coerce=lambda value: value == "1",
        empty_value=False, choices=[("", _("Any")), ("1", _("Overdue only"))],
    )
    outcome = forms.ChoiceField(
        label=_("Outcome"), required=False, choices=[("", _("Any")), *Case.Outcome.choices]
    )
    # The days a case was opened or resolved in (the dashboard's KPIs link here with them).
    opened_from = forms.DateField(label=_("Opened from"), required=False)
    opened_to = forms.DateField(label=_("Opened until"), required=False)
    resolved_from = forms.DateField(label=_("Resolved from"), required=False)
    resolved_to = forms.DateField(label=_("Resolved until"), required=False)
    sort = forms.ChoiceField(  # the default order is the empty value: it stays out of URLs
        label=_("Sort by"), required=False,
        choices=[("" if key == selectors.QueueFilters.sort else key, label)
                 for key, label in QUEUE_SORT_LABELS.items()],
    )

    def __init__(self, data, *, staff: Sequence, teams: Sequence, segments: Sequence[str]):
        super().__init__(data, auto_id="queue-%s")
        self.fields["owner"].choices = [
            ("", _("Anyone")), ("mine", _("Me")), ("unassigned", _("Unassigned")),
            *((str(user.pk), staff_name(user)) for user in staff),
        ]
        self.fields["team"].choices = [("", _("Any")), *((team.pk, team.name) for team in teams)]
        self.fields["segment"].choices = [("", _("Any")), *((name, name) for name in segments)]
        flat_selects(self)

    def filters(self) -> selectors.QueueFilters:
        if not self.is_valid():  # drop what is not allowed; the form then shows the defaults
            self.data = self.data.copy()
            for name in self.errors:
                self.data.pop(name, None)
            self.full_clean()
        data = self.cleaned_data
        return selectors.QueueFilters(
            status=data.get("status", ""), priority=data.get("priority"),
            kind=data.get("kind", ""), origin=data.get("origin", ""),
            owner=data.get("owner", ""), team=data.get("team"),
            segment=data.get("segment", ""), overdue=data.get("overdue", False),
            outcome=data.get("outcome", ""), search=data.get("q", ""),
            **{name: data.get(name) for name in QUEUE_DAY_FILTERS},
            sort=data.get("sort") or selectors.QueueFilters.sort,
        )

    def show_counts(self, counts: selectors.QueueCounts) -> None:
        """Put the number of cases each option would show next to it."""
        self.fields["status"].choices = [
            (option.value, with_count(option.label, option.count, option.more))
            for option in counts.statuses
        ]
        self.fields["priority"].choices = [
            (option.value, with_count(option.label, option.count, option.more))
            for option in counts.priorities
        ]
        owners = self.fields["owner"].choices
        self.fields["owner"].choices = [
            owners[0], ("mine", with_count(_("Me"), counts.mine)),
            ("unassigned", with_count(_("Unassigned"), counts.unassigned)), *owners[3:],
        ]

    def sort_label(self) -> str:
        sort = self.cleaned_data.get("sort") or selectors.QueueFilters.sort
        return QUEUE_SORT_LABELS[sort]

    def selects(self) -> list[forms.BoundField]:
        return [self[name] for name in ("status", "priority", "owner", "kind", "origin",
                                        "outcome", "team", "segment", "sort")]

    def chosen_days(self) -> list[tuple[str, str, str]]:
        """The opened and resolved days chosen, as (name, value, label: value), for the
        hidden inputs that keep them and the line that says so."""
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        return [(name, data[name].isoformat(),
                 f"{self.fields[name].label}: {date_format(data[name])}")
                for name in QUEUE_DAY_FILTERS if data.get(name)]


class QueueBulkForm(forms.Form):
    """One change for the cases ticked in the queue: give them to someone, or move them."""

    cases = forms.ModelMultipleChoiceField(
        queryset=Case.objects.order_by("pk"),
        error_messages={"required": _("Tick at least one case first.")},
    )
    action = forms.ChoiceField(choices=[("assign", _("Assign")), ("status", _("Change status"))])
    owner = forms.ChoiceField(label=_("Assign to"), required=False)
    status = forms.ChoiceField(
        label=_("Set status to"), required=False, choices=[("", "—"), *BULK_STATUSES]
    )
    next = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, staff: Sequence, **kwargs) -> None:
        super().__init__(*args, auto_id="bulk-%s", **kwargs)
        self.staff = {str(user.pk): user for user in staff}
        self.fields["owner"].choices = [
            ("", "—"), ("me", _("Me")), ("nobody", _("Nobody (unassigned)")),
            *((key, staff_name(user)) for key, user in self.staff.items()),
        ]
        flat_selects(self)

    def clean(self) -> dict:
        data = super().clean()
        if data.get("action") == "assign" and not data.get("owner"):
            self.add_error("owner", _("Choose who gets the cases."))
        if data.get("action") == "status" and not data.get("status"):
            self.add_error("status", _("Choose the status to set."))
        return data

    def new_owner(self, actor):
        """The user the cases go to: ``actor`` for "me", None for "nobody"."""
        owner = self.cleaned_data["owner"]
        return actor if owner == "me" else self.staff.get(owner)


# --- the Rules page -----------------------------------------------------------------------


class RuleParamField(forms.Field):
    """One parameter of a risk rule, checked by the rule's own ``Param.clean``, so the
    message next to the field is the one the service would give, naming the parameter."""

    def __init__(self, *, name: str, param: Param, **kwargs) -> None:
        super().__init__(
            label=param.label, help_text=param.help,
            widget=forms.NumberInput(attrs={"min": param.minimum, "max": param.maximum,
                                            "step": 1, "inputmode": "numeric"}),
            error_messages={"required": _("%(name)s needs a value.") % {"name": name}},
            **kwargs,
        )
        self.name, self.param = name, param

    def to_python(self, value: object) -> int | None:
        if value in self.empty_values:
            return None
        try:
            return self.param.clean(self.name, value)
        except ValueError as error:
            raise ValidationError(str(error), code="invalid") from None


class RuleForm(forms.Form):
    """What a manager sets on one risk rule; ``settings()`` is what ``update_rule`` takes."""

    enabled = forms.BooleanField(label=_("Enabled"), required=False)
    owner_team = forms.TypedChoiceField(
        label=_("Owner team"), coerce=int, empty_value=None, required=False,
        help_text=_("The team whose queue gets this rule's cases."),
    )
    outreach = forms.BooleanField(
        label=_("Proactive outreach"), required=False,
        help_text=_("Email the customer at once, in their language, when a case opens "
                    "(at most once per customer per day)."),
    )

    def __init__(self, *args, rule: Rule, row: RiskRule, teams: Sequence[Team],
                 **kwargs) -> None:
        kwargs.setdefault("auto_id", f"rule-{rule.key}-%s")
        super().__init__(*args, **kwargs)
        self.rule = rule
        self.teams = {team.pk: team for team in teams}
        self.fields["owner_team"].choices = [
            ("", _("No team: the general queue")), *((team.pk, team.name) for team in teams)]
        self.initial.update(enabled=row.enabled, owner_team=row.owner_team_id,
                            outreach=row.outreach)
        for name, param in rule.params.items():
            self.fields[f"param_{name}"] = RuleParamField(name=name, param=param)
            self.initial[f"param_{name}"] = row.params.get(name, param.default)
        flat_selects(self)

    def parameters(self) -> list[forms.BoundField]:
        return [self[f"param_{name}"] for name in self.rule.params]

    def settings(self) -> "services.RuleSettings":
        data = self.cleaned_data
        return services.RuleSettings(
            enabled=data["enabled"],
            params={name: data[f"param_{name}"] for name in self.rule.params},
            owner_team=self.teams.get(data["owner_team"]),
            outreach=data["outreach"],
        )


class RulePeriodForm(forms.Form):
    """The period of the proactivity figures, from the query string. A date that is not
    one, or a period that ends before it starts, is reported and the default period is
    shown: a bookmarked or edited link still opens the page."""

    since = forms.DateField(
        label=_("Cases opened from"), required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    until = forms.DateField(
        label=_("to"), required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, data, **kwargs) -> None:
        super().__init__(data, auto_id="period-%s", **kwargs)
        self.default = selectors.default_period()

    def clean(self) -> dict:
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", _("The period must end on or after the day it starts."))
        return data

    def period(self) -> tuple[dt.date, dt.date]:
        """The chosen days (both included); the default period for what is missing or
        wrong. The form shows the days used."""
        if not self.is_valid():
            return self.default
        since = self.cleaned_data.get("since") or self.default[0]
        until = self.cleaned_data.get("until") or self.default[1]
        return (since, until) if since <= until else self.default


OVERRIDE_LINE = re.compile(r"\s*([A-Za-z0-9_.]+)\s*=\s*(\S(?:.*\S)?)\s*")


class BacktestForm(forms.Form):
    """A replay of a past period: one rule or all of them, enabled or not, as of every step, with
    parameters to try instead of the saved ones. The field names are ``start_backtest``'s
    arguments, so its errors land next to their fields."""

    rule_key = forms.ChoiceField(label=_("Rule"), required=False)
    start = forms.DateTimeField(
        label=_("From"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    end = forms.DateTimeField(
        label=_("To"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    step = forms.IntegerField(
        label=_("Step (hours)"), min_value=1,
        help_text=_("The rules are evaluated as of every step through the period."),
    )
    params = forms.CharField(
        label=_("Parameter overrides"), required=False,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
        help_text=_("One KEY=VALUE a line, e.g. grace_hours=4, or RULE.KEY=VALUE for one "
                    "rule. The saved parameters apply to the rest."),
    )

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("auto_id", "backtest-%s")
        super().__init__(*args, **kwargs)
        self.fields["rule_key"].choices = [
            ("", _("Every rule")), *((key, rule.label) for key, rule in RULES.items())]
        if not self.is_bound:
            end = timezone.localtime().replace(minute=0, second=0, microsecond=0)
            self.initial.update(start=end - dt.timedelta(days=7), end=end, step=1)
        flat_selects(self)

    def clean_params(self) -> dict[str, str]:
        """``{"grace_hours": "4"}`` from the lines; the rule checks the values."""
        overrides: dict[str, str] = {}
        for number, line in enumerate(self.cleaned_data["params"].splitlines(), start=1):
            if not line.strip():
                continue
            match = OVERRIDE_LINE.fullmatch(line)
            if match is None:
                raise ValidationError(
                    _("Line %(number)s is not KEY=VALUE: “%(line)s”."),
                    params={"number": number, "line": line.strip()}, code="invalid")
            key, value = match.groups()
            if key in overrides:
                raise ValidationError(_("%(key)s is set twice."), params={"key": key},
                                      code="invalid")
            overrides[key] = value
        return overrides

    def arguments(self) -> dict:
        """``start_backtest``'s keyword arguments, but for who asks."""
        data = self.cleaned_data
        return {"rule_key": data["rule_key"], "params": data["params"], "start": data["start"],
                "end": data["end"], "step": dt.timedelta(hours=data["step"])}
