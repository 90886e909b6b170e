"""The case desk at volume: 100k cases over the bench customers and their orders, with 1M
timeline events, loss impacts, remedies, customer contacts and the emails the desk sent.

Cases are drawn as a desk lives them: about 15% open (new ones unassigned, some past their
due dates), the rest resolved or closed with an outcome. Each timeline tells the story the
desk's services would have written, with their ``data`` shapes: opened (by a risk rule, a
customer contact, NPS, feedback or an advocate), assigned, the first email, the loss
impact, remedies and managers' decisions, notes, more emails and contacts, status changes,
the resolution. A few long-running cases carry a few hundred events.

Case ids follow ``opened_at`` and event ids ``created_at``, as on a live table: events are
staged, then inserted in time order, so one case's events lie scattered over the table.
Staff (``bench-advocate-N``, advocates and managers in three teams) are made with the ORM
and kept between loads.
"""

from __future__ import annotations

import json
import math
import random
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection

from cases.models import (
    ADVOCATES,
    MANAGERS,
    Case,
    CaseEvent,
    Contact,
    DeskSettings,
    Impact,
    OutboundEmail,
    Remedy,
    SlaTarget,
    Team,
    TeamMembership,
)
from tests.bench.generate import (
    CARRIERS,
    CURRENCY_OF_LANGUAGE,
    FIRST_NAMES,
    HISTORY_DAYS,
    SURNAMES,
    Generator,
    copy_rows,
    reset_sequences,
)

CASES = 100_000
EVENTS = 1_000_000
CASE_ORDERS = 130_000  # about 1.3 orders per case; a quarter of the cases have none
IMPACTS = 40_000
REMEDIES = 50_000
CONTACTS = 30_000
LINKED_CONTACT_SHARE = 0.85  # the rest never became a case (a question, an invoice copy)
OPEN_SHARE = 0.15
SAGA_SHARE = 0.0002  # long-running cases, 120 to 320 events each
SAGA_EVENTS = (120, 320)
STAFF = 30
MANAGING_STAFF = 6  # the last six bench advocates are managers, two per team
MAX_ORDERS_PER_CASE = 6
DAY = 86_400.0
HOUR = 3_600.0

CASE_TABLE = Case._meta.db_table
CASE_ORDER_TABLE = Case.orders.through._meta.db_table
EVENT_TABLE = CaseEvent._meta.db_table
IMPACT_TABLE = Impact._meta.db_table
IMPACT_ORDER_TABLE = Impact.orders.through._meta.db_table
REMEDY_TABLE = Remedy._meta.db_table
CONTACT_TABLE = Contact._meta.db_table
EMAIL_TABLE = OutboundEmail._meta.db_table

# Plain strings, never the TextChoices members: psycopg dumps an Enum by its name.
NEW, IN_PROGRESS = Case.Status.NEW.value, Case.Status.IN_PROGRESS.value
AWAITING_DECISION = Case.Status.AWAITING_DECISION.value
AWAITING_CUSTOMER = Case.Status.AWAITING_CUSTOMER.value
RESOLVED, CLOSED = Case.Status.RESOLVED.value, Case.Status.CLOSED.value
OPEN_STATUSES = {NEW: 25, IN_PROGRESS: 45, AWAITING_DECISION: 12, AWAITING_CUSTOMER: 18}
PRIORITY_WEIGHTS = {1: 5, 2: 20, 3: 55, 4: 20}
DEFAULT_SLA_HOURS = {1: (1, 24), 2: (4, 72), 3: (24, 120), 4: (48, 240)}
PENDING, APPROVED = Remedy.Decision.PENDING.value, Remedy.Decision.APPROVED.value
REJECTED, NOT_NEEDED = Remedy.Decision.REJECTED.value, Remedy.Decision.NOT_NEEDED.value

# kind: weight, {origin: weight}, share of cases with orders
KINDS: dict[str, tuple[int, dict[str, int], float]] = {
    "late_delivery": (30, {"proactive": 80, "contact": 10, "manual": 10}, 1.0),
    "damaged_or_lost": (12, {"proactive": 60, "contact": 30, "manual": 10}, 1.0),
    "wrong_item": (10, {"contact": 40, "manual": 45, "feedback": 15}, 1.0),
    "billing": (9, {"contact": 40, "manual": 60}, 0.9),
    "product_quality": (10, {"contact": 35, "manual": 35, "feedback": 30}, 0.9),
    "service_failure": (6, {"contact": 30, "feedback": 40, "manual": 30}, 0.5),
    "churn_risk": (7, {"proactive": 80, "manual": 20}, 0.0),
    "detractor": (6, {"nps": 100}, 0.0),
    "negative_review": (3, {"feedback": 60, "manual": 40}, 0.0),
    "other": (7, {"contact": 25, "manual": 75}, 0.3),
}
PROBLEM_KINDS = {"late_delivery", "damaged_or_lost"}
for _kind, (_weight, _origins, _share) in KINDS.items():
    assert _kind in Case.Kind.values and set(_origins) <= set(Case.Origin.values)
OUTCOMES = {"retained": 78, "at_risk": 15, "lost": 7}
TROUBLED_OUTCOMES = {"retained": 55, "at_risk": 30, "lost": 15}  # churn risks, detractors
SEVERITIES = {1: 25, 2: 40, 3: 25, 4: 10}
REMEDY_KINDS = {"refund": 14, "credit": 24, "replacement": 16, "expedited_shipping": 12,
                "discount": 10, "personal_call": 10, "goodwill_gesture": 8, "process_fix": 6}
CHANNELS = {"email": 35, "phone": 40, "chat": 15, "social": 5, "other": 5}
TEAMS = {  # team -> the customer languages it serves
    "Advocacy Nordics": ("nb",),
    "Advocacy Italy": ("it",),
    "Advocacy UK & Romania": ("en", "ro"),
}
RULE_LABELS = {"late_delivery": "Late critical order", "damaged_or_lost": "Carrier problem",
               "churn_risk": "Falling order volume"}
# The rule that opened a proactive case of each kind (``Case.opened_by_rule``).
RULE_KEYS = {"late_delivery": "late_delivery", "damaged_or_lost": "carrier_exception",
             "churn_risk": "repeated_trouble"}
SYSTEM_LABELS = {"nps": "NPS survey", "feedback": "Feedback form"}
GREETINGS = {"en": "Dear", "it": "Gentile", "nb": "Hei", "ro": "Stimată/Stimate"}
PRODUCTS = ["combi oven", "espresso machine", "blast chiller", "dough mixer", "dishwasher",
            "ice-cream machine", "pizza oven", "fryer", "refrigerated counter", "spare parts",
            "coffee grinder", "proofing cabinet", "vacuum sealer", "linen set", "glassware"]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]

