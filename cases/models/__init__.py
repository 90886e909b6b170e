"""The desk's data; the invariants live in constraints here, the behaviour in ``services``."""

from cases.models.customers import (
    PROBLEM_EVENT_CODES,
    Customer,
    DeliveryState,
    Order,
    ShipmentEvent,
)
from cases.models.desk import (
    Case,
    CaseEvent,
    Contact,
    DeskSettings,
    Impact,
    OutboundEmail,
    Priority,
    Remedy,
    SlaTarget,
)
from cases.models.intake import ApiKey, OrderImport
from cases.models.organisation import (
    ADVOCATES,
    MANAGERS,
    Department,
    Team,
    TeamMembership,
)
from cases.models.risk import (
    ProactiveOutreach,
    RiskBacktest,
    RiskRule,
    RiskSignal,
    RuleRun,
    TeamAlert,
)
from cases.models.staff import StaffPreference

__all__ = [
    "ADVOCATES",
    "MANAGERS",
    "PROBLEM_EVENT_CODES",
    "ApiKey",
    "Case",
    "CaseEvent",
    "Contact",
    "Customer",
    "DeliveryState",
    "Department",
    "DeskSettings",
    "Impact",
    "Order",
    "OrderImport",
    "OutboundEmail",
    "Priority",
    "ProactiveOutreach",
    "Remedy",
    "RiskBacktest",
    "RiskRule",
    "RiskSignal",
    "RuleRun",
    "ShipmentEvent",
    "SlaTarget",
    "StaffPreference",
    "Team",
    "TeamAlert",
    "TeamMembership",
]
