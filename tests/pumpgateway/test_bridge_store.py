"""DjangoBridgeStore, event by event, without a serial line: what each report of the DART master writes."""

from datetime import timedelta

import pytest
from django.db import OperationalError, connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from pumpgateway.dart.transactions import CD1, CD2, CD4, Command, PumpStatus
from pumpgateway.enums import (
    AuthorizationEndReason,
    AuthorizationSource,
    AuthorizationStatus,
    CommandKind,
    CommandStatus,
    NozzleLiveState,
    TotalsCheck,
)
from pumpgateway.exceptions import NozzleBusy, PresetTooLarge
from pumpgateway.models import Fill, NozzleState, PumpAuthorization, PumpBinding, PumpCommand, SerialLine
from pumpgateway.selectors import pump_alarm_list_for_station
from pumpgateway.services import pump_authorization_request

pytestmark = pytest.mark.django_db
ADDRESS = 0x50


@pytest.fixture
def authorization(store_line):
    """An attendant's ¥50 authorization on nozzle 1, queued for the bridge."""
    return pump_authorization_request(
        nozzle=store_line.nozzles[0], source=AuthorizationSource.ATTENDANT, preset_amount_fen=5_000
    )


def _auth(authorization) -> PumpAuthorization:
    return PumpAuthorization.objects.get(pk=authorization.pk)


def _nozzle_state(nozzle) -> str:
    return NozzleState.objects.get(nozzle=nozzle).state


def _alarms(store_line) -> list[str]:
    with translation.override("en"):
        return pump_alarm_list_for_station(station_id=store_line.station.pk)


def _resync_over(store_line) -> None:
    store_line.store._started -= 10  # the restarted bridge's first 3 s of polling are over


def test_a_queued_authorization_goes_out_as_nozzle_preset_and_authorize(store_line, authorization):
    (command,) = store_line.report("pending_commands")
    assert (command.address, command.only_in_reset, command.wait_for_reset) == (ADDRESS, True, False)
    assert command.transactions == (CD2((1,)), CD4(5_000), CD1(Command.AUTHORIZE))


def test_sending_is_recorded_before_the_frame_leaves_and_delivery_after(store_line, authorization):
    (command,) = store_line.report("pending_commands")
    store_line.report("command_sending", command.command_id)
    assert _auth(authorization).status == AuthorizationStatus.SENT and _auth(authorization).sent_at
    store_line.report("command_result", command.command_id, delivered=True)
    assert PumpCommand.objects.get(pk=command.command_id).status == CommandStatus.DELIVERED
    assert _auth(authorization).status == AuthorizationStatus.SENT


def test_an_authorize_never_acknowledged_stays_open_until_the_pump_is_seen_in_reset(store_line, authorization):
    """Case 2 of issue 11: the pump may have applied it (only its ACK was lost), so the hold stays."""
    (command,) = store_line.report("pending_commands")
    store_line.report("command_sending", command.command_id)
    store_line.report("command_result", command.command_id, delivered=False, error="no ACK", possibly_applied=True)
    assert _auth(authorization).status == AuthorizationStatus.SENT
    (reset,) = PumpCommand.objects.filter(status=CommandStatus.PENDING)
    assert (reset.kind, reset.authorization_id) == (CommandKind.RESET, authorization.pk)
    store_line.send_pending()  # the RESET is acknowledged ...
    assert _auth(authorization).status == AuthorizationStatus.SENT
    store_line.status(PumpStatus.RESET)  # ... and the pump is seen in RESET: only now the hold may end
    assert (_auth(authorization).status, _auth(authorization).reason) == (
        "refused",
        AuthorizationEndReason.NOT_CONFIRMED,
    )


def test_an_authorize_never_acknowledged_that_the_pump_did_apply_is_kept(store_line, authorization):
    (command,) = store_line.report("pending_commands")
    store_line.report("command_sending", command.command_id)
    store_line.report("command_result", command.command_id, delivered=False, possibly_applied=True)
    store_line.status(PumpStatus.AUTHORIZED)  # the re-read status: it got through
    assert _auth(authorization).status == AuthorizationStatus.AUTHORISED
    assert not PumpCommand.objects.filter(status=CommandStatus.PENDING).exists()  # its RESET withdrawn


