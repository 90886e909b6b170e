"""NPS for ``load_demo``: two surveys and a year of answers, so the reports, the customer
pages and the advocates have something to say.

"After delivery" asks a week after an order arrives; "Key accounts 2026" was a campaign to
high-value and key customers. A dozen NPS customers would give a month two or three
answers, too few for an interval worth drawing, so the demo adds a few hundred customers
(``DEMO-N…``) in the four languages, each ordering every month or two and asked at most
once in 90 days across both surveys (never without email consent). About half answer,
most within a couple of days, and about half of them write why, in their language. The
story: the score improves slowly over the year, except one month when a new carrier
delivered late and the NPS fell below the previous month's interval. The twelve named
demo customers answer in keeping with their cases.

Everything is bulk-created in a few statements, consistent with the model's constraints:
one invitation per survey and order (after delivery) or per survey and customer (the
campaign), the category matching the score, the answer's audience facts copied from the
customer as answering does.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth import get_user_model

from cases.demo import register_demo_loader, team_formed_at
from cases.models import Customer, Order
from nps import tokens
from nps.models import Category, Invitation, Response, Survey, category_of
from nps.services.invitations import NO_CONSENT
from nps.services.reports import refresh_invitation_tallies

SEED = 20261201
POOL = 320  # the demo's NPS respondents besides the named customers
THROTTLE = dt.timedelta(days=90)
DELAY = dt.timedelta(days=7)  # "After delivery" asks a week after the order arrives
EXPIRY = dt.timedelta(days=30)
REMINDER = dt.timedelta(days=5)
ANSWER_SHARE = 0.55
DROP_MONTH = 6  # months into the year (0 = eleven months ago): the late-carrier month

QUESTION = {
    "en": ("How likely are you to recommend us to a friend or colleague?",
           "What is the main reason for your score?",
           "What is the one thing we should do better for your business?"),
    "it": ("Quanto è probabile che ci consigli a un amico o a un collega?",
           "Qual è il motivo principale del tuo punteggio?",
           "Qual è la cosa che dovremmo fare meglio per la vostra attività?"),
    "nb": ("Hvor sannsynlig er det at du vil anbefale oss til en venn eller kollega?",
           "Hva er den viktigste grunnen til poengsummen din?",
           "Hva er det viktigste vi kan gjøre bedre for bedriften deres?"),
    "ro": ("Cât de probabil este să ne recomandați unui prieten sau coleg?",
           "Care este motivul principal pentru nota acordată?",
           "Care este lucrul pe care ar trebui să-l facem mai bine pentru afacerea "
           "dumneavoastră?"),
}

# language -> kind -> comments; "late" is what the late-carrier month's detractors wrote.
COMMENTS = {
    "en": {
        "promoter": ["Fast delivery and the oven works perfectly. Thank you!",
                     "Support solved our problem in one call.",
                     "Reliable supplier, we recommend you to other restaurants.",
                     "Great quality and always on time.",
                     "The team kept us informed at every step."],
        "passive": ["Good products, fair prices.", "Fine overall, nothing special."],
        "passive_negative": ["Good kit, but the delivery was two days late.",
                             "The invoice was wrong again and took a week to fix.",
                             "Hard to reach anyone by phone."],
        "detractor": ["The parcel arrived damaged and the refund took a month.",
                      "Nobody answered our emails about the missing parts.",
                      "Too expensive for the quality.",
                      "The blast chiller stopped working after two weeks.",
                      "We had to call three times before anyone helped."],
        "late": ["The new courier lost our order and nobody told us.",
                 "Third late delivery this month: we had to close the kitchen for a day.",
                 "The delivery was a week late and the tracking never moved."],
    },
    "it": {
        "promoter": ["Consegna veloce e il forno funziona benissimo. Grazie!",
                     "L'assistenza ha risolto il problema con una sola telefonata.",
                     "Fornitore affidabile, vi consigliamo ad altri ristoratori.",
                     "Ottima qualità e sempre puntuali.",
                     "Ci avete tenuti informati a ogni passo."],
        "passive": ["Buoni prodotti, prezzi onesti.", "Tutto bene, niente di speciale."],
        "passive_negative": [
            "Buona attrezzatura, ma la consegna è arrivata con due giorni di ritardo.",
            "La fattura era di nuovo sbagliata e ci è voluta una settimana per correggerla.",
            "È difficile parlare con qualcuno al telefono."],
        "detractor": ["Il pacco è arrivato danneggiato e il rimborso ha richiesto un mese.",
                      "Nessuno ha risposto alle nostre email sui pezzi mancanti.",
                      "Troppo caro per la qualità offerta.",
                      "L'abbattitore ha smesso di funzionare dopo due settimane.",
                      "Abbiamo dovuto chiamare tre volte prima di ricevere aiuto."],
        "late": ["Il nuovo corriere ha perso il nostro ordine e nessuno ci ha avvisati.",
                 "Terza consegna in ritardo questo mese: abbiamo chiuso la cucina per un "
                 "giorno.",
                 "La consegna è arrivata con una settimana di ritardo e il tracciamento non "
                 "si è mai aggiornato."],
    },
    "nb": {
        "promoter": ["Rask levering, og ovnen fungerer perfekt. Takk!",
                     "Kundeservice løste problemet på én samtale.",
                     "Pålitelig leverandør, vi anbefaler dere til andre restauranter.",
                     "God kvalitet og alltid i tide.",
                     "Dere holdt oss oppdatert hele veien."],
        "passive": ["Gode produkter, rimelige priser.", "Greit nok, ikke noe spesielt."],
        "passive_negative": ["Bra utstyr, men leveringen kom to dager for sent.",
                             "Fakturaen var feil igjen, og det tok en uke å rette den.",
                             "Vanskelig å nå noen på telefon."],
        "detractor": ["Pakken kom skadet, og refusjonen tok en måned.",
                      "Ingen svarte på e-postene våre om delene som manglet.",
                      "For dyrt for kvaliteten.",
                      "Sjokkjøleren sluttet å virke etter to uker.",
                      "Vi måtte ringe tre ganger før noen hjalp oss."],
        "late": ["Den nye transportøren mistet bestillingen vår, og ingen sa ifra.",
                 "Tredje forsinkede levering denne måneden: vi måtte stenge kjøkkenet en dag.",
                 "Leveringen var en uke forsinket, og sporingen ble aldri oppdatert."],
    },
    "ro": {
        "promoter": ["Livrare rapidă, iar cuptorul funcționează perfect. Mulțumim!",
                     "Serviciul clienți a rezolvat problema dintr-un singur telefon.",
                     "Furnizor de încredere, vă recomandăm și altor restaurante.",
                     "Calitate foarte bună și mereu la timp.",
                     "Ne-ați ținut la curent la fiecare pas."],
        "passive": ["Produse bune, prețuri corecte.", "În regulă, nimic deosebit."],
        "passive_negative": [
            "Echipamente bune, dar livrarea a întârziat două zile.",
            "Factura a fost din nou greșită și a durat o săptămână să fie corectată.",
            "Este greu să vorbești cu cineva la telefon."],
        "detractor": ["Coletul a ajuns deteriorat, iar rambursarea a durat o lună.",
                      "Nimeni nu a răspuns la e-mailurile noastre despre piesele lipsă.",
                      "Prea scump pentru calitatea oferită.",
                      "Răcitorul rapid s-a oprit după două săptămâni.",
                      "A trebuit să sunăm de trei ori până ne-a ajutat cineva."],
        "late": ["Noul curier ne-a pierdut comanda și nimeni nu ne-a anunțat.",
                 "A treia livrare întârziată luna aceasta: am închis bucătăria o zi.",
                 "Livrarea a întârziat o săptămână, iar urmărirea coletului nu s-a actualizat "
                 "niciodată."],
    },
}

FIRST_NAMES = {
    "en": ["Emma", "James", "Sophie", "Oliver", "Grace", "Thomas", "Harry", "Amelia"],
    "it": ["Giulia", "Marco", "Chiara", "Luca", "Sofia", "Matteo", "Paolo", "Alessandro"],
    "nb": ["Ingrid", "Ola", "Kari", "Magnus", "Solveig", "Lars", "Astrid", "Henrik"],
    "ro": ["Andrei", "Elena", "Mihai", "Ioana", "Ștefan", "Ana", "Bogdan", "Roxana"],
}
SURNAMES = {
    "en": ["Clarke", "Turner", "Walker", "Wright", "Evans", "Hughes", "Taylor", "Brown"],
    "it": ["Rossi", "Bianchi", "Ricci", "Romano", "Colombo", "Greco", "Bruno", "Marino"],
    "nb": ["Hansen", "Johansen", "Berg", "Lund", "Moen", "Strand", "Bakken", "Solberg"],
    "ro": ["Popescu", "Ionescu", "Dumitru", "Stan", "Nistor", "Tudor", "Lungu", "Munteanu"],
}
BUSINESS = {
    "restaurants": {"en": "Kitchen", "it": "Trattoria", "nb": "Restaurant", "ro": "Restaurant"},
    "bakeries": {"en": "Bakery", "it": "Panificio", "nb": "Bakeri", "ro": "Brutăria"},
    "cafes": {"en": "Café", "it": "Caffè", "nb": "Kafé", "ro": "Cafenea"},
    "catering": {"en": "Catering", "it": "Catering", "nb": "Catering", "ro": "Catering"},
    "hotels": {"en": "Hotel", "it": "Hotel", "nb": "Hotell", "ro": "Hotel"},
    "delis": {"en": "Deli", "it": "Gastronomia", "nb": "Delikatesse", "ro": "Băcănia"},
}
SUFFIX = {"en": "Ltd", "it": "S.r.l.", "nb": "AS", "ro": "SRL"}
CURRENCY = {"en": "GBP", "it": "EUR", "nb": "NOK", "ro": "RON"}
CARRIERS = ["DHL", "PostNord", "Fan Courier", "UPS", "BRT", "Bring"]

# The named demo customers' answers, in keeping with their stories in load_demo:
# ref -> (survey, days since the invitation, hours to answer or None, score, comment)
NAMED_ANSWERS = {
    "DEMO-C001": ("key-accounts", 75, 20, 8,
                  "Prodotti affidabili, ma le consegne dei ricambi sono spesso lente."),
    "DEMO-C002": ("key-accounts", 75, 30, 9, "Rask levering og hyggelige folk på telefonen."),
    "DEMO-C003": ("after-delivery", 40, 6, 10,
                  "Livrare rapidă și produse excelente. Recomand!"),
    "DEMO-C004": ("after-delivery", 16, 3, 10,
                  "You rang us before we noticed the delay and sorted a credit. That is why "
                  "we keep ordering from you."),
    "DEMO-C005": ("after-delivery", 3, None, None, ""),
    "DEMO-C006": ("after-delivery", 130, 40, 5,
                  "Leveringen var forsinket to ganger, og ingen sa ifra."),
    "DEMO-C007": ("key-accounts", 75, 110, 6,
                  "Factura dublă din octombrie ne-a costat timp. Produsele sunt bune, dar "
                  "vrem o întâlnire."),
    "DEMO-C008": ("after-delivery", 8, 5, 7,
                  "The wrong linen set arrived and we are still waiting for the swap."),
    "DEMO-C009": ("after-delivery", 100, 12, 9, "Ottima qualità, consegna puntuale."),
    "DEMO-C010": ("after-delivery", 60, 2, 10, ""),
    "DEMO-C011": ("after-delivery", 50, 26, 2,
                  "A treia defecțiune a friteuzei anul acesta. Ne gândim să schimbăm "
                  "furnizorul."),
    "DEMO-C012": ("after-delivery", 25, 9, 9, "Easy ordering and friendly support."),
}
NEGATIVE_NAMED = {"DEMO-C001", "DEMO-C008"}  # passives whose comment is a complaint


def month_index(moment: dt.datetime, now: dt.datetime) -> int:
    """0 for eleven months before ``now``'s month ... 11 for its month (negative before)."""
    return 11 - ((now.year - moment.year) * 12 + now.month - moment.month)


