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
    advocates = reverse("nps:advocates")
    items = [  # key, label, link, and the paths under which it is the current section
        ("cases", _("Cases"), reverse("cases:queue"), None),
        ("customers", _("Customers"), reverse("cases:customers"), None),
        ("rules", _("Rules"), reverse("cases:rules"), None),
        ("feedback", _("Feedback"), reverse("feedback:sources"), "/feedback/"),
        ("nps", _("NPS"), reverse("nps:reports"), "/nps/"),
        ("advocates", _("Advocates"), advocates, None),
        ("dashboard", _("Dashboard"), None, None),
    ]
    current = [key for key, _label, url, prefix in items
               if url and path.startswith(prefix or url)]
    if "advocates" in current:  # under /nps/ too, but its own section
        current = ["advocates"]
    return {
        "nav_items": [
            {"key": key, "label": label, "url": url, "active": key in current[-1:]}
            for key, label, url, _prefix in items
        ],
        "user_is_manager": is_manager(user),
    }
