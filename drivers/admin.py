from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from unfold.contrib.filters.admin import RangeDateTimeFilter

from core.admin_base import ImmutableAdminMixin
from drivers.models import Driver
from stations.admin_scoping import PlatformOnlyAdmin


@admin.register(Driver)
class DriverAdmin(ImmutableAdminMixin, PlatformOnlyAdmin):
    """Drivers for the platform's support desk; the phone number is masked."""

    list_display = ["masked_phone", "created_at"]
    list_filter = [("created_at", RangeDateTimeFilter)]
    search_fields = ["=phone"]
    fields = ["masked_phone", "created_at"]
    readonly_fields = fields

    @admin.display(description=_("phone"))
    def masked_phone(self, obj):
        return str(obj)