def test_an_authorize_a_busy_pump_refused_is_refused_as_busy(store_line, authorization):
    (command,) = store_line.report("pending_commands")
    store_line.report("command_result", command.command_id, delivered=False, error="pump busy (status 4)")
    assert (_auth(authorization).status, _auth(authorization).reason) == ("refused", AuthorizationEndReason.PUMP_BUSY)
    assert store_line.store.command_is_pending(command.command_id) is False


def test_the_pump_reporting_authorized_confirms_the_authorization(store_line, authorization, settings):
    store_line.send_pending()
    store_line.status(PumpStatus.AUTHORIZED)
    confirmed = _auth(authorization)
    assert confirmed.status == AuthorizationStatus.AUTHORISED
    assert confirmed.lift_deadline == confirmed.authorised_at + timedelta(
        seconds=settings.PUMP_AUTHORIZE_LIFT_TIMEOUT_SECONDS
    )
    assert _nozzle_state(store_line.nozzles[0]) == NozzleLiveState.AUTHORISED


def test_a_database_error_before_commit_does_not_hide_the_pumps_next_identical_report(store_line, authorization):
    store_line.send_pending()

    def fail_nozzle_state_writes(execute, sql, params, many, context):
        if "pumpgateway_nozzlestate" in sql and not sql.lstrip().upper().startswith("SELECT"):
            raise OperationalError("server closed the connection unexpectedly")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(fail_nozzle_state_writes), pytest.raises(OperationalError):
        store_line.status(PumpStatus.AUTHORIZED)
    assert _auth(authorization).status == AuthorizationStatus.SENT  # the whole event rolled back
    store_line.status(PumpStatus.AUTHORIZED)  # the pump says it again on the next poll
    assert _auth(authorization).status == AuthorizationStatus.AUTHORISED
    assert _nozzle_state(store_line.nozzles[0]) == NozzleLiveState.AUTHORISED


def test_an_unchanged_status_is_written_once(store_line, authorization):
    store_line.send_pending()
    store_line.status(PumpStatus.AUTHORIZED)
    with CaptureQueriesContext(connection) as queries:
        store_line.status(PumpStatus.AUTHORIZED)
    assert len(queries) == 0


@pytest.mark.parametrize(
    ("_case", "status", "lifted", "nozzle_1", "nozzle_2"),
    [
        ("idle", PumpStatus.RESET, False, NozzleLiveState.READY, NozzleLiveState.READY),
        ("nozzle 2 lifted", PumpStatus.RESET, True, NozzleLiveState.READY, NozzleLiveState.CALLING),
        (
            "fill done, nozzle 0",
            PumpStatus.FILLING_COMPLETED,
            False,
            NozzleLiveState.COMPLETE,
            NozzleLiveState.COMPLETE,
        ),
        ("preset reached", PumpStatus.MAX_REACHED, False, NozzleLiveState.COMPLETE, NozzleLiveState.COMPLETE),
        ("switched off", PumpStatus.SWITCHED_OFF, False, NozzleLiveState.CLOSED, NozzleLiveState.CLOSED),
    ],
)
def test_each_pump_status_shows_on_the_nozzles(store_line, _case, status, lifted, nozzle_1, nozzle_2):
    store_line.status(status, nozzle=2 if lifted else 0, lifted=lifted)
    assert [_nozzle_state(n) for n in store_line.nozzles] == [nozzle_1, nozzle_2]
    assert PumpBinding.objects.get(pk=store_line.binding.pk).status == status


def test_fuelling_marks_the_open_authorization(store_line, authorization):
    store_line.send_pending()
    store_line.status(PumpStatus.AUTHORIZED)
    store_line.fuelling()
    assert _auth(authorization).status == AuthorizationStatus.FUELLING
    assert [_nozzle_state(n) for n in store_line.nozzles] == [NozzleLiveState.FUELLING, NozzleLiveState.READY]
    store_line.status(PumpStatus.SUSPENDED, nozzle=1, lifted=True)
    assert _nozzle_state(store_line.nozzles[0]) == NozzleLiveState.SUSPENDED


