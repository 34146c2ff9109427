"""Pump gateway services: what other apps ask of the pumps, and the bridge's store (every DB write the
DART master's events cause). The bridge calls the store from its own thread, one short transaction
per event, never holding a row lock across serial I/O."""

import logging
import time
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Max, Q
from django.utils import timezone

from pumpgateway.bridge import OutboundCommand
from pumpgateway.dart.transactions import CD1, CD2, CD3, CD4, CD5, CD101, Command, PumpStatus
from pumpgateway.enums import (
    CLOSED_AUTHORIZATION_STATUSES,
    OPEN_AUTHORIZATION_STATUSES,
    AuthorizationSource,
    AuthorizationStatus,
    CommandKind,
    CommandStatus,
    NozzleLiveState,
    PumpAlarm,
    TotalsCheck,
)
from pumpgateway.enums import (
    AuthorizationEndReason as Reason,
)
from pumpgateway.exceptions import (
    AuthorizationNotCancellable,
    ControllerOffline,
    InvalidLineConfiguration,
    InvalidPreset,
    NozzleBusy,
    PresetTooLarge,
    PumpDecimalsMismatch,
    PumpNotConfigured,
    PumpOffline,
)
from pumpgateway.listeners import authorization_changed
from pumpgateway.models import Fill, NozzleState, PumpAuthorization, PumpBinding, PumpCommand, SerialLine
from pumpgateway.selectors import (
    authorization_open_for_pump,
    line_bridge_alive,
    line_pending_commands,
    nozzle_totalizers_read_since,
)
from pumpgateway.tasks import pump_bridge_wake_task
from pumpgateway.units import (
    amount_fen_from_pump,
    amount_pump_from_fen,
    price_fen_from_pump,
    price_pump_from_fen,
    volume_ml_from_pump,
    volume_pump_from_ml,
)
from stations.exceptions import NoPriceInEffect
from stations.models import Nozzle
from stations.selectors import station_price_get

logger = logging.getLogger(__name__)
# A pump that got AUTHORIZE but still reports RESET after this long did not accept it.
AUTHORIZE_CONFIRM_SECONDS = 3
# A restarted bridge polls every pump this long before it judges sent authorizations by their age.
RESYNC_SECONDS = 3
# A request the bridge has not picked up in this long is stale (bridge down): the driver is told.
REQUEST_STALE_SECONDS = 30
# How often a caller waiting for fresh totalizer readings looks whether the bridge has stored them.
TOTALS_POLL_SECONDS = 0.1
MAX_PRESET_PUMP_UNITS = 10**8 - 1  # CD3/CD4 carry 4 packed-BCD bytes
BUSY_STATES = (
    NozzleLiveState.AUTHORISED,
    NozzleLiveState.FUELLING,
    NozzleLiveState.SUSPENDED,
    NozzleLiveState.COMPLETE,
)


def _wake_bridge(line: SerialLine) -> None:
    transaction.on_commit(lambda: pump_bridge_wake_task.apply_async(args=[line.code], queue=line.queue))


def _notify_order_side(authorization: PumpAuthorization) -> None:
    if authorization.source != AuthorizationSource.UNATTRIBUTED:
        authorization_changed(authorization_id=authorization.pk)


def _close(authorization: PumpAuthorization, status: str, reason: str = "") -> None:
    authorization.status, authorization.reason, authorization.closed_at = status, reason[:120], timezone.now()
    authorization.save(update_fields=["status", "reason", "closed_at"])
    # A closed authorization's unsent AUTHORIZE must never reach the pump (e.g. after a bridge restart).
    PumpCommand.objects.filter(authorization=authorization, status=CommandStatus.PENDING).update(
        status=CommandStatus.FAILED, error="authorization closed"
    )
    _notify_order_side(authorization)


@transaction.atomic
def authorizations_close_unsent() -> int:
    """An authorization no bridge will ever send (its line's bridge has gone silent) is refused, so the
    driver's hold is released at once with a clear reason instead of at the hold's expiry."""
    now = timezone.now()
    closed = 0
    for line in SerialLine.objects.filter(pumps__authorizations__status=AuthorizationStatus.REQUESTED).distinct():
        if line_bridge_alive(line=line, now=now):
            continue  # a live bridge expires its own requests
        for authorization in PumpAuthorization.objects.select_for_update().filter(
            pump__line=line,
            status=AuthorizationStatus.REQUESTED,
            requested_at__lt=now - timedelta(seconds=settings.PUMP_BRIDGE_SILENT_SECONDS),
        ):
            _close(authorization, AuthorizationStatus.REFUSED, Reason.CONTROLLER_UNRESPONSIVE)
            closed += 1
    return closed