def shares(month: int) -> tuple[float, float]:
    """Promoter and detractor shares: slowly better over the year, except the late month."""
    if month == DROP_MONTH:
        return 0.22, 0.52
    month = max(month, 0)
    return 0.40 + 0.014 * month, 0.27 - 0.010 * month


@dataclass
class Asked:
    invitation: Invitation
    answered_at: dt.datetime | None
    month: int
    score: int | None = None
    comment: str = ""


def _texts(campaign: bool) -> dict:
    return {language: {"question": question, "follow_up": campaign_follow_up if campaign
                       else follow_up}
            for language, (question, follow_up, campaign_follow_up) in QUESTION.items()}


def _surveys(now: dt.datetime, manager) -> dict[str, Survey]:
    after = Survey(
        name="After delivery", slug="after-delivery", texts=_texts(False),
        trigger=Survey.Trigger.AFTER_DELIVERY, delay_days=7, starts_at=now - dt.timedelta(
            days=400), reminder_days=5, created_by=manager,
        review_links=[{"label": "Trustpilot", "url": "https://www.trustpilot.com/"},
                      {"label": "Google", "url": "https://www.google.com/maps"}])
    launched = now - dt.timedelta(days=75)
    campaign = Survey(
        name="Key accounts 2026", slug="key-accounts", texts=_texts(True),
        trigger=Survey.Trigger.CAMPAIGN, value_tiers=["high", "key"], starts_at=launched,
        ends_at=launched + dt.timedelta(days=45), launched_at=launched, created_by=manager)
    for survey in (after, campaign):
        survey.full_clean()
        survey.save()
    return {"after-delivery": after, "key-accounts": campaign}


