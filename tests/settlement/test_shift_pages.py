"""班结 on the /shifts/ page: the station's cashier or manager opens a shift and closes it with declared tenders
and manual readings (required for the nozzles of a silent pump), then sees the reconciliation. Others are
refused (403) or see nothing (404), and bad input changes nothing."""

from unittest import mock

import pytest
from django.test import Client

from settlement.enums import ShiftStatus
from settlement.exceptions import ShiftAlreadyOpen
from settlement.models import Shift, ShiftNozzle
from stations.enums import StaffRoleKind
from tests.factories.stations import StaffRoleFactory, StationFactory

pytestmark = pytest.mark.django_db


def _page(role: str, *, station=None, enterprise=None) -> Client:
    page = Client()
    page.force_login(StaffRoleFactory(role=role, station=station, enterprise=enterprise).user)
    return page


def _pumps_answer(readings: dict):
    """The pumps answer CD101 with these totalizers (ml by nozzle id); a nozzle left out is a silent pump."""
    return mock.patch("settlement.services.shifts.nozzle_totalizers_read", return_value=readings)


@pytest.fixture
def cashier(seeder):
    return _page(StaffRoleKind.CASHIER, station=seeder.station)


@pytest.fixture
def open_shift(seeder, cashier):
    cashier.post("/shifts/open/", {"station": seeder.station.pk})
    return Shift.objects.get(station=seeder.station, status=ShiftStatus.OPEN)


def _closing_state(shift: Shift) -> tuple:
    shift.refresh_from_db()
    nozzles = ShiftNozzle.objects.filter(shift=shift).order_by("pk")
    return shift.status, shift.closed_at, list(nozzles.values_list("closing_totalizer_ml", "manual_closing_ml"))


@pytest.mark.parametrize("role", [StaffRoleKind.CASHIER, StaffRoleKind.STATION_MANAGER])
def test_the_station_staff_open_a_shift_for_their_station(seeder, role):
    page = _page(role, station=seeder.station)

    assert seeder.station.name in page.get("/shifts/").content.decode()
    response = page.post("/shifts/open/", {"station": seeder.station.pk})

    assert response.status_code == 302
    shift = Shift.objects.get(station=seeder.station)
    assert shift.status == ShiftStatus.OPEN and shift.nozzles.count() == 2


def test_finance_may_not_open_a_shift_and_another_station_does_not_exist_here(seeder):
    finance = _page(StaffRoleKind.FINANCE, enterprise=seeder.station.enterprise)
    elsewhere = _page(StaffRoleKind.CASHIER, station=StationFactory())

    assert 'id="shift-open"' not in finance.get("/shifts/").content.decode()
    assert finance.post("/shifts/open/", {"station": seeder.station.pk}).status_code == 403
    assert elsewhere.post("/shifts/open/", {"station": seeder.station.pk}).status_code == 404
    assert not Shift.objects.exists()


def test_a_second_open_shift_is_refused_with_a_message(seeder, cashier, open_shift):
    response = cashier.post("/shifts/open/", {"station": seeder.station.pk}, follow=True)

    assert str(ShiftAlreadyOpen.default_message) in response.content.decode()
    assert Shift.objects.filter(station=seeder.station).count() == 1


def test_closing_with_declared_tenders_shows_the_reconciliation(seeder, cashier, open_shift):
    n92, n95 = seeder.nozzle_92, seeder.nozzle_95
    with _pumps_answer({n92.pk: 0, n95.pk: 0}):
        response = cashier.post(f"/shifts/{open_shift.pk}/", {f"tender-{n95.pk}": "8.5"}, follow=True)

    assert _closing_state(open_shift)[0] == ShiftStatus.CLOSED
    row = ShiftNozzle.objects.get(shift=open_shift, nozzle=n95)
    assert (row.other_tenders_ml, row.unpaid_ml, row.flags) == (8_500, -8_500, ["unpaid"])
    page = response.content.decode()
    assert 'id="reconciliation"' in page and "<td>-8.50</td>" in page and "unpaid" in page


def test_a_silent_pump_asks_for_its_nozzles_readings_then_closes_with_them(seeder, cashier, open_shift):
    n92, n95 = seeder.nozzle_92, seeder.nozzle_95
    before = _closing_state(open_shift)
    with _pumps_answer({n95.pk: 0}):
        response = cashier.post(f"/shifts/{open_shift.pk}/", {f"tender-{n95.pk}": "1"})

    page = response.content.decode()
    assert response.status_code == 200 and _closing_state(open_shift) == before
    assert f'name="manual-{n92.pk}" value="" inputmode="decimal" required' in page
    assert f'name="manual-{n95.pk}" value="" inputmode="decimal">' in page
    assert f'name="tender-{n95.pk}" value="1"' in page  # what the cashier typed is kept

    with _pumps_answer({n95.pk: 0}):
        cashier.post(f"/shifts/{open_shift.pk}/", {f"manual-{n92.pk}": "0.4"})

    assert _closing_state(open_shift)[0] == ShiftStatus.CLOSED
    row = ShiftNozzle.objects.get(shift=open_shift, nozzle=n92)
    assert (row.closing_totalizer_ml, row.manual_closing_ml) == (None, 400)


@pytest.mark.parametrize("bad", ["abc", "-1", "1.0005", "NaN", "sNaN", "Infinity", "1e30"])
def test_bad_litres_are_refused_and_change_nothing(seeder, cashier, open_shift, bad):
    before = _closing_state(open_shift)
    with _pumps_answer({seeder.nozzle_92.pk: 0, seeder.nozzle_95.pk: 0}) as read:
        response = cashier.post(f"/shifts/{open_shift.pk}/", {f"manual-{seeder.nozzle_92.pk}": bad}, follow=True)

    assert response.status_code == 200 and 'id="shift-close"' in response.content.decode()
    assert _closing_state(open_shift) == before
    read.assert_not_called()


def test_only_the_station_staff_close_its_shift(seeder, open_shift):
    finance = _page(StaffRoleKind.FINANCE, enterprise=seeder.station.enterprise)
    elsewhere = _page(StaffRoleKind.CASHIER, station=StationFactory())
    before = _closing_state(open_shift)

    with _pumps_answer({seeder.nozzle_92.pk: 0, seeder.nozzle_95.pk: 0}):
        assert finance.post(f"/shifts/{open_shift.pk}/").status_code == 403
        assert elsewhere.post(f"/shifts/{open_shift.pk}/").status_code == 404
        assert elsewhere.get(f"/shifts/{open_shift.pk}/").status_code == 404

    assert _closing_state(open_shift) == before
    assert 'id="shift-close"' not in finance.get(f"/shifts/{open_shift.pk}/").content.decode()