TITLES = {
    "late_delivery": ["Order {ref} is {days} days late", "{product} for {company} missed its "
                      "promised date", "Late delivery: {ref} ({carrier})"],
    "damaged_or_lost": ["{carrier} lost {ref}", "{product} arrived damaged ({ref})",
                        "Crushed pallet on {ref}"],
    "wrong_item": ["Wrong {product} delivered on {ref}", "Received the wrong model ({ref})"],
    "billing": ["Charged twice for {ref}", "Invoice does not match the order",
                "VAT missing on the invoice for {ref}"],
    "product_quality": ["{product} faulty on arrival", "Second {product} fault this year",
                        "Quality complaint on {ref}"],
    "service_failure": ["Promised callback never happened", "No answer from support for a "
                        "week", "Installer did not show up"],
    "churn_risk": ["{company}: orders down {pct}% in 90 days", "{company} stopped ordering"],
    "detractor": ["NPS {score} from {name}", "Detractor: \"deliveries always late\""],
    "negative_review": ["1-star review from {company}", "Negative review on Google"],
    "other": ["Asks for a dedicated contact", "Question about delivery windows"],
}
DESCRIPTIONS = {
    "late_delivery": "{ref} was promised for {weekday}; {carrier} now says {days} more days. "
                     "The {product} is needed for service.",
    "damaged_or_lost": "{carrier} reports a problem with {ref}; the {product} is damaged or "
                       "missing.",
    "wrong_item": "The customer received the wrong {product} on {ref}.",
    "billing": "The invoice for {ref} does not match what was ordered.",
    "product_quality": "The {product} stopped working within days of delivery.",
    "service_failure": "The customer waited days for an answer we had promised.",
    "churn_risk": "Order volume fell {pct}% over the last 90 days.",
    "detractor": "Scored us {score} in the NPS survey: \"late again, nobody told us\".",
    "negative_review": "Public review complaining about late and damaged deliveries.",
    "other": "",
}
SIGNALS = {
    "late_delivery": "{ref} is {days} days past its promised delivery date",
    "damaged_or_lost": "{carrier} reports an exception on {ref}",
    "churn_risk": "Orders down {pct}% over 90 days",
}
NOTES = [
    "Called {first}: the {product} is needed for {weekday} service. {carrier} says {days} more "
    "days.",
    "{carrier} confirms {ref} is held at the hub; asked them to prioritise it.",
    "Left a voicemail for {first}; will try again after lunch.",
    "Warehouse checked stock: a replacement {product} can ship today.",
    "Customer sent photos of the damage; forwarded to the carrier's claims team.",
    "Spoke with {colleague} in logistics: the delay comes from a missed linehaul.",
    "{first} prefers email; keep calls short.",
    "Order history: {days} late deliveries for {first} this quarter.",
    "Opened a carrier claim for {ref}.",
    "Finance confirms the double charge on {ref}.",
    "Asked {first} for the invoice number and photos.",
    "{first} is calm but clear: one more late delivery and they change supplier.",
    "Promised {first} a callback before 16:00.",
    "Tracking says delivered but {first} has nothing; asked {carrier} for proof of delivery.",
    "Checked with {colleague}: the {product} can be collected from the Milan warehouse.",
    "{carrier} will redeliver {ref} on {weekday} morning.",
    "Customer confirmed the replacement arrived in good condition.",
    "Escalated to the carrier account manager.",
    "Discussed with {colleague}: a credit is within my authority.",
    "{first} asked whether we can deliver before 7:00 in future.",
    "No reply to yesterday's email; called the restaurant directly.",
    "Noted for the account review: third incident with {carrier} this month.",
]
EMAIL_SUBJECTS = ["About your order {ref}", "Your {product} delivery", "Update on case "
                  "#{case}", "We are sorry about {ref}", "Next steps for your {product}"]
EMAIL_LINES = [
    "I am sorry that {ref} did not arrive when we promised.",
    "{carrier} has confirmed the new delivery date: {weekday}.",
    "We have sent a replacement {product} from our nearest warehouse.",
    "A credit note will be on your next invoice.",
    "Could you send us a photo of the damaged packaging?",
    "I will call you tomorrow morning with an update.",
    "Thank you for your patience while we sort this out.",
    "Your refund has been approved and will reach you within five working days.",
]
CONTACTS_SAID = [
    "Where is {ref}? It was promised for {weekday}.",
    "The {product} arrived damaged; the box was crushed.",
    "Received the wrong {product}.",
    "The invoice shows {ref} charged twice.",
    "Still waiting for the refund promised last week.",
    "Asks for someone to call back today.",
    "Unhappy with the delivery window again.",
    "Wants to know if the {product} can come before the weekend.",
]
UNLINKED_CONTACTS_SAID = ["Asked for a copy of the invoice.", "Changed the delivery address.",
                          "Asked about opening hours over the holidays.",
                          "Wanted the price list for next season."]
IMPACTS_SAID = [
    "Lunch service closed for {days} days without the {product}.",
    "Could not serve a booked event of 80 covers.",
    "Sold out by 10:00; lost the morning trade.",
    "Staff idle while waiting for the {product}.",
    "Had to hire a replacement {product} for the week.",
    "",
]
REMEDY_SUMMARIES = {
    "refund": "Refund {ref} in full", "credit": "Credit note on the next order",
    "replacement": "Send a replacement {product} from the nearest warehouse",
    "expedited_shipping": "Ship the replacement by express courier tomorrow",
    "discount": "10% off the next three orders", "personal_call": "A call from the team lead",
    "goodwill_gesture": "A gift box with the next delivery",
    "process_fix": "Flag the account for manual packing checks",
}
BENEFITS = ["Kitchen running again before the weekend", "Covers the lost service",
            "Acknowledges the trouble we caused", "No more lost covers"]
RATIONALES = ["Key account: cheaper than losing them.", "Third incident this quarter.",
              "Within what we gave for similar cases.", ""]
REJECTIONS = ["Cost out of proportion to the loss; offer a credit instead.",
              "The carrier is liable; claim from them first."]
OVERRIDES = ["Key account: the owner escalated to sales.", "Event this weekend: needs the "
             "goods by Friday.", "Third incident this quarter."]
REOPENS = ["The replacement also arrived damaged.", "The customer got in touch again.",
           "The refund did not reach the customer."]
