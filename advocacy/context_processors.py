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
    items = [  # key, label, link, and the path its pages live under when not the link's
        ("cases", _("Cases"), reverse("cases:queue"), None),
        ("customers", _("Customers"), reverse("cases:customers"), None),
        ("rules", _("Rules"), reverse("cases:rules"), None),
        ("feedback", _("Feedback"), reverse("feedback:sources"), None),
        ("nps", _("NPS"), reverse("nps:reports"), "/nps/"),
        ("advocates", _("Advocates"), reverse("nps:advocates"), None),
        ("dashboard", _("Dashboard"), reverse("dashboard") if is_manager(user) else None, None),
    ]
    # The current section: the one whose path is the longest start of this page's path
    # (/nps/advocates/ is Advocates, not NPS).
    sections = {key: prefix or url for key, _label, url, prefix in items if url}
    matching = [key for key, start in sections.items() if path.startswith(start)]
    current = max(matching, key=lambda key: len(sections[key]), default=None)
    return {
        "nav_items": [
            {"key": key, "label": label, "url": url, "active": key == current}
            for key, label, url, _prefix in items
        ],
        "user_is_manager": is_manager(user),
    }
