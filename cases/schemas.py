"""The shapes of incoming orders and shipment events, shared by the API and CSV imports.

One schema checks a row whether it came as JSON or as a CSV line, so both report the
same field names and messages.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from ninja import Schema
from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from cases.models import Contact, Customer, ShipmentEvent

Ref = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)]
Language = Literal[tuple(Customer.Language.values)]  # type: ignore[valid-type]
EventCode = Literal[tuple(ShipmentEvent.Code.values)]  # type: ignore[valid-type]


class StrictIn(BaseModel):
    """Unknown fields are refused: a misspelt field must not vanish in silence.

    Plain pydantic rather than ninja's Schema: input never reads ORM objects, and ninja's
    per-object root validator was half the cost of a 1,000-order batch."""

    model_config = ConfigDict(extra="forbid")


class CustomerIn(StrictIn):
    external_ref: Ref
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    email: Annotated[str, StringConstraints(strip_whitespace=True, max_length=254)] = ""
    language: Language = "en"
    company: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = ""
    segment: Annotated[str, StringConstraints(strip_whitespace=True, max_length=60)] = ""

    @field_validator("email")
    @classmethod
    def valid_email(cls, value: str) -> str:
        if value:
            try:
                validate_email(value)
            except DjangoValidationError:
                raise PydanticCustomError("email", "is not a valid email address") from None
        return value.lower()


class OrderIn(StrictIn):
    external_ref: Ref
    customer: CustomerIn
    value: Annotated[Decimal, Field(ge=0, max_digits=12, decimal_places=2)]
    currency: str
    critical: bool = False
    ordered_at: AwareDatetime
    promised_delivery_at: AwareDatetime | None = None
    shipped_at: AwareDatetime | None = None
    delivered_at: AwareDatetime | None = None
    carrier: ShortText = ""
    tracking_number: ShortText = ""

    @field_validator("currency", mode="before")
    @classmethod
    def upper_currency(cls, value: object) -> str:
        code = value.strip().upper() if isinstance(value, str) else ""
        if not (len(code) == 3 and code.isascii() and code.isalpha()):
            raise PydanticCustomError(
                "currency", "must be a three-letter ISO 4217 code such as EUR, not '{value}'",
                {"value": value},
            )
        return code

    @field_validator("promised_delivery_at", "shipped_at", "delivered_at")
    @classmethod
    def not_before_the_order(cls, value: datetime | None, info: ValidationInfo):
        ordered_at = info.data.get("ordered_at")
        if value is not None and ordered_at is not None and value < ordered_at:
            raise PydanticCustomError("date_order", "must not be earlier than ordered_at")
        return value


class ShipmentEventIn(StrictIn):
    order_ref: Ref | None = None
    tracking_number: ShortText | None = None
    code: EventCode
    occurred_at: AwareDatetime
    location: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = ""
    description: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] = ""
    estimated_delivery_at: AwareDatetime | None = None

    @model_validator(mode="after")
    def names_an_order(self) -> ShipmentEventIn:
        if not self.order_ref and not self.tracking_number:
            raise PydanticCustomError("missing", "give order_ref or tracking_number")
        return self


class OrderUpsertOut(Schema):
    received: int
    created: int
    updated: int
    unchanged: int
    customers_created: int
    customers_updated: int
    events_attached: int


class ShipmentEventsOut(Schema):
    received: int
    created: int
    duplicates: int
    matched: int
    unmatched: int


class ContactIn(StrictIn):
    customer_ref: Ref
    order_ref: Ref | None = None
    channel: Literal[tuple(Contact.Channel.values)]  # type: ignore[valid-type]
    occurred_at: AwareDatetime
    summary: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                              max_length=5000)]


class ContactOut(Schema):
    contact_id: int
    case_number: int
    case_status: str
    case_opened: bool
    case_reopened: bool


class CaseOut(Schema):
    number: int
    title: str
    kind: str
    origin: str
    status: str
    priority: int
    priority_label: str
    customer_ref: str
    order_refs: list[str]
    owner: str | None
    team: str | None
    opened_at: datetime
    first_response_due_at: datetime | None
    due_at: datetime | None
    first_response_at: datetime | None
    first_customer_contact_at: datetime | None
    caught_before_complaint: bool | None
    lead_hours: float | None
    resolved_at: datetime | None
    outcome: str

    @staticmethod
    def resolve_number(case) -> int:
        return case.pk

    @staticmethod
    def resolve_priority_label(case) -> str:
        return str(case.get_priority_display())

    @staticmethod
    def resolve_customer_ref(case) -> str:
        return case.customer.external_ref

    @staticmethod
    def resolve_order_refs(case) -> list[str]:
        return [order.external_ref for order in case.orders.all()]

    @staticmethod
    def resolve_owner(case) -> str | None:
        return case.owner.get_username() if case.owner else None

    @staticmethod
    def resolve_team(case) -> str | None:
        return case.team.name if case.team else None


class ImpactOut(Schema):
    severity: int
    money_lost: Decimal
    currency: str
    disruption_days: Decimal
    what_it_stopped: str
    recorded_at: datetime


class RemedyOut(Schema):
    id: int
    kind: str
    summary: str
    cost: Decimal
    currency: str
    benefit: str
    rationale: str
    recommended: bool
    decision: str
    decision_reason: str
    proposed_at: datetime
    decided_at: datetime | None


class CaseEventOut(Schema):
    at: datetime
    kind: str
    actor_kind: str
    actor: str
    message: str
    data: dict

    @staticmethod
    def resolve_at(event) -> datetime:
        return event.created_at

    @staticmethod
    def resolve_actor(event) -> str:
        return event.actor_label


class CaseDetailOut(CaseOut):
    description: str
    resolution: str
    customer_reaction: str
    impact: ImpactOut | None
    remedies: list[RemedyOut]
    timeline: list[CaseEventOut]

    @staticmethod
    def resolve_impact(case):
        return getattr(case, "impact", None)

    @staticmethod
    def resolve_remedies(case):
        return list(case.remedies.all())

    @staticmethod
    def resolve_timeline(case):
        return list(case.events.all())
