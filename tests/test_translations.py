"""The desk ships in Italian, Norwegian Bokmål and Romanian as well as English, complete:
the catalogues list every marked string, every entry is translated (none fuzzy), keeps its
placeholders and markup, the compiled .mo files match the .po files, and the main pages,
the customer's answer page and the customer emails show no English catalogue string.

A catalogue being filled fails here with the list of what is missing; the checks
themselves are tried on small hand-made catalogues (``test_the_checks_*``)."""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

import polib
import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import models
from django.test import Client
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from cases.models import Case, Customer, Team
from cases.services import draft_customer_email
from feedback.models import FeedbackItem, Need, Source
from nps import tokens
from nps.models import AdvocateProfile, Invitation, Survey
from nps.services.invitations import invitation_email

LOCALE = Path(settings.BASE_DIR) / "locale"
TRANSLATED = ["it", "nb", "ro"]
PLURAL_FORMS = {"it": 2, "nb": 2, "ro": 3}
# What makemessages reads: the apps and the templates (not tests, not the virtualenv).
SOURCE_DIRS = ["advocacy", "cases", "feedback", "nps", "templates"]
SHOWN = 20  # offending entries listed in a failure


# --- reading catalogues ------------------------------------------------------------------


def po_path(language: str, root: Path = LOCALE) -> Path:
    return root / language / "LC_MESSAGES" / "django.po"


def live_entries(catalogue: polib.POFile) -> list[polib.POEntry]:
    return [entry for entry in catalogue if not entry.obsolete and entry.msgid]


def entry_key(entry: polib.POEntry) -> tuple[str, str]:
    return (entry.msgctxt or "", entry.msgid)


def listing(entries, total: int | None = None) -> str:
    keys = sorted(repr(entry.msgid if hasattr(entry, "msgid") else entry) for entry in entries)
    total = len(keys) if total is None else total
    more = f"\n  … and {total - SHOWN} more" if total > SHOWN else ""
    return "\n  ".join(["", *keys[:SHOWN]]) + more


# --- (b) complete ------------------------------------------------------------------------


def incomplete(catalogue: polib.POFile) -> tuple[list, list]:
    """(untranslated, fuzzy) entries."""
    entries = live_entries(catalogue)
    fuzzy = [entry for entry in entries if entry.fuzzy]
    untranslated = [entry for entry in entries if not entry.fuzzy and not entry.translated()]
    return untranslated, fuzzy


# --- (c) placeholders, markup, plural forms ------------------------------------------------

NAMED = re.compile(r"%\((\w+)\)[sdifr]")
POSITIONAL = re.compile(r"%[sdifr]")
BRACES = re.compile(r"\{\w*\}")
TAGS = re.compile(r"</?[a-zA-Z][^>]*>")


def placeholders(text: str, python_format: bool) -> tuple:
    text = text.replace("%%", "")
    positional = len(POSITIONAL.findall(text)) if python_format else 0
    return (frozenset(NAMED.findall(text)), positional, frozenset(BRACES.findall(text)))


def markup(text: str) -> list[str]:
    return sorted(TAGS.findall(text))


def within(found: tuple, known: tuple) -> bool:
    return all(a <= b for a, b in zip(found, known, strict=True))


def plural_count(catalogue: polib.POFile) -> int | None:
    found = re.search(r"nplurals\s*=\s*(\d+)", catalogue.metadata.get("Plural-Forms", ""))
    return int(found.group(1)) if found else None


