"""Feedback for ``load_demo``: four sources (three selected, one not, each with its reason
and owner) and eight months of reviews and service tickets in the four languages, some from
the demo customers, so the needs, the analysis and the customer pages have something to say.

The maturity story (see ``cases.demo.team_formed_at``): Trustpilot and Google reviews have
been read for a long time; when the advocacy team formed it added the service desk's tickets
as a third source and started reviewing the ranked needs. Logistics owns the delivery needs
and moves them; Product and Customer Care were given theirs but have not moved them yet,
so one department of five acts on customer needs: a step level 3 still needs."""

from __future__ import annotations

import datetime as dt
import random

from django.contrib.auth import get_user_model
from django.utils import timezone

from cases.demo import register_demo_loader, team_formed_at
from cases.models import Customer, Department
from feedback.catalogue import Cataloguer
from feedback.formats import Record
from feedback.models import Need, NeedChange, Source, Theme
from feedback.services import refresh_needs, store_records, update_need

# (days ago, stars or None, language, text, customer ref or "")
REVIEWS = {
    "trustpilot": [
        (2, 1, "it", "Forno arrivato con due settimane di ritardo e nessuno ci ha avvisato. "
                     "Abbiamo perso il weekend.", "DEMO-C001"),
        (3, 2, "en", "The mixer arrived late and the box was crushed. Support was friendly "
                     "but slow to answer.", ""),
        (4, 5, "en", "Excellent quality, fast delivery. Will order again.", ""),
        (5, 2, "nb", "Levering var forsinket og ingen informasjon om når pakken kom.", ""),
        (6, 1, "ro", "Livrare întârziată, coletul deteriorat. Foarte dezamăgit.", ""),
        (8, 4, "it", "Prodotto di ottima qualità, consegna puntuale.", ""),
        (9, 2, "en", "Delivery delayed again, no update by email.", ""),
        (11, 1, "nb", "Kjøleskapet kom skadet og returen tok tre uker.", ""),
        (13, 5, "ro", "Produs excelent, livrare rapidă. Recomand!", ""),
        (15, 3, "en", "Good product but expensive for what it is.", ""),
        (18, 2, "it", "Consegna in ritardo, servizio clienti difficile da raggiungere.", ""),
        (21, 1, "en", "Parcel lost, refund still not received after a month.", ""),
    ],
    "google": [
        (1, 2, "en", "Late delivery, the courier never called.", ""),
        (4, 5, "it", "Personale gentile e assistenza veloce.", ""),
        (7, 1, "ro", "Am așteptat trei săptămâni pentru livrare.", ""),
        (10, 4, "nb", "Bra kvalitet, men prisen er høy.", ""),
        (12, 2, "en", "The website checkout failed twice before the payment went through.",
         ""),
        (16, 5, "en", "Replacement sent the same day. Brilliant service.", ""),
    ],
    "facebook": [
        (3, None, "en", "Still waiting for my order, any news?", ""),
        (9, None, "it", "Complimenti per il nuovo forno, funziona benissimo!", ""),
    ],
}

# Older feedback, drawn month by month over the eight months before the recent reviews:
# source -> [(stars or None, language, text)].
EARLIER = {
    "trustpilot": [
        (2, "en", "Delivery was late and nobody told us when it would arrive."),
        (1, "en", "The oven arrived damaged, the box was crushed."),
        (5, "en", "Great quality and fast delivery, thank you."),
        (4, "en", "Good product, delivery on time."),
        (2, "en", "The price went up again and the quality is the same."),
        (3, "en", "Decent product but the refund for the broken part took weeks."),
        (2, "it", "Consegna in ritardo di una settimana, nessuna comunicazione."),
        (5, "it", "Ottima qualità e consegna puntuale."),
        (1, "it", "Pacco arrivato danneggiato, il rimborso non è mai arrivato."),
        (4, "it", "Buon prodotto, prezzo giusto."),
        (2, "nb", "Leveringen var forsinket, og ingen svarte på e-post."),
        (5, "nb", "God kvalitet og rask levering."),
        (1, "nb", "Pakken kom skadet."),
        (2, "ro", "Livrare întârziată și nicio informație despre colet."),
        (5, "ro", "Produs de calitate, livrare rapidă."),
        (3, "ro", "Produs bun, dar prețul este prea mare."),
    ],
    "google": [
        (2, "en", "Late delivery again, the courier did not call."),
        (5, "en", "Friendly customer service, they solved it in one call."),
        (4, "it", "Assistenza gentile, prodotti di buona qualità."),
        (2, "it", "Il sito non funzionava al momento del pagamento."),
        (5, "nb", "Hyggelig kundeservice og rask levering."),
        (2, "ro", "Livrarea a întârziat două săptămâni."),
    ],
    # The service desk's tickets, collected since the advocacy team formed.
    "service-desk": [
        (None, "en", "Customer asks where the delivery is: promised yesterday, tracking "
                     "not updated."),
        (None, "en", "Refund for the returned fryer not received after three weeks."),
        (None, "en", "The mixer arrived with a broken bowl, customer wants a replacement."),
        (None, "it", "Il cliente chiede notizie della consegna in ritardo."),
        (None, "it", "Rimborso per il reso non ancora ricevuto."),
        (None, "nb", "Kunden spør hvorfor leveringen er forsinket."),
        (None, "nb", "Kunden fikk feil vare og vil returnere den."),
        (None, "ro", "Clientul întreabă de ce livrarea a întârziat."),
        (None, "ro", "Produsul a sosit deteriorat, clientul cere înlocuire."),
    ],
}
# Items a month, by source, before the recent reviews (the service desk: since the team
# formed).
EARLIER_PER_MONTH = {"trustpilot": 7, "google": 3, "service-desk": 9}
EARLIER_MONTHS = 8

