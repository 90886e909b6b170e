"""The case desk at volume: 100k cases over the bench customers, 1M timeline events."""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from cases.models import ADVOCATES, Case, CaseEvent, Impact, Remedy
from tests.bench.generate import CUSTOMERS, ORDERS, Generator, copy_rows, reset_sequences

CASES = 100_000
EVENTS_PER_CASE = 10  # 1M events
STAFF = 30
KINDS = Case.Kind.values
ORIGINS = Case.Origin.values
OPEN = [s.value for s in Case.OPEN_STATUSES]
NOTES = ["Called the customer", "Carrier promises delivery tomorrow", "Customer is upset",
         "Asked the warehouse for a replacement", "Left a voicemail", "Sent tracking link"]
EVENT_KINDS = ["note", "status", "assigned", "priority", "contact", "impact", "note", "email",
               "remedy_proposed"]
SLA = {1: (1, 24), 2: (4, 72), 3: (24, 120), 4: (48, 240)}


def desk_expected(scale: float) -> dict[str, int]:
    cases = max(1, round(CASES * scale))
    return {Case._meta.db_table: cases, CaseEvent._meta.db_table: cases * EVENTS_PER_CASE}


def staff_ids() -> list[int]:
    group = Group.objects.get(name=ADVOCATES)
    ids = []
    for number in range(STAFF):
        user, _ = get_user_model().objects.get_or_create(username=f"bench-advocate-{number}")
        user.groups.add(group)
        ids.append(user.pk)
    return ids


def load_desk(scale: float, rng: random.Random, now: datetime) -> dict[str, int]:
    expected = desk_expected(scale)
    count = expected[Case._meta.db_table]
    customers = max(1, round(CUSTOMERS * scale))
    orders = max(1, round(ORDERS * scale))
    owners = staff_ids()
    case_rows, link_rows, event_rows, impact_rows, remedy_rows = [], [], [], [], []
    for case_id in range(1, count + 1):
        opened = now - timedelta(days=rng.uniform(0, 548))
        priority = rng.choices([1, 2, 3, 4], [5, 20, 55, 20])[0]
        is_open = rng.random() < 0.15
        status = rng.choice(OPEN) if is_open else rng.choice(["resolved", "closed"])
        if is_open:
            opened = now - timedelta(days=rng.uniform(0, 12))
        resolved = None if is_open else opened + timedelta(hours=rng.uniform(2, 200))
        first_response, resolution = SLA[priority]
        owner = rng.choice(owners) if rng.random() < 0.8 else None
        case_rows.append((
            case_id, rng.randint(1, customers), f"Case {case_id}: order trouble",
            "", rng.choice(KINDS), rng.choice(ORIGINS), status, priority, "", owner, None,
            opened, opened + timedelta(hours=first_response), opened + timedelta(hours=resolution),
            opened + timedelta(hours=rng.uniform(0.5, 30)) if rng.random() < 0.7 else None,
            opened + timedelta(hours=rng.uniform(1, 48)) if rng.random() < 0.4 else None,
            resolved, resolved if status == "closed" else None,
            "" if is_open else rng.choice(["retained", "retained", "at_risk", "lost"]),
            "", "", 1,
        ))
        link_rows.append((case_id, rng.randint(1, orders)))
        for number in range(EVENTS_PER_CASE):
            kind = "opened" if number == 0 else rng.choice(EVENT_KINDS)
            at = opened + timedelta(hours=number * rng.uniform(0.2, 6))
            event_rows.append((case_id, at, kind, "user", owner, "Bench advocate",
                               rng.choice(NOTES) if kind in ("note", "contact") else "",
                               json.dumps({"from": "new", "to": "in_progress"})
                               if kind == "status" else "{}"))
        if rng.random() < 0.4:
            impact_rows.append((case_id, f"{rng.uniform(0, 3000):.2f}", "EUR",
                                f"{rng.randint(0, 9)}.0", "Lost sales",
                                rng.choice(Impact.Severity.values), None, opened))
        if rng.random() < 0.5:
            remedy_rows.append((case_id, rng.choice(Remedy.Kind.values), "Make it right",
                                f"{rng.uniform(10, 900):.2f}", "EUR", "Keeps the customer", "",
                                rng.random() < 0.5, None, opened, "not_needed", None, None, ""))
    copy_rows(Case._meta.db_table, CASE_COLUMNS, case_rows)
    copy_rows(Case.orders.through._meta.db_table, ("case_id", "order_id"), link_rows)
    copy_rows(CaseEvent._meta.db_table, EVENT_COLUMNS, event_rows)
    copy_rows(Impact._meta.db_table, IMPACT_COLUMNS, impact_rows)
    copy_rows(Remedy._meta.db_table, REMEDY_COLUMNS, remedy_rows)
    reset_sequences(Case, CaseEvent, Impact, Remedy)
    return {Case._meta.db_table: len(case_rows), CaseEvent._meta.db_table: len(event_rows)}


CASE_COLUMNS = (
    "id", "customer_id", "title", "description", "kind", "origin", "status", "priority",
    "priority_override_reason", "owner_id", "team_id", "opened_at", "first_response_due_at",
    "due_at", "first_response_at", "first_customer_contact_at", "resolved_at", "closed_at",
    "outcome", "resolution", "customer_reaction", "version",
)
EVENT_COLUMNS = ("case_id", "created_at", "kind", "actor_kind", "actor_id", "actor_label",
                 "message", "data")
IMPACT_COLUMNS = ("case_id", "money_lost", "currency", "disruption_days", "what_it_stopped",
                  "severity", "recorded_by_id", "recorded_at")
REMEDY_COLUMNS = ("case_id", "kind", "summary", "cost", "currency", "benefit", "rationale",
                  "recommended", "proposed_by_id", "proposed_at", "decision", "decided_by_id",
                  "decided_at", "decision_reason")

DESK = Generator(
    name="desk: cases, timeline events, impacts, remedies",
    truncate=(Case._meta.db_table, CaseEvent._meta.db_table, Impact._meta.db_table,
              Remedy._meta.db_table, Case.orders.through._meta.db_table),
    expected=desk_expected,
    load=load_desk,
)
