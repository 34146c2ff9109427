from django import forms
from django.contrib import admin
from django.contrib.admin import RelatedOnlyFieldListFilter
from django.utils.translation import gettext_lazy as _
from unfold.contrib.filters.admin import RangeDateTimeFilter

from core.admin_base import FuelpayTabularInline, ImmutableAdminMixin, constraint_messages_register
from core.audit import client_ip_get
from core.models import AuditEvent
from stations.admin_scoping import AuditedChangesAdmin, PlatformOnlyAdmin, StationScopedAdmin, run_service_for_admin
from stations.admin_staff import StaffRoleAdmin
from stations.enums import StationStatus
from stations.models import (
    BankAccountChange,
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
from stations.selectors import staff_is_enterprise_admin, staff_may_own_settlement_account, user_is_platform_admin
from stations.services import (
    station_apply,
    station_bank_account_change_decide,
    station_bank_account_change_request,
    station_price_schedule,
    station_transition,
)

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
    class Meta:
        model = Station
        fields = ["enterprise", "code", "name", "address", "latitude", "longitude", "opens_at", "closes_at"]


class StationSettlementForm(StationForm):
    """For the roles that own the settlement account: a new one is a request another administrator approves."""

    new_bank_name = forms.CharField(label=_("new settlement bank"), required=False, max_length=120)
    new_bank_account_holder = forms.CharField(label=_("new account holder"), required=False, max_length=120)
    new_bank_account_number = forms.CharField(
        label=_("new settlement account number"),
        required=False,
        help_text=_("Stored encrypted; only the last four digits are ever shown. Takes effect once approved."),
    )


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
class StationAdmin(AuditedChangesAdmin, StationScopedAdmin):
    form = StationForm
    station_path = "pk"
    list_display = ["code", "name", "enterprise", "status", "bank_account_masked"]
    # Only enterprises of the stations in scope appear in the filter: no other tenant's name.
    list_filter = ["status", ("enterprise", RelatedOnlyFieldListFilter)]
    search_fields = ["code", "name", "address"]
    # A new settlement account is a request, audited by its service with the last four digits only.
    audit_detail_excluded = frozenset({"new_bank_name", "new_bank_account_holder", "new_bank_account_number"})
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

    def _owns_settlement(self, request, obj) -> bool:
        return user_is_platform_admin(user=request.user) or (
            obj is not None and staff_may_own_settlement_account(user=request.user, station=obj)
        )

    def get_readonly_fields(self, request, obj=None):
        readonly = ["status", "bank_name", "bank_account_holder", "bank_account_masked"]
        # Moving a station to another enterprise is the platform's decision alone (an enterprise admin's
        # application names one of its own enterprises: the choices are scoped).
        if obj is None or user_is_platform_admin(user=request.user):
            return readonly
        return ["enterprise", *readonly]

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = StationSettlementForm if self._owns_settlement(request, obj) else StationForm
        return super().get_form(request, obj, change, **kwargs)

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
                station_bank_account_change_request,
                _("Settlement account change requested; another administrator must approve it."),
                station=obj,
                actor=request.user,
                bank_name=form.cleaned_data.get("new_bank_name") or obj.bank_name,
                holder=form.cleaned_data.get("new_bank_account_holder") or obj.bank_account_holder,
                account_number=number,
                client_ip=client_ip_get(request),
            )


def _decide_action(approve: bool, label):
    def action(modeladmin, request, queryset):
        for change in queryset:
            run_service_for_admin(
                request,
                station_bank_account_change_decide,
                f"{change}: {label}",
                change=change,
                approver=request.user,
                approve=approve,
                client_ip=client_ip_get(request),
            )

    action.__name__ = "approve" if approve else "reject"
    action.short_description = label
    return action


@admin.register(BankAccountChange)
class BankAccountChangeAdmin(StationScopedAdmin):
    list_display = ["station", "bank_name", "masked_account", "status", "requested_by", "decided_by", "created_at"]
    list_filter = ["status", ("station", RelatedOnlyFieldListFilter)]
    search_fields = ["station__name", "station__code", "bank_name"]
    fields = readonly_fields = list_display
    actions = [_decide_action(True, _("Approve (second approver)")), _decide_action(False, _("Reject"))]

    @admin.display(description=_("account"))
    def masked_account(self, obj):
        return f"**** {obj.bank_account_number_last4}"

    def has_add_permission(self, request):
        return False  # requested from the station's form

    def has_change_permission(self, request, obj=None):
        return False


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
            client_ip=client_ip_get(request),
        )
        obj.pk = price.pk


@admin.register(NonFuelItem)
class NonFuelItemAdmin(AuditedChangesAdmin, StationScopedAdmin):
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


@admin.register(AuditEvent)
class AuditEventAdmin(ImmutableAdminMixin, PlatformOnlyAdmin):
    """The audit log (core.models.AuditEvent) for platform admins: read-only, as the database keeps it."""

    list_display = ["at", "actor", "action", "target", "client_ip"]
    list_filter = ["action", ("at", RangeDateTimeFilter)]
    search_fields = ["target", "actor__username"]
    fields = readonly_fields = ["at", "actor", "action", "target", "detail", "client_ip"]