RESOLUTIONS = {
    "retained": ["Replacement delivered and a credit note issued.", "Refunded the delivery "
                 "charge; the customer appreciated the call.", "Redelivered with express "
                 "shipping; the customer is satisfied."],
    "at_risk": ["Refunded in full; the customer is looking at other suppliers.",
                "Credit issued, but the customer asked for a meeting about reliability."],
    "lost": ["The customer cancelled the standing order and moved to a competitor."],
}
REACTIONS = ["Thanked us for calling before they had to.", "Accepted the credit, still "
             "annoyed about the delay.", "", "Asked for a dedicated contact."]


# --- sizes --------------------------------------------------------------------------------


def scaled(count: int, scale: float) -> int:
    return max(1, round(count * scale))


def desk_expected(scale: float) -> dict[str, int]:
    return {
        CASE_TABLE: scaled(CASES, scale),
        CASE_ORDER_TABLE: scaled(CASE_ORDERS, scale),
        EVENT_TABLE: scaled(EVENTS, scale),
        IMPACT_TABLE: scaled(IMPACTS, scale),
        REMEDY_TABLE: scaled(REMEDIES, scale),
        CONTACT_TABLE: scaled(CONTACTS, scale),
    }


def weighted(rng: random.Random, weights: dict) -> object:
    return rng.choices(list(weights), list(weights.values()))[0]


# --- what the desk already holds: staff, customers, orders, settings ----------------------


@dataclass(frozen=True)
class Staff:
    id: int
    username: str
    label: str
    manager: bool
    team: int


def desk_staff() -> dict[int, list[Staff]]:
    """Thirty staff in three teams, each with two managers: team id -> members."""
    groups = {name: Group.objects.get(name=name) for name in (ADVOCATES, MANAGERS)}
    teams = []
    for name in TEAMS:
        slug = name.split()[-1].lower()
        team, _ = Team.objects.get_or_create(
            name=name, defaults={"kind": Team.Kind.ADVOCACY, "email": f"{slug}@desk.example"}
        )
        teams.append(team)
    members: dict[int, list[Staff]] = {team.pk: [] for team in teams}
    for number in range(STAFF):
        team = teams[number % len(teams)]
        manager = number >= STAFF - MANAGING_STAFF
        user, _ = get_user_model().objects.get_or_create(username=f"bench-advocate-{number}")
        user.first_name = FIRST_NAMES[number * 7 % len(FIRST_NAMES)]
        user.last_name = SURNAMES[number * 11 % len(SURNAMES)]
        user.email, user.is_active = f"bench-advocate-{number}@desk.example", True
        user.save()
        user.groups.set([groups[MANAGERS if manager else ADVOCATES]])
        TeamMembership.objects.filter(user=user).exclude(team=team).delete()
        role = TeamMembership.Role.LEAD if manager else TeamMembership.Role.MEMBER
        TeamMembership.objects.update_or_create(team=team, user=user,
                                                defaults={"role": role.value})
        members[team.pk].append(Staff(user.pk, user.username, user.get_full_name(), manager,
                                      team.pk))
    return members


@dataclass(frozen=True)
class CustomerInfo:
    name: str
    email: str
    language: str
    company: str


def customers() -> dict[int, CustomerInfo]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, name, email, language, company FROM cases_customer")
        return {row[0]: CustomerInfo(*row[1:]) for row in cursor.fetchall()}


class OrderIndex:
    """Every order by ``ordered_at``: ids, customers, times (epoch seconds), whether the
    delivery went wrong (late, lost, returned), and each customer's orders in time order."""

    PROBLEM = """
        status IN ('problem', 'returned')
        OR (promised_delivery_at IS NOT NULL
            AND coalesce(delivered_at, expected_delivery_at) > promised_delivery_at)
    """

    def __init__(self) -> None:
        self.ids, self.customers = array("q"), array("q")
        self.times, self.problem = array("d"), bytearray()
        self.by_customer: dict[int, list[int]] = {}
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT id, customer_id, extract(epoch FROM ordered_at)::float8, "
                f"({self.PROBLEM}) FROM cases_order ORDER BY ordered_at, id"
            )
            while rows := cursor.fetchmany(50_000):
                for order_id, customer_id, at, problem in rows:
                    self.by_customer.setdefault(customer_id, []).append(len(self.ids))
                    self.ids.append(order_id)
                    self.customers.append(customer_id)
                    self.times.append(at)
                    self.problem.append(bool(problem))
        if not self.ids:
            raise ValueError("The desk's cases need the bench customers and orders first.")

    def window(self, start: float, end: float) -> tuple[int, int]:
        """Positions of the orders placed in [start, end], widened to at least 50 orders."""
        low, high = bisect_left(self.times, start), bisect_right(self.times, end)
        if high - low < 50:
            high = max(high, min(len(self.ids), 50))
            low = max(0, min(low, high - 50))
        return low, high

    def refs(self, positions: Sequence[int]) -> dict[int, str]:
        """position -> external ref, for the orders the cases link."""
        by_id = {self.ids[position]: position for position in positions}
        with connection.cursor() as cursor:
            cursor.execute("SELECT id, external_ref FROM cases_order WHERE id = ANY(%s)",
                           [list(by_id)])
            return {by_id[order_id]: ref for order_id, ref in cursor.fetchall()}


def sla_hours() -> dict[int, tuple[int, int]]:
    hours = dict(DEFAULT_SLA_HOURS)
    for target in SlaTarget.objects.all():
        hours[target.priority] = (target.first_response_hours, target.resolution_hours)
    return hours


# --- the plan: what happens to each case --------------------------------------------------


@dataclass(frozen=True)
class PlannedRemedy:
    kind: str
    cost: Decimal
    currency: str
    decision: str


@dataclass(slots=True)
class Plan:
    kind: str
    origin: str
    status: str
    priority: int
    opened: float  # epoch seconds
    resolved: float | None = None
    closed: float | None = None
    saga: bool = False
    id: int = 0
    customer: int = 0
    orders: list[int] = field(default_factory=list)  # order index positions
    owner: Staff | None = None
    previous_owner: Staff | None = None
    team: int | None = None
    outcome: str = ""
    first_outcome: str = ""  # a case resolved, then reopened: the first outcome
    severity: int | None = None  # the loss impact's, when one is recorded
    remedies: list[PlannedRemedy] = field(default_factory=list)
    contacts: int = 0  # customer contacts in the timeline
    fillers: int = 0  # notes and emails
    waited_for_customer: bool = False
    override: bool = False
    recomputed: bool = False  # the desk raised the priority after the impact
    signal: bool = False


