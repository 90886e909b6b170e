"""Demo data for a first look at the desk: staff, a team, customers and their orders.

Loads once: a second run finds the demo customers and adds nothing.
"""

import random
from datetime import datetime, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from cases import services
from cases.demo import DEMO_LOADERS, DEMO_SUMMARIES, team_formed_at
from cases.models import (
    ADVOCATES,
    MANAGERS,
    Case,
    Customer,
    Department,
    Order,
    Team,
    TeamMembership,
)
from cases.schemas import OrderIn, ShipmentEventIn

DEPARTMENTS = [
    ("Customer Care", "Service and advocacy: the customer's side inside the company."),
    ("Logistics", "Warehouses, carriers and deliveries."),
    ("Sales", "Key accounts and the webshop."),
    ("Product", "The range, suppliers and quality."),
    ("Marketing", "Reviews, social media and the newsletter."),
]
TEAMS = [
    # name, kind, department, reply-to address
    ("Customer Advocacy", Team.Kind.ADVOCACY, "Customer Care", "advocacy@desk.example"),
    ("Delivery Operations", Team.Kind.OTHER, "Logistics", "deliveries@desk.example"),
    ("Key Accounts", Team.Kind.OTHER, "Sales", "accounts@desk.example"),
    ("Product Quality", Team.Kind.OTHER, "Product", "quality@desk.example"),
]
LEAD, MEMBER = TeamMembership.Role.LEAD, TeamMembership.Role.MEMBER
DEMO_USERS = [
    # username, password (None: cannot log in), first name, last name, group, team, role,
    # when they joined the team (from now and the day the advocacy team was formed)
    ("advocate", "advocate-demo", "Ada", "Rossi", ADVOCATES, "Customer Advocacy", MEMBER,
     lambda now, formed: now - timedelta(days=330)),
    ("manager", "manager-demo", "Magnus", "Berg", MANAGERS, "Customer Advocacy", LEAD,
     lambda now, formed: formed),
    ("sofia", None, "Sofia", "Marino", ADVOCATES, "Customer Advocacy", MEMBER,
     lambda now, formed: formed + timedelta(days=21)),
    ("lars", None, "Lars", "Strand", MANAGERS, "Delivery Operations", LEAD,
     lambda now, formed: now - timedelta(days=400)),
    ("ioana", None, "Ioana", "Stan", ADVOCATES, "Delivery Operations", MEMBER,
     lambda now, formed: now - timedelta(days=200)),
    ("chiara", None, "Chiara", "Greco", MANAGERS, "Key Accounts", LEAD,
     lambda now, formed: now - timedelta(days=500)),
    ("henrik", None, "Henrik", "Moen", ADVOCATES, "Product Quality", LEAD,
     lambda now, formed: now - timedelta(days=260)),
]

