"""Every write of the desk that does more than save one row, by business area."""

from cases.services.api_keys import (
    API_SCOPES,
    create_api_key,
    hash_api_key,
    revoke_api_key,
    touch_api_key,
)
from cases.services.order_imports import (
    ORDER_CSV_COLUMNS,
    REQUIRED_CSV_COLUMNS,
    claim_order_import,
    import_orders,
    requeue_stale_order_imports,
    start_order_import,
)
from cases.services.orders import (
    STATUS_BY_CODE,
    BatchError,
    EventIntake,
    OrderUpsert,
    record_shipment_events,
    refresh_delivery,
    upsert_orders,
)
from cases.services.pending import Sweep, register_pending_work, sweep_pending_work
from cases.services.staff import GROUP_PERMISSIONS, sync_staff_groups

__all__ = [
    "API_SCOPES",
    "GROUP_PERMISSIONS",
    "ORDER_CSV_COLUMNS",
    "REQUIRED_CSV_COLUMNS",
    "STATUS_BY_CODE",
    "BatchError",
    "EventIntake",
    "OrderUpsert",
    "Sweep",
    "claim_order_import",
    "create_api_key",
    "hash_api_key",
    "import_orders",
    "record_shipment_events",
    "refresh_delivery",
    "register_pending_work",
    "requeue_stale_order_imports",
    "revoke_api_key",
    "start_order_import",
    "sweep_pending_work",
    "sync_staff_groups",
    "touch_api_key",
    "upsert_orders",
]