def _binding_for_nozzle(nozzle: Nozzle) -> PumpBinding:
    try:
        return PumpBinding.objects.select_for_update().select_related("line").get(dispenser_id=nozzle.dispenser_id)
    except PumpBinding.DoesNotExist as error:
        raise PumpNotConfigured() from error


@transaction.atomic
def pump_authorization_request(
    *,
    nozzle: Nozzle,
    source: str,
    preset_amount_fen: int | None = None,
    preset_volume_ml: int | None = None,
    external_reference: str = "",
    requested_by=None,
) -> PumpAuthorization:
    """Queue an authorization for the bridge. Refused at once if the preset is out of bounds (every entry point,
    the console, the API and orders, comes through here), the pump is offline or the nozzle busy."""
    presets = [p for p in (preset_amount_fen, preset_volume_ml) if p is not None]
    if len(presets) != 1 or type(presets[0]) is not int or presets[0] <= 0:
        raise InvalidPreset()
    if (preset_amount_fen or 0) > settings.ORDER_MAX_AMOUNT_FEN or (
        preset_volume_ml or 0
    ) > settings.PUMP_MAX_PRESET_VOLUME_ML:
        raise PresetTooLarge()
    binding = _binding_for_nozzle(nozzle)  # row lock: one open authorization per pump
    if preset_amount_fen is not None:
        key, value = "amount", amount_pump_from_fen(preset_amount_fen, binding.amount_decimals)
    else:
        key, value = "volume", volume_pump_from_ml(preset_volume_ml, binding.volume_decimals)
    if value <= 0:
        raise InvalidPreset()
    if value > MAX_PRESET_PUMP_UNITS:
        raise PresetTooLarge()  # the preset travels as 8 BCD digits (CD3/CD4); refused before anything is written
    payload = {"nozzle": nozzle.logical_number, key: value}
    if not binding.line.is_enabled or not line_bridge_alive(line=binding.line):
        raise ControllerOffline()
    if not binding.online:
        raise PumpOffline()
    if binding.decimals_confirmed is False:
        raise PumpDecimalsMismatch()  # amounts would be misread by a factor of ten or more
    live = NozzleState.objects.filter(nozzle=nozzle).values_list("state", flat=True).first()
    if authorization_open_for_pump(pump=binding) is not None or live in BUSY_STATES:
        raise NozzleBusy()
    if live in (NozzleLiveState.OFFLINE, NozzleLiveState.CLOSED):
        raise PumpOffline()
    sequence = (PumpAuthorization.objects.filter(pump=binding).aggregate(m=Max("sequence"))["m"] or 0) + 1
    authorization = PumpAuthorization.objects.create(
        nozzle=nozzle,
        pump=binding,
        sequence=sequence,
        source=source,
        preset_amount_fen=preset_amount_fen,
        preset_volume_ml=preset_volume_ml,
        external_reference=external_reference,
        requested_by=requested_by,
    )
    PumpCommand.objects.create(pump=binding, kind=CommandKind.AUTHORIZE, authorization=authorization, payload=payload)
    _wake_bridge(binding.line)
    return authorization


@transaction.atomic
def pump_authorization_cancel(*, authorization_id: int) -> PumpAuthorization:
    """Driver or attendant cancels before fuelling: the pump is reset and the order side is told."""
    authorization = PumpAuthorization.objects.select_for_update().select_related("pump__line").get(pk=authorization_id)
    if authorization.status not in OPEN_AUTHORIZATION_STATUSES:
        return authorization
    if authorization.status == AuthorizationStatus.FUELLING:
        raise AuthorizationNotCancellable()
    if authorization.status != AuthorizationStatus.REQUESTED:
        PumpCommand.objects.create(pump=authorization.pump, kind=CommandKind.RESET)
        _wake_bridge(authorization.pump.line)
    _close(authorization, AuthorizationStatus.CANCELLED, Reason.CANCELLED)
    return authorization


@transaction.atomic
def pump_command_queue(*, nozzle: Nozzle, kind: str) -> PumpCommand:
    """Attendant console: stop, suspend or resume the pump of a nozzle."""
    binding = _binding_for_nozzle(nozzle)
    if not binding.online:
        raise PumpOffline()
    command = PumpCommand.objects.create(pump=binding, kind=kind)
    _wake_bridge(binding.line)
    return command


