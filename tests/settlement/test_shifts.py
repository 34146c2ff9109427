"""班结: a shift closes against each nozzle's fresh totalizer (or the cashier's reading when the pump is silent);
counter payments and drive-offs recorded on the console are counted; a totalizer difference and an unpaid
fill are flagged with the fills that explain them; the incoming cashier signs off. (Reading the totalizers
through the bridge and the simulator: tests/settlement/test_shift_totalizers_e2e.py.)"""

from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from orders.enums import CounterTender
from orders.services import fill_pay_at_counter, fill_report_drive_off
from pumpgateway.models import NozzleState
from settlement.enums import SettlementErrorCode, ShiftStatus
from settlement.exceptions import (
    InvalidShiftReading,
    SettlementTransitionNotAllowed,
    ShiftAlreadyOpen,
    TotalizerUnavailable,
)
from settlement.models import Shift, ShiftNozzle
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


@pytest.fixture
def pumps_answer(seeder):
    """The pumps answer CD101 with these totalizers (ml by nozzle); {} is a forecourt where none answers."""

    def answer(readings: dict):
        return mock.patch("settlement.services.shifts.nozzle_totalizers_read", return_value=readings)

    return answer


def test_a_totalizer_difference_and_an_unpaid_fill_are_flagged(seeder, shift, pumps_answer):
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
    # 92#: 35 L left the pump by its totalizer, 30 L in fill records. 95#: 8 L, all paid by fuel card.
    with pumps_answer({seeder.nozzle_92.pk: 1_035_000, seeder.nozzle_95.pk: 508_000}):
        shift_close(
            shift_id=shift.pk,
            actor=UserFactory(),
            manual_readings={seeder.nozzle_92.pk: 1_035_100, seeder.nozzle_95.pk: 509_000},
            other_tenders={seeder.nozzle_95.pk: 8_000},
        )

    n92 = ShiftNozzle.objects.get(shift=shift, nozzle=seeder.nozzle_92)
    assert (n92.totalizer_ml, n92.fills_ml, n92.platform_ml, n92.unpaid_ml) == (35_000, 30_000, 20_000, 10_000)
    assert n92.closing_totalizer_ml == 1_035_000 and n92.manual_closing_ml == 1_035_100
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


def test_the_incoming_cashier_signs_off_and_the_closing_one_cannot(seeder, shift, pumps_answer):
    closer, incoming = UserFactory(), UserFactory()
    with pumps_answer({seeder.nozzle_92.pk: 1_000_000, seeder.nozzle_95.pk: 500_000}):
        shift_close(shift_id=shift.pk, actor=closer)
    with pytest.raises(SettlementTransitionNotAllowed):
        shift_hand_over(shift_id=shift.pk, incoming=closer)
    handed = shift_hand_over(shift_id=shift.pk, incoming=incoming)
    assert (handed.status, handed.handed_over_to) == (ShiftStatus.HANDED_OVER, incoming)
    with pytest.raises(SettlementTransitionNotAllowed):
        shift_close(shift_id=shift.pk, actor=closer)


def test_close_shift_command_closes_reports_and_opens_the_next(seeder, shift, pumps_answer):
    from io import StringIO

    from django.core.management import call_command

    from settlement.exports import shift_pdf

    cashier = UserFactory(username="cashier-a")
    out = StringIO()
    number = seeder.nozzle_92.number
    with pumps_answer({seeder.nozzle_92.pk: 1_000_500, seeder.nozzle_95.pk: 500_000}):
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


def test_the_incoming_cashier_signs_off_on_the_page_and_another_station_sees_nothing(seeder, shift, pumps_answer):
    from django.test import Client

    from stations.enums import StaffRoleKind
    from tests.factories.stations import StaffRoleFactory, StationFactory

    closer = StaffRoleFactory(role=StaffRoleKind.CASHIER, station=seeder.station).user
    with pumps_answer({seeder.nozzle_92.pk: 1_000_000, seeder.nozzle_95.pk: 500_000}):
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


