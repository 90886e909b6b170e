"""Reads used by views, the API and the dashboard, with their joins and annotations."""

from cases.selectors.customers import (
    ImportReport,
    OrderRow,
    Revenue,
    api_key_for_token,
    api_keys,
    customer_by_ref,
    customer_detail,
    customer_list,
    customer_orders,
    customer_revenue,
    latest_shipment_events,
    order_by_ref,
    order_import_report,
    order_imports,
    order_rows,
)

__all__ = [
    "ImportReport",
    "OrderRow",
    "Revenue",
    "api_key_for_token",
    "api_keys",
    "customer_by_ref",
    "customer_detail",
    "customer_list",
    "customer_orders",
    "customer_revenue",
    "latest_shipment_events",
    "order_by_ref",
    "order_import_report",
    "order_imports",
    "order_rows",
]
