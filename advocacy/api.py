"""The JSON API at /api/v1/: each app's router, and one error shape for all of them."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI

from cases.api import REQUEST_SCHEMAS, BatchInvalid
from cases.api import router as cases_router
from feedback.api import router as feedback_router
from nps.api import router as nps_router


class DeskApi(NinjaAPI):
    def get_openapi_schema(self, *args, **kwargs) -> dict:
        """Add the request bodies that routers validate themselves (one object or a list)."""
        schema = super().get_openapi_schema(*args, **kwargs)
        schema["components"].setdefault("schemas", {}).update(REQUEST_SCHEMAS)
        return schema


api = DeskApi(
    title="Advocacy Desk API",
    version="1",
    description=(
        "Push orders, shipment events, contacts and feedback; read cases and NPS figures. "
        "Authenticate with `Authorization: Bearer <key>`; managers create keys under "
        "Settings → API keys or with `manage.py create_api_key`."
    ),
    urls_namespace="api",
    docs_url="/docs",
)
api.add_router("/", cases_router)
api.add_router("/", feedback_router)
api.add_router("/", nps_router)


@api.exception_handler(BatchInvalid)
def batch_invalid(request: HttpRequest, exc: BatchInvalid) -> HttpResponse:
    return api.create_response(request, {"detail": exc.detail}, status=422)


@api.exception_handler(DjangoValidationError)
def broken_rule(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    detail = [
        {"loc": ["body", field], "msg": message, "type": "value_error"}
        for field, messages in exc.message_dict.items()
        for message in messages
    ]
    return api.create_response(request, {"detail": detail}, status=422)
