"""Intake API of the desk: orders and shipment events pushed by integrations."""


import json
from typing import Annotated, Any, Literal

from django.conf import settings
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, FilterLookup, FilterSchema, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import CursorPagination, paginate
from ninja.security import HttpBearer
from pydantic import AwareDatetime, TypeAdapter
from pydantic import ValidationError as PydanticValidationError

from cases import selectors, services
from cases.models import ApiKey, Case
from cases.schemas import (
    CaseDetailOut,
    CaseOut,
    ContactIn,
    ContactOut,
    OrderIn,
    OrderUpsertOut,
    ShipmentEventIn,
    ShipmentEventsOut,
)
from cases.selectors import listing, queue


class ErrorOut(Schema):
    detail: str


class ApiKeyAuth(HttpBearer):
    """``Authorization: Bearer <key>``: unknown or revoked keys get 401, missing scope 403."""

    def __init__(self, scope: str):
        super().__init__()
        self.scope = scope

    def authenticate(self, request: HttpRequest, token: str) -> ApiKey | None:
        api_key = selectors.api_key_for_token(token=token)
        if api_key is None:
            return None
        if self.scope not in api_key.scopes:
            raise HttpError(403, f"This API key lacks the scope {self.scope!r}.")
        services.touch_api_key(api_key=api_key)
        return api_key


class BatchInvalid(Exception):
    """A batch refused before any write; ``detail`` is ninja's 422 list."""

    def __init__(self, detail: list[dict[str, Any]]):
        super().__init__(detail)
        self.detail = detail


def batch_detail(errors: dict[tuple, list[str]], *, single: bool) -> list[dict[str, Any]]:
    return [
        {
            "loc": ["body", *(loc[1:] if single else loc)],
            "msg": message,
            "type": "value_error",
        }
        for loc, messages in errors.items()
        for message in messages
    ]


def parse_batch(request: HttpRequest, schema: type, limit: int) -> tuple[list, bool]:
    """Read one object or a list of objects, reporting each bad field with its index."""
    try:
        body = json.loads(request.body or b"null")
    except ValueError as error:
        raise BatchInvalid(
            [{"loc": ["body"], "msg": f"Invalid JSON: {error}", "type": "json_invalid"}]
        ) from None
    single = isinstance(body, dict)
    items = [body] if single else body
    if not isinstance(items, list) or not items:
        raise BatchInvalid([{
            "loc": ["body"],
            "msg": "Send one object or a non-empty list of objects.",
            "type": "value_error",
        }])
    if len(items) > limit:
        raise BatchInvalid([{
            "loc": ["body"],
            "msg": f"A batch holds at most {limit} objects; this one has {len(items)}.",
            "type": "too_long",
        }])
    try:
        return TypeAdapter(list[schema]).validate_python(items), single
    except PydanticValidationError as error:
        raise BatchInvalid([
            {
                "loc": ["body", *(item["loc"][1:] if single else item["loc"])],
                "msg": item["msg"],
                "type": item["type"],
            }
            for item in error.errors()
        ]) from None


REQUEST_SCHEMAS: dict[str, dict] = {}  # components for bodies parsed by parse_batch


def one_or_many(schema: type) -> dict:
    """OpenAPI for a body that is one object or a list of them."""
    definition = TypeAdapter(schema).json_schema(ref_template="#/components/schemas/{model}")
    REQUEST_SCHEMAS.update(definition.pop("$defs", {}))
    REQUEST_SCHEMAS[schema.__name__] = definition
    ref = {"$ref": f"#/components/schemas/{schema.__name__}"}
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "oneOf": [
                            ref,
                            {"type": "array", "items": ref, "minItems": 1,
                             "maxItems": settings.ORDER_BATCH_LIMIT},
                        ]
                    }
                }
            },
        }
    }


router = Router(tags=["intake"])


@router.post(
    "/orders",
    auth=ApiKeyAuth("orders:write"),
    response={200: OrderUpsertOut},
    openapi_extra=one_or_many(OrderIn),
    summary="Create or update orders and their customers by external_ref",
)
def post_orders(request: HttpRequest):
    """One order or a list of up to 1,000. A batch is all or nothing: on 422 nothing was
    written, and each error names the list index and field. Sending the same payload
    again changes nothing."""
    orders, single = parse_batch(request, OrderIn, settings.ORDER_BATCH_LIMIT)
    try:
        result = services.upsert_orders(orders=orders)
    except services.BatchError as error:
        raise BatchInvalid(batch_detail(error.errors, single=single)) from None
    return result.__dict__