@transaction.atomic
def _pump_totals_request(*, station_id: int) -> set[int]:
    """Queue CD101 for every nozzle of the station's pumps that can answer now (online, on an enabled line
    whose bridge is alive); a pump already asked is not asked twice. Returns the ids of the nozzles asked."""
    asked: set[int] = set()
    bindings = PumpBinding.objects.filter(line__station_id=station_id, line__is_enabled=True, online=True)
    for binding in bindings.select_related("line").prefetch_related("dispenser__nozzles"):
        nozzles = sorted(binding.dispenser.nozzles.all(), key=lambda n: n.logical_number)
        if not nozzles or not line_bridge_alive(line=binding.line):
            continue
        asked.update(nozzle.pk for nozzle in nozzles)
        if PumpCommand.objects.filter(pump=binding, kind=CommandKind.TOTALS, status=CommandStatus.PENDING).exists():
            continue
        PumpCommand.objects.create(
            pump=binding, kind=CommandKind.TOTALS, payload={"nozzles": [n.logical_number for n in nozzles]}
        )
        _wake_bridge(binding.line)
    return asked


def nozzle_totalizers_read(*, station_id: int, timeout_seconds: float) -> dict[int, int]:
    """Fresh electronic totalizers (ml, by nozzle id): CD101 to every pump of the station through the bridge
    that owns its line, then up to timeout_seconds for the DC101 answers (DjangoBridgeStore.totals stores
    them). A nozzle whose pump is offline, whose line has no live bridge, or that did not answer in time is
    missing from the result: the caller takes a manual reading instead.

    Not atomic, and must not run inside a transaction: the request is committed so the bridge sees it, and
    the wait holds no lock."""
    asked_at = timezone.now()
    asked = _pump_totals_request(station_id=station_id)
    deadline = time.monotonic() + timeout_seconds
    while True:
        fresh = nozzle_totalizers_read_since(station_id=station_id, since=asked_at)
        if asked <= set(fresh) or time.monotonic() >= deadline:
            return fresh
        time.sleep(TOTALS_POLL_SECONDS)


def pump_prices_sync(*, binding_id: int | None = None, force: bool = False) -> int:
    """Queue CD5 for every pump (or one) whose nozzles' confirmed prices differ from the prices now in
    effect, or for it regardless when forced. The bridge sends it when the pump is in RESET."""
    queued = 0
    bindings = PumpBinding.objects.select_related("line").prefetch_related("dispenser__nozzles__live")
    if binding_id is not None:
        bindings = bindings.filter(pk=binding_id)
    for binding in bindings:
        nozzles = sorted(binding.dispenser.nozzles.all(), key=lambda n: n.logical_number)
        wanted, confirmed = [], []
        for nozzle in nozzles:
            try:
                wanted.append(
                    station_price_get(station_id=nozzle.station_id, grade_id=nozzle.grade_id).price_fen_per_litre
                )
            except NoPriceInEffect:  # a pump with an unpriced nozzle keeps its own prices
                wanted = []
                break
            confirmed.append(getattr(getattr(nozzle, "live", None), "price_fen_per_litre", None))
        if not wanted or (wanted == confirmed and not force):
            continue
        with transaction.atomic():
            if PumpCommand.objects.filter(pump=binding, kind=CommandKind.PRICES, status=CommandStatus.PENDING).exists():
                continue
            PumpCommand.objects.create(
                pump=binding,
                kind=CommandKind.PRICES,
                payload={"prices": [price_pump_from_fen(p, binding.price_decimals) for p in wanted]},
            )
            _wake_bridge(binding.line)
        queued += 1
    return queued


def _transactions_for(command: PumpCommand) -> tuple:
    payload = command.payload
    match command.kind:
        case CommandKind.AUTHORIZE:
            preset = CD4(payload["amount"]) if "amount" in payload else CD3(payload["volume"])
            return (CD2((payload["nozzle"],)), preset, CD1(Command.AUTHORIZE))
        case CommandKind.PRICES:
            return (CD5(tuple(payload["prices"])),)
        case CommandKind.STOP:
            return (CD1(Command.STOP),)
        case CommandKind.SUSPEND:
            return (CD1(Command.SUSPEND),)
        case CommandKind.RESUME:
            return (CD1(Command.RESUME),)
        case CommandKind.TOTALS:
            return tuple(CD101(nozzle) for nozzle in payload["nozzles"])
    return (CD1(Command.RESET),)