def plan_cases(count: int, rng: random.Random, now: float,
               sla: dict[int, tuple[int, int]]) -> list[Plan]:
    """Kind, origin, status, priority and dates of every case, numbered by opening time."""
    sagas = set(rng.sample(range(count), max(1, round(count * SAGA_SHARE))))
    kind_weights = {kind: weight for kind, (weight, _o, _s) in KINDS.items()}
    plans = []
    for index in range(count):
        saga = index in sagas  # a long dispute about a delivery gone wrong
        kind = rng.choice(sorted(PROBLEM_KINDS)) if saga else weighted(rng, kind_weights)
        origin = weighted(rng, KINDS[kind][1])
        priority = weighted(rng, PRIORITY_WEIGHTS)
        first_response_hours, resolution_hours = sla[priority]
        if rng.random() < OPEN_SHARE:
            status = weighted(rng, OPEN_STATUSES)
            if saga:
                age = rng.uniform(40, 120) * DAY
                status = IN_PROGRESS
            elif status == NEW:
                age = first_response_hours * HOUR * rng.uniform(0.05, 2.0)
            elif rng.random() < 0.72:
                age = resolution_hours * HOUR * rng.uniform(0.05, 1.0)
            else:  # past its resolution due date
                age = resolution_hours * HOUR * rng.uniform(1.0, 2.5)
            plans.append(Plan(kind, origin, status, priority, now - age, saga=saga))
            continue
        if saga:
            duration = rng.uniform(30, 150) * DAY
        else:
            duration = resolution_hours * HOUR * rng.lognormvariate(math.log(0.5), 0.6)
            duration = max(duration, 2 * HOUR)
        # not in the orders' first days, so every case finds orders placed before it
        opened = now - rng.uniform(duration + 2 * HOUR, (HISTORY_DAYS - 10) * DAY)
        resolved = opened + duration
        closed = resolved + rng.uniform(3, 10) * DAY if rng.random() < 0.9 else None
        if closed is not None and closed > now - HOUR:
            closed = None
        troubled = kind in ("churn_risk", "detractor")
        outcome = weighted(rng, TROUBLED_OUTCOMES if troubled else OUTCOMES)
        plans.append(Plan(kind, origin, CLOSED if closed else RESOLVED, priority, opened,
                          resolved, closed, saga, outcome=outcome))
    plans.sort(key=lambda plan: plan.opened)
    for number, plan in enumerate(plans, start=1):
        plan.id = number
    return plans


def link_orders(plans: list[Plan], orders: OrderIndex, total: int, rng: random.Random) -> None:
    """Each case's customer and orders: the order the problem is about, placed days before
    the case opened (a delivery problem for late or lost deliveries), and for some cases
    more of that customer's orders from around then; ``total`` links in all."""
    bearing = []
    for plan in plans:
        has_orders = rng.random() < KINDS[plan.kind][2]
        low, high = orders.window(plan.opened - 25 * DAY, plan.opened - DAY)
        position = rng.randrange(low, high)
        if has_orders and plan.kind in PROBLEM_KINDS:
            for _ in range(40):
                if orders.problem[position]:
                    break
                position = rng.randrange(low, high)
        plan.customer = orders.customers[position]
        if has_orders:
            plan.orders.append(position)
            bearing.append(plan)
    extra = total - len(bearing)
    if extra < 0 or not bearing:
        raise ValueError(f"{len(bearing)} cases with orders cannot share {total} links")
    misses = 0
    while extra:
        plan = rng.choice(bearing)
        primary = plan.orders[0]
        mine = orders.by_customer[plan.customer]
        at = bisect_left(mine, primary)
        nearby = [position for position in mine[max(0, at - 4):at + 5]
                  if position not in plan.orders
                  and abs(orders.times[position] - orders.times[primary]) < 30 * DAY
                  and orders.times[position] < plan.opened]
        if nearby and len(plan.orders) < MAX_ORDERS_PER_CASE:
            plan.orders.append(rng.choice(nearby))
            extra -= 1
        else:
            misses += 1
            if misses > 1000 * total:
                raise ValueError(f"Cannot link {total} orders to {len(plans)} cases")


def assign_staff(plans: list[Plan], customer_info: dict[int, CustomerInfo],
                 staff: dict[int, list[Staff]], rng: random.Random) -> None:
    """The team serving the customer's language; an owner for every case past "new"."""
    team_of_language = {language: team for (_name, languages), team in zip(
        TEAMS.items(), staff, strict=True) for language in languages}
    for plan in plans:
        plan.team = team_of_language.get(customer_info[plan.customer].language,
                                         next(iter(staff)))
        if plan.status == NEW:
            continue
        members = staff[plan.team]
        weights = [1 if member.manager else 4 for member in members]
        plan.owner = rng.choices(members, weights)[0]
        if rng.random() < 0.12:
            plan.previous_owner = rng.choice([m for m in members if m != plan.owner])


def draw_work(plans: list[Plan], scale: float, customer_info: dict[int, CustomerInfo],
              threshold: Decimal, approval_currency: str, rng: random.Random) -> int:
    """Impacts, remedies (with their decisions), contacts and the small story flags;
    returns how many contacts never became a case."""
    worked = [plan for plan in plans if plan.status != NEW]
    impacts = scaled(IMPACTS, scale)
    if impacts > len(worked):
        raise ValueError(f"{impacts} impacts for {len(worked)} worked cases")
    sagas = [plan for plan in worked if plan.saga]  # a long case always records its loss
    others = [plan for plan in worked if not plan.saga]
    for plan in sagas[:impacts] + rng.sample(others, max(0, impacts - len(sagas))):
        plan.severity = weighted(rng, SEVERITIES)
        plan.recomputed = rng.random() < 0.45

    def currency(plan: Plan) -> str:
        language = customer_info[plan.customer].language
        return CURRENCY_OF_LANGUAGE[language] if rng.random() < 0.9 else "EUR"

    def remedy(plan: Plan, pending: bool) -> PlannedRemedy:
        money = currency(plan)
        rate = {"NOK": 11, "RON": 5}.get(money, 1)
        cost = Decimal(f"{rng.lognormvariate(math.log(90), 0.9) * rate:.2f}")
        needs_manager = money != approval_currency or cost > threshold
        if pending and not needs_manager:
            cost = Decimal(f"{float(threshold) * rng.uniform(1.2, 6):.2f}")
            needs_manager = True
        if pending:
            decision = PENDING
        elif needs_manager:
            decision = APPROVED if rng.random() < 0.82 else REJECTED
        else:
            decision = NOT_NEEDED
        return PlannedRemedy(weighted(rng, REMEDY_KINDS), cost, money, decision)

    waiting = [plan for plan in plans if plan.status == AWAITING_DECISION]
    remedies = scaled(REMEDIES, scale)
    if len(waiting) > remedies:
        raise ValueError(f"{len(waiting)} cases await a decision but only {remedies} remedies")
    candidates = [plan for plan in worked if plan.status != AWAITING_DECISION]
    decided = remedies - len(waiting)
    first = rng.sample(candidates, min(len(candidates), round(decided * 0.8)))
    for plan in first:
        plan.remedies.append(remedy(plan, pending=False))
    for _ in range(decided - len(first)):
        plan = rng.choice(first)
        plan.remedies.append(remedy(plan, pending=False))
    for plan in waiting:  # the pending proposal comes last
        plan.remedies.append(remedy(plan, pending=True))

    contacts = scaled(CONTACTS, scale)
    by_contact = [plan for plan in plans if plan.origin == "contact"]
    if len(by_contact) > contacts:
        raise ValueError(f"{len(by_contact)} cases opened by a contact, {contacts} contacts")
    for plan in by_contact:
        plan.contacts = 1
    linked = min(contacts, max(len(by_contact), round(contacts * LINKED_CONTACT_SHARE)))
    for _ in range(linked - len(by_contact)):
        rng.choice(worked).contacts += 1

    for plan in worked:
        plan.signal = plan.origin == "proactive" and rng.random() < 0.35
        plan.waited_for_customer = plan.status != AWAITING_CUSTOMER and rng.random() < 0.2
        plan.override = rng.random() < 0.03
        if plan.status in (RESOLVED, CLOSED) and rng.random() < 0.025:
            plan.first_outcome = weighted(rng, OUTCOMES)
    return contacts - linked