def _pool(rng: random.Random, now: dt.datetime) -> list[Customer]:
    segments = list(BUSINESS)
    customers = []
    for number in range(1, POOL + 1):
        language = rng.choices(list(FIRST_NAMES), [30, 25, 25, 20])[0]
        first, surname = rng.choice(FIRST_NAMES[language]), rng.choice(SURNAMES[language])
        segment = rng.choice(segments)
        tier = rng.choices(Customer.ValueTier.values, [85, 12, 3])[0]
        customers.append(Customer(
            external_ref=f"DEMO-N{number:04d}", name=f"{first} {surname}",
            email=f"nps{number:04d}@{surname.lower().replace('ș', 's')}.example",
            company=f"{BUSINESS[segment][language]} {surname} {SUFFIX[language]}",
            segment=segment, language=language, value_tier=tier,
            email_consent=rng.random() < 0.92,
            created_at=now - dt.timedelta(days=rng.randint(420, 1500))))
    return Customer.objects.bulk_create(customers)


def _order(customer: Customer, ref: str, delivered: dt.datetime, rng: random.Random,
           late: bool = False) -> Order:
    promised = delivered - dt.timedelta(days=rng.randint(2, 4)) if late else delivered
    ordered = promised - dt.timedelta(days=rng.choice([2, 3, 5]))
    carrier = rng.choice(CARRIERS)
    return Order(
        external_ref=ref, customer=customer, currency=CURRENCY[customer.language],
        value=Decimal(rng.randrange(9000, 450000)) / 100, ordered_at=ordered,
        promised_delivery_at=promised, expected_delivery_at=promised,
        shipped_at=ordered + dt.timedelta(days=1), delivered_at=delivered,
        last_scan_at=delivered, carrier=carrier, tracking_number=f"{carrier[:2].upper()}{ref}",
        status=Order.Status.DELIVERED, updated_at=delivered)


