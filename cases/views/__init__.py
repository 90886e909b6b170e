"""Pages of the desk: parse, call a selector or service, render (htmx gets the fragment)."""

from cases.views.case import (
    case_assign,
    case_email,
    case_impact,
    case_new_page,
    case_note,
    case_page,
    case_priority,
    case_remedy_decide,
    case_remedy_propose,
    case_reopen,
    case_resolve,
    case_status,
    contact_new_page,
    decision_brief_page,
    desk_settings_page,
)
from cases.views.customers import (
    api_key_revoke,
    api_keys_page,
    customer_list_page,
    customer_page,
    order_import_new_page,
    order_import_page,
)
from cases.views.organisation import organisation_page
from cases.views.queue import queue_bulk_action, queue_page
from cases.views.rules import (
    rule_backtest_page,
    rule_backtest_start,
    rule_run,
    rule_save,
    rules_page,
)
from cases.views.staff import language_choose

__all__ = [
    "api_key_revoke",
    "api_keys_page",
    "case_assign",
    "case_email",
    "case_impact",
    "case_new_page",
    "case_note",
    "case_page",
    "case_priority",
    "case_remedy_decide",
    "case_remedy_propose",
    "case_reopen",
    "case_resolve",
    "case_status",
    "contact_new_page",
    "customer_list_page",
    "customer_page",
    "decision_brief_page",
    "desk_settings_page",
    "language_choose",
    "order_import_new_page",
    "order_import_page",
    "organisation_page",
    "queue_bulk_action",
    "queue_page",
    "rule_backtest_page",
    "rule_backtest_start",
    "rule_run",
    "rule_save",
    "rules_page",
]
