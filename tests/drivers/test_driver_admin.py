"""The drivers' admin: numbers masked, found by a full number through the digest, and the full number shown
only to a platform admin who gives a reason — each such view an audit event."""

import pytest
from django.test import Client

from core.models import AuditEvent
from drivers.exceptions import RevealReasonRequired
from drivers.services import driver_phone_reveal
from marketing.engine import Quote
from marketing.models import Standing
from marketing.services import order_paid_record
from stations.enums import StaffRoleKind
from stations.exceptions import RoleNotAllowed
from tests.factories.drivers import DriverFactory
from tests.factories.stations import StaffRoleFactory, StationFactory

pytestmark = pytest.mark.django_db
PHONE = "13912345678"


@pytest.fixture
def platform_admin():
    return StaffRoleFactory(role=StaffRoleKind.PLATFORM_ADMIN).user


@pytest.fixture
def platform(platform_admin):
    client = Client(REMOTE_ADDR="10.4.4.4")
    client.force_login(platform_admin)
    return client


def test_the_driver_list_shows_masked_numbers_only(platform):
    DriverFactory(phone=PHONE)
    page = platform.get("/admin/drivers/driver/").content.decode()
    assert "139****5678" in page and PHONE not in page


@pytest.mark.parametrize(
    ("_case", "term", "found"),
    [("full number", PHONE, True), ("with +86 and dashes", "+86 139-1234-5678", True), ("a fragment", "5678", False)],
)
def test_the_admin_finds_a_driver_by_a_full_number(platform, _case, term, found):
    DriverFactory(phone=PHONE)
    DriverFactory(phone="13700000000")
    response = platform.get("/admin/drivers/driver/", {"q": term})
    assert response.context["cl"].result_count == (1 if found else 0)


def test_member_standings_are_searched_by_a_full_number(platform):
    driver = DriverFactory(phone=PHONE)
    order_paid_record(driver_id=driver.pk, paid_fen=1_000, reference="F1", quote=Quote((), 0))
    assert Standing.objects.filter(driver=driver).exists()
    response = platform.get("/admin/marketing/standing/", {"q": PHONE})
    assert [row.driver for row in response.context["cl"].result_list] == [driver]


def test_a_platform_admin_sees_the_full_number_with_a_reason_and_it_is_audited(platform, platform_admin):
    driver = DriverFactory(phone=PHONE)
    url = f"/admin/drivers/driver/{driver.pk}/reveal-phone/"
    assert PHONE not in platform.get(url).content.decode()
    response = platform.post(url, {"reason": "驾车逃单调查 #42"})
    assert PHONE in response.content.decode() and "no-store" in response["Cache-Control"]
    event = AuditEvent.objects.get()
    assert (event.actor, event.action, event.target, event.client_ip, event.detail) == (
        platform_admin,
        "drivers.driver.phone_revealed",
        f"drivers.driver:{driver.pk}",
        "10.4.4.4",
        {"reason": "驾车逃单调查 #42"},
    )


def test_no_reason_no_number_and_no_event(platform):
    driver = DriverFactory(phone=PHONE)
    response = platform.post(f"/admin/drivers/driver/{driver.pk}/reveal-phone/", {"reason": "  "})
    assert PHONE not in response.content.decode() and not AuditEvent.objects.exists()
    with pytest.raises(RevealReasonRequired):
        driver_phone_reveal(driver=driver, actor=response.wsgi_request.user, reason=" ")
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize(
    ("role", "scope"),
    [
        (StaffRoleKind.ENTERPRISE_ADMIN, "enterprise"),
        (StaffRoleKind.FINANCE, "enterprise"),
        (StaffRoleKind.STATION_MANAGER, "station"),
        (StaffRoleKind.CASHIER, "station"),
    ],
)
def test_other_roles_cannot_reveal_a_number(role, scope):
    station = StationFactory()
    user = StaffRoleFactory(role=role, **{scope: station if scope == "station" else station.enterprise}).user
    driver = DriverFactory(phone=PHONE)
    client = Client()
    client.force_login(user)
    response = client.post(f"/admin/drivers/driver/{driver.pk}/reveal-phone/", {"reason": "curious"})
    assert response.status_code == 403 and PHONE not in response.content.decode()
    with pytest.raises(RoleNotAllowed):
        driver_phone_reveal(driver=driver, actor=user, reason="curious")
    assert not AuditEvent.objects.exists()