@pytest.mark.parametrize(
    ("status", "command", "shown"),
    [
        (PumpStatus.AUTHORIZED, CommandKind.RESET, NozzleLiveState.AUTHORISED),
        (PumpStatus.FILLING, CommandKind.STOP, NozzleLiveState.FUELLING),
    ],
)
def test_a_pump_authorized_by_someone_else_is_stopped_alarmed_and_shown_busy(
    store_line, caplog, status, command, shown
):
    store_line.status(status, nozzle=1, lifted=status == PumpStatus.FILLING)
    assert list(PumpCommand.objects.values_list("kind", flat=True)) == [command]
    assert [_nozzle_state(n) for n in store_line.nozzles] == [shown, shown]
    assert "without an authorization of ours" in caplog.text


def test_a_pump_authorized_while_our_request_was_never_sent_is_not_ours(store_line, authorization):
    store_line.status(PumpStatus.AUTHORIZED)
    assert _auth(authorization).status == AuthorizationStatus.REQUESTED
    assert PumpCommand.objects.filter(kind=CommandKind.RESET, status=CommandStatus.PENDING).exists()


def test_a_reset_at_the_pump_cancels_an_authorization_not_yet_lifted(store_line, authorization):
    store_line.send_pending()
    store_line.status(PumpStatus.AUTHORIZED)
    store_line.status(PumpStatus.RESET)
    assert (_auth(authorization).status, _auth(authorization).reason) == ("cancelled", "reset_at_pump")


def test_price_and_running_totals_reach_the_nozzle(store_line):
    store_line.report("nozzle_price", ADDRESS, 1, 735)
    store_line.report("filling_progress", ADDRESS, 1, 1_234, 907)
    state = NozzleState.objects.get(nozzle=store_line.nozzles[0])
    assert (state.price_fen_per_litre, state.volume_ml, state.amount_fen) == (735, 12_340, 907)


def test_a_completed_fill_is_stored_once_and_closes_its_authorization(store_line, authorization):
    store_line.send_pending()
    store_line.status(PumpStatus.AUTHORIZED)
    store_line.fuelling()
    store_line.report("fill_completed", ADDRESS, 1, 680, 5_000, 735)
    store_line.report("fill_completed", ADDRESS, 1, 680, 5_000, 735)  # re-delivered block
    fill = Fill.objects.get()
    assert (fill.authorization_id, fill.volume_ml, fill.amount_fen, fill.price_fen_per_litre) == (
        authorization.pk,
        6_800,
        5_000,
        735,
    )
    assert _auth(authorization).status == AuthorizationStatus.COMPLETED


def test_an_empty_completion_with_nobody_waiting_stores_nothing(store_line):
    store_line.report("fill_completed", ADDRESS, 1, 0, 0, 735)
    assert not Fill.objects.exists() and not PumpAuthorization.objects.exists()


def test_fuel_delivered_without_an_authorization_is_kept_as_unattributed(store_line):
    store_line.report("fill_completed", ADDRESS, 2, 500, 3_675, 735)
    fill = Fill.objects.select_related("authorization").get()
    assert (fill.nozzle, fill.amount_fen, fill.authorization.source) == (
        store_line.nozzles[1],
        3_675,
        AuthorizationSource.UNATTRIBUTED,
    )


def test_the_last_fill_reported_again_after_a_restart_is_not_stored_twice(store_line, authorization):
    store_line.send_pending()
    store_line.report("fill_completed", ADDRESS, 1, 680, 5_000, 735)
    store_line.report("fill_completed", ADDRESS, 1, 680, 5_000, 735)  # the pump was not reset yet
    assert Fill.objects.count() == 1 and PumpAuthorization.objects.count() == 1


@pytest.mark.parametrize(
    ("_case", "before_ml", "after_units", "check"),
    [
        ("matches", 100_000, 10_680, TotalsCheck.MATCHED),
        ("differs", 100_000, 10_690, TotalsCheck.MISMATCH),
        ("no earlier reading", None, 10_680, TotalsCheck.NO_BASELINE),
    ],
)
def test_totals_after_a_fill_check_its_volume(store_line, authorization, _case, before_ml, after_units, check):
    NozzleState.objects.filter(nozzle=store_line.nozzles[0]).update(totalizer_ml=before_ml)
    store_line.send_pending()
    store_line.report("fill_completed", ADDRESS, 1, 680, 5_000, 735)
    store_line.report("totals", ADDRESS, 1, after_units, 0)
    fill = Fill.objects.get()
    assert (fill.totals_before_ml, fill.totals_after_ml, fill.totals_check) == (before_ml, after_units * 10, check)
    assert NozzleState.objects.get(nozzle=store_line.nozzles[0]).totalizer_ml == after_units * 10


