"""cases.display writes dates and labels exactly as Django's own helpers do, only faster."""

import datetime as dt
import zoneinfo

import pytest
from django.utils import timezone, translation
from django.utils.formats import date_format

from cases.display import choice_label, local_format, moment
from cases.models import Case, CaseEvent, Priority

LANGUAGES = ["en", "it", "nb", "ro"]
NAMED = ["DATE_FORMAT", "DATETIME_FORMAT", "SHORT_DATE_FORMAT", "SHORT_DATETIME_FORMAT",
         "TIME_FORMAT", "MONTH_DAY_FORMAT", "YEAR_MONTH_FORMAT"]
# Every specifier written out in cases.display, escapes, and a few left to Django (a, P, U).
STRINGS = ["j M Y, H:i T", "d/m/y G:i:s", r"D, l \t\h\e jS F N E n b", "c", "a P U", ""]


def moments(zone: str) -> list[dt.datetime]:
    """Every month, both sides of noon and midnight, and the hours around the zone's
    daylight-saving changes of 2026 (an ambiguous and a skipped hour)."""
    tz = zoneinfo.ZoneInfo(zone)
    values = [dt.datetime(2026, month, day, hour, minute, tzinfo=tz)
              for month in range(1, 13) for day, hour, minute in ((1, 0, 0), (28, 12, 5),
                                                                 (15, 23, 59))]
    values += [dt.datetime(2026, 10, 25, 2, 30, fold=fold, tzinfo=tz) for fold in (0, 1)]
    values += [dt.datetime(2026, 3, 29, 2, 30, tzinfo=tz), dt.datetime(9, 1, 2, tzinfo=tz)]
    return values


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("zone", ["UTC", "Europe/Rome", "America/New_York"])
def test_local_format_writes_what_date_format_writes(language, zone):
    with translation.override(language), timezone.override(zone):
        for value in moments(zone):
            local = timezone.localtime(value)
            for name in NAMED + STRINGS:
                assert local_format(value, name) == date_format(local, name), (name, value)


def test_local_format_follows_the_active_language():
    value = dt.datetime(2026, 5, 3, 9, 7, tzinfo=dt.UTC)
    with timezone.override("UTC"):
        with translation.override("en"):
            assert local_format(value, "DATE_FORMAT") == "3 May 2026"
        with translation.override("it"):
            assert local_format(value, "DATE_FORMAT") == "3 mag 2026"
        with translation.override("nb"):
            assert local_format(value, "DATE_FORMAT") == "3. mai 2026"


def test_a_moment_is_a_time_element_with_the_full_date_and_zone():
    value = dt.datetime(2026, 11, 20, 13, 30, tzinfo=dt.UTC)
    with translation.override("en"), timezone.override("Europe/Rome"):
        shown = moment(value, now=value + dt.timedelta(hours=3))
        assert shown.iso == "2026-11-20T14:30:00+01:00"
        assert shown.title == "20 Nov 2026, 14:30 CET"
        assert shown.text == "3 hours ago"
        assert str(shown) == ('<time datetime="2026-11-20T14:30:00+01:00" '
                              'title="20 Nov 2026, 14:30 CET">3 hours ago</time>')
        assert moment(value, text_format="DATE_FORMAT").text == "20 Nov 2026"


@pytest.mark.parametrize("language", LANGUAGES)
def test_choice_labels_are_django_labels_in_the_active_language(language):
    with translation.override(language):
        for choices in (Case.Kind, Case.Status, CaseEvent.Kind, Priority):
            for value, label in choices.choices:
                assert choice_label(choices, value) == str(label)
    with translation.override("it"):
        assert choice_label(Case.Status, "resolved") == "Risolto"


def test_a_value_no_longer_among_the_choices_shows_as_itself():
    assert choice_label(Case.Kind, "teleported") == "teleported"