def broken_entries(catalogue: polib.POFile, language: str) -> list[str]:
    """Translations that lose or invent a placeholder or tag, and plural entries without
    the language's number of forms."""
    problems = []
    expected_forms = PLURAL_FORMS[language]
    if plural_count(catalogue) != expected_forms:
        problems.append(
            f"Plural-Forms header says {plural_count(catalogue)} forms, "
            f"{language} has {expected_forms}"
        )
    for entry in live_entries(catalogue):
        if not entry.translated() or entry.fuzzy:
            continue  # reported as incomplete
        python_format = "python-format" in entry.flags
        if entry.msgid_plural:
            forms = [entry.msgstr_plural[index] for index in sorted(entry.msgstr_plural)]
            if len(forms) != expected_forms:
                problems.append(f"{entry.msgid!r}: {len(forms)} plural forms, not {expected_forms}")
            source = entry.msgid_plural
            # a singular may say "one" instead of the count, never use what neither has
            singular, plural = (placeholders(text, python_format) for text in (entry.msgid, source))
            known = tuple(
                a | b if isinstance(a, frozenset) else max(a, b)
                for a, b in zip(singular, plural, strict=True)
            )
            fits = [within(placeholders(form, python_format), known) for form in forms]
            if not all(fits) or placeholders(forms[-1], python_format) != plural:
                problems.append(f"{entry.msgid!r}: placeholders of {forms!r} differ")
        else:
            forms, source = [entry.msgstr], entry.msgid
            if placeholders(entry.msgstr, python_format) != placeholders(source, python_format):
                problems.append(f"{entry.msgid!r}: placeholders of {entry.msgstr!r} differ")
        problems.extend(
            f"{entry.msgid!r}: markup of {form!r} differs"
            for form in forms
            if markup(form) != markup(source)
        )
    return problems


# --- (d) compiled ------------------------------------------------------------------------


def messages(catalogue: polib._BaseFile) -> dict:
    """What a compiled catalogue answers: translated, not fuzzy, by (context, msgid)."""
    found = {}
    for entry in live_entries(catalogue):
        translated = entry.msgstr or all(entry.msgstr_plural.values() or [""])
        if getattr(entry, "fuzzy", False) or not translated:
            continue
        if entry.msgid_plural:
            found[entry_key(entry)] = tuple(
                entry.msgstr_plural[i] for i in sorted(entry.msgstr_plural)
            )
        else:
            found[entry_key(entry)] = entry.msgstr
    return found


def stale_compilation(po: polib.POFile, mo: polib.MOFile) -> tuple[list, list]:
    """(missing or different in the .mo, in the .mo but no longer in the .po)."""
    expected, compiled = messages(po), messages(mo)
    different = [key[1] for key, text in expected.items() if compiled.get(key) != text]
    extra = [key[1] for key in compiled.keys() - expected.keys()]
    return different, extra


# --- (e) English left on a page ----------------------------------------------------------

VISIBLE_ATTRIBUTES = {"title", "placeholder", "aria-label", "alt"}
ENGLISH_WORDS = {
    "the",
    "and",
    "with",
    "your",
    "which",
    "would",
    "been",
    "were",
    "their",
    "should",
    "there",
    "this",
    "please",
}
WORD = re.compile(r"[^\W\d_]+")


class VisibleText(HTMLParser):
    """The text a person sees or hears: text nodes and labelling attributes, not scripts,
    styles, hidden inputs or templates."""

    HIDDEN = {"script", "style", "template"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.HIDDEN:
            self.hidden += 1
        attributes = dict(attrs)
        for name in VISIBLE_ATTRIBUTES & attributes.keys():
            self.parts.append(attributes[name] or "")
        if tag == "input" and attributes.get("type") in ("submit", "button"):
            self.parts.append(attributes.get("value") or "")

    def handle_endtag(self, tag):
        if tag in self.HIDDEN and self.hidden:
            self.hidden -= 1

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)


def visible_text(html: str, data: re.Pattern | None = None) -> str:
    """The page's visible text, one chunk per line, with the database's own text (names,
    titles, comments: data, not the interface) cut out."""
    parser = VisibleText()
    parser.feed(html)
    text = "\n".join(" ".join(part.split()) for part in parser.parts if part.strip())
    return data.sub(" ", text) if data else text


TRUNCATIONS = (40, 60, 80, 120, 200)  # the lengths templates cut data to