def test_pump_decimals_are_confirmed_or_flagged(store_line):
    store_line.report("parameters", ADDRESS, (2, 2, 2))
    assert PumpBinding.objects.get(pk=store_line.binding.pk).decimals_confirmed is True
    store_line.report("parameters", ADDRESS, (3, 2, 2))
    assert PumpBinding.objects.get(pk=store_line.binding.pk).decimals_confirmed is False


def test_bad_frames_are_counted_and_the_heartbeat_recorded(store_line):
    store_line.report("bad_frame", ADDRESS, "bad CRC")
    store_line.report("bad_frame", None, "garbage")
    store_line.report("heartbeat")
    line = SerialLine.objects.get(pk=store_line.line.pk)
    assert line.bad_frames == 2 and timezone.now() - line.last_seen_at < timedelta(seconds=5)


def test_a_pump_going_offline_cancels_only_what_was_never_sent(store_line, authorization):
    store_line.report("pump_online", ADDRESS, False)
    assert (_auth(authorization).status, _auth(authorization).reason) == ("cancelled", "pump_offline")
    assert [_nozzle_state(n) for n in store_line.nozzles] == [NozzleLiveState.OFFLINE] * 2


def test_a_sent_authorization_outlives_the_pump_going_offline_until_it_is_seen_in_reset(store_line, authorization):
    store_line.authorised()
    store_line.report("pump_online", ADDRESS, False)
    assert PumpBinding.objects.get(pk=store_line.binding.pk).online is False
    assert _auth(authorization).status == AuthorizationStatus.AUTHORISED  # it may come back authorized
    store_line.report("pump_online", ADDRESS, True)
    store_line.status(PumpStatus.RESET)
    assert (_auth(authorization).status, _auth(authorization).reason) == ("cancelled", "reset_at_pump")


def test_a_pump_coming_back_gets_the_prices_again(store_line):
    store_line.report("pump_online", ADDRESS, False)
    store_line.report("pump_online", ADDRESS, True)
    command = PumpCommand.objects.get(kind=CommandKind.PRICES)
    assert command.payload == {"prices": [735, 735]}


def test_a_request_no_bridge_picked_up_in_time_is_refused(store_line, authorization):
    PumpAuthorization.objects.update(requested_at=timezone.now() - timedelta(minutes=1))
    assert store_line.report("pending_commands") == []
    assert (_auth(authorization).status, _auth(authorization).reason) == ("refused", "controller_unresponsive")


def test_a_sent_authorization_the_pump_never_confirmed_is_refused_after_the_resync(store_line, authorization):
    store_line.send_pending()
    PumpAuthorization.objects.update(sent_at=timezone.now() - timedelta(seconds=10))
    _resync_over(store_line)
    store_line.send_pending()  # its RESET goes out; the hold stays until the pump is seen in RESET
    assert _auth(authorization).status == AuthorizationStatus.SENT
    store_line.status(PumpStatus.RESET)
    assert (_auth(authorization).status, _auth(authorization).reason) == ("refused", "not_confirmed")


def test_an_authorization_nobody_lifted_in_time_is_cancelled(store_line, authorization):
    store_line.send_pending()
    store_line.status(PumpStatus.AUTHORIZED)
    PumpAuthorization.objects.update(lift_deadline=timezone.now() - timedelta(seconds=1))
    _resync_over(store_line)
    store_line.send_pending()
    assert _auth(authorization).status == AuthorizationStatus.AUTHORISED  # a late lift still fuels for this order
    store_line.status(PumpStatus.RESET)
    assert (_auth(authorization).status, _auth(authorization).reason) == ("cancelled", "not_lifted")