# --- the story: the steps of a timeline ---------------------------------------------------


def skeleton(plan: Plan) -> tuple[list[str], list[str], list[str]]:
    """The events the plan fixes, in order: the opening (up to the first email), the work
    in between (notes, emails and extra contacts fall among it) and the ending."""
    head = ["opened"]
    if plan.signal:
        head.append("signal")
    if plan.origin == "contact":
        head.append("first_contact")
    if plan.previous_owner:
        head.append("assigned_before")
    if plan.owner:
        head += ["assigned", "first_email"]
    middle = []
    if plan.severity:
        middle.append("impact")
        if plan.recomputed:
            middle.append("priority_computed")
    if plan.override:
        middle.append("priority_override")
    for remedy in plan.remedies:
        if remedy.decision == PENDING:
            continue
        middle.append("remedy_proposed")
        if remedy.decision != NOT_NEEDED:
            middle += ["to_awaiting_decision", "remedy_decided", "to_in_progress"]
    if plan.waited_for_customer:
        middle += ["to_awaiting_customer", "to_in_progress"]
    if plan.first_outcome:
        middle += ["resolved_first", "reopened"]
    tail = []
    if plan.status == AWAITING_DECISION:
        tail += ["remedy_proposed", "to_awaiting_decision"]
    elif plan.status == AWAITING_CUSTOMER:
        tail.append("to_awaiting_customer")
    elif plan.status in (RESOLVED, CLOSED):
        tail.append("resolved")
        if plan.status == CLOSED:
            tail.append("to_closed")
    return head, middle, tail


def structural_events(plan: Plan) -> int:
    head, middle, tail = skeleton(plan)
    first_contact = plan.origin == "contact"
    return len(head) + len(middle) + len(tail) + plan.contacts - first_contact


def draw_fillers(plans: list[Plan], total: int, rng: random.Random) -> None:
    """Notes and emails on top of the fixed events, so the timelines hold ``total``."""
    fixed = [structural_events(plan) for plan in plans]
    for plan in plans:
        if plan.saga:
            plan.fillers = max(0, rng.randint(*SAGA_EVENTS) - structural_events(plan))
    ordinary = [plan for plan in plans if not plan.saga]
    room = total - sum(fixed) - sum(plan.fillers for plan in plans)
    if room < 0 or not ordinary:
        raise ValueError(f"{total} events cannot hold the {sum(fixed)} the cases need")
    mean = room / len(ordinary)
    for plan in ordinary:
        quiet = 0.4 if plan.status == NEW else 1.0
        plan.fillers = round(rng.gammavariate(1.6, mean / 1.6) * quiet)
    difference = room - sum(plan.fillers for plan in ordinary)
    while difference:
        plan = rng.choice(ordinary)
        if difference > 0:
            plan.fillers += 1
            difference -= 1
        elif plan.fillers:
            plan.fillers -= 1
            difference += 1


# --- writing the story down ---------------------------------------------------------------


@dataclass
class Rows:
    """What the timelines' emission collects besides the events themselves."""

    cases: list[tuple] = field(default_factory=list)
    case_orders: list[tuple] = field(default_factory=list)
    impacts: list[tuple] = field(default_factory=list)
    impact_orders: list[tuple] = field(default_factory=list)
    remedies: list[tuple] = field(default_factory=list)
    contacts: list[tuple] = field(default_factory=list)
    emails: list[tuple] = field(default_factory=list)


