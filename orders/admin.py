from django.contrib import admin
from django.contrib.admin import RelatedOnlyFieldListFilter
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from unfold.contrib.filters.admin import RangeDateTimeFilter

from core.admin_base import FuelpayTabularInline, ImmutableAdminMixin, constraint_messages_register
from orders.models import FuelOrder, OrderLine, OrderStatusChange
from stations.admin_scoping import StationScopedAdmin

constraint_messages_register(
    {
        "uniq_order_idempotency": ("idempotency_key", _("This order was already placed with this key.")),
        "uniq_paid_fill": ("fill", _("This fill has already been paid by another order.")),
    }
)


def admin_link(obj, label=None):
    if obj is None:
        return "-"
    url = reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])
    return format_html('<a class="text-primary-600 underline" href="{}">{}</a>', url, label or obj)


class OrderLineInline(ImmutableAdminMixin, FuelpayTabularInline):
    model = OrderLine
    fields = ["kind", "label", "amount_fen", "funder"]
    readonly_fields = fields


class OrderStatusChangeInline(ImmutableAdminMixin, FuelpayTabularInline):
    model = OrderStatusChange
    fields = ["from_status", "to_status", "cause", "failure_code", "actor", "created_at"]
    readonly_fields = fields


@admin.register(FuelOrder)
class FuelOrderAdmin(ImmutableAdminMixin, StationScopedAdmin):
    """Sales at the pump. Orders are history: nobody edits one; a correction is a refund of its payment."""

    visible_to_setup_staff_only = False
    list_display = [
        "order_no",
        "station",
        "grade_name",
        "mode",
        "status",
        "volume_litres",
        "fuel_amount_fen",
        "discount_fen",
        "paid_fen",
        "debt_fen",
        "created_at",
    ]
    list_filter = [
        "status",
        "mode",
        ("station", RelatedOnlyFieldListFilter),
        "grade_name",
        ("created_at", RangeDateTimeFilter),
    ]
    search_fields = ["order_no", "dynamic_code"]
    list_select_related = ["station"]
    exclude = ["driver", "idempotency_key", "hold", "authorization", "fill", "nozzle"]
    readonly_fields = ["pump_record", "payment", "ledger_entries"]
    inlines = [OrderLineInline, OrderStatusChangeInline]

    @admin.display(description=_("volume (L)"), ordering="volume_ml")
    def volume_litres(self, obj):
        return f"{obj.volume_ml / 1000:.2f}"

    @admin.display(description=_("pump record"))
    def pump_record(self, obj):
        return admin_link(obj.fill, _("Fill #%(id)s") % {"id": obj.fill_id} if obj.fill_id else None)

    @admin.display(description=_("payment"))
    def payment(self, obj):
        return admin_link(obj.hold, obj.hold.reference if obj.hold_id else None)

    @admin.display(description=_("ledger entries"))
    def ledger_entries(self, obj):
        if obj.hold is None:
            return "-"
        entries = [obj.hold.pending_entry, obj.hold.resolution_entry]
        return format_html(
            " ".join("{}" for entry in entries if entry),
            *(admin_link(entry, f"#{entry.pk} {entry.get_operation_display()}") for entry in entries if entry),
        )
