"""Staff logins in two tiers: an enterprise admin staffs its enterprise and stations, a station manager its
cashiers. Creating and (de)activating go through stations.services, which enforce who may do what."""

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.utils.translation import gettext_lazy as _

from core.admin_base import ConstraintMessagesForm
from core.audit import client_ip_get
from stations.admin_scoping import StationScopedAdmin, run_service_for_admin
from stations.enums import StaffRoleKind
from stations.exceptions import RoleNotAllowed, StaffUsernameIsPhone, StaffUsernameTaken
from stations.models import StaffRole
from stations.selectors import (
    enterprise_qs_visible_to,
    staff_member_may_manage,
    staff_role_get,
    staff_role_qs_visible_to,
    staff_username_is_phone,
    station_qs_visible_to,
    user_is_platform_admin,
)
from stations.services import staff_member_create, staff_member_set_active


def roles_user_may_create(user) -> list[tuple[str, str]]:
    if user_is_platform_admin(user=user):
        kinds = list(StaffRoleKind)
    else:
        role = staff_role_get(user=user)
        kinds = {
            StaffRoleKind.ENTERPRISE_ADMIN: [
                StaffRoleKind.ENTERPRISE_ADMIN,
                StaffRoleKind.FINANCE,
                StaffRoleKind.STATION_MANAGER,
                StaffRoleKind.CASHIER,
            ],
            StaffRoleKind.STATION_MANAGER: [StaffRoleKind.CASHIER],
        }.get(role.role if role else None, [])
    return [(kind.value, kind.label) for kind in kinds]


class StaffMemberForm(ConstraintMessagesForm):
    username = forms.CharField(label=_("login name"), max_length=150)
    password = forms.CharField(label=_("initial password"), widget=forms.PasswordInput, strip=False)

    class Meta:
        model = StaffRole
        fields = ["role", "enterprise", "station"]

    actor = None  # set per request by the admin

    def clean_username(self):
        username = self.cleaned_data["username"]
        if staff_username_is_phone(username=username):
            raise forms.ValidationError(StaffUsernameIsPhone.default_message)
        if get_user_model().objects.filter(username=username).exists():
            raise forms.ValidationError(StaffUsernameTaken.default_message)
        return username

    def clean(self):
        data = super().clean()
        role = data.get("role")
        if role and not staff_member_may_manage(
            actor=self.actor, role=role, enterprise=data.get("enterprise"), station=data.get("station")
        ):
            self.add_error("role", RoleNotAllowed.default_message)
        return data

    def clean_password(self):
        password = self.cleaned_data["password"]
        validate_password(password)
        return password


class StaffRoleAdmin(StationScopedAdmin):
    visible_to_setup_staff_only = True
    list_display = ["user", "role", "enterprise", "station", "is_active"]
    list_filter = ["role", "user__is_active"]
    search_fields = ["user__username", "enterprise__name", "station__name"]
    actions = ["deactivate", "reactivate"]

    def get_queryset(self, request):
        return staff_role_qs_visible_to(user=request.user)

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = StaffMemberForm
            kwargs["fields"] = ["username", "password", "role", "enterprise", "station"]
        form = super().get_form(request, obj, change, **kwargs)
        if obj is None:
            form.base_fields["role"].choices = roles_user_may_create(request.user)
            form.actor = request.user
        return form

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["username", "password", "role", "enterprise", "station"]
        return ["user", "role", "enterprise", "station"]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else ["user", "role", "enterprise", "station"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "enterprise":
            kwargs["queryset"] = enterprise_qs_visible_to(user=request.user)
        elif db_field.name == "station":
            kwargs["queryset"] = station_qs_visible_to(user=request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_add_permission(self, request):
        return bool(roles_user_may_create(request.user))

    def has_change_permission(self, request, obj=None):
        return False  # a role is not edited; deactivate the login and create another

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        user = staff_member_create(
            actor=request.user,
            username=data["username"],
            password=data["password"],
            role=data["role"],
            enterprise=data.get("enterprise"),
            station=data.get("station"),
            client_ip=client_ip_get(request),
        )
        obj.pk = user.staff_role.pk

    def _set_active(self, request, queryset, is_active: bool):
        for staff_role in queryset:
            run_service_for_admin(
                request,
                staff_member_set_active,
                _("%(user)s updated.") % {"user": staff_role.user},
                actor=request.user,
                staff_role=staff_role,
                is_active=is_active,
                client_ip=client_ip_get(request),
            )

    @admin.action(description=_("Deactivate the selected logins"))
    def deactivate(self, request, queryset):
        self._set_active(request, queryset, False)

    @admin.action(description=_("Reactivate the selected logins"))
    def reactivate(self, request, queryset):
        self._set_active(request, queryset, True)

    @admin.display(description=_("active"), boolean=True, ordering="user__is_active")
    def is_active(self, obj):
        return obj.user.is_active