class Writer:
    """Turns plans into rows: the case, its events (yielded, in story order) and the
    impact, remedies, contacts and emails the events speak of."""

    def __init__(self, *, rng: random.Random, now: float, sla: dict[int, tuple[int, int]],
                 customer_info: dict[int, CustomerInfo], orders: OrderIndex,
                 refs: dict[int, str], staff: dict[int, list[Staff]],
                 team_emails: dict[int, str]) -> None:
        self.rng, self.now, self.sla = rng, now, sla
        self.customer_info, self.orders, self.refs = customer_info, orders, refs
        self.staff, self.team_emails = staff, team_emails
        self.rows = Rows()

    def events(self, plans: Sequence[Plan]) -> Iterator[tuple]:
        for plan in plans:
            yield from self.case(plan)

    # one case

    def case(self, plan: Plan) -> Iterator[tuple]:
        rng = self.rng
        customer = self.customer_info[plan.customer]
        refs = [self.refs[position] for position in plan.orders]
        first = customer.name.split()[0]
        context = {
            "ref": refs[0] if refs else "the order", "first": first, "name": customer.name,
            "company": customer.company or customer.name, "product": rng.choice(PRODUCTS),
            "carrier": rng.choice(CARRIERS), "days": rng.randint(2, 9),
            "weekday": rng.choice(WEEKDAYS), "pct": rng.randint(35, 80),
            "score": rng.randint(0, 6), "case": plan.id,
        }
        title = rng.choice(TITLES[plan.kind]).format_map(context)[:200]
        title = title[0].upper() + title[1:]
        description = DESCRIPTIONS[plan.kind].format_map(context)
        head, middle, tail = skeleton(plan)
        floats = ["contact"] * (plan.contacts - (plan.origin == "contact"))
        floats += ["note" if plan.status == NEW or rng.random() < 0.75 else "email"
                   for _ in range(plan.fillers)]
        rng.shuffle(floats)
        steps = len(middle) + len(floats)
        fixed_at = set(rng.sample(range(steps), len(middle)))
        in_order, among = iter(middle), iter(floats)
        body = [next(in_order) if index in fixed_at else next(among) for index in range(steps)]
        fixed_end = [step for step in tail if step in ("resolved", "to_closed")]
        body += [step for step in tail if step not in fixed_end]

        times = self.times(plan, head, body)
        story = _Story(self, plan, customer, refs, context)
        for step, at in zip([*head, *body], times, strict=True):
            yield from story.step(step, at)
        if "resolved" in fixed_end:
            yield from story.step("resolved", plan.resolved)
        if "to_closed" in fixed_end:
            yield from story.step("to_closed", plan.closed)
        if story.status != plan.status:
            raise AssertionError(f"case {plan.id} ends {story.status}, planned {plan.status}")

        first_response_hours, resolution_hours = self.sla[plan.priority]
        self.rows.cases.append((
            plan.id, plan.customer, title, description, plan.kind, plan.origin, plan.status,
            plan.priority, story.override_reason, plan.owner.id if plan.owner else None,
            plan.team, _at(plan.opened), _at(plan.opened + first_response_hours * HOUR),
            _at(plan.opened + resolution_hours * HOUR), _at(story.first_response),
            _at(story.first_contact), _at(plan.resolved), _at(plan.closed), plan.outcome,
            story.resolution, story.reaction, story.version,
            RULE_KEYS.get(plan.kind, "") if plan.origin == "proactive" else "",
        ))
        for position in plan.orders:
            self.rows.case_orders.append((plan.id, self.orders.ids[position]))

    def times(self, plan: Plan, head: list[str], body: list[str]) -> list[float]:
        """Epoch seconds for the head and body steps, in order: the opening steps up to the
        first email (its time is the first response), the body until the case ends."""
        rng = self.rng
        if plan.resolved is not None:
            end = plan.resolved - 60
        else:
            end = plan.opened + (self.now - plan.opened) * rng.uniform(0.6, 1.0)
        span = max(end - plan.opened, 120.0)
        if "first_email" in head:
            first_response_hours = self.sla[plan.priority][0]
            delay = first_response_hours * HOUR * rng.lognormvariate(math.log(0.45), 0.7)
            head_end = plan.opened + max(120.0, min(delay, 0.4 * span))
            opening = sorted(rng.uniform(plan.opened + 30, head_end - 30) for _ in head[1:-1])
            head_times = [plan.opened, *opening, head_end]
        else:
            head_end = plan.opened + max(120.0, min(2 * HOUR, 0.3 * span))
            opening = sorted(rng.uniform(plan.opened + 30, head_end) for _ in head[1:])
            head_times = [plan.opened, *opening]
        start = head_times[-1]
        body_times = sorted(rng.uniform(start + 30, max(start + 60, plan.opened + span))
                            for _ in body)
        return head_times + body_times


