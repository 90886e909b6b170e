"""The demo's maturity story, loaded last by ``load_demo``: a new user opens the dashboard
and sees an organisation at level 2 with its evidence, what level 3 still needs, and the
months before, when it was at level 1.

The story (``cases.demo.team_formed_at`` is its turning point): for most of the year Ada
helped the customers who asked, on her own (level 1: cases resolved, contacts answered).
Three months ago a customer-advocacy team formed around her; it added the service desk's
tickets to the feedback it reads, reviews the ranked needs, turned the risk rules on (a
real share of cases now opens before the customer has to ask) and cares for its brand
advocates (level 2, and half of level 3). What level 3 still needs: a team that
coordinates advocacy across the company, and more departments than Logistics acting on the
customer needs they own.

This module writes the desk's past: the cases resolved month by month over the last nine
months, with their contacts and timelines at their own times (bulk-created, as the other
demo modules do), so the monthly history is evaluated from real evidence. It then stores
the evaluation of this month and of the six before, each as of its end.
"""

from __future__ import annotations

import datetime as dt
import random

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _

from advocacy.maturity import evaluate_maturity
from advocacy.services import backfill_maturity
from cases import services as desk
from cases.demo import register_demo_loader, register_demo_summary, team_formed_at
from cases.models import Case, CaseEvent, Contact, Order, SlaTarget

SEED = 20261203
HISTORY_DAYS = 275  # the oldest snapshot's 90 days, and a little more
RECENT_DAYS = 6  # the last days belong to the desk's live stories
MEAN_GAP_DAYS = 3.2
HISTORY_MONTHS = 6

# kind -> (titles, resolutions); {order} is the order's reference.
STORIES = {
    Case.Kind.LATE_DELIVERY: (
        [
            "Order {order} is late",
            "Order {order} missed its promised delivery day",
            "Delivery of {order} slipped: the kitchen is waiting",
        ],
        [
            "Rebooked on the carrier's next-day service and called the customer with the new time",
            "Delivered the next morning; credit note for the delivery fee",
        ],
    ),
    Case.Kind.DAMAGED_OR_LOST: (
        ["Order {order} arrived damaged", "Carrier lost part of order {order}"],
        [
            "Replacement sent by courier; the carrier's claim filed by us",
            "Sent the missing parts the same day",
        ],
    ),
    Case.Kind.WRONG_ITEM: (
        ["Wrong model delivered with order {order}", "Order {order}: wrong accessories"],
        ["Swapped the item; our courier collected the wrong one"],
    ),
    Case.Kind.BILLING: (
        ["Invoice for {order} charged twice", "Discount missing on the invoice for {order}"],
        ["Refunded the difference and corrected the invoice"],
    ),
    Case.Kind.PRODUCT_QUALITY: (
        ["Faulty thermostat on the unit from {order}", "Noisy compressor after a week"],
        ["Technician visit booked; part replaced under warranty"],
    ),
}
CONTACT_KINDS = [
    Case.Kind.LATE_DELIVERY,
    Case.Kind.DAMAGED_OR_LOST,
    Case.Kind.WRONG_ITEM,
    Case.Kind.BILLING,
    Case.Kind.PRODUCT_QUALITY,
]
PROACTIVE_KINDS = {
    Case.Kind.LATE_DELIVERY: ("late_delivery", "Late delivery"),
    Case.Kind.DAMAGED_OR_LOST: ("carrier_exception", "Carrier exception"),
}
MANUAL_KINDS = [Case.Kind.BILLING, Case.Kind.PRODUCT_QUALITY, Case.Kind.WRONG_ITEM]
FIRST_RESPONSES = [
    "Called the customer: explained what happened and what we are doing.",
    "Emailed the customer with the tracking details and a new delivery time.",
    "Spoke to the head chef; agreed a delivery window that suits them.",
]
LOGISTICS_NOTES = [
    "Logistics: rebooked with the carrier's priority service.",
    "Logistics: the parcel is found at the hub, out for delivery tomorrow.",
]


# Origins in turn (not drawn, so every 90 days hold the same shares): before the team,
# customers had to ask; after it, the risk rules open a real share of the cases.
BEFORE_TEAM = [
    Case.Origin.CONTACT,
    Case.Origin.CONTACT,
    Case.Origin.MANUAL,
    Case.Origin.CONTACT,
    Case.Origin.CONTACT,
    Case.Origin.MANUAL,
]
WITH_TEAM = [
    Case.Origin.CONTACT,
    Case.Origin.PROACTIVE,
    Case.Origin.CONTACT,
    Case.Origin.PROACTIVE,
    Case.Origin.MANUAL,
    Case.Origin.CONTACT,
    Case.Origin.PROACTIVE,
]


def _kind(rng: random.Random, origin: str) -> str:
    if origin == Case.Origin.PROACTIVE:
        return rng.choices(list(PROACTIVE_KINDS), [3, 1])[0]
    if origin == Case.Origin.MANUAL:
        return rng.choice(MANUAL_KINDS)
    return rng.choices(CONTACT_KINDS, [5, 2, 1, 1, 1])[0]


