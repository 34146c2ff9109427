from django.contrib import admin
from django.contrib.admin import RelatedOnlyFieldListFilter
from django.utils.translation import gettext_lazy as _
from unfold.contrib.filters.admin import RangeDateTimeFilter

from core.admin_base import ImmutableAdminMixin, constraint_messages_register
from pumpgateway.models import Fill, PumpBinding, SerialLine
from pumpgateway.selectors import line_bridge_alive, serial_line_qs_with_health
from stations.admin_scoping import PlatformOnlyAdmin, StationScopedAdmin

constraint_messages_register(
    {
        "uniq_address_per_line": ("dart_address", _("Another pump on this line already has this address.")),
        "dart_address_range": ("dart_address", _("The DART address must be between 0x50 and 0x6F (80 and 111).")),
        "pump_decimals_range": (
            "volume_decimals",
            _("Volume takes at most 3 decimals; amount and price at most 2."),
        ),
        "uniq_authorization_sequence": ("sequence", _("This pump already has an authorization with this number.")),
        "uniq_fill_identity": ("sequence", _("This fill was already recorded.")),
        "fill_not_negative": ("volume_ml", _("A fill's volume and amount cannot be negative.")),
    }
)


@admin.register(Fill)
class FillAdmin(ImmutableAdminMixin, StationScopedAdmin):
    """What the pump reported. Read-only for everyone: the pump's record is evidence."""

    station_path = "nozzle__station"
    visible_to_setup_staff_only = False
    list_display = ["pk", "nozzle", "volume_ml", "amount_fen", "price_fen_per_litre", "totals_check", "completed_at"]
    list_filter = [
        "totals_check",
        ("nozzle__station", RelatedOnlyFieldListFilter),
        ("nozzle__grade", RelatedOnlyFieldListFilter),
        ("completed_at", RangeDateTimeFilter),
    ]
    search_fields = ["nozzle__station__name", "nozzle__station__code"]
    list_select_related = ["nozzle__station"]


@admin.register(SerialLine)
class SerialLineAdmin(PlatformOnlyAdmin):
    """Pump line health for the platform: bridge heartbeat, pumps online, last fill."""

    list_display = ["code", "station", "bridge_alive", "last_seen_at", "pumps_online", "last_fill", "bad_frames"]
    list_filter = ["is_enabled", ("station", RelatedOnlyFieldListFilter)]
    search_fields = ["code", "station__name"]
    readonly_fields = ["bad_frames", "last_seen_at"]

    def get_queryset(self, request):
        return serial_line_qs_with_health(lines=super().get_queryset(request))

    @admin.display(description=_("bridge running"), boolean=True)
    def bridge_alive(self, obj):
        return line_bridge_alive(line=obj)

    @admin.display(description=_("pumps online"))
    def pumps_online(self, obj):
        return f"{obj.online_count} / {obj.pump_count}"

    @admin.display(description=_("last fill"), ordering="last_fill_at")
    def last_fill(self, obj):
        return obj.last_fill_at or "-"


@admin.register(PumpBinding)
class PumpBindingAdmin(PlatformOnlyAdmin):
    list_display = ["__str__", "dispenser", "line", "online", "decimals_confirmed"]
    list_filter = ["online", ("line", RelatedOnlyFieldListFilter)]
    search_fields = ["line__code", "dispenser__station__name"]
