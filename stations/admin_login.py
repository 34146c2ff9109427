"""Staff sign in to the admin (and the console) with a password and, with django-otp, a TOTP code: always when
they have enrolled a device, and for platform and enterprise admins wherever OTP_REQUIRED_FOR_ADMINS is on
(production). django-axes counts the failures of this same form."""

from django.contrib.admin.forms import AdminAuthenticationForm
from django.shortcuts import get_object_or_404
from django_otp import user_has_device
from django_otp.admin import OTPAdminAuthenticationForm
from django_otp.plugins.otp_totp import admin as otp_totp_admin
from django_otp.plugins.otp_totp.models import TOTPDevice

from stations.selectors import staff_second_factor_missing, staff_second_factor_required


class StaffLoginForm(OTPAdminAuthenticationForm):
    def clean(self):
        self.cleaned_data = AdminAuthenticationForm.clean(self)
        user = self.get_user()
        if user is not None and (user_has_device(user) or staff_second_factor_required(user=user)):
            self.clean_otp(user)
        return self.cleaned_data


def admin_site_require_second_factor(site) -> None:
    """The admin's own gate: a required second factor not passed in this session is no admin access."""
    has_permission = site.has_permission
    site.has_permission = lambda request: has_permission(request) and not staff_second_factor_missing(user=request.user)
    site.login_form = StaffLoginForm
    site.login_template = "otp/admin111/login.html"
    site.unregister(TOTPDevice)
    site.register(TOTPDevice, TOTPDeviceAdmin)


class TOTPDeviceAdmin(otp_totp_admin.TOTPDeviceAdmin):
    """django-otp's device admin, except that an unknown device is a 404 instead of its DoesNotExist 500."""

    def config_view(self, request, pk):
        get_object_or_404(TOTPDevice, pk=pk)
        return super().config_view(request, pk)

    def qrcode_view(self, request, pk):
        get_object_or_404(TOTPDevice, pk=pk)
        return super().qrcode_view(request, pk)