def _invitation(survey: Survey, customer: Customer, sent: dt.datetime, now: dt.datetime,
                order: Order | None = None) -> Invitation:
    common = {"survey": survey, "customer": customer, "order": order,
              "language": customer.language, "created_at": sent - dt.timedelta(minutes=20),
              "enqueued_at": sent - dt.timedelta(minutes=20)}
    if not customer.email_consent:
        return Invitation(**common, status=Invitation.Status.SUPPRESSED, reason=NO_CONSENT)
    return Invitation(**common, status=Invitation.Status.SENT, token_hash=tokens.new_token()[1],
                      message_id=f"<nps-demo-{tokens.new_token()[0][:16]}@advocacy.example>",
                      claimed_at=sent - dt.timedelta(seconds=30), sent_at=sent,
                      expires_at=sent + EXPIRY, attempts=1)


def _answer_delay(rng: random.Random) -> dt.timedelta:
    """Most answer within hours of the email, a few after the reminder."""
    return dt.timedelta(hours=rng.expovariate(1 / 18) if rng.random() < 0.85
                        else rng.uniform(120, 200))


def _pool_invitations(customers: list[Customer], surveys: dict[str, Survey],
                      rng: random.Random, now: dt.datetime) -> tuple[list[Order], list[Asked]]:
    """Each pool customer's deliveries over the year, and the invitations the throttle
    allowed: after delivery, and the campaign for high-value and key customers."""
    launched = surveys["key-accounts"].launched_at
    orders, asked = [], []
    for customer in customers:
        campaign_at = None
        if customer.value_tier != Customer.ValueTier.STANDARD:
            campaign_at = launched + dt.timedelta(minutes=rng.randint(1, 90))
        # Asked once before the year began, at a moment of its own: the throttle then
        # spreads everyone's invitations evenly over the months.
        last_asked = now - dt.timedelta(days=rng.uniform(365, 455))
        delivered = now - dt.timedelta(days=rng.uniform(380, 420))
        number, refused = 0, False
        while True:
            delivered += dt.timedelta(days=rng.uniform(35, 80), hours=rng.uniform(-6, 6))
            if delivered > now - dt.timedelta(hours=6):
                break
            number += 1
            late = month_index(delivered + DELAY, now) == DROP_MONTH and rng.random() < 0.6
            order = _order(customer, f"{customer.external_ref}-{number:02d}", delivered, rng,
                           late=late)
            orders.append(order)
            sent = delivered + DELAY + dt.timedelta(minutes=rng.randint(5, 600))
            throttled = (last_asked is not None and sent - last_asked < THROTTLE) or (
                campaign_at is not None and abs(sent - campaign_at) < THROTTLE)
            if sent > now or throttled:
                continue
            if not customer.email_consent and refused:
                continue  # one refusal on record is enough to show it
            last_asked, refused = sent, not customer.email_consent
            asked.append(_asked(surveys["after-delivery"], customer, sent, now, rng, order))
        if campaign_at is not None and campaign_at <= now and not refused:
            asked.append(_asked(surveys["key-accounts"], customer, campaign_at, now, rng))
    return orders, asked


