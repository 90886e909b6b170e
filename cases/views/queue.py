"""The case queue (being built)."""

from django.http import HttpResponse

from cases.auth import staff_required


@staff_required
def queue_page(request):
    return HttpResponse("queue", status=501)


@staff_required
def queue_bulk_action(request):
    return HttpResponse("bulk", status=501)
