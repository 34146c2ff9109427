from django import forms
from django.contrib import admin
from django.contrib.admin import RelatedOnlyFieldListFilter
from django.utils.translation import gettext_lazy as _
from unfold.contrib.filters.admin import RangeDateTimeFilter

from core.admin_base import FuelpayTabularInline, constraint_messages_register
from stations.admin_scoping import PlatformOnlyAdmin, StationScopedAdmin, run_service_for_admin
from stations.admin_staff import StaffRoleAdmin
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
from stations.selectors import staff_is_enterprise_admin, user_is_platform_admin
from stations.services import station_apply, station_bank_account_set, station_price_schedule, station_transition

constraint_messages_register(
    {
        "uniq_dispenser_number": ("number", _("This station already has a pump with this number.")),
        "uniq_nozzle_number_per_station": ("number", _("This station already has a nozzle with this number.")),
        "uniq_logical_nozzle": ("logical_number", _("This pump already has a nozzle at this logical number.")),
        "logical_nozzle_1_15": ("logical_number", _("The logical nozzle on the pump must be between 1 and 15.")),
        "price_positive_and_not_above_list": (
            "price_fen_per_litre",
            _("The station price must be above zero and not above the list price."),
        ),
        "uniq_non_fuel_sku_per_station": ("sku", _("This station already sells an item with this SKU.")),
        "non_fuel_price_positive": ("price_fen", _("The price must be above zero.")),
        "staff_role_scope_matches_role": (
            "role",
            _(
                "A platform admin has no enterprise or station; an enterprise admin or finance user has an "
                "enterprise and no station; a station manager or cashier has a station and no enterprise."
            ),
        ),
    }
)


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


class NozzleInline(FuelpayTabularInline):
    model = Nozzle
    fk_name = "dispenser"
    extra = 0
    fields = ["number", "logical_number", "grade"]


class StationStatusChangeInline(FuelpayTabularInline):
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
    list_filter = ["status", ("enterprise", RelatedOnlyFieldListFilter)]
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
        # Onboarding: the platform or an enterprise admin (for its own enterprise) files the application.
        return user_is_platform_admin(user=request.user) or staff_is_enterprise_admin(user=request.user)

    def save_model(self, request, obj, form, change):
        if not change:  # an application, recorded in the status history; review and activation follow
            applied = station_apply(
                enterprise=obj.enterprise,
                code=obj.code,
                name=obj.name,
                address=obj.address,
                latitude=obj.latitude,
                longitude=obj.longitude,
                opens_at=obj.opens_at,
                closes_at=obj.closes_at,
                actor=request.user,
            )
            obj.pk, obj.status, obj.created_at = applied.pk, applied.status, applied.created_at
            obj._state.adding = False
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
    list_filter = [("station", RelatedOnlyFieldListFilter)]
    search_fields = ["station__name", "station__code"]
    inlines = [NozzleInline]

    def save_formset(self, request, form, formset, change):
        for nozzle in formset.save(commit=False):
            nozzle.station = form.instance.station
            nozzle.save()
        formset.save_m2m()


@admin.register(Nozzle)
class NozzleAdmin(StationScopedAdmin):
    list_display = ["station", "number", "dispenser", "logical_number", "grade"]
    list_filter = [("station", RelatedOnlyFieldListFilter), "grade"]
    search_fields = ["station__name", "station__code"]

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
    list_filter = [("station", RelatedOnlyFieldListFilter), "grade", ("effective_from", RangeDateTimeFilter)]
    search_fields = ["station__name", "station__code", "grade__name"]
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
    list_filter = ["kind"]
    search_fields = ["name"]


@admin.register(FuelGrade)
class FuelGradeAdmin(PlatformOnlyAdmin):
    list_display = ["code", "name", "kind"]
    list_filter = ["kind"]
    search_fields = ["code", "name"]


admin.site.register(StaffRole, StaffRoleAdmin)