def _asked(survey: Survey, customer: Customer, sent: dt.datetime, now: dt.datetime,
           rng: random.Random, order: Order | None = None) -> Asked:
    invitation = _invitation(survey, customer, sent, now, order)
    answered_at = None
    if invitation.status == Invitation.Status.SENT and rng.random() < ANSWER_SHARE:
        answered_at = sent + _answer_delay(rng)
        if answered_at >= min(now, invitation.expires_at):
            answered_at = None
    return Asked(invitation, answered_at, month_index(answered_at or sent, now))


def _score_months(asked: list[Asked], rng: random.Random) -> None:
    """Scores by month in the month's exact shares, so the story holds whatever the draw."""
    by_month: dict[int, list[Asked]] = defaultdict(list)
    for item in asked:
        if item.answered_at is not None and item.score is None:
            by_month[item.month].append(item)
    for month, items in by_month.items():
        rng.shuffle(items)
        promoter_share, detractor_share = shares(month)
        promoters = round(len(items) * promoter_share)
        detractors = round(len(items) * detractor_share)
        for position, item in enumerate(items):
            if position < promoters:
                item.score = rng.choice([9, 10, 10])
            elif position < promoters + detractors:
                item.score = rng.choice([0, 2, 3, 4, 5, 5, 6, 6, 6])
            else:
                item.score = rng.choice([7, 8, 8])
            item.comment = _comment(item, month, rng)


def _comment(item: Asked, month: int, rng: random.Random) -> str:
    category = category_of(item.score)
    if rng.random() > {"promoter": 0.35, "passive": 0.45, "detractor": 0.7}[category]:
        return ""
    bank = COMMENTS[item.invitation.language]
    if category == Category.DETRACTOR and month == DROP_MONTH and rng.random() < 0.8:
        return rng.choice(bank["late"])
    if category == Category.PASSIVE and rng.random() < 0.4:
        return rng.choice(bank["passive_negative"])
    return rng.choice(bank[category])


def _named(surveys: dict[str, Survey], rng: random.Random, now: dt.datetime
           ) -> tuple[list[Order], list[Asked]]:
    customers = {customer.external_ref: customer
                 for customer in Customer.objects.filter(external_ref__in=NAMED_ANSWERS)}
    orders, asked = [], []
    for ref, (slug, days, hours, score, comment) in NAMED_ANSWERS.items():
        customer = customers.get(ref)
        if customer is None:
            continue
        customer.email_consent = True  # they were asked: they had agreed
        sent = now - dt.timedelta(days=days)
        order = None
        if slug == "after-delivery":
            order = _order(customer, f"{ref}-NPS", sent - DELAY, rng)
            orders.append(order)
        item = _asked(surveys[slug], customer, sent, now, rng, order)
        item.answered_at = None if hours is None else sent + dt.timedelta(hours=hours)
        item.score, item.comment = score, comment
        item.month = month_index(item.answered_at or sent, now)
        asked.append(item)
    Customer.objects.filter(external_ref__in=NAMED_ANSWERS).update(email_consent=True)
    return orders, asked