def load_case_history(now: dt.datetime) -> int:
    """The cases the desk opened and resolved over the last nine months, with their
    contacts and timelines; a few set-based inserts."""
    rng = random.Random(SEED)
    users = {
        user.username: user
        for user in get_user_model().objects.filter(
            username__in=["advocate", "manager", "sofia", "lars"]
        )
    }
    formed = team_formed_at(now)
    orders = list(
        Order.objects.filter(
            customer__external_ref__startswith="DEMO-N",
            delivered_at__isnull=False,
            delivered_at__gte=now - dt.timedelta(days=HISTORY_DAYS + 20),
        )
        .select_related("customer")
        .order_by("delivered_at", "pk")
    )
    if not orders:
        return 0
    targets = {
        target.priority: (target.first_response_hours, target.resolution_hours)
        for target in SlaTarget.objects.all()
    }
    planned = []
    moment = now - dt.timedelta(days=HISTORY_DAYS)
    while True:
        moment += dt.timedelta(days=rng.uniform(MEAN_GAP_DAYS - 1, MEAN_GAP_DAYS + 1))
        if moment > now - dt.timedelta(days=RECENT_DAYS):
            break
        opened = moment.replace(minute=rng.randint(0, 59), second=0, microsecond=0)
        around = [
            o
            for o in orders
            if opened - dt.timedelta(days=3) <= o.delivered_at <= opened + dt.timedelta(days=5)
        ] or orders
        planned.append((opened, rng.choice(around)))

    cases, contacts, timelines = [], [], []
    for number, (opened, order) in enumerate(planned):
        team = opened >= formed
        pattern = WITH_TEAM if team else BEFORE_TEAM
        origin = pattern[number % len(pattern)]
        kind = _kind(rng, origin)
        titles, resolutions = STORIES[kind]
        owners = ["advocate"]
        if team:
            owners += ["manager"] + (["sofia"] if opened >= formed + dt.timedelta(days=21) else [])
        owner = users[rng.choice(owners)]
        priority = 2 if kind == Case.Kind.DAMAGED_OR_LOST else 3
        respond_within, resolve_within = targets.get(priority, (8, 72))
        # Mostly within the desk's targets: a few slip, as on any desk.
        responded = opened + dt.timedelta(hours=respond_within * rng.uniform(0.1, 0.8))
        resolved = opened + dt.timedelta(
            hours=resolve_within
            * (rng.uniform(0.2, 0.9) if rng.random() < 0.8 else rng.uniform(1.05, 1.6))
        )
        outcome = rng.choices(Case.Outcome.values, [84, 12, 4])[0]
        customer_contact = opened if origin == Case.Origin.CONTACT else None
        if origin == Case.Origin.PROACTIVE and rng.random() < 0.5:
            customer_contact = responded + dt.timedelta(hours=rng.uniform(2, 30))
        rule, rule_label = PROACTIVE_KINDS.get(kind, ("", ""))
        case = Case(
            customer=order.customer,
            origin=origin,
            kind=kind,
            title=rng.choice(titles).format(order=order.external_ref),
            status=Case.Status.RESOLVED,
            priority=priority,
            owner=owner,
            opened_at=opened,
            first_response_due_at=opened + dt.timedelta(hours=respond_within),
            due_at=opened + dt.timedelta(hours=resolve_within),
            first_response_at=responded,
            opened_by_rule=rule if origin == Case.Origin.PROACTIVE else "",
            first_proactive_contact_at=responded if origin == Case.Origin.PROACTIVE else None,
            first_customer_contact_at=customer_contact,
            resolved_at=resolved,
            outcome=outcome,
            resolution=rng.choice(resolutions),
            version=5,
        )
        cases.append((case, order))
        customer = order.customer
        events = []
        if origin == Case.Origin.CONTACT:
            channel = rng.choice(Contact.Channel.values[:3])
            contacts.append(
                Contact(
                    customer=customer,
                    order=order,
                    case=case,
                    channel=channel,
                    occurred_at=opened,
                    summary=case.title,
                )
            )
            events += [
                (
                    opened,
                    CaseEvent.Kind.OPENED,
                    CaseEvent.ActorKind.CUSTOMER,
                    None,
                    customer.name,
                    "",
                    {"origin": origin, "kind": kind, "orders": [order.external_ref]},
                ),
                (
                    opened,
                    CaseEvent.Kind.CONTACT,
                    CaseEvent.ActorKind.CUSTOMER,
                    None,
                    customer.name,
                    case.title,
                    {
                        "channel": channel,
                        "occurred_at": opened.isoformat(),
                        "order": order.external_ref,
                    },
                ),
            ]
        elif origin == Case.Origin.PROACTIVE:
            events.append(
                (
                    opened,
                    CaseEvent.Kind.OPENED,
                    CaseEvent.ActorKind.RULE,
                    None,
                    rule_label,
                    "",
                    {"origin": origin, "kind": kind, "rule": rule, "orders": [order.external_ref]},
                )
            )
        else:
            events.append(
                (
                    opened,
                    CaseEvent.Kind.OPENED,
                    CaseEvent.ActorKind.USER,
                    owner,
                    owner.get_full_name(),
                    "",
                    {"origin": origin, "kind": kind, "orders": [order.external_ref]},
                )
            )
        name = owner.get_full_name()
        events += [
            (
                opened + dt.timedelta(minutes=12),
                CaseEvent.Kind.ASSIGNED,
                CaseEvent.ActorKind.USER,
                owner,
                name,
                "",
                {"owner": owner.get_username(), "owner_name": name},
            ),
            (
                responded,
                CaseEvent.Kind.NOTE,
                CaseEvent.ActorKind.USER,
                owner,
                name,
                rng.choice(FIRST_RESPONSES),
                {},
            ),
        ]
        if team and kind == Case.Kind.LATE_DELIVERY and "lars" in users and rng.random() < 0.4:
            lars = users["lars"]
            events.append(
                (
                    responded + dt.timedelta(hours=2),
                    CaseEvent.Kind.NOTE,
                    CaseEvent.ActorKind.USER,
                    lars,
                    lars.get_full_name(),
                    rng.choice(LOGISTICS_NOTES),
                    {},
                )
            )
        if customer_contact is not None and origin == Case.Origin.PROACTIVE:
            events.append(
                (
                    customer_contact,
                    CaseEvent.Kind.CONTACT,
                    CaseEvent.ActorKind.CUSTOMER,
                    None,
                    customer.name,
                    "Thanked us for the heads-up and asked for the new time.",
                    {
                        "channel": "email",
                        "occurred_at": customer_contact.isoformat(),
                        "order": order.external_ref,
                    },
                )
            )
        events.append(
            (
                resolved,
                CaseEvent.Kind.RESOLVED,
                CaseEvent.ActorKind.USER,
                owner,
                name,
                case.resolution,
                {
                    "outcome": outcome,
                    "hours_to_resolution": round((resolved - opened).total_seconds() / 3600, 1),
                },
            )
        )
        timelines.append(events)

    Case.objects.bulk_create([case for case, _order in cases], batch_size=500)
    Case.orders.through.objects.bulk_create(
        [Case.orders.through(case_id=case.pk, order_id=order.pk) for case, order in cases],
        batch_size=1000,
    )
    for contact in contacts:
        contact.case_id = contact.case.pk
    Contact.objects.bulk_create(contacts, batch_size=1000)
    CaseEvent.objects.bulk_create(
        [
            CaseEvent(
                case=case,
                created_at=at,
                kind=kind,
                actor_kind=actor_kind,
                actor=actor,
                actor_label=label,
                message=message,
                data=data,
            )
            for (case, _order), events in zip(cases, timelines, strict=True)
            for at, kind, actor_kind, actor, label, message, data in events
        ],
        batch_size=1000,
    )
    return len(cases)