class _Story:
    """One case's events as the desk's services write them, tracking its status."""

    def __init__(self, writer: Writer, plan: Plan, customer: CustomerInfo, refs: list[str],
                 context: dict) -> None:
        self.writer, self.plan, self.customer, self.refs = writer, plan, customer, refs
        self.context, self.rng = context, writer.rng
        self.status = NEW
        self.version = 1
        self.first_response: float | None = None
        self.first_contact: float | None = None
        self.override_reason = ""
        self.resolution = self.reaction = ""
        self.remedies = iter(plan.remedies)
        self.remedy: tuple | None = None  # the latest proposal's row, until decided
        team = writer.staff[plan.team]
        self.managers = [member for member in team if member.manager]
        self.colleagues = team

    def text(self, templates: Sequence[str]) -> str:
        self.context["colleague"] = self.rng.choice(self.colleagues).label.split()[0]
        return self.rng.choice(templates).format_map(self.context)

    def event(self, at: float, kind: str, actor: Staff | None, message: str = "",
              data: dict | None = None, actor_kind: str = "user", label: str = "") -> tuple:
        return (self.plan.id, _at(at), kind, actor_kind, actor.id if actor else None,
                label or (actor.label if actor else ""), message, json.dumps(data or {}))

    def worker(self) -> Staff:
        """Who does the work: the owner, now and then a colleague."""
        owner = self.plan.owner
        if owner is None or self.rng.random() < 0.15:
            return self.rng.choice(self.colleagues)
        return owner

    def manager(self, other_than: Staff | None = None) -> Staff:
        return self.rng.choice([m for m in self.managers if m != other_than] or self.managers)

    def status_event(self, at: float, status: str, actor: Staff) -> tuple:
        event = self.event(at, "status", actor, data={"from": self.status, "to": status})
        self.status = status
        self.version += 1
        return event

    def step(self, step: str, at: float) -> Iterator[tuple]:
        plan, rng = self.plan, self.rng
        if step == "opened":
            data = {"origin": plan.origin, "kind": plan.kind, "orders": self.refs}
            message = DESCRIPTIONS[plan.kind].format_map(self.context)
            if plan.origin == "proactive":
                yield self.event(at, "opened", None, message, data, "rule",
                                 RULE_LABELS.get(plan.kind, "Risk rule"))
            elif plan.origin == "contact":
                yield self.event(at, "opened", self.logger(), message, data, "customer",
                                 self.customer.name)
            elif plan.origin in SYSTEM_LABELS:
                yield self.event(at, "opened", None, message, data, "system",
                                 SYSTEM_LABELS[plan.origin])
            else:
                yield self.event(at, "opened", plan.owner or self.worker(), message, data)
        elif step == "signal":
            data = {"order": self.refs[0]} if self.refs else {}
            yield self.event(at, "signal", None, SIGNALS.get(plan.kind, "Risk signal")
                             .format_map(self.context), data, "rule",
                             RULE_LABELS.get(plan.kind, "Risk rule"))
        elif step in ("first_contact", "contact"):
            occurred = plan.opened if step == "first_contact" else max(
                plan.opened, at - rng.uniform(300, 7200))
            yield from self.contact(at, occurred)
        elif step in ("assigned_before", "assigned"):
            owner = plan.previous_owner if step == "assigned_before" else plan.owner
            actor = owner if rng.random() < 0.6 else self.manager()
            if self.status == NEW:
                self.status = IN_PROGRESS
            self.version += 1
            yield self.event(at, "assigned", actor, data={"owner": owner.username,
                                                          "owner_name": owner.label})
        elif step in ("first_email", "email"):
            yield self.email(at, self.worker() if step == "email" else plan.owner)
        elif step == "note":
            yield self.event(at, "note", self.worker(), self.text(NOTES))
        elif step == "impact":
            yield self.impact(at)
        elif step == "priority_computed":
            before = min(4, plan.priority + 1)
            self.version += 1
            yield self.event(at, "priority", plan.owner,
                             data={"from": before, "to": plan.priority, "computed": True})
        elif step == "priority_override":
            self.override_reason = rng.choice(OVERRIDES)
            self.version += 1
            before = max(1, min(4, plan.priority + rng.choice((-1, 1))))
            yield self.event(at, "priority", self.worker(), self.override_reason,
                             data={"from": before, "to": plan.priority, "computed": False})
        elif step == "remedy_proposed":
            yield self.propose(at, next(self.remedies))
        elif step == "remedy_decided":
            yield self.decide(at)
        elif step.startswith("to_"):
            status = step[3:]
            actor = self.manager() if status == IN_PROGRESS and self.status == \
                AWAITING_DECISION else (plan.owner or self.worker())
            yield self.status_event(at, status, actor)
        elif step in ("resolved_first", "resolved"):
            outcome = plan.first_outcome if step == "resolved_first" else plan.outcome
            self.resolution = rng.choice(RESOLUTIONS[outcome])
            self.reaction = rng.choice(REACTIONS)
            self.status = RESOLVED
            self.version += 1
            yield self.event(at, "resolved", plan.owner, self.resolution, data={
                "outcome": outcome,
                "hours_to_resolution": round((at - plan.opened) / HOUR, 1),
            })
        elif step == "reopened":
            self.status = IN_PROGRESS
            self.version += 1
            yield self.event(at, "reopened", plan.owner, rng.choice(REOPENS),
                             data={"previous_outcome": plan.first_outcome})
        else:
            raise ValueError(f"Unknown step {step!r}")

    def logger(self) -> Staff | None:
        """Who logged a customer's contact; None when it came in by API."""
        return None if self.rng.random() < 0.3 else self.rng.choice(self.colleagues)

    def contact(self, at: float, occurred: float) -> Iterator[tuple]:
        plan, rng, rows = self.plan, self.rng, self.writer.rows
        channel = weighted(rng, CHANNELS)
        summary = self.text(CONTACTS_SAID)
        order = self.writer.orders.ids[plan.orders[0]] if plan.orders else None
        logger = self.logger()
        rows.contacts.append((len(rows.contacts) + 1, plan.customer, order, plan.id, channel,
                              _at(occurred), summary, logger.id if logger else None, _at(at)))
        if self.first_contact is None or occurred < self.first_contact:
            self.first_contact = occurred
        yield self.event(at, "contact", logger, summary, {
            "channel": channel, "occurred_at": _at(occurred).isoformat(),
            "order": self.refs[0] if self.refs else None,
        }, "customer", self.customer.name)

    def email(self, at: float, sender: Staff) -> tuple:
        rows, rng, customer = self.writer.rows, self.rng, self.customer
        email_id = len(rows.emails) + 1
        subject = self.text(EMAIL_SUBJECTS)[:200]
        lines = " ".join(self.text(EMAIL_LINES) for _ in range(rng.randint(2, 3)))
        body = (f"{GREETINGS.get(customer.language, 'Dear')} {self.context['first']},\n\n"
                f"{lines}\n\nKind regards,\n{sender.label}")
        sent = _at(at)
        queued = _at(at - rng.uniform(5, 90))
        to = customer.email or f"customer{self.plan.customer}@example.com"
        rows.emails.append((
            email_id, self.plan.id, to, self.writer.team_emails[self.plan.team],
            customer.language, subject, body, OutboundEmail.Status.SENT.value, sender.id,
            queued, queued, queued, sent, 1, f"<case-{self.plan.id}.{email_id}@desk.example>",
            "",
        ))
        if self.first_response is None:
            self.first_response = at
        return self.event(at, "email", sender, body, {
            "email": email_id, "subject": subject, "to": to, "language": customer.language,
        })

    def impact(self, at: float) -> tuple:
        plan, rows, rng = self.plan, self.writer.rows, self.rng
        impact_id = len(rows.impacts) + 1
        language = self.customer.language
        currency = CURRENCY_OF_LANGUAGE[language]
        rate = {"NOK": 11, "RON": 5}.get(currency, 1)
        money = Decimal(f"{rng.lognormvariate(math.log(300), 1.0) * rate:.2f}")
        days = Decimal(f"{rng.uniform(0, 6):.1f}")
        said = self.text(IMPACTS_SAID)
        rows.impacts.append((impact_id, plan.id, money, currency, days, said, plan.severity,
                             plan.owner.id, _at(at)))
        affected = plan.orders[:rng.randint(1, 2)] if plan.orders else []
        for position in affected:
            rows.impact_orders.append((impact_id, self.writer.orders.ids[position]))
        self.version += 1
        return self.event(at, "impact", plan.owner, said, {
            "severity": plan.severity, "money_lost": str(money), "currency": currency,
            "disruption_days": str(days),
            "orders": [self.writer.refs[position] for position in affected],
        })

    def propose(self, at: float, planned: PlannedRemedy) -> tuple:
        plan, rows, rng = self.plan, self.writer.rows, self.rng
        remedy_id = len(rows.remedies) + 1
        summary = REMEDY_SUMMARIES[planned.kind].format_map(self.context)
        self.remedy = [remedy_id, plan.id, planned.kind, summary, planned.cost,
                       planned.currency, rng.choice(BENEFITS), rng.choice(RATIONALES),
                       rng.random() < 0.6, plan.owner.id, _at(at), planned.decision, None,
                       None, ""]
        if planned.decision in (PENDING, NOT_NEEDED):
            rows.remedies.append(tuple(self.remedy))
        return self.event(at, "remedy_proposed", plan.owner, summary, {
            "remedy": remedy_id, "kind": planned.kind, "cost": str(planned.cost),
            "currency": planned.currency, "needs_manager": planned.decision != NOT_NEEDED,
        })

    def decide(self, at: float) -> tuple:
        remedy = self.remedy
        manager = self.manager(other_than=self.plan.owner)
        reason = self.rng.choice(REJECTIONS) if remedy[11] == REJECTED else ""
        remedy[12:15] = [manager.id, _at(at), reason]
        self.writer.rows.remedies.append(tuple(remedy))
        return self.event(at, "remedy_decided", manager, reason, {
            "remedy": remedy[0], "decision": remedy[11], "kind": remedy[2],
        })