def database_text() -> re.Pattern:
    """Every text value the project's tables hold (at least 3 characters), to cut out."""
    found: set[str] = set()

    def collect(value) -> None:
        if isinstance(value, str):
            text = " ".join(value.split())
            found.add(text)
            # what ``truncatechars:N`` leaves of a long value (N - 1 characters and "…")
            found.update(text[: length - 1] for length in TRUNCATIONS if len(text) > length)
        elif isinstance(value, dict):
            for item in value.values():
                collect(item)
        elif isinstance(value, list):
            for item in value:
                collect(item)

    for model in apps.get_models():
        if model._meta.app_label not in {"cases", "feedback", "nps", "auth", "advocacy"}:
            continue
        fields = [
            field.attname
            for field in model._meta.concrete_fields
            if isinstance(field, models.CharField | models.TextField | models.JSONField)
            and not field.choices
        ]
        for row in model.objects.values_list(*fields) if fields else []:
            for value in row:
                collect(value)
    values = sorted((value for value in found if len(value) >= 3), key=len, reverse=True)
    # longest first, so a name inside a title goes with the title; whole words only
    return re.compile(rf"(?<!\w)(?:{'|'.join(map(re.escape, values))})(?!\w)")


def english_phrases(catalogue: polib.POFile) -> list[tuple[str, re.Pattern]]:
    """The English of every entry that a translation should replace: the literal runs
    (two words or more) of its msgid, between placeholders and tags. Entries whose
    translation is deliberately the English text are left out."""
    phrases = {}
    for entry in live_entries(catalogue):
        translations = (
            [entry.msgstr_plural[i] for i in sorted(entry.msgstr_plural)]
            if entry.msgid_plural
            else [entry.msgstr]
        )
        if entry.translated() and not entry.fuzzy and entry.msgid in translations:
            continue
        for source in filter(None, [entry.msgid, entry.msgid_plural]):
            for run in re.split(r"%\(\w+\)[sdif]|%[sdif]|\{\w*\}|</?[a-zA-Z][^>]*>", source):
                run = " ".join(run.split()).strip(" .,:;·—\N{EN DASH}-()")
                if len(WORD.findall(run)) < 2 or any(run in text for text in translations):
                    continue
                phrases[run] = re.compile(rf"(?<!\w){re.escape(run)}(?!\w)")
    return sorted(phrases.items())


def english_left(text: str, phrases: list[tuple[str, re.Pattern]]) -> list[str]:
    found = [phrase for phrase, pattern in phrases if pattern.search(text)]
    for line in text.splitlines():
        words = {word.lower() for word in WORD.findall(line)}
        if len(words & ENGLISH_WORDS) >= 1 and len(words) >= 3:
            found.append(f"(not in the catalogue?) {line[:100]}")
    return found


# --- (a) the catalogues list every marked string ------------------------------------------


@pytest.fixture(scope="module")
def fresh_msgids(tmp_path_factory) -> set[tuple[str, str]]:
    """``makemessages`` run on a copy of the sources, into a temporary locale folder."""
    root = tmp_path_factory.mktemp("sources")
    for name in SOURCE_DIRS:
        shutil.copytree(
            Path(settings.BASE_DIR) / name,
            root / name,
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
        )
    (root / "locale").mkdir()
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(root)
        patch.setattr(settings, "LOCALE_PATHS", [str(root / "locale")])
        call_command("makemessages", locale=["it"], verbosity=0, no_obsolete=True)
    fresh = polib.pofile(po_path("it", root / "locale"))
    return {entry_key(entry) for entry in live_entries(fresh)}


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_catalogue_lists_every_marked_string_and_no_other(language, fresh_msgids):
    committed = {entry_key(entry) for entry in live_entries(polib.pofile(po_path(language)))}

    missing, gone = fresh_msgids - committed, committed - fresh_msgids

    assert not missing and not gone, (
        f"locale/{language} is out of date (run makemessages):"
        f"\n{len(missing)} marked strings missing:{listing([m for _c, m in missing])}"
        f"\n{len(gone)} no longer in the code:{listing([m for _c, m in gone])}"
    )


# --- (b), (c), (d) -----------------------------------------------------------------------


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_entry_is_translated_and_none_is_fuzzy(language):
    untranslated, fuzzy = incomplete(polib.pofile(po_path(language)))

    assert not untranslated and not fuzzy, (
        f"locale/{language}: {len(untranslated)} untranslated:{listing(untranslated)}"
        f"\n{len(fuzzy)} fuzzy:{listing(fuzzy)}"
    )