def share_detractor_cases() -> None:
    """The detractor rule has just opened its cases: Sofia takes every other one."""
    sofia = get_user_model().objects.filter(username="sofia").first()
    if sofia is None:
        return
    fresh = Case.objects.filter(origin=Case.Origin.NPS, owner=None).order_by("pk")
    for case in list(fresh)[::2]:
        desk.assign_case(case=case, owner=sofia, actor=sofia)


@register_demo_loader("maturity")
def load_maturity_demo(now: dt.datetime) -> str:
    cases = load_case_history(now)
    share_detractor_cases()
    snapshots = backfill_maturity(months=HISTORY_MONTHS)
    return (
        f"History: {cases} cases resolved over the last nine months; the maturity model "
        f"evaluated for this month and the {len(snapshots) - 1} before."
    )


@register_demo_summary("maturity")
def maturity_story() -> str:
    """What the dashboard says, in a few lines for the terminal."""
    evaluation = evaluate_maturity()
    lines = [
        _("Your organisation is at maturity level %(level)s: %(name)s.")
        % {"level": evaluation.level, "name": evaluation.current.name}
    ]
    met = [row for row in evaluation.results if row.criterion.level <= evaluation.level]
    if met:
        lines.append(
            _("  Evidence: %(list)s.")
            % {
                "list": "; ".join(
                    f"{row.criterion.label.lower()} ({row.value_text})" for row in met[:4]
                )
            }
            + (" …" if len(met) > 4 else "")
        )
    if evaluation.next_level is not None:
        lines.append(
            _("To reach level %(level)s (%(name)s):")
            % {"level": evaluation.next_level.number, "name": evaluation.next_level.name}
        )
        lines += [f"  - {row.step_text}" for row in evaluation.next_steps]
    lines.append(
        _("The dashboard (/dashboard/, as manager) shows the evidence and the months before.")
    )
    return "\n".join(lines)
