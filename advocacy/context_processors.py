from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from cases.auth import in_groups, is_manager
from cases.models import ADVOCATES, MANAGERS


def navigation(request: HttpRequest) -> dict:
    """The main navigation; sections not built yet are shown but not linked."""
    user = getattr(request, "user", None)
    if user is None or not in_groups(user, ADVOCATES, MANAGERS):
        return {"nav_items": [], "user_is_manager": False}
    path = request.path
    items = [
        ("cases", _("Cases"), reverse("cases:queue")),
        ("customers", _("Customers"), reverse("cases:customers")),
        ("rules", _("Rules"), reverse("cases:rules")),
        ("feedback", _("Feedback"), reverse("feedback:sources")),
        ("nps", _("NPS"), None),
        ("dashboard", _("Dashboard"), None),
    ]
    return {
        "nav_items": [
            {"key": key, "label": label, "url": url,
             "active": bool(url) and path.startswith(url)}
            for key, label, url in items
        ],
        "user_is_manager": is_manager(user),
    }
