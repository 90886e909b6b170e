"""The case desk: cases, what the problem cost the customer, remedies and the timeline."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from cases.models.customers import Customer, Order
from cases.models.organisation import Team

CURRENCY = RegexValidator(r"^[A-Z]{3}$", _("Use a three-letter ISO 4217 code."))


class Priority(models.IntegerChoices):
    URGENT = 1, _("Urgent")
    HIGH = 2, _("High")
    NORMAL = 3, _("Normal")
    LOW = 4, _("Low")


# The statuses of a case still being worked on, as plain values for index conditions.
OPEN_STATUS_VALUES = ("new", "in_progress", "awaiting_decision", "awaiting_customer")


class Case(models.Model):
    class Kind(models.TextChoices):
        LATE_DELIVERY = "late_delivery", _("Late delivery")
        DAMAGED_OR_LOST = "damaged_or_lost", _("Damaged or lost shipment")
        WRONG_ITEM = "wrong_item", _("Wrong item")
        BILLING = "billing", _("Billing")
        PRODUCT_QUALITY = "product_quality", _("Product quality")
        SERVICE_FAILURE = "service_failure", _("Service failure")
        CHURN_RISK = "churn_risk", _("Churn risk")
        DETRACTOR = "detractor", _("Detractor")
        NEGATIVE_REVIEW = "negative_review", _("Negative review")
        OTHER = "other", _("Other")

    class Origin(models.TextChoices):
        PROACTIVE = "proactive", _("Proactive rule")
        CONTACT = "contact", _("Customer contact")
        NPS = "nps", _("NPS")
        FEEDBACK = "feedback", _("Feedback")
        MANUAL = "manual", _("Manual")

    class Status(models.TextChoices):
        NEW = "new", pgettext_lazy("case status", "New")
        IN_PROGRESS = "in_progress", _("In progress")
        AWAITING_DECISION = "awaiting_decision", _("Awaiting decision")
        AWAITING_CUSTOMER = "awaiting_customer", _("Awaiting customer")
        RESOLVED = "resolved", _("Resolved")
        CLOSED = "closed", _("Closed")

    class Outcome(models.TextChoices):
        RETAINED = "retained", _("Retained")
        AT_RISK = "at_risk", _("At risk")
        LOST = "lost", pgettext_lazy("case outcome: the customer", "Lost")

    OPEN_STATUSES = (
        Status.NEW, Status.IN_PROGRESS, Status.AWAITING_DECISION, Status.AWAITING_CUSTOMER,
    )
    assert tuple(OPEN_STATUSES) == OPEN_STATUS_VALUES

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="cases"
    )
    orders = models.ManyToManyField(
        Order, verbose_name=_("orders"), related_name="cases", blank=True
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("what happened"), blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind, default=Kind.OTHER)
    origin = models.CharField(_("origin"), max_length=10, choices=Origin)
    status = models.CharField(_("status"), max_length=20, choices=Status, default=Status.NEW)
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority, default=Priority.NORMAL
    )
    priority_override_reason = models.CharField(
        _("why the priority was set by hand"), max_length=300, blank=True,
        help_text=_("Empty while the desk computes the priority."),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.SET_NULL,
        null=True, blank=True, related_name="owned_cases",
    )
    team = models.ForeignKey(
        Team, verbose_name=_("team"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="cases",
    )
    opened_at = models.DateTimeField(_("opened"), default=timezone.now)
    first_response_due_at = models.DateTimeField(_("first response due"), null=True, blank=True)
    due_at = models.DateTimeField(_("resolution due"), null=True, blank=True)
    first_response_at = models.DateTimeField(
        _("first response"), null=True, blank=True,
        help_text=_("When the desk first reached out to the customer."),
    )
    opened_by_rule = models.CharField(
        _("opened by rule"), max_length=50, blank=True, db_index=True,
        help_text=_("The key of the risk rule that opened the case, if one did."),
    )
    first_proactive_contact_at = models.DateTimeField(
        _("first proactive contact"), null=True, blank=True,
        help_text=_("When the desk told the customer about the problem before they asked."),
    )
    first_customer_contact_at = models.DateTimeField(
        _("first customer contact"), null=True, blank=True,
        help_text=_("When the customer first had to reach out to us about this."),
    )
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome, blank=True)
    resolution = models.TextField(_("what was done"), blank=True)
    customer_reaction = models.TextField(_("the customer's reaction"), blank=True)
    version = models.PositiveIntegerField(
        default=1, editable=False,
        help_text="Raised by every change, so an edit based on an old copy is refused.",
    )

    class Meta:
        ordering = ["priority", "due_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(resolved_at__isnull=True) | ~models.Q(outcome=""),
                name="case_resolved_has_outcome",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "priority", "due_at"], name="case_queue_idx"),
            models.Index(fields=["customer", "-opened_at"], name="case_customer_idx"),
            models.Index(fields=["owner", "status"], name="case_owner_idx"),
            # The queue reads open cases in its two orders and counts them by status,
            # priority, owner and due date: both partial indexes answer without the table.
            models.Index(
                fields=["priority", "due_at", "id"], include=["status", "owner"],
                condition=models.Q(status__in=OPEN_STATUS_VALUES), name="case_open_queue_idx",
            ),
            models.Index(
                fields=["due_at", "priority", "id"],
                condition=models.Q(status__in=OPEN_STATUS_VALUES), name="case_open_due_idx",
            ),
            # Newest first: the API's order and the queue's "newest" sort.
            models.Index(fields=["-opened_at", "-id"], name="case_newest_idx"),
        ]
        verbose_name = _("case")
        verbose_name_plural = _("cases")

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("cases:case", args=[self.pk])

    @property
    def lead_hours(self) -> float | None:
        """Hours between opening the case and the customer's first contact: positive when
        the desk was ahead, negative when the customer had to ask first; None while the
        customer has not been in touch."""
        if self.first_customer_contact_at is None or self.opened_at is None:
            return None
        return round((self.first_customer_contact_at - self.opened_at).total_seconds() / 3600, 1)

    @property
    def caught_before_complaint(self) -> bool | None:
        """Opened before the customer's first contact; None without a contact."""
        if self.first_customer_contact_at is None:
            return None
        return self.opened_at < self.first_customer_contact_at

    @property
    def number(self) -> int:
        return self.pk

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES



class Impact(models.Model):
    """What the problem cost the customer, in their terms: the advocate's main argument."""

    class Severity(models.IntegerChoices):
        MINOR = 1, _("Minor: an annoyance")
        MODERATE = 2, _("Moderate: it cost them time or money")
        SEVERE = 3, _("Severe: it stopped part of their business")
        CRITICAL = 4, _("Critical: it stopped their business")

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="impact")
    money_lost = models.DecimalField(
        _("money lost"), max_digits=12, decimal_places=2, default=Decimal("0"),
        validators=[MinValueValidator(0)],
    )
    currency = models.CharField(_("currency"), max_length=3, validators=[CURRENCY])
    disruption_days = models.DecimalField(
        _("days of disruption"), max_digits=5, decimal_places=1, default=Decimal("0"),
        validators=[MinValueValidator(0)],
    )
    what_it_stopped = models.TextField(
        _("what it stopped them doing"), blank=True,
        help_text=_("In the customer's words: the service they could not give, the sale lost."),
    )
    severity = models.PositiveSmallIntegerField(_("severity"), choices=Severity)
    orders = models.ManyToManyField(
        Order, verbose_name=_("affected orders"), related_name="+", blank=True
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded"), default=timezone.now)

    class Meta:
        verbose_name = _("loss impact")
        verbose_name_plural = _("loss impacts")

    def __str__(self) -> str:
        return f"Impact on #{self.case_id}"


class Remedy(models.Model):
    class Kind(models.TextChoices):
        REFUND = "refund", _("Refund")
        CREDIT = "credit", _("Credit")
        REPLACEMENT = "replacement", _("Replacement")
        EXPEDITED_SHIPPING = "expedited_shipping", _("Expedited shipping")
        DISCOUNT = "discount", _("Discount")
        PERSONAL_CALL = "personal_call", _("Personal call")
        GOODWILL_GESTURE = "goodwill_gesture", _("Goodwill gesture")
        PROCESS_FIX = "process_fix", _("Process fix")

    class Decision(models.TextChoices):
        PENDING = "pending", _("Awaiting a manager")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        NOT_NEEDED = "not_needed", _("Within the advocate's authority")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="remedies")
    kind = models.CharField(_("remedy"), max_length=20, choices=Kind)
    summary = models.CharField(_("what we would do"), max_length=300)
    cost = models.DecimalField(
        _("cost to the company"), max_digits=12, decimal_places=2,
        validators=[MinValueValidator(0)],
    )
    currency = models.CharField(_("currency"), max_length=3, validators=[CURRENCY])
    benefit = models.TextField(_("benefit to the customer"))
    rationale = models.TextField(_("why this remedy"), blank=True)
    recommended = models.BooleanField(_("the advocate's recommendation"), default=False)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    proposed_at = models.DateTimeField(_("proposed"), default=timezone.now)
    decision = models.CharField(
        _("decision"), max_length=10, choices=Decision, default=Decision.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_reason = models.TextField(_("reason"), blank=True)

    class Meta:
        ordering = ["proposed_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(decision="rejected") | ~models.Q(decision_reason=""),
                name="remedy_rejection_has_reason",
            ),
        ]
        verbose_name = _("remedy")
        verbose_name_plural = _("remedies")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for #{self.case_id}"


class CaseEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise ValidationError(_("The case timeline is append-only."))

    def delete(self):
        raise ValidationError(_("The case timeline is append-only."))