CUSTOMERS = [
    # ref, name, email, language, company, segment, value tier
    (
        "DEMO-C001",
        "Giulia Bianchi",
        "giulia@trattoriabianchi.example",
        "it",
        "Trattoria Bianchi",
        "restaurants",
        "key",
    ),
    (
        "DEMO-C002",
        "Ingrid Haugen",
        "ingrid@fjordbakeri.example",
        "nb",
        "Fjord Bakeri AS",
        "bakeries",
        "high",
    ),
    (
        "DEMO-C003",
        "Andrei Popescu",
        "andrei@cafeaurora.example",
        "ro",
        "Cafenea Aurora",
        "cafes",
        "standard",
    ),
    (
        "DEMO-C004",
        "Emma Clarke",
        "emma@clarkecatering.example",
        "en",
        "Clarke Catering Ltd",
        "catering",
        "high",
    ),
    (
        "DEMO-C005",
        "Marco Esposito",
        "marco@pizzeriavesuvio.example",
        "it",
        "Pizzeria Vesuvio",
        "restaurants",
        "standard",
    ),
    (
        "DEMO-C006",
        "Ola Nordmann",
        "ola@nordlyskafe.example",
        "nb",
        "Nordlys Kafé",
        "cafes",
        "standard",
    ),
    (
        "DEMO-C007",
        "Elena Ionescu",
        "elena@hotelcarpati.example",
        "ro",
        "Hotel Carpați",
        "hotels",
        "key",
    ),
    (
        "DEMO-C008",
        "James Whitaker",
        "james@harbourhotel.example",
        "en",
        "Harbour Hotel",
        "hotels",
        "high",
    ),
    (
        "DEMO-C009",
        "Francesca Ricci",
        "francesca@gelateriaricci.example",
        "it",
        "Gelateria Ricci",
        "cafes",
        "standard",
    ),
    (
        "DEMO-C010",
        "Kari Solberg",
        "kari@solbergkantine.example",
        "nb",
        "Solberg Kantine",
        "catering",
        "standard",
    ),
    (
        "DEMO-C011",
        "Mihai Dumitru",
        "mihai@bistromihai.example",
        "ro",
        "Bistro Mihai",
        "restaurants",
        "standard",
    ),
    (
        "DEMO-C012",
        "Sophie Turner",
        "sophie@greenleafdeli.example",
        "en",
        "Greenleaf Deli",
        "delis",
        "standard",
    ),
]
PRODUCTS = [
    "combi oven",
    "espresso machine",
    "blast chiller",
    "dough mixer",
    "dishwasher",
    "ice-cream machine",
    "pizza oven",
    "fryer",
    "refrigerated counter",
    "spare parts",
]
CARRIERS = ["DHL", "PostNord", "Fan Courier", "UPS", "BRT"]


