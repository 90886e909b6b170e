"""Customer pages, order imports and API keys."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from cases import selectors, services
from cases.auth import manager_required, staff_required
from cases.forms import ApiKeyForm, OrderImportForm
from cases.models import Customer, OrderImport
from cases.panels import customer_panels
from cases.views.partials import wants_fragment

CUSTOMERS_PER_PAGE = 25
ORDERS_PER_PAGE = 20
RECENT_IMPORTS = 10


@require_GET
@vary_on_headers("HX-Request")
@staff_required
def customer_list_page(request: HttpRequest) -> HttpResponse:
    search = request.GET.get("q", "").strip()
    customers = selectors.customer_list(search=search)
    page = Paginator(customers, CUSTOMERS_PER_PAGE).get_page(request.GET.get("page"))
    template = "cases/customer_list.html" + ("#customer-table" if wants_fragment(request) else "")
    return render(request, template, {"page": page, "search": search})


@require_GET
@vary_on_headers("HX-Request")
@staff_required
def customer_page(request: HttpRequest, external_ref: str) -> HttpResponse:
    try:
        customer = selectors.customer_detail(external_ref=external_ref)
    except Customer.DoesNotExist:
        raise Http404(_("No customer has this reference.")) from None
    orders = selectors.customer_orders(customer=customer)
    page = Paginator(orders, ORDERS_PER_PAGE).get_page(request.GET.get("page"))
    context = {"customer": customer, "page": page,
               "rows": selectors.order_rows(orders=page.object_list)}
    if wants_fragment(request):
        return render(request, "cases/customer_detail.html#order-table", context)
    context["revenue"] = selectors.customer_revenue(customer=customer)
    context["panels"] = customer_panels(customer=customer)
    return render(request, "cases/customer_detail.html", context)


@require_http_methods(["GET", "POST"])
@staff_required
def order_import_new_page(request: HttpRequest) -> HttpResponse:
    posted = request.method == "POST"
    form = OrderImportForm(request.POST if posted else None, request.FILES if posted else None)
    if posted and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            order_import = services.start_order_import(
                filename=upload.name, raw=upload.read(), actor=request.user
            )
            return redirect(order_import)
        except ValidationError as error:
            form.add_error(None, error)
    return render(request, "cases/order_import_new.html", {
        "form": form,
        "imports": selectors.order_imports()[:RECENT_IMPORTS],
    })


@require_GET
@vary_on_headers("HX-Request")
@staff_required
def order_import_page(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        report = selectors.order_import_report(pk=pk)
    except OrderImport.DoesNotExist:
        raise Http404(_("No import has this number.")) from None
    template = "cases/order_import.html" + ("#import-progress" if wants_fragment(request) else "")
    return render(request, template, {"report": report, "order_import": report.order_import})


@require_http_methods(["GET", "POST"])
@never_cache
@manager_required
def api_keys_page(request: HttpRequest) -> HttpResponse:
    form = ApiKeyForm(request.POST if request.method == "POST" else None)
    created = raw_key = None
    if form.is_valid():
        try:
            created, raw_key = services.create_api_key(actor=request.user, **form.cleaned_data)
            form = ApiKeyForm()
        except ValidationError as error:
            form.add_error(None, error)
    return render(request, "cases/api_keys.html", {
        "form": form,
        "api_keys": selectors.api_keys(),
        "created": created,
        "raw_key": raw_key,  # shown in this response only: it is stored hashed
    })


@manager_required
@require_POST
def api_key_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    api_key = get_object_or_404(selectors.api_keys(), pk=pk)
    services.revoke_api_key(api_key=api_key)
    messages.success(request, _("The key “%(name)s” is revoked.") % {"name": api_key.name})
    return redirect("cases:api-keys")