def _at(epoch: float | None) -> datetime | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, UTC)


def unlinked_contacts(count: int, rows: Rows, orders: OrderIndex,
                      staff: dict[int, list[Staff]], rng: random.Random, now: float) -> None:
    """Customers who got in touch about something that needed no case."""
    everyone = [member for members in staff.values() for member in members]
    for _ in range(count):
        occurred = now - rng.uniform(HOUR, HISTORY_DAYS * DAY)
        low, high = orders.window(occurred - 60 * DAY, occurred)
        position = rng.randrange(low, high)
        order = orders.ids[position] if rng.random() < 0.5 else None
        logger = rng.choice(everyone) if rng.random() < 0.8 else None
        rows.contacts.append((
            len(rows.contacts) + 1, orders.customers[position], order, None,
            weighted(rng, CHANNELS), _at(occurred), rng.choice(UNLINKED_CONTACTS_SAID),
            logger.id if logger else None, _at(occurred + rng.uniform(60, 3600)),
        ))


# --- loading ------------------------------------------------------------------------------

CASE_COLUMNS = (
    "id", "customer_id", "title", "description", "kind", "origin", "status", "priority",
    "priority_override_reason", "owner_id", "team_id", "opened_at", "first_response_due_at",
    "due_at", "first_response_at", "first_customer_contact_at", "resolved_at", "closed_at",
    "outcome", "resolution", "customer_reaction", "version", "opened_by_rule",
)
EVENT_COLUMNS = ("case_id", "created_at", "kind", "actor_kind", "actor_id", "actor_label",
                 "message", "data")
IMPACT_COLUMNS = ("id", "case_id", "money_lost", "currency", "disruption_days",
                  "what_it_stopped", "severity", "recorded_by_id", "recorded_at")
REMEDY_COLUMNS = ("id", "case_id", "kind", "summary", "cost", "currency", "benefit",
                  "rationale", "recommended", "proposed_by_id", "proposed_at", "decision",
                  "decided_by_id", "decided_at", "decision_reason")
CONTACT_COLUMNS = ("id", "customer_id", "order_id", "case_id", "channel", "occurred_at",
                   "summary", "logged_by_id", "created_at")
EMAIL_COLUMNS = ("id", "case_id", '"to"', "reply_to", "language", "subject", "body", "status",
                 "created_by_id", "created_at", "enqueued_at", "claimed_at", "sent_at",
                 "attempts", "message_id", "failure")
STAGE = "bench_case_event_stage"


def load_events(events: Iterator[tuple]) -> int:
    """COPY the events to a staging table, then insert them in time order, so event ids
    follow ``created_at`` as they do when a desk writes them one at a time."""
    columns = ", ".join(EVENT_COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(f"""
            CREATE TEMPORARY TABLE {STAGE} (
                seq bigint GENERATED ALWAYS AS IDENTITY, case_id bigint, created_at timestamptz,
                kind varchar(20), actor_kind varchar(10), actor_id integer,
                actor_label varchar(150), message text, data jsonb
            ) ON COMMIT DROP
        """)
    copy_rows(STAGE, EVENT_COLUMNS, events)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {EVENT_TABLE} ({columns}) "
                       f"SELECT {columns} FROM {STAGE} ORDER BY created_at, seq")
        count = cursor.rowcount
        cursor.execute(f"DROP TABLE {STAGE}")
    return count


def load_desk(scale: float, rng: random.Random, now_at: datetime) -> dict[str, int]:
    expected = desk_expected(scale)
    now = now_at.timestamp()
    staff = desk_staff()
    team_emails = dict(Team.objects.filter(pk__in=staff).values_list("pk", "email"))
    settings = DeskSettings.current()
    sla = sla_hours()
    customer_info = customers()
    orders = OrderIndex()

    plans = plan_cases(expected[CASE_TABLE], rng, now, sla)
    link_orders(plans, orders, expected[CASE_ORDER_TABLE], rng)
    assign_staff(plans, customer_info, staff, rng)
    unlinked = draw_work(plans, scale, customer_info, settings.approval_threshold,
                         settings.approval_currency, rng)
    draw_fillers(plans, expected[EVENT_TABLE], rng)
    refs = orders.refs([position for plan in plans for position in plan.orders])

    writer = Writer(rng=rng, now=now, sla=sla, customer_info=customer_info, orders=orders,
                    refs=refs, staff=staff, team_emails=team_emails)
    events = load_events(writer.events(plans))
    rows = writer.rows
    unlinked_contacts(unlinked, rows, orders, staff, rng, now)
    copy_rows(CASE_TABLE, CASE_COLUMNS, rows.cases)
    copy_rows(CASE_ORDER_TABLE, ("case_id", "order_id"), rows.case_orders)
    copy_rows(IMPACT_TABLE, IMPACT_COLUMNS, rows.impacts)
    copy_rows(IMPACT_ORDER_TABLE, ("impact_id", "order_id"), rows.impact_orders)
    copy_rows(REMEDY_TABLE, REMEDY_COLUMNS, sorted(rows.remedies))
    copy_rows(CONTACT_TABLE, CONTACT_COLUMNS, rows.contacts)
    copy_rows(EMAIL_TABLE, EMAIL_COLUMNS, rows.emails)
    reset_sequences(Case, CaseEvent, Impact, Remedy, Contact, OutboundEmail)
    loaded = {
        CASE_TABLE: len(rows.cases), CASE_ORDER_TABLE: len(rows.case_orders),
        EVENT_TABLE: events, IMPACT_TABLE: len(rows.impacts), REMEDY_TABLE: len(rows.remedies),
        CONTACT_TABLE: len(rows.contacts),
    }
    if loaded != expected:
        raise AssertionError(f"The desk generator made {loaded}, not {expected}")
    return {**loaded, IMPACT_ORDER_TABLE: len(rows.impact_orders),
            EMAIL_TABLE: len(rows.emails)}


DESK = Generator(
    name="desk: cases, timeline events, impacts, remedies, contacts, emails",
    truncate=(CASE_TABLE, CASE_ORDER_TABLE, EVENT_TABLE, IMPACT_TABLE, IMPACT_ORDER_TABLE,
              REMEDY_TABLE, CONTACT_TABLE, EMAIL_TABLE),
    expected=desk_expected,
    load=load_desk,
)