@pytest.mark.parametrize("language", TRANSLATED)
def test_translations_keep_placeholders_markup_and_plural_forms(language):
    problems = broken_entries(polib.pofile(po_path(language)), language)

    assert not problems, f"locale/{language}: {len(problems)} problems:{listing(problems)}"


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_compiled_catalogue_matches_the_po_file(language):
    po = polib.pofile(po_path(language))
    mo = polib.mofile(po_path(language).with_suffix(".mo"))

    different, extra = stale_compilation(po, mo)

    assert not different and not extra, (
        f"locale/{language}/LC_MESSAGES/django.mo is stale (run compilemessages):"
        f"\n{len(different)} missing or different:{listing(different)}"
        f"\n{len(extra)} no longer in the .po:{listing(extra)}"
    )


# --- (e) pages ---------------------------------------------------------------------------


def first_pk(model, **filters) -> int:
    return model.objects.filter(**filters).order_by("pk").values_list("pk", flat=True)[0]


# Each staff page: its name and how to find its address in the demo desk. Add new pages
# here; a URL name that does not exist (yet) is skipped.
STAFF_PAGES: dict[str, Callable[[], str]] = {
    "case queue": lambda: reverse("cases:queue"),
    "case": lambda: reverse("cases:case", args=[first_pk(Case, remedies__isnull=False)]),
    "resolved case": lambda: reverse("cases:case", args=[first_pk(Case, status="resolved")]),
    "decision brief": lambda: reverse(
        "cases:case-brief", args=[first_pk(Case, remedies__isnull=False)]
    ),
    "new case": lambda: reverse("cases:case-new"),
    "new contact": lambda: reverse("cases:contact-new"),
    "customers": lambda: reverse("cases:customers"),
    "customer": lambda: reverse(
        "cases:customer",
        args=[Customer.objects.filter(cases__isnull=False).order_by("pk").first().external_ref],
    ),
    "order import": lambda: reverse("cases:order-import-new"),
    "rules": lambda: reverse("cases:rules"),
    "desk settings": lambda: reverse("cases:desk-settings"),
    "api keys": lambda: reverse("cases:api-keys"),
    "feedback sources": lambda: reverse("feedback:sources"),
    "feedback source": lambda: reverse(
        "feedback:source",
        args=[Source.objects.filter(items__isnull=False).order_by("pk").first().slug],
    ),
    "new feedback source": lambda: reverse("feedback:source-new"),
    "feedback analysis": lambda: reverse("feedback:analysis"),
    "feedback item": lambda: reverse("feedback:item", args=[first_pk(FeedbackItem)]),
    "themes": lambda: reverse("feedback:themes"),
    "needs": lambda: reverse("feedback:needs"),
    "need": lambda: reverse("feedback:need", args=[first_pk(Need)]),
    "nps reports": lambda: reverse("nps:reports"),
    "nps surveys": lambda: reverse("nps:surveys"),
    "nps survey": lambda: reverse("nps:survey", args=[Survey.objects.order_by("pk").first().slug]),
    "nps new survey": lambda: reverse("nps:survey-new"),
    "advocates": lambda: reverse("nps:advocates"),
    "advocate": lambda: reverse("nps:advocate", args=[first_pk(AdvocateProfile)]),
    "follow-ups": lambda: reverse("nps:follow-ups"),
    "organisation": lambda: reverse("cases:organisation"),
    "dashboard": lambda: reverse("dashboard"),
    "dashboard thresholds": lambda: reverse("dashboard-thresholds"),
    "kpis": lambda: reverse("dashboard-kpis"),
    "organisation staff": lambda: reverse("cases:organisation-staff"),
    "organisation team": lambda: reverse("cases:organisation-team", args=[first_pk(Team)]),
}


@pytest.fixture
def demo_desk(db):
    call_command("load_demo", stdout=io.StringIO())


def staff_client(language: str) -> Client:
    from tests.cases.factories import UserFactory

    manager = UserFactory.manager(username=f"m-{language}", first_name="Qx", last_name="Zy")
    client = Client()
    client.force_login(manager)
    client.post(reverse("cases:language"), {"language": language, "next": "/"})
    return client


def page_addresses() -> dict[str, str]:
    addresses = {}
    for name, address in STAFF_PAGES.items():
        try:
            addresses[name] = address()
        except NoReverseMatch:
            continue
    return addresses