class DjangoBridgeStore:
    """BridgeStore for one serial line. Writes only on change; every write is its own transaction."""

    def __init__(self, line: SerialLine):
        self.line = line
        self.bindings = {b.dart_address: b for b in PumpBinding.objects.filter(line=line).select_related("dispenser")}
        self.nozzles = {
            (b.dart_address, n.logical_number): n
            for b in self.bindings.values()
            for n in Nozzle.objects.filter(dispenser=b.dispenser)
        }
        self._written: dict = {}
        self._woken = True
        self._last_scan = 0.0
        self._commands: dict[int, PumpCommand] = {}
        self._started = time.monotonic()
        self._decimals_reported: set[int] = set()
        self._decimals_warned: set[int] = set()

    # --- commands in ------------------------------------------------------------------------
    def wake(self) -> None:
        self._woken = True

    def pending_commands(self) -> list[OutboundCommand]:
        now = time.monotonic()
        if not self._woken and now - self._last_scan < settings.PUMP_COMMAND_SCAN_SECONDS:
            return []
        self._woken, self._last_scan = False, now
        self._expire_authorizations()
        outbound = []
        for command in line_pending_commands(line=self.line):
            if command.pump.dart_address not in self.bindings:
                continue
            self._commands[command.pk] = command
            outbound.append(
                OutboundCommand(
                    command.pump.dart_address,
                    _transactions_for(command),
                    command.pk,
                    only_in_reset=command.kind == CommandKind.AUTHORIZE,
                    wait_for_reset=command.kind == CommandKind.PRICES,
                )
            )
        return outbound

    @transaction.atomic
    def _expire_authorizations(self) -> None:
        now = timezone.now()
        stale = PumpAuthorization.objects.select_for_update().filter(
            pump__line=self.line,
            status=AuthorizationStatus.REQUESTED,
            requested_at__lt=now - timedelta(seconds=REQUEST_STALE_SECONDS),
        )
        for authorization in stale:
            _close(authorization, AuthorizationStatus.REFUSED, Reason.CONTROLLER_UNRESPONSIVE)
        if time.monotonic() - self._started < RESYNC_SECONDS:
            return  # a restarted bridge first learns what the pumps did while it was down
        self._warn_decimals_unreported()
        unconfirmed = PumpAuthorization.objects.select_for_update().filter(
            pump__line=self.line,
            status=AuthorizationStatus.SENT,
            sent_at__lt=now - timedelta(seconds=AUTHORIZE_CONFIRM_SECONDS),
        )
        for authorization in unconfirmed:
            # The pump may hold it: RESET the pump; the hold ends only once the pump is seen in RESET.
            self._reset_for(authorization)
        not_lifted = PumpAuthorization.objects.select_for_update().filter(
            pump__line=self.line, status=AuthorizationStatus.AUTHORISED, lift_deadline__lt=now
        )
        for authorization in not_lifted:
            self._reset_for(authorization)  # it ends (NOT_LIFTED) when the pump is seen in RESET

    def command_sending(self, command_id: int) -> None:
        """Write-ahead: an AUTHORIZE is recorded as SENT (committed) before its frame leaves. After a crash,
        a pump that fuelled on it is known to be ours, and a REQUESTED one was certainly never sent."""
        authorization_id = (
            PumpCommand.objects.filter(pk=command_id, kind=CommandKind.AUTHORIZE)
            .values_list("authorization_id", flat=True)
            .first()
        )
        PumpAuthorization.objects.filter(pk=authorization_id, status=AuthorizationStatus.REQUESTED).update(
            status=AuthorizationStatus.SENT, sent_at=timezone.now()
        )

    def _reset_for(self, authorization: PumpAuthorization) -> None:
        """Queue a RESET for a pump that may hold this authorization, unless one is already on its way or
        was delivered so recently that the pump's fresh status is still to come."""
        recent = timezone.now() - timedelta(seconds=AUTHORIZE_CONFIRM_SECONDS)
        if (
            PumpCommand.objects.filter(authorization=authorization, kind=CommandKind.RESET)
            .filter(Q(status=CommandStatus.PENDING) | Q(status=CommandStatus.DELIVERED, delivered_at__gte=recent))
            .exists()
        ):
            return
        PumpCommand.objects.create(pump=authorization.pump, kind=CommandKind.RESET, authorization=authorization)
        self._woken = True

    @transaction.atomic
    def command_result(
        self, command_id: int, *, delivered: bool, error: str = "", possibly_applied: bool = False
    ) -> None:
        command = PumpCommand.objects.select_for_update().filter(pk=command_id, status=CommandStatus.PENDING).first()
        if command is None:
            return  # cancelled meanwhile
        command.status = CommandStatus.DELIVERED if delivered else CommandStatus.FAILED
        command.error, command.delivered_at = error[:120], timezone.now()
        command.save(update_fields=["status", "error", "delivered_at"])
        if delivered and command.kind in (CommandKind.RESET, CommandKind.STOP):
            # The master re-reads the status next; that answer must be applied even if it looks unchanged.
            self._written.pop(("status", command.pump.dart_address), None)
        if command.kind != CommandKind.AUTHORIZE or command.authorization_id is None:
            return
        authorization = PumpAuthorization.objects.select_for_update().get(pk=command.authorization_id)
        if authorization.status == AuthorizationStatus.SENT and not delivered and possibly_applied:
            # Sent but never acknowledged: the pump may have applied it and only the ACK was lost. The
            # driver's money stays held until the pump is seen in RESET (pump_status) after our RESET.
            logger.warning("authorize not acknowledged; pump reset", extra={"authorization": authorization.pk})
            self._reset_for(authorization)
            return
        if authorization.status == AuthorizationStatus.SENT and not delivered:
            _close(authorization, AuthorizationStatus.REFUSED, Reason.PUMP_BUSY)  # never left: nothing to undo
            return
        if authorization.status != AuthorizationStatus.REQUESTED:
            return
        if delivered:
            authorization.status, authorization.sent_at = AuthorizationStatus.SENT, timezone.now()
            authorization.save(update_fields=["status", "sent_at"])
        else:
            reason = Reason.PUMP_BUSY if error.startswith("pump busy") else Reason.PUMP_OFFLINE
            _close(authorization, AuthorizationStatus.REFUSED, reason)

    def command_is_pending(self, command_id: int) -> bool:
        return (
            PumpCommand.objects.filter(pk=command_id, status=CommandStatus.PENDING)
            .exclude(kind=CommandKind.AUTHORIZE, authorization__status__in=CLOSED_AUTHORIZATION_STATUSES)
            .exists()
        )

    # --- events out -------------------------------------------------------------------------
    def _differs(self, key, value) -> bool:
        """Whether value differs from what this store last wrote for key (writes only on change)."""
        return self._written.get(key) != value

    def _remember(self, key, value) -> None:
        """Record a write once its transaction has committed, never before: after a database error the
        pump's next identical report must be applied again, not skipped as already written (a lost
        AUTHORIZED report left the authorization SENT, and it was refused as unconfirmed 3 s later)."""
        transaction.on_commit(lambda: self._written.__setitem__(key, value))

    def pump_online(self, address: int, online: bool) -> None:
        binding = self.bindings[address]
        with transaction.atomic():
            PumpBinding.objects.filter(pk=binding.pk).update(online=online)
            if online:
                # A pump that was powered off or replaced may hold other prices than we last confirmed.
                pump_prices_sync(binding_id=binding.pk, force=True)
                return
            self._set_states(address, {n: NozzleLiveState.OFFLINE for (a, n) in self.nozzles if a == address})
            # A price change queued for it expires: the pump gets the prices in effect when it is back.
            PumpCommand.objects.filter(pump=binding, kind=CommandKind.PRICES, status=CommandStatus.PENDING).update(
                status=CommandStatus.FAILED, error="pump offline"
            )
            # Only what was never sent ends here: a pump that went silent may still hold a sent
            # authorization, so that one ends when the pump is back and seen in RESET.
            for authorization in PumpAuthorization.objects.select_for_update().filter(
                pump=binding, status=AuthorizationStatus.REQUESTED
            ):
                _close(authorization, AuthorizationStatus.CANCELLED, Reason.PUMP_OFFLINE)
        self._written.pop(("status", address), None)

    def _set_states(self, address: int, states: dict[int, str]) -> None:
        for logical, state in states.items():
            nozzle = self.nozzles.get((address, logical))
            if nozzle is None or not self._differs(("nozzle", nozzle.pk), state):
                continue
            values = {"state": state}
            if state in (NozzleLiveState.READY, NozzleLiveState.AUTHORISED, NozzleLiveState.CALLING):
                values |= {"volume_ml": 0, "amount_fen": 0}
            NozzleState.objects.update_or_create(nozzle=nozzle, defaults=values)
            self._remember(("nozzle", nozzle.pk), state)

    def pump_status(self, address: int, status: int, nozzle: int, lifted: bool) -> None:
        if not self._differs(("status", address), (status, nozzle, lifted)):
            return
        binding = self.bindings[address]
        with transaction.atomic():
            self._remember(("status", address), (status, nozzle, lifted))
            PumpBinding.objects.filter(pk=binding.pk).update(status=status)
            authorization = authorization_open_for_pump(pump=binding)
            if authorization is not None and authorization.status == AuthorizationStatus.REQUESTED:
                authorization = None  # never sent (write-ahead): whatever the pump does is not its doing
            states = {n: NozzleLiveState.READY for (a, n) in self.nozzles if a == address}
            if status == PumpStatus.RESET:
                PumpBinding.objects.filter(pk=binding.pk).exclude(alarm="").update(alarm="")
                if lifted and nozzle in states:
                    states[nozzle] = NozzleLiveState.CALLING
                if authorization and (
                    authorization.status == AuthorizationStatus.AUTHORISED
                    or (
                        authorization.sent_at
                        and timezone.now() - authorization.sent_at > timedelta(seconds=AUTHORIZE_CONFIRM_SECONDS)
                    )
                    or PumpCommand.objects.filter(
                        authorization=authorization, kind=CommandKind.RESET, status=CommandStatus.DELIVERED
                    ).exists()
                ):
                    self._close_seen_reset(authorization)
            elif status == PumpStatus.AUTHORIZED and authorization is None:
                self._foreign(binding, status, states, NozzleLiveState.AUTHORISED)
            elif status == PumpStatus.AUTHORIZED:
                if authorization.status == AuthorizationStatus.SENT:
                    authorization.status, authorization.authorised_at = AuthorizationStatus.AUTHORISED, timezone.now()
                    authorization.lift_deadline = authorization.authorised_at + timedelta(
                        seconds=settings.PUMP_AUTHORIZE_LIFT_TIMEOUT_SECONDS
                    )
                    authorization.save(update_fields=["status", "authorised_at", "lift_deadline"])
                    # A RESET queued while its ACK was missing must not undo the confirmed authorization.
                    PumpCommand.objects.filter(
                        authorization=authorization, kind=CommandKind.RESET, status=CommandStatus.PENDING
                    ).update(status=CommandStatus.FAILED, error="authorization confirmed")
                    _notify_order_side(authorization)
                states[authorization.nozzle.logical_number] = NozzleLiveState.AUTHORISED
            elif status in (PumpStatus.FILLING, PumpStatus.SUSPENDED) and authorization is None:
                self._foreign(binding, status, states, NozzleLiveState.FUELLING)
            elif status in (PumpStatus.FILLING, PumpStatus.SUSPENDED):
                states[nozzle] = NozzleLiveState.FUELLING if status == PumpStatus.FILLING else NozzleLiveState.SUSPENDED
                if authorization.status != AuthorizationStatus.FUELLING:
                    authorization.status = AuthorizationStatus.FUELLING
                    authorization.save(update_fields=["status"])
                    PumpCommand.objects.filter(
                        authorization=authorization, kind=CommandKind.RESET, status=CommandStatus.PENDING
                    ).update(status=CommandStatus.FAILED, error="authorization confirmed")
                    _notify_order_side(authorization)
            elif status == PumpStatus.NOT_PROGRAMMED:
                # Rebooted: it holds no authorization now. Program its prices, then RESET it into service.
                if authorization:
                    self._close_seen_reset(authorization)
                pump_prices_sync(binding_id=binding.pk, force=True)
                if not PumpCommand.objects.filter(
                    pump=binding, kind=CommandKind.RESET, status=CommandStatus.PENDING
                ).exists():
                    PumpCommand.objects.create(pump=binding, kind=CommandKind.RESET)
                self._woken = True
                states = dict.fromkeys(states, NozzleLiveState.CLOSED)
            elif status in (PumpStatus.FILLING_COMPLETED, PumpStatus.MAX_REACHED):
                # Nozzle 0 (hung up) is allowed here; until the master RESETs, no nozzle of the pump is free.
                states = dict.fromkeys(states, NozzleLiveState.COMPLETE)
            else:
                states = dict.fromkeys(states, NozzleLiveState.CLOSED)
            self._set_states(address, states)

    @staticmethod
    def _close_seen_reset(authorization: PumpAuthorization) -> None:
        """The pump is in RESET, so it holds this authorization no more: now the driver's hold may end."""
        if authorization.status == AuthorizationStatus.SENT:
            _close(authorization, AuthorizationStatus.REFUSED, Reason.NOT_CONFIRMED)
        elif authorization.lift_deadline and authorization.lift_deadline < timezone.now():
            _close(authorization, AuthorizationStatus.CANCELLED, Reason.NOT_LIFTED)
        else:
            _close(authorization, AuthorizationStatus.CANCELLED, Reason.RESET_AT_PUMP)

    def _foreign(self, binding: PumpBinding, status: int, states: dict, busy: str) -> None:
        """The pump is AUTHORIZED or FILLING and no authorization of ours is open: someone else's, or one we
        gave up on long ago. Stop it (the fill, if any, becomes a review item), alarm, keep its nozzles busy."""
        logger.error("pump authorized without an authorization of ours", extra={"pump": str(binding), "status": status})
        kind = CommandKind.RESET if status == PumpStatus.AUTHORIZED else CommandKind.STOP
        if not PumpCommand.objects.filter(pump=binding, kind=kind, status=CommandStatus.PENDING).exists():
            PumpCommand.objects.create(pump=binding, kind=kind)
            self._woken = True
        states.update(dict.fromkeys(states, busy))
        PumpBinding.objects.filter(pk=binding.pk).update(alarm=PumpAlarm.FOREIGN_AUTHORIZATION)

    def nozzle_price(self, address: int, nozzle: int, price: int) -> None:
        target = self.nozzles.get((address, nozzle))
        fen = price_fen_from_pump(price, self.bindings[address].price_decimals)
        if target is not None and self._differs(("price", target.pk), fen):
            NozzleState.objects.update_or_create(nozzle=target, defaults={"price_fen_per_litre": fen})
            self._remember(("price", target.pk), fen)

    def filling_progress(self, address: int, nozzle: int, volume: int, amount: int) -> None:
        target = self.nozzles.get((address, nozzle))
        if target is None:
            return
        binding = self.bindings[address]
        NozzleState.objects.filter(nozzle=target).update(
            volume_ml=volume_ml_from_pump(volume, binding.volume_decimals),
            amount_fen=amount_fen_from_pump(amount, binding.amount_decimals),
        )

    @transaction.atomic
    def fill_completed(self, address: int, nozzle: int, volume: int, amount: int, price: int) -> int | None:
        """Store the final DC2 durably (commit before returning). Re-delivery finds the same row. The fill
        belongs to the pump's open authorization (sent only while the pump was in RESET, so before this fill
        began), with that authorization's nozzle whatever DC3 says; with none open it is a review item."""
        binding = PumpBinding.objects.select_for_update().get(pk=self.bindings[address].pk)
        volume_ml = volume_ml_from_pump(volume, binding.volume_decimals)
        amount_fen = amount_fen_from_pump(amount, binding.amount_decimals)
        price_fen = price_fen_from_pump(price, binding.price_decimals)
        authorization = authorization_open_for_pump(pump=binding)
        if authorization is not None and authorization.status == AuthorizationStatus.REQUESTED:
            # Never sent, and a pump is only authorized from RESET: this completed fill is an older one
            # re-reported after a restart, not the fill of the authorization waiting to go out.
            authorization = None
        if authorization is None:
            fill = Fill.objects.filter(pump=binding).order_by("-sequence").first()
            last_sent = (
                PumpAuthorization.objects.filter(pump=binding, sent_at__isnull=False).order_by("-sequence").first()
            )
            if (
                fill is not None
                and last_sent is not None
                and fill.authorization_id == last_sent.pk
                and (fill.volume_ml, fill.amount_fen) == (volume_ml, amount_fen)
            ):
                return fill.nozzle.logical_number  # stored before a restart; the pump was not reset yet
            if volume_ml == 0:
                return None  # nothing delivered and nobody waiting for it
            last = PumpAuthorization.objects.filter(pump=binding).order_by("-sequence").first()
            authorization = PumpAuthorization.objects.create(
                nozzle=self.nozzles.get((address, nozzle)) or next(iter(self.nozzles.values())),
                pump=binding,
                sequence=(last.sequence if last else 0) + 1,
                source=AuthorizationSource.UNATTRIBUTED,
                status=AuthorizationStatus.FUELLING,
            )
            logger.warning("fill without an open authorization", extra={"pump": str(binding)})
        if Fill.objects.filter(authorization=authorization).exists():
            return authorization.nozzle.logical_number
        Fill.objects.create(
            authorization=authorization,
            pump=binding,
            nozzle=authorization.nozzle,
            sequence=authorization.sequence,
            volume_ml=volume_ml,
            amount_fen=amount_fen,
            price_fen_per_litre=price_fen,
        )
        NozzleState.objects.filter(nozzle=authorization.nozzle).update(volume_ml=volume_ml, amount_fen=amount_fen)
        _close(authorization, AuthorizationStatus.COMPLETED)
        return authorization.nozzle.logical_number

    @transaction.atomic
    def totals(self, address: int, nozzle: int, total_volume: int, total_amount: int) -> None:
        target = self.nozzles.get((address, nozzle))
        if target is None:
            return
        after_ml = volume_ml_from_pump(total_volume, self.bindings[address].volume_decimals)
        state, _ = NozzleState.objects.select_for_update().get_or_create(nozzle=target)
        fill = (
            Fill.objects.select_for_update()
            .filter(nozzle=target, totals_check=TotalsCheck.PENDING)
            .order_by("-sequence")
            .first()
        )
        if fill is not None:
            fill.totals_before_ml, fill.totals_after_ml = state.totalizer_ml, after_ml
            if state.totalizer_ml is None:
                fill.totals_check = TotalsCheck.NO_BASELINE
            elif after_ml - state.totalizer_ml == fill.volume_ml:
                fill.totals_check = TotalsCheck.MATCHED
            else:
                fill.totals_check = TotalsCheck.MISMATCH
                logger.error(
                    "totalizer mismatch",
                    extra={"fill": fill.pk, "delta_ml": after_ml - state.totalizer_ml, "volume_ml": fill.volume_ml},
                )
            fill.save(update_fields=["totals_before_ml", "totals_after_ml", "totals_check"])
        elif state.totalizer_ml is not None and after_ml != state.totalizer_ml:
            # Fuel left the nozzle with no fill on record: the one sign of a lost fill. Ops must look.
            logger.error(
                "totalizer moved without a recorded fill",
                extra={"nozzle": target.pk, "delta_ml": after_ml - state.totalizer_ml},
            )
        state.totalizer_ml, state.totalizer_read_at = after_ml, timezone.now()
        state.save(update_fields=["totalizer_ml", "totalizer_read_at"])

    def parameters(self, address: int, decimals: tuple[int, int, int] | None) -> None:
        binding = self.bindings[address]
        if decimals is None:
            return
        confirmed = decimals == (binding.volume_decimals, binding.amount_decimals, binding.price_decimals)
        if not confirmed:
            # Refused for authorizations (pump_authorization_request) until staff set the binding right.
            logger.error("pump decimals differ from configuration", extra={"pump": str(binding), "reported": decimals})
        PumpBinding.objects.filter(pk=binding.pk).update(decimals_confirmed=confirmed)
        self._decimals_reported.add(address)

    def _warn_decimals_unreported(self) -> None:
        """DC7 never came (the pump ignored CD1 return-parameters): say so once; configured decimals are used."""
        for address, binding in self.bindings.items():
            if address not in self._decimals_reported and address not in self._decimals_warned:
                logger.warning("pump did not report its decimals; configured ones used", extra={"pump": str(binding)})
                self._decimals_warned.add(address)

    def alarm(self, address: int, code: int) -> None:
        logger.warning("pump alarm", extra={"pump": str(self.bindings[address]), "alarm": code})

    def bad_frame(self, address: int | None, reason: str) -> None:
        SerialLine.objects.filter(pk=self.line.pk).update(bad_frames=F("bad_frames") + 1)

    def heartbeat(self) -> None:
        SerialLine.objects.filter(pk=self.line.pk).update(last_seen_at=timezone.now())


