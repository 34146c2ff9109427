"""班结: a shift closes against each nozzle's totalizer; a totalizer difference and an unpaid fill are
flagged with the fills that explain them; the incoming cashier signs off."""

from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from pumpgateway.models import NozzleState
from settlement.enums import ShiftStatus
from settlement.exceptions import InvalidShiftReading, SettlementTransitionNotAllowed, ShiftAlreadyOpen
from settlement.models import ShiftNozzle
from settlement.services.shifts import shift_close, shift_hand_over, shift_open
from tests.factories.stations import UserFactory
from tests.settlement.conftest import DISCOUNT, FUEL

pytestmark = pytest.mark.django_db


@pytest.fixture
def shift(seeder):
    NozzleState.objects.create(nozzle=seeder.nozzle_92, totalizer_ml=1_000_000)
    NozzleState.objects.create(nozzle=seeder.nozzle_95, totalizer_ml=500_000)
    opened = timezone.now() - timedelta(hours=8)
    with mock.patch("django.utils.timezone.now", return_value=opened):
        return shift_open(station=seeder.station, actor=UserFactory())


def test_a_totalizer_difference_and_an_unpaid_fill_are_flagged(seeder, shift):
    when = timezone.now() - timedelta(hours=2)
    seeder.top_up(50_000, when=when, key="t")
    paid = seeder.fill(seeder.nozzle_92, volume_ml=20_000, amount_fen=14_700, when=when)
    seeder.sale(
        seeder.nozzle_92,
        lines=[(FUEL, 15_300, ""), (DISCOUNT, -600, "station")],
        volume_ml=20_000,
        when=when,
        fill=paid,
    )
    drive_off = seeder.fill(seeder.nozzle_92, volume_ml=10_000, amount_fen=7_350, when=when)
    cash = seeder.fill(seeder.nozzle_95, volume_ml=8_000, amount_fen=6_000, when=when)
    # 92#: 35 L left the pump by its totalizer, 30 L in fill records. 95#: 8 L, all paid in cash.
    NozzleState.objects.filter(nozzle=seeder.nozzle_92).update(totalizer_ml=1_035_000)
    NozzleState.objects.filter(nozzle=seeder.nozzle_95).update(totalizer_ml=508_000)

    shift_close(
        shift_id=shift.pk,
        actor=UserFactory(),
        manual_readings={seeder.nozzle_92.pk: 1_035_100, seeder.nozzle_95.pk: 509_000},
        other_tenders={seeder.nozzle_95.pk: 8_000},
    )

    n92 = ShiftNozzle.objects.get(shift=shift, nozzle=seeder.nozzle_92)
    assert (n92.totalizer_ml, n92.fills_ml, n92.platform_ml, n92.unpaid_ml) == (35_000, 30_000, 20_000, 10_000)
    assert n92.flags == ["totalizer", "unpaid"] and n92.unpaid_fill_ids == [drive_off.pk]
    n95 = ShiftNozzle.objects.get(shift=shift, nozzle=seeder.nozzle_95)
    assert (n95.totalizer_ml, n95.fills_ml, n95.other_tenders_ml, n95.unpaid_ml) == (8_000, 8_000, 8_000, 0)
    assert n95.flags == ["manual"] and n95.unpaid_fill_ids == [cash.pk]


def test_one_open_shift_per_station_and_bad_readings_change_nothing(seeder, shift):
    with pytest.raises(ShiftAlreadyOpen):
        shift_open(station=seeder.station, actor=UserFactory())
    for bad in ({seeder.nozzle_92.pk: -1}, {seeder.nozzle_92.pk: "12"}, {999_999: 1}):
        with pytest.raises(InvalidShiftReading):
            shift_close(shift_id=shift.pk, actor=UserFactory(), manual_readings=bad)
        shift.refresh_from_db()
        assert shift.status == ShiftStatus.OPEN and shift.closed_at is None


def test_the_incoming_cashier_signs_off_and_the_closing_one_cannot(seeder, shift):
    closer, incoming = UserFactory(), UserFactory()
    shift_close(shift_id=shift.pk, actor=closer)
    with pytest.raises(SettlementTransitionNotAllowed):
        shift_hand_over(shift_id=shift.pk, incoming=closer)
    handed = shift_hand_over(shift_id=shift.pk, incoming=incoming)
    assert (handed.status, handed.handed_over_to) == (ShiftStatus.HANDED_OVER, incoming)
    with pytest.raises(SettlementTransitionNotAllowed):
        shift_close(shift_id=shift.pk, actor=closer)


def test_close_shift_command_closes_reports_and_opens_the_next(seeder, shift):
    from io import StringIO

    from django.core.management import call_command

    from settlement.exports import shift_pdf
    from settlement.models import Shift

    cashier = UserFactory(username="cashier-a")
    NozzleState.objects.filter(nozzle=seeder.nozzle_92).update(totalizer_ml=1_000_500)
    out = StringIO()
    number = seeder.nozzle_92.number
    call_command(
        "close_shift",
        "--station",
        seeder.station.code,
        "--user",
        "cashier-a",
        "--manual",
        f"{number}=1000500",
        stdout=out,
    )
    assert f"nozzle {number}: totalizer 0.50 L, fills 0.00 L" in out.getvalue() and "totalizer" in out.getvalue()
    closed = Shift.objects.get(pk=shift.pk)
    assert closed.status == ShiftStatus.CLOSED and closed.closed_by == cashier
    assert Shift.objects.filter(station=seeder.station, status=ShiftStatus.OPEN).count() == 1
    assert shift_pdf(closed).startswith(b"%PDF")


def test_the_incoming_cashier_signs_off_on_the_page_and_another_station_sees_nothing(seeder, shift):
    from django.test import Client

    from stations.enums import StaffRoleKind
    from tests.factories.stations import StaffRoleFactory, StationFactory

    closer = StaffRoleFactory(role=StaffRoleKind.CASHIER, station=seeder.station).user
    shift_close(shift_id=shift.pk, actor=closer)
    pages = {}
    for name, station in (("closer", None), ("incoming", seeder.station), ("elsewhere", StationFactory())):
        pages[name] = Client()
        pages[name].force_login(
            closer if station is None else StaffRoleFactory(role=StaffRoleKind.CASHIER, station=station).user
        )

    assert pages["elsewhere"].get(f"/shifts/{shift.pk}/pdf/").status_code == 404
    assert pages["elsewhere"].post(f"/shifts/{shift.pk}/hand-over/").status_code == 404
    pages["closer"].post(f"/shifts/{shift.pk}/hand-over/")
    shift.refresh_from_db()
    assert shift.status == ShiftStatus.CLOSED
    assert pages["incoming"].get(f"/shifts/{shift.pk}/pdf/").content.startswith(b"%PDF")
    pages["incoming"].post(f"/shifts/{shift.pk}/hand-over/")
    shift.refresh_from_db()
    assert shift.status == ShiftStatus.HANDED_OVER
