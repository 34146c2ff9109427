from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from settlement.models import FeeContract
from stations.admin_scoping import PlatformOnlyAdmin


@admin.register(FeeContract)
class FeeContractAdmin(PlatformOnlyAdmin):
    """The platform's fee per enterprise (optionally per grade). Effective-dated rows are added, never
    edited: a settled day keeps the rate it was settled at."""

    list_display = ["enterprise", "grade", "rate_percent", "effective_from", "created_by"]
    list_filter = ["enterprise"]
    fields = ["enterprise", "grade", "rate_bps", "effective_from"]

    @admin.display(description=_("fee rate"))
    def rate_percent(self, obj):
        return f"{obj.rate_bps / 100:.2f} %"

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        obj.created_by = request.user
        super().save_model(request, obj, form, change)