@router.post(
    "/shipment-events",
    auth=ApiKeyAuth("orders:write"),
    response={200: ShipmentEventsOut},
    openapi_extra=one_or_many(ShipmentEventIn),
    summary="Record carrier events for orders, matched by order_ref or tracking_number",
)
def post_shipment_events(request: HttpRequest):
    """Events for orders not yet known are kept as unmatched and attach when the order
    arrives. Each event is stored once per order, code and time."""
    events, _single = parse_batch(request, ShipmentEventIn, settings.ORDER_BATCH_LIMIT)
    return services.record_shipment_events(events=events).__dict__


@router.post(
    "/contacts",
    auth=ApiKeyAuth("contacts:write"),
    response={200: ContactOut},
    summary="Log a customer contact: it joins, reopens or opens the customer's case",
)
def post_contact(request: HttpRequest, payload: ContactIn):
    """The contact attaches to the customer's open case for that order (or any open case of
    theirs), reopens a case resolved in the last 14 days, or opens a case with origin
    "customer contact". The case records when the customer first had to reach out."""
    customer = selectors.customer_by_ref(external_ref=payload.customer_ref)
    order = selectors.order_by_ref(external_ref=payload.order_ref) if payload.order_ref else None
    problems = []
    if customer is None:
        problems.append(("customer_ref", "No customer has this external_ref."))
    if payload.order_ref and (order is None or (customer and order.customer_id != customer.pk)):
        problems.append(("order_ref", "No order of this customer has this external_ref."))
    if problems:
        raise BatchInvalid([{"loc": ["body", "payload", field], "msg": message,
                             "type": "value_error"} for field, message in problems])
    before = set(customer.cases.filter(status__in=Case.OPEN_STATUSES).values_list("pk", flat=True))
    known = set(customer.cases.values_list("pk", flat=True))
    contact = services.log_contact(customer=customer, order=order, channel=payload.channel,
                                   occurred_at=payload.occurred_at, summary=payload.summary)
    case = contact.case
    return {"contact_id": contact.pk, "case_number": case.pk, "case_status": case.status,
            "case_opened": case.pk not in known,
            "case_reopened": case.pk in known and case.pk not in before}


class CaseFilters(FilterSchema):
    """The queue's filters. With none, every case, whatever its status."""

    status: Annotated[
        list[Literal[tuple(Case.Status.values)]] | None,  # type: ignore[valid-type]
        FilterLookup("status__in"),
    ] = None
    priority: Annotated[list[int] | None, FilterLookup("priority__in")] = None
    kind: Annotated[list[str] | None, FilterLookup("kind__in")] = None
    origin: Annotated[list[str] | None, FilterLookup("origin__in")] = None
    owner: str | None = Field(None, description="A username, or 'unassigned'.")
    team: Annotated[str | None, FilterLookup("team__name")] = None
    segment: Annotated[str | None, FilterLookup("customer__segment")] = None
    customer_ref: Annotated[str | None, FilterLookup("customer__external_ref")] = None
    overdue: bool | None = Field(None, description="Open cases past their resolution due date.")
    opened_after: Annotated[AwareDatetime | None, FilterLookup("opened_at__gte")] = None
    q: str | None = Field(None, description="Case number, customer name or email, order ref.")

    def filter_owner(self, value: str | None) -> Q:
        if not value:
            return Q()
        return Q(owner=None) if value == "unassigned" else Q(owner__username=value)

    def filter_overdue(self, value: bool | None) -> Q:
        if value is None:
            return Q()
        overdue = queue.overdue_cases(timezone.now())
        return overdue if value else ~overdue

    def filter_q(self, value: str | None) -> Q:
        return queue.case_search(value or "")


@router.get(
    "/cases",
    auth=ApiKeyAuth("cases:read"),
    response=list[CaseOut],
    summary="List cases, newest first, with the queue's filters and cursor pagination",
)
@paginate(CursorPagination, ordering=("-opened_at", "-id"), page_size=50, max_page_size=200)
def list_cases(request: HttpRequest, filters: Query[CaseFilters]):
    return filters.filter(listing.cases_for_api())


@router.get(
    "/cases/{number}",
    auth=ApiKeyAuth("cases:read"),
    response={200: CaseDetailOut, 404: ErrorOut},
    summary="One case with its impact, remedies and timeline (newest first)",
)
def get_case(request: HttpRequest, number: int):
    case = listing.case_for_api(number=number)
    if case is None:
        return Status(404, {"detail": f"No case has number {number}."})
    return case