def test_counter_payments_and_drive_offs_recorded_on_the_console_are_counted(seeder, shift, pumps_answer):
    when = timezone.now() - timedelta(hours=2)
    cashier = UserFactory()
    seeder.top_up(50_000, when=when, key="t")
    paid = seeder.fill(seeder.nozzle_92, volume_ml=20_000, amount_fen=14_700, when=when)
    seeder.sale(seeder.nozzle_92, lines=[(FUEL, 14_700, "")], volume_ml=20_000, when=when, fill=paid)
    cash = seeder.fill(seeder.nozzle_92, volume_ml=6_000, amount_fen=4_410, when=when)
    card = seeder.fill(seeder.nozzle_92, volume_ml=4_000, amount_fen=2_940, when=when)
    drive_off = seeder.fill(seeder.nozzle_92, volume_ml=5_000, amount_fen=3_675, when=when)
    unresolved = seeder.fill(seeder.nozzle_92, volume_ml=3_000, amount_fen=2_205, when=when)
    earlier = seeder.fill(
        seeder.nozzle_92, volume_ml=9_000, amount_fen=6_615, when=shift.opened_at - timedelta(hours=1)
    )
    for fill, tender in ((cash, CounterTender.CASH), (card, CounterTender.BANK_CARD), (earlier, CounterTender.CASH)):
        fill_pay_at_counter(station=seeder.station, fill_id=fill.pk, tender=tender, cashier=cashier)
    fill_report_drive_off(station=seeder.station, fill_id=drive_off.pk, cashier=cashier)
    # 20 + 6 + 4 + 5 + 3 = 38 L in the shift; the 9 L paid in cash before it opened belong to the last shift.

    with pumps_answer({seeder.nozzle_92.pk: 1_038_000, seeder.nozzle_95.pk: 500_000}):
        shift_close(shift_id=shift.pk, actor=cashier)

    n92 = ShiftNozzle.objects.get(shift=shift, nozzle=seeder.nozzle_92)
    assert (n92.totalizer_ml, n92.fills_ml, n92.platform_ml) == (38_000, 38_000, 20_000)
    assert (n92.counter_ml, n92.counter_tenders) == (10_000, {"cash": 6_000, "bank_card": 4_000})
    assert (n92.drive_off_ml, n92.drive_off_fill_ids) == (5_000, [drive_off.pk])
    assert (n92.other_tenders_ml, n92.unpaid_ml, n92.unpaid_fill_ids) == (0, 3_000, [unresolved.pk])
    assert n92.flags == ["unpaid", "drive_off"]
    n95 = ShiftNozzle.objects.get(shift=shift, nozzle=seeder.nozzle_95)
    assert (n95.totalizer_ml, n95.fills_ml, n95.flags) == (0, 0, [])


def test_a_silent_pump_needs_manual_readings_and_closing_without_them_changes_nothing(seeder, shift, pumps_answer):
    with pumps_answer({seeder.nozzle_95.pk: 501_000}), pytest.raises(TotalizerUnavailable) as raised:
        shift_close(shift_id=shift.pk, actor=UserFactory())
    assert raised.value.code == SettlementErrorCode.TOTALIZER_UNAVAILABLE
    assert raised.value.extra == {"nozzles": [seeder.nozzle_92.number]}
    assert str(seeder.nozzle_92.number) in raised.value.message
    shift.refresh_from_db()
    assert shift.status == ShiftStatus.OPEN and shift.closed_at is None
    assert list(ShiftNozzle.objects.filter(shift=shift).values_list("closing_totalizer_ml", flat=True)) == [None, None]

    with pumps_answer({seeder.nozzle_95.pk: 501_000}):
        shift_close(shift_id=shift.pk, actor=UserFactory(), manual_readings={seeder.nozzle_92.pk: 1_000_400})

    n92 = ShiftNozzle.objects.get(shift=shift, nozzle=seeder.nozzle_92)
    assert (n92.closing_totalizer_ml, n92.manual_closing_ml, n92.totalizer_ml) == (None, 1_000_400, 400)
    assert n92.flags == ["totalizer"]  # 0.4 L left the pump by the cashier's reading, no fill shows it
    n95 = ShiftNozzle.objects.get(shift=shift, nozzle=seeder.nozzle_95)
    assert (n95.closing_totalizer_ml, n95.totalizer_ml, n95.flags) == (501_000, 1_000, ["totalizer"])
    assert Shift.objects.get(pk=shift.pk).status == ShiftStatus.CLOSED


def test_a_pump_that_does_not_answer_in_time_is_waited_for_only_so_long(store_line, settings):
    settings.SHIFT_TOTALIZER_WAIT_SECONDS = 0.2
    shift = shift_open(station=store_line.station, actor=UserFactory())

    with pytest.raises(TotalizerUnavailable) as raised:
        shift_close(shift_id=shift.pk, actor=UserFactory())

    assert raised.value.extra == {"nozzles": sorted(n.number for n in store_line.nozzles)}
    assert Shift.objects.get(pk=shift.pk).status == ShiftStatus.OPEN
