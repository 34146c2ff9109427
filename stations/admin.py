from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from stations.admin_scoping import PlatformOnlyAdmin, StationScopedAdmin, run_service_for_admin
from stations.enums import StationStatus
from stations.models import (
    Dispenser,
    Enterprise,
    FuelGrade,
    GradePrice,
    NonFuelItem,
    Nozzle,
    StaffRole,
    Station,
    StationStatusChange,
)
from stations.selectors import user_is_platform_admin
from stations.services import station_bank_account_set, station_price_schedule, station_transition


class StationForm(forms.ModelForm):
    new_bank_account_number = forms.CharField(
        label=_("new settlement account number"),
        required=False,
        help_text=_("Stored encrypted; only the last four digits are ever shown."),
    )

    class Meta:
        model = Station
        fields = [
            "enterprise",
            "code",
            "name",
            "address",
            "latitude",
            "longitude",
            "opens_at",
            "closes_at",
            "bank_name",
            "bank_account_holder",
        ]


class NozzleInline(admin.TabularInline):
    model = Nozzle
    fk_name = "dispenser"
    extra = 0
    fields = ["number", "logical_number", "grade"]


class StationStatusChangeInline(admin.TabularInline):
    model = StationStatusChange
    extra = 0
    can_delete = False
    readonly_fields = ["from_status", "to_status", "actor", "note", "created_at"]

    def has_add_permission(self, request, obj=None):
        return False


def _transition_action(to_status: str, label):
    def action(modeladmin, request, queryset):
        for station in queryset:
            run_service_for_admin(
                request,
                station_transition,
                f"{station}: {StationStatus(to_status).label}",
                station=station,
                to_status=to_status,
                actor=request.user,
            )

    action.__name__ = f"move_to_{to_status}"
    action.short_description = label
    return action


@admin.register(Station)
class StationAdmin(StationScopedAdmin):
    form = StationForm
    station_path = "pk"
    list_display = ["code", "name", "enterprise", "status", "bank_account_masked"]
    list_filter = ["status", "enterprise"]
    search_fields = ["code", "name", "address"]
    readonly_fields = ["status", "bank_account_masked"]
    inlines = [StationStatusChangeInline]
    actions = [
        _transition_action(StationStatus.UNDER_REVIEW, _("Submit for document review")),
        _transition_action(StationStatus.APPROVED, _("Approve")),
        _transition_action(StationStatus.APPLIED, _("Return for more documents")),
        _transition_action(StationStatus.ACTIVE, _("Activate (take payments)")),
        _transition_action(StationStatus.SUSPENDED, _("Suspend")),
        _transition_action(StationStatus.CLOSED, _("Close")),
    ]

    def has_add_permission(self, request):
        return user_is_platform_admin(user=request.user)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        number = form.cleaned_data.get("new_bank_account_number")
        if number:
            run_service_for_admin(
                request,
                station_bank_account_set,
                _("Settlement account updated."),
                station=obj,
                bank_name=obj.bank_name,
                holder=obj.bank_account_holder,
                account_number=number,
            )


@admin.register(Dispenser)
class DispenserAdmin(StationScopedAdmin):
    list_display = ["station", "number"]
    inlines = [NozzleInline]

    def save_formset(self, request, form, formset, change):
        for nozzle in formset.save(commit=False):
            nozzle.station = form.instance.station
            nozzle.save()
        formset.save_m2m()


@admin.register(Nozzle)
class NozzleAdmin(StationScopedAdmin):
    list_display = ["station", "number", "dispenser", "logical_number", "grade"]
    list_filter = ["grade"]

    def has_add_permission(self, request):
        return False  # nozzles are added on their dispenser


@admin.register(GradePrice)
class GradePriceAdmin(StationScopedAdmin):
    list_display = [
        "station",
        "grade",
        "list_price_fen_per_litre",
        "price_fen_per_litre",
        "effective_from",
        "created_by",
    ]
    list_filter = ["grade"]
    fields = ["station", "grade", "list_price_fen_per_litre", "price_fen_per_litre", "effective_from"]

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)  # a change is a new row

    def save_model(self, request, obj, form, change):
        price = station_price_schedule(
            station=obj.station,
            grade=obj.grade,
            list_price_fen_per_litre=obj.list_price_fen_per_litre,
            price_fen_per_litre=obj.price_fen_per_litre,
            effective_from=obj.effective_from,
            actor=request.user,
        )
        obj.pk = price.pk


@admin.register(NonFuelItem)
class NonFuelItemAdmin(StationScopedAdmin):
    """The station manager's catalogue of non-fuel goods and services."""

    list_display = ["station", "sku", "name", "price_fen", "category", "is_active"]
    list_filter = ["category", "is_active"]
    search_fields = ["sku", "name"]


@admin.register(Enterprise)
class EnterpriseAdmin(PlatformOnlyAdmin):
    list_display = ["name", "kind", "created_at"]


@admin.register(FuelGrade)
class FuelGradeAdmin(PlatformOnlyAdmin):
    list_display = ["code", "name", "kind"]


@admin.register(StaffRole)
class StaffRoleAdmin(PlatformOnlyAdmin):
    list_display = ["user", "role", "enterprise", "station"]
    list_filter = ["role"]
