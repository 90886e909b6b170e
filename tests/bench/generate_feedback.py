"""Customer feedback at volume: 1M reviews, comments and messages over 18 months from six
selected sources, catalogued into the taxonomy's themes, about 30% of them from the bench
customers (half of those about one of their orders), the customer needs ranked from them
by ``feedback.services.refresh_needs`` and the analysis page's counts by day made by
``refresh_analysis``.

Items are drawn as cataloguing would have left them: the language of the customer (or of
the platform's audience), a rating on the platform's own scale and its 0..1 value, a
sentiment that follows the rating where there is one, one to three themes (origin
"catalogue") with the words that matched, and a text made of the phrases of those themes
in that language and polarity. Volume grows over the period by half; in the last 80 days
delivery damage and communication are said more often, so the analysis has a rising
theme. Item ids follow ``posted_at``, as imports of the platforms' newest feedback do.
Feedback has reached the desk as it came for the last 120 days; the older feedback in one
import when collecting began (its ``received_at``).

The sources are made with the ORM; items and their themes are COPY-loaded.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from datetime import datetime, timedelta
from itertools import accumulate

from django.db import connection

from feedback import services
from feedback.models import (
    AnalysisDay,
    FeedbackItem,
    ImportBatch,
    ImportRowError,
    ItemTheme,
    Need,
    NeedChange,
    Source,
    Theme,
)
from feedback.taxonomy import DEFAULT_THEMES
from tests.bench.generate import (
    FIRST_NAMES,
    HISTORY_DAYS,
    LANGUAGE_WEIGHTS,
    LANGUAGES,
    SURNAMES,
    Generator,
    copy_rows,
    reset_sequences,
)

ITEMS = 1_000_000
LINKED_SHARE = 0.30  # items from a bench customer
ORDER_SHARE = 0.5  # of those, the ones about one of their orders
GROWTH = 0.5  # the last day sees this much more feedback than the first
RISING_DAYS = 80  # the period in which the rising themes are said more often
# The desk has collected feedback as it comes for this many days; what was posted before
# came in one import on the day collection began (and so opens no negative-feedback case:
# the rule leaves out reviews posted long before they reached the desk).
LIVE_DAYS = 120
DAY = 86_400.0

SOURCE_TABLE = Source._meta.db_table
ITEM_TABLE = FeedbackItem._meta.db_table
LINK_TABLE = ItemTheme._meta.db_table
NEED_TABLE = Need._meta.db_table
ANALYSIS_TABLE = AnalysisDay._meta.db_table

# Themes per item, repeated over the items: exactly 33 links every 20 items (1.65 an item).
THEMES_PER_ITEM = (1, 2, 1, 3, 1, 2, 1, 1, 2, 1, 3, 1, 2, 1, 2, 1, 1, 2, 3, 2)
assert len(THEMES_PER_ITEM) == 20 and sum(THEMES_PER_ITEM) == 33

STAR_WEIGHTS = ((1, 18), (2, 7), (3, 9), (4, 20), (5, 46))  # J-shaped, as review sites are
NPS_SCORES = ((0, 5), (1, 2), (2, 2), (3, 3), (4, 3), (5, 5), (6, 6), (7, 10), (8, 18),
              (9, 22), (10, 24))


class SourcePlan:
    """A bench source: its platform, its share of the feedback, how it rates, whether it
    gives titles and names the customer."""

    def __init__(self, slug: str, name: str, platform: str, weight: int,
                 scale: tuple[int, int] | None, negative_share: float = 0.5,
                 titled: bool = False, named: bool = False) -> None:
        self.slug, self.name, self.platform, self.weight = slug, name, platform, weight
        self.scale, self.negative_share = scale, negative_share  # the latter if unrated
        self.titled, self.named = titled, named
        self.scores = NPS_SCORES if scale == (0, 10) else STAR_WEIGHTS
        self.id = 0


SOURCES = (
    SourcePlan("trustpilot", "Trustpilot", Source.Platform.TRUSTPILOT.value, 30, (1, 5),
               titled=True),
    SourcePlan("google", "Google reviews", Source.Platform.GOOGLE.value, 25, (1, 5)),
    SourcePlan("amazon", "Amazon", Source.Platform.AMAZON.value, 14, (1, 5), titled=True),
    SourcePlan("facebook", "Facebook page", Source.Platform.FACEBOOK.value, 10, None,
               negative_share=0.45),
    SourcePlan("customer-service", "Customer service", Source.Platform.CUSTOMER_SERVICE.value,
               13, None, negative_share=0.65, named=True),
    SourcePlan("nps", "NPS survey", Source.Platform.NPS_SURVEY.value, 8, (0, 10), named=True),
)

# Leaf themes of the default taxonomy (feedback/taxonomy.py) with their base weights, and
# the weights of the last RISING_DAYS.
THEME_WEIGHTS = {
    "delivery-speed": (22, 22), "delivery-damage": (10, 22), "product-quality": (18, 18),
    "price-value": (14, 14), "customer-service": (14, 14), "returns-refunds": (8, 8),
    "communication": (8, 13), "digital": (6, 6),
}
# language -> theme -> (negative phrase, positive phrase), worded with the theme's keywords
PHRASES = {
    "en": {
        "delivery-speed": ("The delivery was a week late and the tracking never moved.",
                           "Fast delivery, it arrived on time."),
        "delivery-damage": ("The box was crushed and the oven door arrived broken.",
                            "Well packed, the parcel was in perfect shape."),
        "product-quality": ("Poor quality, the mixer stopped working after a month.",
                            "Great quality, it works perfectly."),
        "price-value": ("Far too expensive for what you get.",
                        "Good value for the price."),
        "customer-service": ("Customer service was rude and never called back.",
                             "The support staff were friendly and helpful."),
        "returns-refunds": ("Still waiting for my refund after the return.",
                            "The refund came quickly after the return."),
        "communication": ("No information at all, nobody told us about the delay.",
                          "They kept us informed with updates by email."),
        "digital": ("The checkout on the website kept failing at payment.",
                    "The app and the website are easy to order from."),
    },
    "it": {
        "delivery-speed": ("Consegna in ritardo di una settimana, corriere introvabile.",
                           "Spedizione veloce, arrivato puntuale."),
        "delivery-damage": ("Il pacco è arrivato danneggiato, scatola rotta.",
                            "Imballaggio perfetto, nessun danno."),
        "product-quality": ("Prodotto difettoso, non funziona dopo due settimane.",
                            "Ottima qualità, funziona benissimo."),
        "price-value": ("Prezzo troppo caro per quello che offre.",
                        "Ottimo rapporto tra prezzo e qualità, conveniente."),
        "customer-service": ("L'assistenza non risponde mai al telefono.",
                             "Servizio clienti gentile e disponibile."),
        "returns-refunds": ("Reso spedito da un mese, rimborso mai arrivato.",
                            "Rimborso rapido dopo il reso."),
        "communication": ("Nessuna comunicazione sul ritardo, nessun aggiornamento.",
                          "Sempre informati con aggiornamenti via email."),
        "digital": ("Il sito si blocca al pagamento.",
                    "Il sito e l'app sono comodi per ordinare."),
    },
    "nb": {
        "delivery-speed": ("Leveringen var forsinket en uke, sporing virket ikke.",
                           "Rask levering, kom frem i tide."),
        "delivery-damage": ("Pakken kom frem skadet, esken var knust.",
                            "Godt pakket, ingen skade på emballasjen."),
        "product-quality": ("Dårlig kvalitet, maskinen fungerer ikke lenger.",
                            "Veldig god kvalitet, fungerer perfekt."),
        "price-value": ("Altfor dyrt for det du får.",
                        "God pris, verdt pengene."),
        "customer-service": ("Kundeservice svarte aldri på telefon.",
                             "Hjelpsom og vennlig kundeservice."),
        "returns-refunds": ("Venter fortsatt på refusjon etter retur.",
                            "Fikk refusjon raskt etter retur."),
        "communication": ("Ingen informasjon om forsinkelsen, ingen beskjed.",
                          "Fikk oppdatering på e-post hele veien."),
        "digital": ("Nettsiden feiler ved betaling.",
                    "Appen og nettsiden er enkle å bruke."),
    },
    "ro": {
        "delivery-speed": ("Livrare întârziată cu o săptămână, curierul nu a sunat.",
                           "Livrare rapidă, coletul a ajuns la timp."),
        "delivery-damage": ("Coletul a ajuns deteriorat, cutia spartă.",
                            "Ambalajul perfect, nimic stricat."),
        "product-quality": ("Calitate slabă, produsul nu mai funcționează.",
                            "Calitate foarte bună, funcționează perfect."),
        "price-value": ("Prețul este prea scump pentru ce oferă.",
                        "Preț bun, merită banii."),
        "customer-service": ("Serviciul clienți nu răspunde la telefon.",
                             "Personal amabil și suport rapid."),
        "returns-refunds": ("Aștept rambursarea de o lună după retur.",
                            "Rambursare rapidă după retur."),
        "communication": ("Nicio comunicare despre întârziere, niciun mesaj.",
                          "Am primit actualizare pe email la fiecare pas."),
        "digital": ("Site-ul se blochează la plata.",
                    "Aplicația și site-ul sunt ușor de folosit."),
    },
}
# language -> (negative words, positive words) the sentiment would have been built from
SENTIMENT_TERMS = {
    "en": (["late", "broken", "rude", "poor"], ["fast", "great", "friendly", "good"]),
    "it": (["ritardo", "rotta", "difettoso", "caro"], ["veloce", "ottima", "gentile"]),
    "nb": (["forsinket", "knust", "dårlig", "dyrt"], ["rask", "god", "hjelpsom"]),
    "ro": (["întârziată", "spartă", "slabă", "scump"], ["rapidă", "bună", "amabil"]),
}

ITEM_COLUMNS = (
    "id", "source_id", "external_id", "content_hash", "author", "title", "text", "rating",
    "rating_scale", "rating_normalised", "posted_at", "received_at", "language", "sentiment",
    "sentiment_terms", "email", "order_ref", "customer_ref", "customer_id", "order_id", "raw",
)
LINK_COLUMNS = ("id", "item_id", "theme_id", "origin", "terms")


def feedback_expected(scale: float) -> dict[str, int]:
    items = max(1, round(ITEMS * scale))
    cycles, rest = divmod(items, len(THEMES_PER_ITEM))
    return {
        SOURCE_TABLE: len(SOURCES),
        ITEM_TABLE: items,
        LINK_TABLE: cycles * sum(THEMES_PER_ITEM) + sum(THEMES_PER_ITEM[:rest]),
    }


class CustomerIndex:
    """The bench customers (language, email, reference) and their orders by time."""

    def __init__(self) -> None:
        self.languages: dict[int, str] = {}
        self.emails: dict[int, str] = {}
        self.refs: dict[int, str] = {}
        with connection.cursor() as cursor:
            cursor.execute("SELECT id, language, email, external_ref FROM cases_customer")
            for customer_id, language, email, ref in cursor.fetchall():
                self.languages[customer_id] = language if language in PHRASES else "en"
                self.emails[customer_id], self.refs[customer_id] = email, ref
        self.ids = list(self.languages)
        self.order_ids, self.order_customers = array("q"), array("q")
        self.order_refs: list[str] = []
        self.order_times = array("d")
        with connection.cursor() as cursor:
            cursor.execute("SELECT id, customer_id, external_ref, "
                           "extract(epoch FROM ordered_at)::float8 "
                           "FROM cases_order ORDER BY ordered_at, id")
            while rows := cursor.fetchmany(50_000):
                for order_id, customer_id, ref, at in rows:
                    self.order_ids.append(order_id)
                    self.order_customers.append(customer_id)
                    self.order_refs.append(ref)
                    self.order_times.append(at)
        if not self.ids or not self.order_ids:
            raise ValueError("The feedback needs the bench customers and orders first.")

    def order_before(self, at: float, rng: random.Random) -> int:
        """Position of an order placed 2 to 25 days before ``at`` (or the nearest one)."""
        low = bisect_left(self.order_times, at - 25 * DAY)
        high = bisect_right(self.order_times, at - 2 * DAY)
        if high <= low:
            return min(max(low, 0), len(self.order_ids) - 1)
        return rng.randrange(low, high)


def bench_sources() -> list[SourcePlan]:
    made = Source.objects.bulk_create([
        Source(name=plan.name, slug=plan.slug, platform=plan.platform, selected=True,
               selection_reason="Where our customers review us (bench).",
               intake=Source.Intake.UPLOAD.value)
        for plan in SOURCES])
    for plan, source in zip(SOURCES, made, strict=True):
        plan.id = source.pk
    return list(SOURCES)


def theme_ids() -> dict[str, int]:
    found = dict(Theme.objects.filter(slug__in=THEME_WEIGHTS).values_list("slug", "id"))
    missing = set(THEME_WEIGHTS) - set(found)
    if missing:
        raise ValueError(f"The taxonomy lacks the themes {sorted(missing)}: migrate first.")
    return found


def when(position: float) -> float:
    """Where an item falls in the period (0 oldest, 1 now) when volume grows by GROWTH:
    the inverse of the cumulative share of a density rising linearly."""
    return (math.sqrt(1 + 2 * GROWTH * position * (1 + GROWTH / 2)) - 1) / GROWTH


def load_feedback(scale: float, rng: random.Random, now_at: datetime) -> dict[str, int]:
    expected = feedback_expected(scale)
    count = expected[ITEM_TABLE]
    sources = bench_sources()
    themes = theme_ids()
    slugs = list(THEME_WEIGHTS)
    base_bounds = list(accumulate(weights[0] for weights in THEME_WEIGHTS.values()))
    rising_bounds = list(accumulate(weights[1] for weights in THEME_WEIGHTS.values()))
    source_bounds = list(accumulate(plan.weight for plan in sources))
    language_bounds = list(accumulate(LANGUAGE_WEIGHTS))
    people = CustomerIndex()
    now = now_at.timestamp()
    first = now - HISTORY_DAYS * DAY
    rising_from = (now - RISING_DAYS * DAY - first) / (now - first)
    collecting = now_at - timedelta(days=LIVE_DAYS)
    # The terms JSON of a theme in a language, and of the sentiment, made once.
    link_terms = {(language, slug): json.dumps([theme_words(language, slug)])
                  for language in PHRASES for slug in slugs}
    links_theme = array("b")  # index into slugs, per link, in item order
    links_item = array("q")
    links_language = bytearray()
    language_index = {language: number for number, language in enumerate(LANGUAGES)}

    def items() -> Iterator[tuple]:
        for number in range(count):
            item_id = number + 1
            position = when((number + rng.random()) / count)
            posted = first + position * (now - first)
            plan = sources[bisect_right(source_bounds, rng.random() * source_bounds[-1])]
            customer_id = order_id = None
            order_ref = customer_ref = email = ""
            if rng.random() < LINKED_SHARE:
                if rng.random() < ORDER_SHARE:
                    order = people.order_before(posted, rng)
                    order_id = people.order_ids[order]
                    customer_id = people.order_customers[order]
                    order_ref = people.order_refs[order]
                else:
                    customer_id = rng.choice(people.ids)
                email = people.emails[customer_id]
                customer_ref = people.refs[customer_id] if plan.named else ""
                language = people.languages[customer_id]
            else:
                language = LANGUAGES[bisect_right(language_bounds,
                                                  rng.random() * language_bounds[-1])]
            rating = normalised = None
            scale_label = ""
            if plan.scale:
                rating = weighted_score(plan.scores, rng)
                worst, best = plan.scale
                normalised = (rating - worst) / (best - worst)
                scale_label = f"{worst}-{best}"
                sentiment = round(max(-1.0, min(1.0, 0.8 * (2 * normalised - 1)
                                                 + rng.gauss(0, 0.2))), 3)
            elif rng.random() < 0.03:
                sentiment = None  # no word of the lexicon in it
            else:
                sign = -1 if rng.random() < plan.negative_share else 1
                sentiment = round(sign * rng.uniform(0.1, 0.9), 3)
            negative = sentiment is not None and sentiment < 0
            bounds = rising_bounds if position >= rising_from else base_bounds
            chosen: list[int] = []
            while len(chosen) < THEMES_PER_ITEM[number % len(THEMES_PER_ITEM)]:
                theme = bisect_right(bounds, rng.random() * bounds[-1])
                if theme not in chosen:
                    chosen.append(theme)
            phrases = PHRASES[language]
            text = " ".join(phrases[slugs[theme]][0 if negative else 1] for theme in chosen)
            for theme in chosen:
                links_item.append(item_id)
                links_theme.append(theme)
                links_language.append(language_index[language])
            external_id = f"{plan.slug}-{item_id:08d}"
            terms = SENTIMENT_TERMS[language][0 if negative else 1]
            posted_at = datetime.fromtimestamp(posted, tz=now_at.tzinfo)
            received_at = min(now_at, max(collecting, posted_at) + timedelta(
                hours=rng.uniform(0.1, 36)))
            yield (
                item_id, plan.id, external_id,
                hashlib.sha256(external_id.encode()).hexdigest(),
                f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)[0]}.",
                text.split(".")[0][:80] if plan.titled else "",
                text, rating, scale_label, normalised, posted_at, received_at, language,
                sentiment, "[]" if sentiment is None else json.dumps([rng.choice(terms)]),
                email, order_ref, customer_ref, customer_id, order_id,
                json.dumps({"id": external_id, "rating": rating}),
            )

    copy_rows(ITEM_TABLE, ITEM_COLUMNS, items())
    theme_of = [themes[slug] for slug in slugs]

    def links() -> Iterator[tuple]:
        origin = ItemTheme.Origin.CATALOGUE.value
        for number, (item_id, theme) in enumerate(zip(links_item, links_theme, strict=True)):
            language = LANGUAGES[links_language[number]]
            yield (number + 1, item_id, theme_of[theme], origin,
                   link_terms[(language, slugs[theme])])

    copy_rows(LINK_TABLE, LINK_COLUMNS, links())
    reset_sequences(FeedbackItem, ItemTheme)
    # The needs read the new rows at once: the planner needs their statistics first.
    with connection.cursor() as cursor:
        cursor.execute(f'ANALYZE "{ITEM_TABLE}"')
        cursor.execute(f'ANALYZE "{LINK_TABLE}"')
    needs = services.refresh_needs(now=now_at)
    days = services.refresh_analysis()
    loaded = {SOURCE_TABLE: len(sources), ITEM_TABLE: count, LINK_TABLE: len(links_item)}
    if loaded != expected:
        raise AssertionError(f"The feedback generator made {loaded}, not {expected}")
    return {**loaded, NEED_TABLE: len(needs), ANALYSIS_TABLE: days}


def weighted_score(scores: tuple[tuple[int, int], ...], rng: random.Random) -> int:
    total = sum(weight for _score, weight in scores)
    pick = rng.random() * total
    for score, weight in scores:
        pick -= weight
        if pick < 0:
            return score
    return scores[-1][0]


def theme_words(language: str, slug: str) -> str:
    """The first keyword of the theme in the language that its phrases contain."""
    keywords = next(entry[3] for entry in DEFAULT_THEMES if entry[0] == slug)
    text = " ".join(PHRASES[language][slug]).lower()
    return next((word for word in keywords.get(language, ()) if word in text),
                slug.split("-")[0])


FEEDBACK = Generator(
    name="feedback: sources, items, their themes, customer needs",
    truncate=(SOURCE_TABLE, ImportBatch._meta.db_table, ImportRowError._meta.db_table,
              ITEM_TABLE, LINK_TABLE, NEED_TABLE, NeedChange._meta.db_table),
    expected=feedback_expected,
    load=load_feedback,
)
