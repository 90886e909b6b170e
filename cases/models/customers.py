"""Customers, their orders and what carriers report about them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models.functions import Upper
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Customer(models.Model):
    class Language(models.TextChoices):
        EN = "en", _("English")
        IT = "it", _("Italian")
        NB = "nb", _("Norwegian Bokmål")
        RO = "ro", _("Romanian")

    class ValueTier(models.TextChoices):
        STANDARD = "standard", _("Standard")
        HIGH = "high", _("High value")
        KEY = "key", _("Key account")

    external_ref = models.CharField(_("external reference"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("email"), blank=True)
    company = models.CharField(_("company"), max_length=200, blank=True)
    segment = models.CharField(_("segment"), max_length=60, blank=True, db_index=True)
    language = models.CharField(
        _("language"), max_length=5, choices=Language, default=Language.EN
    )
    value_tier = models.CharField(
        _("value tier"), max_length=10, choices=ValueTier, default=ValueTier.STANDARD
    )
    email_consent = models.BooleanField(
        _("email consent"),
        default=False,
        help_text=_("The customer agreed to receive surveys and service emails."),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["name", "pk"]
        indexes = [
            models.Index(fields=["name", "id"], name="customer_name_idx"),
            models.Index(Upper("email"), name="customer_email_upper_idx"),
        ]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")

    def __str__(self) -> str:
        return f"{self.name} ({self.external_ref})"

    def get_absolute_url(self) -> str:
        return reverse("cases:customer", args=[self.external_ref])


class Order(models.Model):
    class Status(models.TextChoices):
        PLACED = "placed", _("Placed")
        SHIPPED = "shipped", _("Shipped")
        IN_TRANSIT = "in_transit", _("In transit")
        OUT_FOR_DELIVERY = "out_for_delivery", _("Out for delivery")
        DELIVERED = "delivered", _("Delivered")
        PROBLEM = "problem", _("Carrier problem")
        RETURNED = "returned", _("Returned to sender")

    external_ref = models.CharField(_("external reference"), max_length=64, unique=True)
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="orders"
    )
    value = models.DecimalField(
        _("value"), max_digits=12, decimal_places=2, validators=[MinValueValidator(0)]
    )
    currency = models.CharField(
        _("currency"),
        max_length=3,
        validators=[RegexValidator(r"^[A-Z]{3}$", _("Use a three-letter ISO 4217 code."))],
    )
    critical = models.BooleanField(
        _("critical"), default=False, help_text=_("The customer depends on this order.")
    )
    ordered_at = models.DateTimeField(_("ordered"))
    promised_delivery_at = models.DateTimeField(_("promised delivery"), null=True, blank=True)
    expected_delivery_at = models.DateTimeField(
        _("expected delivery"),
        null=True,
        blank=True,
        help_text=_("The carrier's latest estimate, else the promised delivery."),
    )
    shipped_at = models.DateTimeField(_("shipped"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    last_scan_at = models.DateTimeField(
        _("last carrier scan"), null=True, blank=True,
        help_text=_("When the carrier last reported on the parcel (kept from its events)."),
    )
    carrier = models.CharField(_("carrier"), max_length=100, blank=True)
    tracking_number = models.CharField(_("tracking number"), max_length=100, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status, default=Status.PLACED, db_index=True
    )
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        ordering = ["-ordered_at", "-pk"]
        indexes = [
            models.Index(fields=["customer", "-ordered_at"], name="order_customer_idx"),
            models.Index(fields=["tracking_number"], name="order_tracking_idx"),
            models.Index(
                fields=["promised_delivery_at"],
                name="order_undelivered_idx",
                condition=models.Q(delivered_at__isnull=True),
            ),
            # Risk rules as of a past moment: orders delivered after it still count as open.
            models.Index(
                fields=["delivered_at"],
                name="order_delivered_idx",
                condition=models.Q(delivered_at__isnull=False),
            ),
            # Repeated trouble: the orders placed in a window, and the late deliveries in it
            # (13 % of deliveries instead of all of them).
            models.Index(fields=["ordered_at"], name="order_placed_idx"),
            # Replays: the orders whose promise (plus grace) runs out, or that shipped or
            # went silent, within one step.
            models.Index(fields=["promised_delivery_at"], name="order_promised_idx"),
            models.Index(fields=["shipped_at"], name="order_shipped_idx"),
            models.Index(
                fields=["delivered_at"],
                name="order_delivered_late_idx",
                condition=models.Q(delivered_at__gt=models.F("promised_delivery_at")),
            ),
            # Live risk runs: the orders changed since the last run (a watermark scan).
            models.Index(fields=["updated_at"], name="order_updated_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(value__gte=0), name="order_value_not_negative"
            ),
        ]
        verbose_name = _("order")
        verbose_name_plural = _("orders")

    def __str__(self) -> str:
        return self.external_ref

    def delivery_state(self, now: dt.datetime | None = None) -> DeliveryState:
        return DeliveryState.of(self, now or timezone.now())


PROBLEM_EVENT_CODES = frozenset(
    {"delayed", "exception", "failed_attempt", "damaged", "lost", "returned_to_sender"}
)


@dataclass(frozen=True)
class DeliveryState:
    """Where an order stands against the delivery the customer was promised."""

    code: str  # on_time, at_risk, late, delivered_on_time, delivered_late, no_promise
    days_late: int = 0

    @classmethod
    def of(cls, order: Order, now: dt.datetime) -> DeliveryState:
        promised = order.promised_delivery_at
        day = timezone.localdate  # lateness counts calendar days where the desk works
        if order.delivered_at:
            if promised and day(order.delivered_at) > day(promised):
                return cls("delivered_late", (day(order.delivered_at) - day(promised)).days)
            return cls("delivered_on_time")
        if promised is None:
            return cls("no_promise")
        if now > promised:
            return cls("late", max(1, (day(now) - day(promised)).days))
        expected = order.expected_delivery_at or promised
        close_and_unshipped = order.shipped_at is None and promised - now < dt.timedelta(days=1)
        if (
            day(expected) > day(promised)
            or order.status in (Order.Status.PROBLEM, Order.Status.RETURNED)
            or close_and_unshipped
        ):
            return cls("at_risk")
        return cls("on_time")

    @property
    def is_problem(self) -> bool:
        return self.code in ("at_risk", "late", "delivered_late")


class ShipmentEvent(models.Model):
    class Code(models.TextChoices):
        INFO_RECEIVED = "info_received", _("Information received")
        IN_TRANSIT = "in_transit", _("In transit")
        OUT_FOR_DELIVERY = "out_for_delivery", _("Out for delivery")
        DELIVERED = "delivered", _("Delivered")
        DELAYED = "delayed", _("Delayed")
        EXCEPTION = "exception", _("Exception")
        FAILED_ATTEMPT = "failed_attempt", _("Failed delivery attempt")
        DAMAGED = "damaged", _("Damaged")
        LOST = "lost", pgettext_lazy("shipment event: the parcel", "Lost")
        RETURNED_TO_SENDER = "returned_to_sender", _("Returned to sender")

    order = models.ForeignKey(
        Order,
        verbose_name=_("order"),
        on_delete=models.CASCADE,
        related_name="shipment_events",
        null=True,
        blank=True,
        help_text=_("Empty while the order is unknown; the event attaches when it arrives."),
    )
    order_ref = models.CharField(_("order reference"), max_length=64, blank=True)
    tracking_number = models.CharField(_("tracking number"), max_length=100, blank=True)
    code = models.CharField(_("code"), max_length=20, choices=Code)
    occurred_at = models.DateTimeField(_("occurred"))
    location = models.CharField(_("location"), max_length=200, blank=True)
    description = models.CharField(_("description"), max_length=500, blank=True)
    estimated_delivery_at = models.DateTimeField(
        _("estimated delivery"), null=True, blank=True
    )
    received_at = models.DateTimeField(_("received"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["-occurred_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["order", "code", "occurred_at"],
                name="shipment_event_unique",
                condition=models.Q(order__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["order_ref", "tracking_number", "code", "occurred_at"],
                name="shipment_event_unmatched_unique",
                condition=models.Q(order__isnull=True),
            ),
            models.CheckConstraint(
                condition=~models.Q(order_ref="", tracking_number=""),
                name="shipment_event_has_reference",
            ),
        ]
        indexes = [
            models.Index(
                fields=["order_ref"],
                name="shipment_unmatched_ref_idx",
                condition=models.Q(order__isnull=True),
            ),
            models.Index(
                fields=["tracking_number"],
                name="shipment_unmatched_track_idx",
                condition=models.Q(order__isnull=True),
            ),
            # The risk rules: an order's newest scan and estimate, and the carrier's
            # exceptions (a small share of all events).
            models.Index(fields=["order", "-occurred_at"], name="shipment_order_recent_idx"),
            models.Index(
                fields=["order", "occurred_at"],
                name="shipment_exception_idx",
                condition=models.Q(code__in=[
                    "exception", "failed_attempt", "damaged", "lost", "returned_to_sender",
                ]),
            ),
        ]
        verbose_name = _("shipment event")
        verbose_name_plural = _("shipment events")

    def __str__(self) -> str:
        return f"{self.get_code_display()} {self.order_ref or self.tracking_number}"
