"""Closing a shift reads each nozzle's totalizer afresh from the pump: CD101 through the bridge that owns the
line, answered with DC101 by the forecourt simulator on a pty. A pump that is off needs a manual reading."""

import pytest

from pumpgateway.enums import AuthorizationSource, CommandKind, CommandStatus, NozzleLiveState
from pumpgateway.models import Fill, NozzleState, PumpAuthorization, PumpCommand
from pumpgateway.services import pump_authorization_request
from settlement.enums import ShiftStatus
from settlement.exceptions import TotalizerUnavailable
from settlement.models import ShiftNozzle
from settlement.services.shifts import shift_close, shift_open
from tests.factories.stations import UserFactory
from tests.forecourt import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _pump_total_ml(simulator, pump: int, nozzle: int) -> int:
    return simulator.state()["pumps"][str(pump)]["nozzles"][str(nozzle)]["total_volume"] * 10  # centilitres


def test_closing_reads_every_nozzles_totalizer_from_the_pump(forecourt):
    simulator, nozzles = forecourt["simulator"], forecourt["nozzles"]
    shift = shift_open(station=forecourt["station"], actor=UserFactory())
    authorization = pump_authorization_request(
        nozzle=nozzles[1], source=AuthorizationSource.ATTENDANT, preset_volume_ml=2_000
    )
    wait_for(lambda: PumpAuthorization.objects.get(pk=authorization.pk).status == "authorised")
    simulator.control("/pumps/1/lift", {"nozzle": 2})
    wait_for(lambda: Fill.objects.filter(authorization=authorization).exists(), message="fill stored")
    simulator.control("/pumps/1/hangup")
    wait_for(lambda: NozzleState.objects.get(nozzle=nozzles[1]).state == NozzleLiveState.READY, message="reset")
    # What the bridge last stored is stale (say it missed the reading after the fill): closing must not use it.
    NozzleState.objects.filter(nozzle__station=forecourt["station"]).update(totalizer_ml=1, totalizer_read_at=None)

    shift_close(shift_id=shift.pk, actor=UserFactory())

    rows = {row.nozzle_id: row for row in ShiftNozzle.objects.filter(shift=shift)}
    for index, (pump, logical) in enumerate(((1, 1), (1, 2), (2, 1), (2, 2))):
        assert rows[nozzles[index].pk].closing_totalizer_ml == _pump_total_ml(simulator, pump, logical)
    assert rows[nozzles[1].pk].totalizer_ml == rows[nozzles[1].pk].fills_ml == 2_000
    assert PumpCommand.objects.filter(kind=CommandKind.TOTALS, status=CommandStatus.DELIVERED).count() == 2


def test_a_pump_that_is_off_is_not_waited_for_and_its_nozzles_need_a_manual_reading(forecourt):
    simulator, nozzles = forecourt["simulator"], forecourt["nozzles"]
    shift = shift_open(station=forecourt["station"], actor=UserFactory())
    simulator.control("/pumps/2/power", {"on": False})
    wait_for(lambda: NozzleState.objects.get(nozzle=nozzles[2]).state == NozzleLiveState.OFFLINE, message="offline")

    with pytest.raises(TotalizerUnavailable) as raised:
        shift_close(shift_id=shift.pk, actor=UserFactory())
    assert raised.value.extra == {"nozzles": [nozzles[2].number, nozzles[3].number]}
    assert ShiftNozzle.objects.get(shift=shift, nozzle=nozzles[2]).shift.status == ShiftStatus.OPEN

    shift_close(shift_id=shift.pk, actor=UserFactory(), manual_readings={nozzles[2].pk: 7_000, nozzles[3].pk: 9_000})
    rows = {row.nozzle_id: row for row in ShiftNozzle.objects.filter(shift=shift)}
    assert rows[nozzles[0].pk].closing_totalizer_ml == _pump_total_ml(simulator, 1, 1)
    assert (rows[nozzles[2].pk].closing_totalizer_ml, rows[nozzles[2].pk].manual_closing_ml) == (None, 7_000)
