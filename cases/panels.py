"""Sections of the customer page that apps contribute without `cases` importing them.

An app registers a panel in its ``AppConfig.ready``: a template and a function giving its
context for one customer (a few queries, never per row). `feedback` and `nps` add theirs
the same way the desk adds its own cases and contacts panels.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cases.models import Customer


@dataclass(frozen=True)
class CustomerPanel:
    key: str
    title: str
    template: str
    context: Callable[[Customer], dict[str, Any]]
    order: int = 100


CUSTOMER_PANELS: dict[str, CustomerPanel] = {}


def register_customer_panel(panel: CustomerPanel) -> CustomerPanel:
    CUSTOMER_PANELS[panel.key] = panel
    return panel


def customer_panels(*, customer: Customer) -> list[tuple[CustomerPanel, dict[str, Any]]]:
    panels = sorted(CUSTOMER_PANELS.values(), key=lambda panel: (panel.order, panel.key))
    return [(panel, panel.context(customer)) for panel in panels]
