from django.contrib import admin

from cases.models import (
    ApiKey,
    Case,
    CaseEvent,
    Contact,
    Customer,
    Department,
    DeskSettings,
    Order,
    OrderImport,
    OutboundEmail,
    Remedy,
    ShipmentEvent,
    SlaTarget,
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


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records written by the desk's services: visible here, changed only through the desk."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class CaseEventInline(admin.TabularInline):
    model = CaseEvent
    fields = ["created_at", "kind", "actor_kind", "actor_label", "message"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Case)
class CaseAdmin(ReadOnlyAdmin):
    list_display = ["pk", "title", "customer", "kind", "origin", "status", "priority", "owner",
                    "opened_at"]
    list_filter = ["status", "priority", "kind", "origin"]
    search_fields = ["=id", "title", "customer__name"]
    list_select_related = ["customer", "owner"]
    show_full_result_count = False
    inlines = [CaseEventInline]


@admin.register(CaseEvent)
class CaseEventAdmin(ReadOnlyAdmin):
    list_display = ["case", "created_at", "kind", "actor_kind", "actor_label"]
    list_filter = ["kind", "actor_kind"]
    list_select_related = ["case"]
    show_full_result_count = False


@admin.register(Remedy)
class RemedyAdmin(ReadOnlyAdmin):
    list_display = ["case", "kind", "cost", "currency", "decision", "decided_by"]
    list_filter = ["decision", "kind"]


@admin.register(Contact)
class ContactAdmin(ReadOnlyAdmin):
    list_display = ["customer", "channel", "occurred_at", "case"]
    list_filter = ["channel"]
    list_select_related = ["customer", "case"]


@admin.register(OutboundEmail)
class OutboundEmailAdmin(ReadOnlyAdmin):
    list_display = ["subject", "to", "status", "created_at", "sent_at", "attempts"]
    list_filter = ["status", "language"]


@admin.register(SlaTarget)
class SlaTargetAdmin(admin.ModelAdmin):
    list_display = ["priority", "first_response_hours", "resolution_hours"]


@admin.register(DeskSettings)
class DeskSettingsAdmin(admin.ModelAdmin):
    list_display = ["__str__", "approval_threshold", "approval_currency"]