@pytest.mark.parametrize("language", TRANSLATED)
def test_staff_pages_show_no_english(language, demo_desk):
    phrases = english_phrases(polib.pofile(po_path(language)))
    client = staff_client(language)
    data = database_text()

    found = {}
    for name, address in page_addresses().items():
        response = client.get(address)
        assert response.status_code == 200, f"{name} ({address}): {response.status_code}"
        assert response["Content-Language"] == language
        english = english_left(visible_text(response.content.decode(), data), phrases)
        if english:
            found[f"{name} ({address})"] = english

    assert not found, f"English on {len(found)} {language} pages:\n" + "\n".join(
        f"{page}: {len(phrases)} — {listing(phrases)}" for page, phrases in found.items()
    )


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_customers_answer_page_and_emails_show_no_english(language, demo_desk, client):
    phrases = english_phrases(polib.pofile(po_path(language)))
    survey = Survey.objects.order_by("pk").first()
    customer = Customer.objects.filter(email_consent=True).order_by("pk").first()
    token, digest = tokens.new_token()
    invitation = Invitation.objects.create(
        survey=survey,
        customer=customer,
        language=language,
        token_hash=digest,
        status=Invitation.Status.SENT,
        sent_at=timezone.now(),
        expires_at=timezone.now() + dt.timedelta(days=30),
    )
    case = Case.objects.filter(remedies__isnull=False).order_by("pk").first()
    Customer.objects.filter(pk=case.customer_id).update(language=language)
    case.customer.refresh_from_db()
    data = database_text()

    page = client.get(reverse("nps:answer", args=[token, 9]))
    email = invitation_email(invitation=invitation, token=token)
    draft = draft_customer_email(case=case, template="late_delivery")
    texts = {
        "answer page": visible_text(page.content.decode(), data),
        "invitation email": visible_text(email.alternatives[0][0], data),
        "invitation email text": visible_text(f"{email.subject}\n{email.body}", data),
        "case email": visible_text(f"{draft.subject}\n{draft.body}", data),
    }

    assert page["Content-Language"] == language
    found = {name: english_left(text, phrases) for name, text in texts.items()}
    found = {name: english for name, english in found.items() if english}
    assert not found, "\n".join(f"{name}: {listing(english)}" for name, english in found.items())


# --- the checks, on hand-made catalogues -------------------------------------------------


def hand_made(language: str, entries: list[dict], fuzzy: tuple[str, ...] = ()) -> polib.POFile:
    catalogue = polib.POFile()
    catalogue.metadata = {
        "Content-Type": "text/plain; charset=UTF-8",
        "Plural-Forms": {
            "it": "nplurals=2; plural=(n != 1);",
            "ro": "nplurals=3; plural=(n==1?0:(((n%100>19)||((n%100==0)&&(n!=0)))?2:1));",
        }[language],
    }
    for fields in entries:
        entry = polib.POEntry(**fields)
        if entry.msgid in fuzzy:
            entry.flags.append("fuzzy")
        catalogue.append(entry)
    return catalogue


def test_the_checks_find_untranslated_and_fuzzy_entries():
    catalogue = hand_made(
        "it",
        [
            {"msgid": "Cases", "msgstr": "Casi"},
            {"msgid": "Open cases", "msgstr": ""},
            {"msgid": "Close", "msgstr": "Chiuso"},
            {"msgid": "%(n)s case", "msgid_plural": "%(n)s cases", "msgstr_plural": {0: "", 1: ""}},
        ],
        fuzzy=("Close",),
    )

    untranslated, fuzzy = incomplete(catalogue)

    assert [entry.msgid for entry in untranslated] == ["Open cases", "%(n)s case"]
    assert [entry.msgid for entry in fuzzy] == ["Close"]


