"""Template filters of the desk."""

from datetime import datetime

from django import template
from django.conf import settings
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from cases import display
from cases.display import Moment

register = template.Library()


@register.filter
def person(user) -> str:
    """A staff member's name for the page; "—" when the user is gone (SET_NULL)."""
    if user is None:
        return "—"
    return display.staff_name(user)


@register.filter
def moment(value: datetime) -> Moment:
    """``<time>`` around ``value`` in the desk's zone and the reader's language, with the
    date, time and zone in its tooltip."""
    return display.moment(value)


@register.filter
def milliseconds(value: float | None) -> str:
    """A run's duration for a table: "850 ms", "3.2 s", "4 min 5 s"; "—" when unknown."""
    if value is None:
        return "—"
    if value < 1000:
        return _("%(ms)s ms") % {"ms": number_format(value, 0)}
    seconds = value / 1000
    if seconds < 60:
        return _("%(s)s s") % {"s": number_format(seconds, 1)}
    minutes, seconds = divmod(round(seconds), 60)
    return _("%(min)s min %(s)s s") % {"min": minutes, "s": seconds}


# Each language named in itself, so anyone can find theirs whatever the page's language.
LANGUAGE_NAMES = {"en": "English", "it": "Italiano", "nb": "Norsk bokmål", "ro": "Română"}


@register.simple_tag
def desk_languages() -> list[dict[str, str]]:
    """The languages the desk ships, for the language menu."""
    return [
        {"code": code, "name": LANGUAGE_NAMES.get(code, str(name))}
        for code, name in settings.LANGUAGES
    ]
