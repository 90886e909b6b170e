"""The staff organisation for managers: departments, teams and their members."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from cases.auth import manager_required


@manager_required
def organisation_page(request: HttpRequest) -> HttpResponse:
    return render(request, "cases/organisation.html", {})
