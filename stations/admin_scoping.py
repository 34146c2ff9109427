"""Object-level scoping for the admin console: every admin queryset is narrowed by role, and
service errors become admin messages (the admin side of core.exceptions)."""

from django.contrib import admin, messages

from core.admin_base import FuelpayModelAdmin
from core.audit import audit_record, client_ip_get
from core.exceptions import FuelpayError
from stations.models import Dispenser, Enterprise, Station
from stations.selectors import (
    enterprise_qs_visible_to,
    staff_can_manage_station_setup,
    station_qs_visible_to,
    user_is_platform_admin,
)


class StationScopedAdmin(FuelpayModelAdmin):
    """Rows are visible only through stations the user may see. Subclasses name the path to the station."""

    station_path = "station"
    # Roles allowed to see the model at all; the station scope then narrows the rows.
    visible_to_setup_staff_only = True

    def _station_ids(self, request):
        return station_qs_visible_to(user=request.user).values("pk")

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if user_is_platform_admin(user=request.user):
            return queryset  # includes rows without a station (e.g. top-up journal entries)
        return queryset.filter(**{f"{self.station_path}__in": self._station_ids(request)})

    def _may_see(self, request) -> bool:
        return (
            request.user.is_active
            and request.user.is_staff
            and (not self.visible_to_setup_staff_only or staff_can_manage_station_setup(user=request.user))
        )

    def has_module_permission(self, request):
        return self._may_see(request)

    def has_view_permission(self, request, obj=None):
        return self._may_see(request)

    def has_change_permission(self, request, obj=None):
        return self._may_see(request) and self.visible_to_setup_staff_only

    def has_add_permission(self, request):
        return self._may_see(request) and self.visible_to_setup_staff_only

    def has_delete_permission(self, request, obj=None):
        return False  # history matters: stations are closed, never deleted

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # Dropdowns of stations (and things under stations) must not leak other tenants' names.
        if db_field.related_model is Station:
            kwargs["queryset"] = station_qs_visible_to(user=request.user)
        elif db_field.related_model is Enterprise:
            kwargs["queryset"] = enterprise_qs_visible_to(user=request.user)
        elif db_field.related_model is Dispenser:
            kwargs["queryset"] = Dispenser.objects.filter(station__in=self._station_ids(request))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class AuditedChangesAdmin(admin.ModelAdmin):
    """For money-relevant settings edited as plain rows (promotions, coupon templates, member levels, campaigns,
    contract offers, fee contracts, non-fuel prices, stations): every save is an audit event with the changed
    fields, in the admin's own transaction. Fields in audit_detail_excluded are named, their values not kept."""

    audit_detail_excluded: frozenset[str] = frozenset()

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        audit_record(
            actor=request.user,
            action=f"{obj._meta.label_lower}.{'changed' if change else 'added'}",
            target=f"{obj._meta.label_lower}:{obj.pk}",
            detail={
                name: "***" if name in self.audit_detail_excluded else str(form.cleaned_data.get(name))
                for name in form.changed_data
            },
            client_ip=client_ip_get(request),
        )


def run_service_for_admin(request, func, success_message: str, **kwargs) -> bool:
    try:
        func(**kwargs)
    except FuelpayError as error:
        messages.error(request, error.message)
        return False
    messages.success(request, success_message)
    return True


class PlatformOnlyAdmin(FuelpayModelAdmin):
    """Reference data only the platform edits (enterprises, grades, roles, promotion rules)."""

    def has_module_permission(self, request):
        return user_is_platform_admin(user=request.user)

    def has_view_permission(self, request, obj=None):
        return user_is_platform_admin(user=request.user)

    has_change_permission = has_add_permission = has_view_permission

    def has_delete_permission(self, request, obj=None):
        return False