def _store(orders: list[Order], asked: list[Asked], now: dt.datetime, follower) -> int:
    Order.objects.bulk_create(orders, batch_size=1000)
    for item in asked:
        if item.invitation.order is not None:
            item.invitation.order_id = item.invitation.order.pk
        invitation = item.invitation
        if invitation.status == Invitation.Status.SENT:
            invitation.answered_at = item.answered_at
            remind_at = invitation.sent_at + REMINDER
            unanswered_then = item.answered_at is None or item.answered_at > remind_at
            if unanswered_then and remind_at < now and invitation.survey.reminder_days:
                invitation.reminded_at = remind_at
                invitation.reminder_token_hash = tokens.new_token()[1]
            if item.answered_at is not None:
                invitation.opened_at = item.answered_at - dt.timedelta(minutes=2)
    Invitation.objects.bulk_create([item.invitation for item in asked], batch_size=1000)
    responses = []
    for item in asked:
        if item.answered_at is None:
            continue
        invitation, customer = item.invitation, item.invitation.customer
        category = category_of(item.score)
        negative = category == Category.PASSIVE and (
            item.comment in {text for bank in COMMENTS.values()
                             for text in bank["passive_negative"]}
            or customer.external_ref in NEGATIVE_NAMED)
        recent = now - item.answered_at < dt.timedelta(days=21)
        responses.append(Response(
            invitation=invitation, survey=invitation.survey, customer=customer,
            score=item.score, category=category, comment=item.comment,
            language=invitation.language, segment=customer.segment,
            value_tier=customer.value_tier, answered_at=item.answered_at,
            follow_up=negative and recent,
            followed_up_at=item.answered_at + dt.timedelta(days=2)
            if negative and not recent else None,
            followed_up_by=follower if negative and not recent else None,
            follow_up_note="Called back: apologised and agreed what we change."
            if negative and not recent else ""))
    Response.objects.bulk_create(responses, batch_size=1000)
    return len(responses)


@register_demo_loader("nps")
def load_nps_demo(now: dt.datetime) -> str:
    rng = random.Random(SEED)
    users = get_user_model().objects
    manager = users.filter(groups__name="managers").order_by("pk").first()
    advocate = users.filter(groups__name="advocates").order_by("pk").first()
    surveys = _surveys(now, manager)
    pool = _pool(rng, now)
    orders, asked = _pool_invitations(pool, surveys, rng, now)
    _score_months(asked, rng)
    named_orders, named = _named(surveys, rng, now)
    answered = _store(orders + named_orders, asked + named, now, advocate)
    refresh_invitation_tallies(full=True)
    sent = sum(item.invitation.status == Invitation.Status.SENT for item in asked + named)
    return (f"NPS: {len(surveys)} surveys, {len(pool)} more customers with "
            f"{len(orders) + len(named_orders)} delivered orders, {sent} invitations sent, "
            f"{answered} answers.")


# --- brand advocates and the closed loop ----------------------------------------------------

# Named promoters the desk made brand advocates, and what it did to keep them:
# ref -> [(practice, days ago, what)]. Nobody has used "presence" yet, DEMO-C002's only
# care action is months old and DEMO-C003 has none: the Advocates page shows those gaps.
ADVOCATE_CARE = {
    "DEMO-C004": [("appreciation", 12, "Thank-you call from the account manager after their "
                                       "10."),
                  ("active_listening", 40, "Asked how the delay credit worked for them; they "
                                           "suggested text-message delivery alerts.")],
    "DEMO-C002": [("recognition", 130, "Featured Fjord Bakeri in the spring newsletter.")],
    "DEMO-C003": [],
    "DEMO-C009": [("accessibility", 20, "Gave them their advocate's direct line."),
                  ("mutual_respect", 60, "Replaced the faulty part the same day.")],
}
POOL_ADVOCATES = 3  # pool promoters confirmed too, besides one whose score has since dropped
# What the team did for the first pool advocates since it formed: with it, most brand
# advocates got a care action in the last 90 days (a level-3 criterion the demo meets).
POOL_CARE = [
    [("appreciation", 18, "Sent a thank-you hamper after their third 10.")],
    [("recognition", 35, "Quoted them, with their permission, on our trade-fair stand."),
     ("active_listening", 70, "Invited them to test the new ordering app.")],
    [("mutual_respect", 50, "Kept our word on the delivery slot they asked for, every week.")],
]