@transaction.atomic
def serial_line_configure(
    *,
    code: str,
    station=None,
    url: str | None = None,
    baudrate: int | None = None,
    queue: str | None = None,
    is_enabled: bool | None = None,
) -> SerialLine:
    line = SerialLine.objects.select_for_update().filter(code=code).first()
    if line is None:
        if station is None or not url:
            raise InvalidLineConfiguration("A new line needs a station and a URL.")
        line = SerialLine(code=code, station=station, url=url)
    changes = {"url": url, "baudrate": baudrate, "queue": queue, "is_enabled": is_enabled}
    for field_name, value in changes.items():
        if value is not None:
            setattr(line, field_name, value)
    if line.baudrate not in (9600, 19200):
        raise InvalidLineConfiguration("Baud rate must be 9600 or 19200.")
    line.save()
    return line


@transaction.atomic
def pump_binding_set(
    *,
    line_code: str,
    dispenser_number: int,
    dart_address: int,
    volume_decimals: int = 2,
    amount_decimals: int = 2,
    price_decimals: int = 2,
) -> PumpBinding:
    line = SerialLine.objects.filter(code=line_code).first()
    if line is None:
        raise InvalidLineConfiguration(f"No serial line {line_code}.")
    if not 0x50 <= dart_address <= 0x6F:
        raise InvalidLineConfiguration("DART addresses are 0x50 to 0x6F.")
    if not (volume_decimals <= 3 and amount_decimals <= 2 and price_decimals <= 2):
        raise InvalidLineConfiguration("Decimals: volume ≤ 3, amount ≤ 2, price ≤ 2.")
    dispenser = line.station.dispensers.filter(number=dispenser_number).first()
    if dispenser is None:
        raise InvalidLineConfiguration(f"No pump {dispenser_number} at {line.station.code}.")
    if PumpBinding.objects.filter(line=line, dart_address=dart_address).exclude(dispenser=dispenser).exists():
        raise InvalidLineConfiguration(f"Address 0x{dart_address:02X} is taken on {line_code}.")
    binding, _ = PumpBinding.objects.update_or_create(
        dispenser=dispenser,
        defaults={
            "line": line,
            "dart_address": dart_address,
            "volume_decimals": volume_decimals,
            "amount_decimals": amount_decimals,
            "price_decimals": price_decimals,
            "decimals_confirmed": None,  # staff have set them: unconfirmed until the pump's next DC7
        },
    )
    for nozzle in dispenser.nozzles.all():
        NozzleState.objects.get_or_create(nozzle=nozzle)
    return binding
