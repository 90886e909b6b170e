"""One case: its page, its actions, the decision brief (being built)."""

from django.http import HttpResponse

from cases.auth import staff_required


@staff_required
def case_new_page(request, *args, **kwargs):
    return HttpResponse("case_new_page", status=501)


@staff_required
def case_page(request, *args, **kwargs):
    return HttpResponse("case_page", status=501)


@staff_required
def decision_brief_page(request, *args, **kwargs):
    return HttpResponse("decision_brief_page", status=501)


@staff_required
def case_assign(request, *args, **kwargs):
    return HttpResponse("case_assign", status=501)


@staff_required
def case_status(request, *args, **kwargs):
    return HttpResponse("case_status", status=501)


@staff_required
def case_priority(request, *args, **kwargs):
    return HttpResponse("case_priority", status=501)


@staff_required
def case_note(request, *args, **kwargs):
    return HttpResponse("case_note", status=501)


@staff_required
def case_impact(request, *args, **kwargs):
    return HttpResponse("case_impact", status=501)


@staff_required
def case_remedy_propose(request, *args, **kwargs):
    return HttpResponse("case_remedy_propose", status=501)


@staff_required
def case_remedy_decide(request, *args, **kwargs):
    return HttpResponse("case_remedy_decide", status=501)


@staff_required
def case_email(request, *args, **kwargs):
    return HttpResponse("case_email", status=501)


@staff_required
def case_resolve(request, *args, **kwargs):
    return HttpResponse("case_resolve", status=501)


@staff_required
def case_reopen(request, *args, **kwargs):
    return HttpResponse("case_reopen", status=501)


@staff_required
def contact_new_page(request, *args, **kwargs):
    return HttpResponse("contact_new_page", status=501)


@staff_required
def desk_settings_page(request, *args, **kwargs):
    return HttpResponse("desk_settings_page", status=501)
