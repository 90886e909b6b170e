"""Feedback for ``load_demo``: three sources (two selected, one not, each with its reason
and owner) and a month of reviews in the four languages, some from the demo customers, so
the needs, the analysis and the customer pages have something to say."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model

from cases.demo import register_demo_loader
from cases.models import Customer, Department
from feedback.catalogue import Cataloguer
from feedback.formats import Record
from feedback.models import Source, Theme
from feedback.services import refresh_needs, store_records

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


@register_demo_loader("feedback")
def load_feedback_demo(now: dt.datetime) -> str:
    users = get_user_model().objects
    manager = users.filter(groups__name="managers").order_by("pk").first()
    marketing, _created = Department.objects.get_or_create(name="Marketing")
    logistics, _created = Department.objects.get_or_create(name="Logistics")
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
        "facebook": Source.objects.create(
            name="Facebook page", slug="facebook", platform=Source.Platform.FACEBOOK,
            selected=False, default_format="facebook-comments-json",
            selection_reason="Few comments, mostly questions; revisit next quarter."),
    }
    customers = {customer.external_ref: customer for customer in Customer.objects.filter(
        external_ref__startswith="DEMO-")}
    cataloguer = Cataloguer(Theme.objects.all())
    stored = 0
    for slug, reviews in REVIEWS.items():
        records = []
        for number, (days, stars, language, text, ref) in enumerate(reviews):
            customer = customers.get(ref)
            records.append(Record(
                line=number + 1, text=text, rating=stars,
                rating_scale=(1, 5) if stars is not None else None,
                posted_at=now - dt.timedelta(days=days, hours=number),
                external_id=f"demo-{slug}-{number + 1}", language=language,
                author=customer.name if customer else "", customer_ref=ref,
                raw={"demo": True}))
        stored += store_records(source=sources[slug], records=records, cataloguer=cataloguer)
        Source.objects.filter(pk=sources[slug].pk).update(last_intake_at=now)
    needs = refresh_needs(now=now)
    if needs:
        top = needs[0]
        top.department = logistics
        top.save(update_fields=["department"])
    return (f"Feedback: {len(sources)} sources, {stored} reviews, {len(needs)} customer needs "
            f"ranked.")
