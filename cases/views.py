from django.http import HttpResponse

from cases.auth import manager_required, staff_required


@staff_required
def customer_list_page(request):
    return HttpResponse("customers")


@staff_required
def customer_page(request, external_ref):
    return HttpResponse("customer")


@staff_required
def order_import_new_page(request):
    return HttpResponse("import")


@staff_required
def order_import_page(request, pk):
    return HttpResponse("import")


@manager_required
def api_keys_page(request):
    return HttpResponse("keys")


@manager_required
def api_key_revoke(request, pk):
    return HttpResponse("revoke")