class CaseEvent(models.Model):
    """One line of a case's timeline. Append-only: the model and the database refuse
    updates and deletes (a trigger, see migration ``add_case_desk``)."""

    class Kind(models.TextChoices):
        OPENED = "opened", _("Opened")
        ASSIGNED = "assigned", _("Assigned")
        STATUS = "status", _("Status changed")
        PRIORITY = "priority", _("Priority changed")
        IMPACT = "impact", _("Loss impact recorded")
        REMEDY_PROPOSED = "remedy_proposed", _("Remedy proposed")
        REMEDY_DECIDED = "remedy_decided", _("Remedy decided")
        NOTE = "note", _("Note")
        EMAIL = "email", _("Email to the customer")
        CONTACT = "contact", _("Customer contact")
        SIGNAL = "signal", _("Risk signal")
        RESOLVED = "resolved", _("Resolved")
        REOPENED = "reopened", _("Reopened")
        CHANGED = "changed", _("Details changed")

    class ActorKind(models.TextChoices):
        USER = "user", _("Staff")
        RULE = "rule", _("Risk rule")
        CUSTOMER = "customer", _("Customer")
        SYSTEM = "system", _("System")

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="events")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    kind = models.CharField(max_length=20, choices=Kind)
    actor_kind = models.CharField(max_length=10, choices=ActorKind, default=ActorKind.USER)
    # PROTECT: the timeline cannot be rewritten, so staff who acted on cases are deactivated
    # (is_active off), never deleted.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )
    actor_label = models.CharField(max_length=150, blank=True)
    message = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    objects = CaseEventQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["case", "-created_at"], name="case_event_timeline_idx")]
        verbose_name = _("case event")
        verbose_name_plural = _("case events")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on #{self.case_id}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise ValidationError(_("The case timeline is append-only."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("The case timeline is append-only."))


class SlaTarget(models.Model):
    """How fast the desk answers and resolves, per priority; managers edit these."""

    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority, unique=True)
    first_response_hours = models.PositiveIntegerField(_("first response within (hours)"))
    resolution_hours = models.PositiveIntegerField(_("resolution within (hours)"))

    class Meta:
        ordering = ["priority"]
        verbose_name = _("SLA target")
        verbose_name_plural = _("SLA targets")

    def __str__(self) -> str:
        return f"{self.get_priority_display()}: {self.first_response_hours} h / " \
               f"{self.resolution_hours} h"


class DeskSettings(models.Model):
    """The desk's settings managers edit (a single row)."""

    approval_threshold = models.DecimalField(
        _("remedies costing more than this need a manager"), max_digits=12, decimal_places=2,
        default=Decimal("100.00"), validators=[MinValueValidator(0)],
    )
    approval_currency = models.CharField(
        _("currency of the threshold"), max_length=3, default="EUR", validators=[CURRENCY],
        help_text=_("A remedy in another currency always needs a manager: the desk does not "
                    "convert currencies."),
    )

    class Meta:
        verbose_name = _("desk settings")
        verbose_name_plural = _("desk settings")

    def __str__(self) -> str:
        return str(_("Desk settings"))

    @classmethod
    def current(cls) -> DeskSettings:
        return cls.objects.get_or_create(pk=1)[0]


class Contact(models.Model):
    """A customer reaching out: the moment they had to ask, which advocacy tries to beat."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("Email")
        PHONE = "phone", _("Phone")
        CHAT = "chat", _("Chat")
        SOCIAL = "social", _("Social media")
        OTHER = "other", _("Other")

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="contacts"
    )
    order = models.ForeignKey(
        Order, verbose_name=_("order"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="contacts",
    )
    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="contacts",
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel)
    occurred_at = models.DateTimeField(_("when"))
    summary = models.TextField(_("summary"))
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-occurred_at", "-pk"]
        indexes = [models.Index(fields=["customer", "-occurred_at"], name="contact_customer_idx")]
        verbose_name = _("customer contact")
        verbose_name_plural = _("customer contacts")

    def __str__(self) -> str:
        return f"{self.get_channel_display()} from {self.customer_id}"


class OutboundEmail(models.Model):
    """An email to a customer from a case: pending work until a worker has sent it.

    Claimed before sending, so two workers never send it twice; one interrupted while
    sending is marked for a person to check rather than sent again blindly.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", pgettext_lazy("email status", "Sent")
        FAILED = "failed", _("Not sent")

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="emails")
    to = models.EmailField(_("to"))
    reply_to = models.EmailField(_("reply to"), blank=True)
    language = models.CharField(_("language"), max_length=5)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("message"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status, default=Status.PENDING, db_index=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    enqueued_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    message_id = models.CharField(max_length=255, unique=True)
    failure = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("email to a customer")
        verbose_name_plural = _("emails to customers")

    def __str__(self) -> str:
        return f"{self.subject} → {self.to}"
