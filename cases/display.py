"""Dates, relative times and choice labels written out for pages that show many rows (the
queue, the case timeline).

Django's ``date_format`` re-reads its format string and resolves the month names'
translations on every call, and ``get_FOO_display`` rebuilds a dict of lazy labels each
time: a few dozen microseconds each, which a page of fifty rows pays hundreds of times.
Here a named format is compiled once per language into a list of pieces, and a choice's
labels are resolved once per language; the output is exactly Django's (tested against
``date_format`` in every language we ship).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from django.db.models import Choices
from django.utils import dateformat, timezone
from django.utils.dates import MONTHS, MONTHS_3, MONTHS_ALT, MONTHS_AP, WEEKDAYS, WEEKDAYS_ABBR
from django.utils.formats import get_format
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

Piece = Callable[[dt.datetime], str]


def _month_names(names: dict) -> list[str]:
    return ["", *(str(names[month]) for month in range(1, 13))]


def _compile(format_string: str) -> tuple[Piece, ...]:
    """The format's pieces as functions of a datetime, in the active language: the same
    split and the same meaning as ``django.utils.dateformat.Formatter.format``; a
    specifier not written out here asks Django for that one piece."""
    months, months_3 = _month_names(MONTHS), _month_names(MONTHS_3)
    months_ap, months_alt = _month_names(MONTHS_AP), _month_names(MONTHS_ALT)
    weekdays = [str(WEEKDAYS[day]) for day in range(7)]
    weekdays_abbr = [str(WEEKDAYS_ABBR[day]) for day in range(7)]
    fast: dict[str, Piece] = {
        "d": lambda moment: f"{moment.day:02d}",
        "j": lambda moment: str(moment.day),
        "m": lambda moment: f"{moment.month:02d}",
        "n": lambda moment: str(moment.month),
        "Y": lambda moment: f"{moment.year:04d}",
        "y": lambda moment: f"{moment.year % 100:02d}",
        "H": lambda moment: f"{moment.hour:02d}",
        "G": lambda moment: str(moment.hour),
        "i": lambda moment: f"{moment.minute:02d}",
        "s": lambda moment: f"{moment.second:02d}",
        "b": lambda moment: months_3[moment.month],
        "M": lambda moment: months_3[moment.month].title(),
        "F": lambda moment: months[moment.month],
        "N": lambda moment: months_ap[moment.month],
        "E": lambda moment: months_alt[moment.month],
        "D": lambda moment: weekdays_abbr[moment.weekday()],
        "l": lambda moment: weekdays[moment.weekday()],
        "T": _zone_name,
        "c": lambda moment: moment.isoformat(),
    }
    pieces: list[Piece] = []
    for index, piece in enumerate(dateformat.re_formatchars.split(format_string)):
        if index % 2:
            pieces.append(fast.get(piece) or _django_piece(piece))
        elif piece:
            text = dateformat.re_escaped.sub(r"\1", piece)
            pieces.append(lambda _moment, text=text: text)
    return tuple(pieces)


def _zone_name(moment: dt.datetime) -> str:
    """Django's "T": the zone's abbreviation, "" for a time a DST change makes ambiguous
    or skips."""
    zone = moment.tzinfo
    if zone is None:
        return dateformat.format(moment, "T")
    if zone.utcoffset(moment.replace(fold=not moment.fold)) != zone.utcoffset(moment):
        return ""
    return str(zone.tzname(moment))


def _django_piece(specifier: str) -> Piece:
    return lambda moment: dateformat.format(moment, specifier)


@lru_cache(maxsize=256)
def _compiled(format_string: str, language: str | None) -> tuple[Piece, ...]:
    return _compile(format_string)


def local_format(value: dt.datetime, format_name: str = "DATETIME_FORMAT") -> str:
    """``date_format(localtime(value), format_name)``: a named format ("DATE_FORMAT") in
    the active language, or a format string, for an aware datetime in the desk's zone."""
    language = get_language()
    format_string = get_format(format_name or "DATE_FORMAT", language)  # as date_format
    moment = timezone.localtime(value) if timezone.is_aware(value) else value
    return "".join(piece(moment) for piece in _compiled(str(format_string), language))


def relative_time(moment: dt.datetime, now: dt.datetime) -> str:
    """"3 hours ago", "in 2 days": the largest whole unit, one translated phrase (the
    humanize filter's two-unit phrases cost a dozen translation lookups each, and a queue
    page shows fifty of them)."""
    seconds = (moment - now).total_seconds()
    minutes = int(abs(seconds) // 60)
    if minutes < 1:
        return _("now")
    hours, days = minutes // 60, minutes // (60 * 24)
    if seconds > 0:
        if days:
            return ngettext("in %(count)d day", "in %(count)d days", days) % {"count": days}
        if hours:
            return ngettext("in %(count)d hour", "in %(count)d hours", hours) % {
                "count": hours}
        return ngettext("in %(count)d minute", "in %(count)d minutes", minutes) % {
            "count": minutes}
    if days:
        return ngettext("%(count)d day ago", "%(count)d days ago", days) % {"count": days}
    if hours:
        return ngettext("%(count)d hour ago", "%(count)d hours ago", hours) % {"count": hours}
    return ngettext("%(count)d minute ago", "%(count)d minutes ago", minutes) % {
        "count": minutes}


@dataclass(frozen=True, slots=True)
class Moment:
    """A point in time as a page shows it: ``<time datetime="{iso}" title="{title}">``
    around ``text`` (relative, "3 hours ago", or a date)."""

    iso: str
    title: str
    text: str

    def __html__(self) -> SafeString:
        return format_html('<time datetime="{}" title="{}">{}</time>',
                           self.iso, self.title, self.text)

    def __str__(self) -> str:
        return self.__html__()


def moment(value: dt.datetime, *, now: dt.datetime | None = None,
           text_format: str = "DATETIME_FORMAT") -> Moment:
    """``value`` with its full date and time zone in the tooltip ("12. nov. 2026, 14:03
    CET"): written relative to ``now`` when given ("in 2 days"), else in ``text_format``."""
    local = timezone.localtime(value)
    full = local_format(local, "DATETIME_FORMAT")
    zone = _zone_name(local)
    return Moment(
        iso=local.isoformat(),
        title=f"{full} {zone}" if zone else full,
        text=(relative_time(value, now) if now is not None
              else full if text_format == "DATETIME_FORMAT"
              else local_format(local, text_format)),
    )


def staff_name(user) -> str:
    """A staff member as pages, emails and the timeline name them."""
    return user.get_full_name() or user.get_username()


@lru_cache(maxsize=256)
def _labels(choices: type[Choices], language: str | None) -> dict:
    return {value: str(label) for value, label in choices.choices}


def choice_label(choices: type[Choices], value: object) -> str:
    """The label of ``value`` among ``choices`` in the active language (``value`` itself
    when it is not one of them: data written by an older version)."""
    label = _labels(choices, get_language()).get(value)
    return str(value) if label is None else label
