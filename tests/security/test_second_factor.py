"""TOTP second factor (django-otp): optional for staff, required for platform and enterprise admins where
OTP_REQUIRED_FOR_ADMINS is on (production)."""

import pytest
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from stations.enums import StaffRoleKind
from tests.factories.stations import StaffRoleFactory, StationFactory

pytestmark = pytest.mark.django_db
PASSWORD = "right-password-123"


def _staff(role, **scope):
    user = StaffRoleFactory(role=role, **scope).user
    user.set_password(PASSWORD)
    user.save()
    return user


def _token(device) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def _login(user, **extra) -> Client:
    client = Client()
    client.post("/admin/login/?next=/admin/", {"username": user.username, "password": PASSWORD} | extra)
    return client


@pytest.fixture(autouse=True)
def _required(settings):
    settings.OTP_REQUIRED_FOR_ADMINS = True


def test_a_platform_admin_needs_the_totp_code(settings):
    admin_user = _staff(StaffRoleKind.PLATFORM_ADMIN)
    assert "_auth_user_id" not in _login(admin_user).session  # password alone: refused
    device = TOTPDevice.objects.create(user=admin_user, name="phone", confirmed=True)
    client = _login(admin_user, otp_device=device.persistent_id, otp_token=_token(device))
    assert client.get("/admin/").status_code == 200
    # (After a wrong code django-otp also throttles the device, so the wrong one is tried last.)
    assert "_auth_user_id" not in _login(admin_user, otp_device=device.persistent_id, otp_token="000000").session


def test_a_session_without_the_second_factor_is_no_admin_access(client):
    client.force_login(_staff(StaffRoleKind.ENTERPRISE_ADMIN, enterprise=StationFactory().enterprise))
    assert client.get("/admin/").status_code == 302
    assert client.get("/api/staff/stations/").status_code == 403


def test_other_staff_may_sign_in_with_a_password_unless_they_enrolled_a_device():
    cashier = _staff(StaffRoleKind.CASHIER, station=StationFactory())
    assert "_auth_user_id" in _login(cashier).session
    TOTPDevice.objects.create(user=cashier, name="phone", confirmed=True)
    assert "_auth_user_id" not in _login(cashier).session