# Reviews of the ranked needs by the advocacy team's lead: (theme slug, when, changes).
# "formed+N": N days after the team formed; "now-N": N days before loading.
NEED_REVIEWS = [
    ("delivery-speed", "formed+5", {"department": "Logistics", "status": "acknowledged"}),
    ("product-quality", "formed+10", {"department": "Product"}),
    ("customer-service", "formed+15", {"department": "Customer Care"}),
    ("delivery-speed", "now-40", {"status": "planned",
                                  "note": "New carrier contract with tracked time slots; "
                                          "Logistics calls customers whose order slips."}),
    ("customer-service", "now-25", {"note": "Phone queue at lunchtime is the main complaint."}),
    ("delivery-damage", "now-12", {"department": "Logistics", "status": "acknowledged"}),
]



@register_demo_loader("feedback")
def load_feedback_demo(now: dt.datetime) -> str:
    users = get_user_model().objects
    manager = users.filter(groups__name="managers").order_by("pk").first()
    formed = team_formed_at(now)
    departments = {department.name: department for department in Department.objects.all()}
    for name in ("Marketing", "Logistics", "Customer Care"):
        departments.setdefault(name, Department.objects.get_or_create(name=name)[0])
    marketing = departments["Marketing"]
    sources = {
        "trustpilot": Source.objects.create(
            name="Trustpilot", slug="trustpilot", platform=Source.Platform.TRUSTPILOT,
            selected=True, owner=manager, department=marketing,
            default_format="trustpilot-csv",
            selection_reason="Where most of our customers leave a review."),
        "google": Source.objects.create(
            name="Google reviews", slug="google", platform=Source.Platform.GOOGLE,
            selected=True, owner=manager, department=marketing,
            default_format="google-reviews-json",
            selection_reason="Local customers find us on Maps."),
        "service-desk": Source.objects.create(
            name="Service desk tickets", slug="service-desk",
            platform=Source.Platform.CUSTOMER_SERVICE, selected=True, owner=manager,
            department=departments["Customer Care"], intake=Source.Intake.WEBHOOK,
            default_format="zendesk-json",
            selection_reason="What customers tell us when they call or write: added when the "
                             "advocacy team formed."),
        "facebook": Source.objects.create(
            name="Facebook page", slug="facebook", platform=Source.Platform.FACEBOOK,
            selected=False, default_format="facebook-comments-json",
            selection_reason="Few comments, mostly questions; revisit next quarter."),
    }
    customers = {customer.external_ref: customer for customer in Customer.objects.filter(
        external_ref__startswith="DEMO-")}
    cataloguer = Cataloguer(Theme.objects.all())
    stored = 0
    for slug, records in _records(now, formed, customers).items():
        stored += store_records(source=sources[slug], records=records, cataloguer=cataloguer)
        Source.objects.filter(pk=sources[slug].pk).update(last_intake_at=now)
    needs = refresh_needs(now=now)
    reviewed = _review_needs(now, formed, manager, departments)
    return (f"Feedback: {len(sources)} sources, {stored} reviews and tickets, {len(needs)} "
            f"customer needs ranked, {reviewed} reviewed.")


def _records(now: dt.datetime, formed: dt.datetime,
             customers: dict[str, Customer]) -> dict[str, list[Record]]:
    """The recent reviews as written above, and the earlier ones drawn month by month."""
    rng = random.Random(20261202)
    found: dict[str, list[Record]] = {slug: [] for slug in [*REVIEWS, *EARLIER]}

    def add(slug: str, posted: dt.datetime, stars, language: str, text: str, ref: str = ""):
        customer = customers.get(ref)
        number = len(found[slug]) + 1
        found[slug].append(Record(
            line=number, text=text, rating=stars,
            rating_scale=(1, 5) if stars is not None else None,
            posted_at=posted, external_id=f"demo-{slug}-{number}", language=language,
            author=customer.name if customer else "", customer_ref=ref, raw={"demo": True}))

    for slug, reviews in REVIEWS.items():
        for number, (days, stars, language, text, ref) in enumerate(reviews):
            add(slug, now - dt.timedelta(days=days, hours=number), stars, language, text, ref)
    for slug, bank in EARLIER.items():
        for month in range(EARLIER_MONTHS):
            for _item in range(EARLIER_PER_MONTH[slug]):
                posted = now - dt.timedelta(days=22 + 30 * month + rng.uniform(0, 30))
                if slug == "service-desk" and posted < formed:
                    continue
                stars, language, text = rng.choice(bank)
                add(slug, posted.replace(microsecond=0), stars, language, text)
    return found


def _review_needs(now: dt.datetime, formed: dt.datetime, actor, departments: dict) -> int:
    """The lead's reviews of the ranked needs, each kept in the need's history at its time."""
    needs = {need.theme.slug: need for need in Need.objects.select_related("theme")}
    reviewed = set()
    for slug, when, changes in NEED_REVIEWS:
        need = needs.get(slug)
        if need is None:
            continue
        base, days = when.split("+") if "+" in when else when.split("-")
        moment = formed + dt.timedelta(days=int(days)) if base == "formed" else (
            now - dt.timedelta(days=int(days)))
        if "department" in changes:
            changes = {**changes, "department": departments[changes["department"]]}
        before = timezone.now()
        update_need(need=need, actor=actor, **changes)
        NeedChange.objects.filter(need=need, changed_at__gte=before).update(changed_at=moment)
        Need.objects.filter(pk=need.pk).update(updated_at=moment)
        reviewed.add(slug)
    return len(reviewed)
