from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from cases.auth import is_manager


class DeskAdminSite(admin.AdminSite):
    """Managers keep departments and teams here without needing Django's staff flag."""

    site_header = _("Advocacy Desk administration")
    site_title = _("Advocacy Desk")

    def has_permission(self, request: HttpRequest) -> bool:
        return super().has_permission(request) or is_manager(request.user)