class Command(BaseCommand):
    help = "Load demo staff, customers and orders once (a second run adds nothing)."

    def handle(self, *args, **options) -> None:
        with transaction.atomic():
            users_created = self.load_staff()
            if Customer.objects.filter(external_ref__startswith="DEMO-").exists():
                self.stdout.write("Demo data is already loaded; nothing added.")
                self.write_summaries()
                return
            now = timezone.now().replace(minute=0, second=0, microsecond=0)
            result = self.load_orders(now)
            cases = self.load_cases(now)
            watched = self.load_risk_rules(timezone.now())
            others = [loader(now) for loader in DEMO_LOADERS.values()]
        self.stdout.write(
            f"Demo data loaded: {users_created} staff users, {len(CUSTOMERS)} customers, "
            f"{result.created} orders, {cases} cases."
        )
        for said in others:
            self.stdout.write(said)
        self.stdout.write(
            f"Risk checks are on. {watched} orders are promised within the next minutes and "
            "have not arrived: watch the queue, proactive cases open for them, before any "
            "customer calls."
        )
        self.write_summaries()

    def write_summaries(self) -> None:
        for summary in DEMO_SUMMARIES.values():
            self.stdout.write(summary())

    def load_cases(self, now: datetime) -> int:
        """A living desk: a case in every status, with impacts, remedies and timelines."""
        User = get_user_model()
        ada, magnus = User.objects.get(username="advocate"), User.objects.get(username="manager")
        customer = {
            c.external_ref: c for c in Customer.objects.filter(external_ref__startswith="DEMO-")
        }
        orders = {o.external_ref: o for o in Order.objects.filter(external_ref__startswith="DEMO-")}

        def case(ref, order_refs, kind, title, origin="proactive", days_ago=1, **extra):
            return services.open_case(
                customer=customer[ref],
                origin=origin,
                kind=kind,
                title=title,
                orders=[orders[o] for o in order_refs],
                actor=None,
                actor_kind="rule" if origin == "proactive" else "user",
                actor_label="Late critical order" if origin == "proactive" else "",
                opened_at=now - timedelta(days=days_ago),
                **extra,
            )

        # Giulia's combi oven: critical, three days late, her lunch service is closed.
        oven = case(
            "DEMO-C001",
            ["DEMO-C001-OVEN"],
            "late_delivery",
            "Replacement combi oven for Trattoria Bianchi is 3 days late",
            days_ago=3,
        )
        services.assign_case(case=oven, owner=ada, actor=ada)
        services.record_impact(
            case=oven,
            actor=ada,
            severity=3,
            currency="EUR",
            money_lost=Decimal("1800"),
            disruption_days=Decimal("3"),
            orders=[orders["DEMO-C001-OVEN"]],
            what_it_stopped="Lunch service closed since Friday: the old oven is gone and the "
            "new one is held at the Bologna hub.",
        )
        services.add_note(
            case=oven,
            actor=ada,
            text="Called Giulia: she has 40 covers booked for Saturday. BRT says two more days.",
        )
        services.propose_remedy(
            case=oven,
            actor=ada,
            kind="expedited_shipping",
            recommended=True,
            summary="Send a new oven from the Milan warehouse by dedicated courier tomorrow",
            cost=Decimal("650"),
            currency="EUR",
            benefit="Kitchen running for the weekend; no more lost covers",
            rationale="Cheaper than her lost weekend and the relationship: key account.",
        )
        services.propose_remedy(
            case=oven,
            actor=ada,
            kind="credit",
            summary="Credit for the lost service days",
            cost=Decimal("90"),
            currency="EUR",
            benefit="Acknowledges the loss",
        )

        # Ingrid's blast chiller: the carrier failed to deliver; nobody has picked it up yet.
        case(
            "DEMO-C002",
            ["DEMO-C002-CHILLER"],
            "late_delivery",
            "Blast chiller for Fjord Bakeri: failed delivery attempt",
            days_ago=0,
        )

        # Emma: delivered late, a credit within the advocate's authority, retained.
        late = min(
            (o for o in orders.values() if o.delivery_state().code == "delivered_late"),
            key=lambda order: order.external_ref,
        )
        emma = case(
            late.customer.external_ref,
            [late.external_ref],
            "late_delivery",
            f"Order {late.external_ref} arrived late for a booked event",
            days_ago=20,
        )
        services.assign_case(case=emma, owner=ada, actor=ada)
        services.record_impact(
            case=emma,
            actor=ada,
            severity=2,
            currency="GBP",
            money_lost=Decimal("240"),
            what_it_stopped="Served a reduced menu at a booked event",
        )
        services.propose_remedy(
            case=emma,
            actor=ada,
            kind="credit",
            cost=Decimal("80"),
            currency="EUR",
            summary="Credit note on the next order",
            benefit="Covers the reduced menu",
        )
        services.resolve_case(
            case=emma,
            actor=ada,
            outcome="retained",
            resolution="Credit note issued and a call from the team lead",
            customer_reaction="Thanked us for calling before she did",
        )

        # Marco called: his pizza oven arrived with a cracked stone.
        marco = services.log_contact(
            customer=customer["DEMO-C005"],
            channel="phone",
            occurred_at=now - timedelta(hours=6),
            summary="Pizza oven arrived with a cracked baking stone",
        ).case
        services.assign_case(case=marco, owner=ada, actor=ada)

        # James: wrong item; waiting for him to confirm the swap.
        james = case(
            "DEMO-C008",
            [],
            "wrong_item",
            "Wrong linen set delivered to Harbour Hotel",
            origin="manual",
            days_ago=4,
        )
        services.assign_case(case=james, owner=ada, actor=ada)
        services.change_status(case=james, status="awaiting_customer", actor=ada)

        # Elena: a billing mistake, resolved but the relationship is at risk; closed.
        elena = case(
            "DEMO-C007",
            [],
            "billing",
            "Invoice charged twice for October",
            origin="manual",
            days_ago=30,
        )
        services.resolve_case(
            case=elena,
            actor=magnus,
            outcome="at_risk",
            resolution="Refunded the double charge",
            customer_reaction="Asked for a meeting about our invoicing",
        )
        services.change_status(case=elena, status="closed", actor=magnus)

        # Mihai: repeated quality problems; he has moved to a competitor.
        mihai = case(
            "DEMO-C011",
            [],
            "product_quality",
            "Third fryer fault this year",
            origin="manual",
            days_ago=45,
        )
        services.resolve_case(
            case=mihai,
            actor=ada,
            outcome="lost",
            resolution="Offered a replacement; the customer declined",
            customer_reaction="Moved to another supplier",
        )
        return Case.objects.count()

    def load_risk_rules(self, now: datetime) -> int:
        """Every rule on (late deliveries with no grace, so the demo moves in minutes), and
        orders of calm customers promised a few minutes from now, shipped and scanned on
        time, that will not arrive: the next risk checks open cases for them."""
        team = Team.objects.get(name="Customer Advocacy")
        settings = {
            "late_delivery": ({"grace_hours": 0}, True),
            "at_risk": ({}, False),
            "carrier_exception": ({}, False),
            "critical_order_watch": ({}, False),
            "repeated_trouble": ({}, False),
        }
        for key, (params, outreach) in settings.items():
            services.update_rule(key=key, changes=services.RuleSettings(
                enabled=True, params=params, owner_team=team, outreach=outreach))
        calm = list(
            Customer.objects.filter(external_ref__startswith="DEMO-")
            .exclude(cases__status__in=Case.OPEN_STATUSES).order_by("external_ref")[:3]
        )
        orders, events = [], []
        for minutes, customer in zip((2, 4, 7), calm, strict=False):
            ref = f"{customer.external_ref}-SOON"
            orders.append({
                "external_ref": ref,
                "customer": {"external_ref": customer.external_ref, "name": customer.name},
                "value": Decimal("1890.00"),
                "currency": "EUR",
                "critical": False,
                "ordered_at": now - timedelta(days=2),
                "promised_delivery_at": now + timedelta(minutes=minutes),
                "shipped_at": now - timedelta(days=1),
                "carrier": "DHL",
                "tracking_number": f"DHL-{ref}",
            })
            events.append({"order_ref": ref, "code": "out_for_delivery",
                           "occurred_at": now - timedelta(hours=1), "location": "Local depot"})
        services.upsert_orders(orders=[OrderIn.model_validate(o) for o in orders])
        services.record_shipment_events(events=[ShipmentEventIn.model_validate(e) for e in events])
        return len(orders)

    def load_staff(self) -> int:
        """Departments, their teams and named staff. Ada has helped customers on her own for
        a year; the customer-advocacy team formed around her three months ago
        (``team_formed_at``); Logistics, Sales and Product have teams of their own, and no
        team coordinates advocacy across the company yet: the step to maturity level 3."""
        created_count = 0
        User = get_user_model()
        now = timezone.now()
        formed = team_formed_at(now)
        departments = {}
        for name, description in DEPARTMENTS:
            departments[name], _ = Department.objects.get_or_create(
                name=name, defaults={"description": description}
            )
        teams = {}
        for name, kind, department, email in TEAMS:
            teams[name], _ = Team.objects.get_or_create(
                name=name,
                defaults={"kind": kind, "department": departments[department], "email": email},
            )
        for username, password, first, last, group, team, role, joined in DEMO_USERS:
            user, created = User.objects.get_or_create(
                username=username,
                defaults={
                    "first_name": first,
                    "last_name": last,
                    "email": f"{username}@desk.example",
                    "is_staff": group == MANAGERS,
                },
            )
            if created:
                if password:
                    user.set_password(password)
                else:
                    user.set_unusable_password()
                user.save()
                created_count += 1
            user.groups.add(Group.objects.get(name=group))
            TeamMembership.objects.get_or_create(
                team=teams[team],
                user=user,
                defaults={"role": role, "joined_at": joined(now, formed)},
            )
        return created_count

    def load_orders(self, now: datetime) -> services.OrderUpsert:
        rng = random.Random(20261123)
        orders, events = [], []
        for number, (ref, name, email, language, company, segment, _tier) in enumerate(
            CUSTOMERS, start=1
        ):
            customer = {
                "external_ref": ref,
                "name": name,
                "email": email,
                "language": language,
                "company": company,
                "segment": segment,
            }
            for index in range(rng.randint(3, 7)):
                ordered = now - timedelta(days=rng.randint(3, 330), hours=rng.randint(0, 9))
                promised = ordered + timedelta(days=rng.choice([2, 3, 5, 7]))
                late = rng.random() < 0.2
                delivered = promised + timedelta(days=rng.randint(1, 6) if late else -1)
                shipped = ordered + timedelta(days=1)
                carrier = rng.choice(CARRIERS)
                orders.append(
                    {
                        "external_ref": f"{ref}-O{index + 1:02d}",
                        "customer": customer,
                        "value": Decimal(rng.randrange(8000, 900000)) / 100,
                        "currency": {"it": "EUR", "nb": "NOK", "ro": "RON"}.get(language, "GBP"),
                        "critical": rng.random() < 0.15,
                        "ordered_at": ordered,
                        "promised_delivery_at": promised,
                        "shipped_at": shipped if shipped < now else None,
                        "delivered_at": delivered if delivered < now else None,
                        "carrier": carrier,
                        "tracking_number": f"{carrier[:2].upper()}{number:02d}{index:03d}",
                    }
                )
        # The stories a new user meets first: orders in trouble right now.
        giulia = orders[0]["customer"]
        orders.append(
            {
                "external_ref": "DEMO-C001-OVEN",
                "customer": giulia,
                "value": Decimal("12480.00"),
                "currency": "EUR",
                "critical": True,
                "ordered_at": now - timedelta(days=9),
                "promised_delivery_at": now - timedelta(days=3),
                "shipped_at": now - timedelta(days=7),
                "delivered_at": None,
                "carrier": "BRT",
                "tracking_number": "BRT-OVEN-1",
            }
        )
        events += [
            {
                "order_ref": "DEMO-C001-OVEN",
                "code": "in_transit",
                "occurred_at": now - timedelta(days=6),
                "location": "Verona hub",
                "description": "Parcel sorted",
            },
            {
                "order_ref": "DEMO-C001-OVEN",
                "code": "delayed",
                "occurred_at": now - timedelta(days=4),
                "location": "Bologna hub",
                "description": "Held: pallet damaged in handling",
                "estimated_delivery_at": now + timedelta(days=2),
            },
        ]
        ingrid = next(o["customer"] for o in orders if o["customer"]["external_ref"] == "DEMO-C002")
        orders.append(
            {
                "external_ref": "DEMO-C002-CHILLER",
                "customer": ingrid,
                "value": Decimal("48900.00"),
                "currency": "NOK",
                "critical": True,
                "ordered_at": now - timedelta(days=4),
                "promised_delivery_at": now + timedelta(days=1),
                "shipped_at": now - timedelta(days=3),
                "delivered_at": None,
                "carrier": "PostNord",
                "tracking_number": "PN-CHILL-7",
            }
        )
        events += [
            {
                "tracking_number": "PN-CHILL-7",
                "code": "in_transit",
                "occurred_at": now - timedelta(days=2),
                "location": "Oslo terminal",
            },
            {
                "tracking_number": "PN-CHILL-7",
                "code": "failed_attempt",
                "occurred_at": now - timedelta(hours=20),
                "location": "Bergen",
                "description": "Recipient address closed",
                "estimated_delivery_at": now + timedelta(days=3),
            },
            # A carrier scan for an order the shop has not sent yet: kept until it arrives.
            {
                "order_ref": "DEMO-C003-NEXT",
                "code": "info_received",
                "occurred_at": now - timedelta(hours=5),
                "location": "Cluj-Napoca",
            },
        ]
        result = services.upsert_orders(orders=[OrderIn.model_validate(o) for o in orders])
        services.record_shipment_events(events=[ShipmentEventIn.model_validate(e) for e in events])
        for ref, *_details, tier in CUSTOMERS:
            Customer.objects.filter(external_ref=ref).update(value_tier=tier, email_consent=True)
        return result
