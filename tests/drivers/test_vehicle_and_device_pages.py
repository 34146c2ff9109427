"""The driver's vehicles page (masked plates, add, remove) and devices page (the one in use marked, sign
out any), linked from the wallet. Bad input gets a sentence and changes nothing."""

import pytest
from django.conf import settings

from drivers.middleware import SESSION_DEVICE_KEY
from drivers.models import TrustedDevice, Vehicle
from drivers.services import trusted_device_bind, vehicle_add
from tests.factories.drivers import DriverFactory
from tests.factories.stations import FuelGradeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client, driver):
    """The driver signed in on a bound device, as after the SMS step."""
    device, token = trusted_device_bind(driver=driver, label="Mozilla/5.0 (iPhone) Safari")
    client.force_login(driver.user)
    session = client.session
    session[SESSION_DEVICE_KEY] = device.pk
    session.save()
    client.cookies[settings.DRIVER_DEVICE_COOKIE] = token
    return device


def test_the_wallet_links_to_both_pages(client, driver, signed_in):
    page = client.get("/me/").content.decode()
    assert 'id="vehicles-link" href="/me/vehicles/"' in page and 'id="devices-link" href="/me/devices/"' in page


def test_a_vehicle_is_added_and_listed_with_its_plate_masked(client, driver, signed_in):
    grade = FuelGradeFactory()
    response = client.post("/me/vehicles/", {"plate": "粤B67890", "grade": str(grade.pk)})
    assert response.status_code == 302 and response["Location"] == "/me/vehicles/"
    page = client.get("/me/vehicles/").content.decode()
    assert "粤B·***90" in page and "67890" not in page and grade.name in page
    assert Vehicle.objects.get(driver=driver).preferred_grade == grade


@pytest.mark.parametrize(
    ("_case", "form", "code"),
    [
        ("not a plate", {"plate": "ABC"}, "vehicle_invalid_plate"),
        ("empty plate", {"plate": ""}, "vehicle_invalid_plate"),
        ("malformed grade", {"plate": "沪A12345", "grade": "abc"}, "vehicle_invalid_grade"),
        ("unknown grade", {"plate": "沪A12345", "grade": "999999"}, "vehicle_invalid_grade"),
        ("already listed", {"plate": "沪a 54321"}, "vehicle_duplicate_plate"),
    ],
)
def test_bad_input_is_refused_with_a_sentence_and_changes_nothing(client, driver, signed_in, _case, form, code):
    vehicle_add(driver=driver, plate="沪A54321")
    response = client.post("/me/vehicles/", form)
    page = response.content.decode()
    assert response.status_code == 200 and f'id="error" data-code="{code}"' in page
    assert list(Vehicle.objects.values_list("plate_masked", flat=True)) == ["沪A·***21"]


def test_a_vehicle_is_removed_and_another_drivers_is_not(client, driver, signed_in):
    mine = vehicle_add(driver=driver, plate="沪A12345")
    theirs = vehicle_add(driver=DriverFactory(), plate="沪B12345")
    client.post(f"/me/vehicles/{theirs.pk}/delete/")
    assert Vehicle.objects.filter(pk=theirs.pk).exists()
    assert client.post(f"/me/vehicles/{mine.pk}/delete/")["Location"] == "/me/vehicles/"
    assert not Vehicle.objects.filter(pk=mine.pk).exists()


def test_the_devices_page_marks_the_device_in_use(client, driver, signed_in):
    other, _ = trusted_device_bind(driver=driver, label="Android Chrome")
    page = client.get("/me/devices/").content.decode()
    assert "Android Chrome" in page and "iPhone" in page
    rows = {row.split("<br>")[0].rsplit(">", 1)[-1].strip(): row for row in page.split('<form class="row device')[1:]}
    assert 'id="current-device"' in rows["Mozilla/5.0 (iPhone) Safari"]
    assert 'id="current-device"' not in rows["Android Chrome"]


def test_signing_out_another_device_keeps_this_one(client, driver, signed_in):
    other, _ = trusted_device_bind(driver=driver, label="Android Chrome")
    assert client.post(f"/me/devices/{other.pk}/revoke/")["Location"] == "/me/devices/"
    assert TrustedDevice.objects.get(pk=other.pk).revoked_at is not None
    page = client.get("/me/devices/").content.decode()
    assert "Android Chrome" not in page and 'id="current-device"' in page


def test_another_drivers_device_cannot_be_signed_out(client, driver, signed_in):
    theirs, _ = trusted_device_bind(driver=DriverFactory(), label="x")
    client.post(f"/me/devices/{theirs.pk}/revoke/")
    assert TrustedDevice.objects.get(pk=theirs.pk).revoked_at is None
