"""Forms of the desk's pages: they check the shape of input; services check the rules."""

from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from cases import services

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
        choices=list(services.API_SCOPES.items()),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one scope.")},
    )