def test_a_completion_with_nozzle_0_belongs_to_the_open_authorization_and_its_nozzle(store_line, authorization):
    """Case 1 of issue 11: after a hang-up the pump names no nozzle; the sale is the open authorization's."""
    store_line.authorised()
    store_line.fuelling()
    store_line.status(PumpStatus.FILLING_COMPLETED, nozzle=0, lifted=False)
    assert [_nozzle_state(n) for n in store_line.nozzles] == [NozzleLiveState.COMPLETE] * 2
    assert store_line.report("fill_completed", ADDRESS, 0, 410, 3_014, 735) == 1
    fill = Fill.objects.get()
    assert (fill.authorization_id, fill.nozzle, fill.amount_fen) == (authorization.pk, store_line.nozzles[0], 3_014)


def test_a_new_request_while_the_pump_holds_a_finished_sale_is_refused(store_line, authorization):
    store_line.authorised()
    store_line.fuelling()
    store_line.status(PumpStatus.FILLING_COMPLETED, nozzle=0, lifted=False)
    store_line.report("fill_completed", ADDRESS, 0, 410, 3_014, 735)  # stored; the pump is not reset yet
    with pytest.raises(NozzleBusy):
        pump_authorization_request(
            nozzle=store_line.nozzles[1], source=AuthorizationSource.ATTENDANT, preset_amount_fen=3_000
        )
    assert PumpAuthorization.objects.count() == 1


@pytest.mark.parametrize("amount_fen", [100_000_000, 10**22])
def test_a_preset_the_pump_cannot_hold_is_refused_and_nothing_written(store_line, amount_fen):
    with pytest.raises(PresetTooLarge):
        pump_authorization_request(
            nozzle=store_line.nozzles[0], source=AuthorizationSource.ATTENDANT, preset_amount_fen=amount_fen
        )
    assert not PumpAuthorization.objects.exists() and not PumpCommand.objects.exists()


def test_a_foreign_authorization_alarms_the_console_until_the_pump_is_back_in_reset(store_line):
    store_line.report("parameters", ADDRESS, (2, 2, 2))
    store_line.status(PumpStatus.AUTHORIZED)
    (alarm,) = _alarms(store_line)
    assert "no authorization of ours" in alarm
    store_line.send_pending()  # its RESET
    store_line.status(PumpStatus.RESET)
    assert _alarms(store_line) == []


def test_a_pump_reporting_other_decimals_is_not_authorized_until_staff_fix_the_binding(store_line):
    from pumpgateway.exceptions import PumpDecimalsMismatch
    from pumpgateway.services import pump_binding_set

    store_line.report("parameters", ADDRESS, (3, 2, 2))
    assert "other decimals" in _alarms(store_line)[0]
    with pytest.raises(PumpDecimalsMismatch):
        pump_authorization_request(
            nozzle=store_line.nozzles[0], source=AuthorizationSource.ATTENDANT, preset_amount_fen=3_000
        )
    assert not PumpAuthorization.objects.exists()
    pump_binding_set(
        line_code=store_line.line.code, dispenser_number=1, dart_address=ADDRESS, volume_decimals=3
    )  # staff resolve it
    pump_authorization_request(
        nozzle=store_line.nozzles[0], source=AuthorizationSource.ATTENDANT, preset_amount_fen=3_000
    )
    assert PumpAuthorization.objects.count() == 1


def test_a_pump_that_never_reports_its_decimals_is_warned_about_once(store_line, caplog):
    _resync_over(store_line)
    store_line.send_pending()
    store_line.send_pending()
    assert caplog.text.count("did not report its decimals") == 1
    assert "configured ones are used" in _alarms(store_line)[0]


def test_a_price_change_queued_for_a_pump_that_goes_offline_expires(store_line):
    from pumpgateway.services import pump_prices_sync

    pump_prices_sync(force=True)
    store_line.report("pump_online", ADDRESS, False)
    assert PumpCommand.objects.get(kind=CommandKind.PRICES).status == CommandStatus.FAILED


def test_a_rebooted_pump_ends_the_authorization_it_lost_and_is_programmed_and_reset(store_line, authorization):
    store_line.authorised()
    store_line.status(PumpStatus.NOT_PROGRAMMED)
    assert _auth(authorization).status == AuthorizationStatus.CANCELLED
    kinds = list(PumpCommand.objects.filter(status=CommandStatus.PENDING).order_by("pk").values_list("kind", flat=True))
    assert kinds == [CommandKind.PRICES, CommandKind.RESET]
