from django.contrib import admin
from django.contrib.admin import RelatedOnlyFieldListFilter
from django.utils.translation import gettext_lazy as _
from unfold.contrib.filters.admin import RangeDateFilter

from core.admin_base import constraint_messages_register
from settlement.models import FeeContract
from stations.admin_scoping import AuditedChangesAdmin, PlatformOnlyAdmin

constraint_messages_register(
    {
        "uniq_fee_contract": (
            "effective_from",
            _("This enterprise already has a fee contract for this grade from this date."),
        ),
        "fee_rate_at_most_10pct": ("rate_bps", _("The fee rate may be at most 1000 basis points (10 %).")),
    }
)


@admin.register(FeeContract)
class FeeContractAdmin(AuditedChangesAdmin, PlatformOnlyAdmin):
    """The platform's fee per enterprise (optionally per grade). Effective-dated rows are added, never
    edited: a settled day keeps the rate it was settled at."""

    list_display = ["enterprise", "grade", "rate_percent", "effective_from", "created_by"]
    list_filter = [("enterprise", RelatedOnlyFieldListFilter), "grade", ("effective_from", RangeDateFilter)]
    search_fields = ["enterprise__name"]
    fields = ["enterprise", "grade", "rate_bps", "effective_from"]

    @admin.display(description=_("fee rate"))
    def rate_percent(self, obj):
        return f"{obj.rate_bps / 100:.2f} %"

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        obj.created_by = request.user
        super().save_model(request, obj, form, change)