@register_demo_loader("nps-advocates")
def load_advocates_demo(now: dt.datetime) -> str:
    """Promoters become candidates (as answering makes them: these answers were bulk-loaded),
    a few are confirmed with care actions, one is declined; the detractor rule is switched
    on and run, so detractors' cases are in the queue."""
    from django.db.models import IntegerField, Min, OuterRef, Subquery
    from django.utils import timezone

    from cases import services as desk
    from cases.models import Team
    from nps.models import AdvocateProfile
    from nps.services import advocates as care

    users = get_user_model().objects
    manager = users.filter(groups__name="managers").order_by("pk").first()
    advocate = users.filter(groups__name="advocates").order_by("pk").first() or manager
    promoters = (Response.objects.filter(score__gte=9).order_by().values("customer_id")
                 .annotate(first=Min("answered_at")))
    AdvocateProfile.objects.bulk_create(
        [AdvocateProfile(customer_id=row["customer_id"], since=row["first"]) for row in promoters],
        ignore_conflicts=True, batch_size=1000)

    last_score = Subquery(Response.objects.filter(customer=OuterRef("customer_id"))
                          .order_by("-answered_at").values("score")[:1],
                          output_field=IntegerField())
    pool = (AdvocateProfile.objects.filter(customer__external_ref__startswith="DEMO-N")
            .annotate(last_score=last_score).select_related("customer")
            .order_by("customer__external_ref"))
    dropped = pool.filter(last_score__lt=9)[:1]
    steady = list(pool.filter(last_score__gte=9)[:POOL_ADVOCATES + 1])
    chosen = {profile.customer.external_ref: profile for profile in
              AdvocateProfile.objects.select_related("customer").filter(
                  customer__external_ref__in=ADVOCATE_CARE)}
    for profile in [*dropped, *steady[:POOL_ADVOCATES]]:
        chosen[profile.customer.external_ref] = profile
    actions = 0
    planned = dict(ADVOCATE_CARE)
    for profile, actions_done in zip(steady, POOL_CARE, strict=False):
        planned[profile.customer.external_ref] = actions_done
    for ref, profile in chosen.items():
        care.confirm_advocate(profile=profile, actor=manager,
                              note="Recommends us to other businesses in their trade.")
        for practice, days, what in planned.get(ref, []):
            care.add_care_action(advocate=profile, practice=practice, description=what,
                                 actor=advocate,
                                 done_on=timezone.localdate(now) - dt.timedelta(days=days))
            actions += 1
    # Confirmed as the team got to know them: after their first 9 or 10 and before their
    # first care action, never after today.
    formed = team_formed_at(now)
    for number, profile in enumerate(chosen.values()):
        first_care = min((timezone.localdate(now) - dt.timedelta(days=days)
                          for _practice, days, _what in planned.get(
                              profile.customer.external_ref, [])), default=None)
        confirmed = max(profile.since + dt.timedelta(days=3), formed + dt.timedelta(
            days=4 + 6 * number))
        if first_care is not None:
            confirmed = min(confirmed, timezone.make_aware(dt.datetime.combine(
                first_care - dt.timedelta(days=2), dt.time(10))))
        AdvocateProfile.objects.filter(pk=profile.pk).update(
            confirmed_at=min(confirmed, now - dt.timedelta(hours=2)))
    if len(steady) > POOL_ADVOCATES:
        care.decline_advocate(profile=steady[POOL_ADVOCATES], actor=manager,
                              note="A reseller: they recommend our products to sell them.")

    team = Team.objects.filter(name="Customer Advocacy").first()
    desk.update_rule(key="nps_detractor", changes=desk.RuleSettings(
        enabled=True, params={}, owner_team=team, outreach=False))
    run = desk.run_rule(key="nps_detractor")
    candidates = AdvocateProfile.objects.filter(status=AdvocateProfile.Status.CANDIDATE).count()
    return (f"Advocates: {len(chosen)} brand advocates with {actions} care actions, "
            f"{candidates} candidates to review; {run.cases_opened} detractor cases opened, "
            f"{run.signals_new - run.cases_opened} detractor answers joined open cases.")
