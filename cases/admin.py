from django.contrib import admin

from cases.models import (
    ApiKey,
    Customer,
    Department,
    Order,
    OrderImport,
    ShipmentEvent,
    Team,
    TeamMembership,
)


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["name"]
    search_fields = ["name"]


class TeamMembershipInline(admin.TabularInline):
    model = TeamMembership
    extra = 1
    autocomplete_fields = ["user"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "department"]
    list_filter = ["kind", "department"]
    search_fields = ["name"]
    inlines = [TeamMembershipInline]


class OrderInline(admin.TabularInline):
    model = Order
    extra = 0
    fields = ["external_ref", "value", "currency", "critical", "promised_delivery_at",
              "delivered_at", "status"]
    readonly_fields = fields
    show_change_link = True
    can_delete = False
    max_num = 0


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["name", "external_ref", "email", "company", "segment", "value_tier",
                    "language"]
    list_filter = ["value_tier", "language", "email_consent"]
    search_fields = ["name", "email", "=external_ref", "company"]
    show_full_result_count = False
    inlines = [OrderInline]


class ShipmentEventInline(admin.TabularInline):
    model = ShipmentEvent
    extra = 0
    fields = ["code", "occurred_at", "location", "description", "estimated_delivery_at"]


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ["external_ref", "customer", "value", "currency", "critical", "status",
                    "promised_delivery_at", "delivered_at"]
    list_filter = ["status", "critical"]
    search_fields = ["=external_ref", "=tracking_number", "customer__name"]
    raw_id_fields = ["customer"]
    list_select_related = ["customer"]
    show_full_result_count = False
    inlines = [ShipmentEventInline]


@admin.register(ShipmentEvent)
class ShipmentEventAdmin(admin.ModelAdmin):
    list_display = ["code", "order", "order_ref", "tracking_number", "occurred_at"]
    list_filter = ["code"]
    search_fields = ["=order_ref", "=tracking_number"]
    raw_id_fields = ["order"]
    list_select_related = ["order"]
    show_full_result_count = False


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    """Keys are created in the desk (Settings → API keys) so the secret is shown once."""

    list_display = ["name", "prefix", "scopes", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["name", "prefix", "scopes", "created_by", "created_at", "last_used_at"]
    fields = [*readonly_fields, "revoked_at"]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(OrderImport)
class OrderImportAdmin(admin.ModelAdmin):
    list_display = ["filename", "status", "rows_total", "rows_imported", "created_by",
                    "created_at"]
    list_filter = ["status"]
    readonly_fields = ["filename", "status", "rows_total", "rows_processed", "rows_imported",
                       "row_errors", "created_by", "created_at", "started_at", "finished_at",
                       "attempts", "failure"]
    exclude = ["content"]
