"""Pages of the desk: parse, call a selector or service, render (htmx gets the fragment)."""

from cases.views.customers import (
    api_key_revoke,
    api_keys_page,
    customer_list_page,
    customer_page,
    order_import_new_page,
    order_import_page,
)

__all__ = [
    "api_key_revoke",
    "api_keys_page",
    "customer_list_page",
    "customer_page",
    "order_import_new_page",
    "order_import_page",
]
