from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from core.money import format_fen
from stations.admin_scoping import PlatformOnlyAdmin, StationScopedAdmin
from wallet.models import Account, Hold, JournalEntry, JournalLine, TopUpOrder


class ReadOnlyMixin:
    """Money rows are changed only by services; the console shows them."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Hold)
class PaymentAdmin(ReadOnlyMixin, StationScopedAdmin):
    """Station payments: cashiers, managers and finance see their own stations' only, phones masked."""

    visible_to_setup_staff_only = False
    list_display = ["reference", "station", "masked_driver", "amount", "captured", "refunded", "status", "created_at"]
    list_filter = ["status"]
    search_fields = ["reference"]
    exclude = ["driver"]

    @admin.display(description=_("driver"))
    def masked_driver(self, obj):
        return str(obj.driver)

    @admin.display(description=_("authorized"))
    def amount(self, obj):
        return format_fen(obj.amount_fen)

    @admin.display(description=_("captured"))
    def captured(self, obj):
        return format_fen(obj.captured_fen)

    @admin.display(description=_("refunded"))
    def refunded(self, obj):
        return format_fen(obj.refunded_fen)


class JournalLineInline(ReadOnlyMixin, admin.TabularInline):
    model = JournalLine
    fields = ["account", "side", "phase", "amount_fen", "balance_after_fen"]
    readonly_fields = fields


@admin.register(JournalEntry)
class JournalEntryAdmin(ReadOnlyMixin, PlatformOnlyAdmin):
    list_display = ["pk", "operation", "reference", "station", "created_at"]
    list_filter = ["operation"]
    search_fields = ["reference", "idempotency_key"]
    inlines = [JournalLineInline]


@admin.register(Account)
class AccountAdmin(ReadOnlyMixin, PlatformOnlyAdmin):
    list_display = ["code", "kind", "type", "debits_posted", "credits_posted", "debits_pending", "credits_pending"]
    list_filter = ["kind"]
    search_fields = ["code"]


@admin.register(TopUpOrder)
class TopUpOrderAdmin(ReadOnlyMixin, PlatformOnlyAdmin):
    list_display = ["out_trade_no", "amount_fen", "bonus_fen", "status", "created_at", "paid_at"]
    list_filter = ["status"]
    search_fields = ["out_trade_no"]