def test_the_checks_find_lost_placeholders_tags_and_plural_forms():
    catalogue = hand_made(
        "ro",
        [
            {
                "msgid": "Signed in as <strong>%(name)s</strong>",
                "flags": ["python-format"],
                "msgstr": "Autentificat ca %(name)s",
            },  # tag lost
            {
                "msgid": "Case #%(number)s",
                "flags": ["python-format"],
                "msgstr": "Cazul #%(numar)s",
            },  # placeholder renamed
            {"msgid": "Hello {name}", "msgstr": "Salut"},  # brace lost
            {
                "msgid": "%(n)s day",
                "msgid_plural": "%(n)s days",
                "flags": ["python-format"],
                "msgstr_plural": {0: "o zi", 1: "%(n)s zile"},
            },  # 2 forms, Romanian has 3
            {
                "msgid": "%(n)s item",
                "msgid_plural": "%(n)s items",
                "flags": ["python-format"],
                "msgstr_plural": {0: "un articol", 1: "%(n)s articole", 2: "%(n)s de articole"},
            },
            {
                "msgid": "Fine <em>%(x)s</em>",
                "flags": ["python-format"],
                "msgstr": "Bine <em>%(x)s</em>",
            },
        ],
    )

    problems = "\n".join(broken_entries(catalogue, "ro"))

    assert "Signed in as" in problems and "markup" in problems
    assert "Case #" in problems and "Hello {name}" in problems
    assert "'%(n)s day': 2 plural forms, not 3" in problems
    assert "%(n)s item" not in problems and "Fine" not in problems  # singular may drop %(n)s


def test_the_checks_find_a_stale_compiled_catalogue(tmp_path):
    catalogue = hand_made(
        "it", [{"msgid": "Cases", "msgstr": "Casi"}, {"msgid": "Rules", "msgstr": "Regole"}]
    )
    catalogue.save_as_mofile(str(tmp_path / "django.mo"))
    assert stale_compilation(catalogue, polib.mofile(str(tmp_path / "django.mo"))) == ([], [])

    catalogue[1].msgstr = "Le regole"
    catalogue.append(polib.POEntry(msgid="Customers", msgstr="Clienti"))

    different, extra = stale_compilation(catalogue, polib.mofile(str(tmp_path / "django.mo")))
    assert sorted(different) == ["Customers", "Rules"] and extra == []


def test_the_checks_find_english_on_a_page_but_not_data_or_same_words():
    catalogue = hand_made(
        "it",
        [
            {"msgid": "Open cases", "msgstr": "Casi aperti"},
            {"msgid": "No open cases", "msgstr": ""},  # untranslated
            {"msgid": "Net Promoter Score", "msgstr": "Net Promoter Score"},  # same in Italian
            {
                "msgid": "%(count)s cases wait for you",
                "flags": ["python-format"],
                "msgstr": "%(count)s casi ti aspettano",
            },
        ],
    )
    phrases = english_phrases(catalogue)
    html = (
        "<h1>Casi aperti</h1><p title='No open cases'>x</p><p>Net Promoter Score</p>"
        "<script>var s = 'Open cases';</script><p>3 cases wait for you</p>"
        "<td>Trattoria: Open cases of the week</td>"
    )

    data = re.compile(re.escape("Trattoria: Open cases of the week"))
    found = english_left(visible_text(html, data), phrases)

    assert found == ["No open cases", "cases wait for you"]
    assert english_left(visible_text("<p>Ecco la coda di oggi</p>"), phrases) == []
    assert english_left("Here is the queue for your team", []) == [
        "(not in the catalogue?) Here is the queue for your team"
    ]


# --- numbers a machine reads stay unlocalised ---------------------------------------------

MACHINE_ATTRIBUTES = re.compile(
    r"\s(viewBox|points|d|x|y|x1|x2|y1|y2|cx|cy|r|width|height|datetime|value|max|min)="
    r'"([^"]*)"'
)


@pytest.mark.parametrize("language", TRANSLATED)
def test_charts_and_machine_values_keep_decimal_points(language, demo_desk):
    client = staff_client(language)

    for address in [reverse("nps:reports"), reverse("feedback:analysis")]:
        html = client.get(address).content.decode()
        assert "<svg" in html, f"{address} draws no chart in the demo desk"
        for name, value in MACHINE_ATTRIBUTES.findall(html):
            if name in ("value",) and not re.fullmatch(r"[\d.,\s-]+", value):
                continue  # a form's text value, not a number
            if name == "points":  # "x,y x,y …": one comma per pair, points for decimals
                wrong = [pair for pair in value.split() if pair.count(",") != 1]
            else:
                wrong = re.findall(r"\d,\d", value)
            assert not wrong, f"{address}: {name}={value!r} ({language})"
