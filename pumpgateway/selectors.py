from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from pumpgateway.enums import OPEN_AUTHORIZATION_STATUSES, AuthorizationSource, NozzleLiveState, PumpAlarm
from pumpgateway.models import Fill, NozzleState, PumpAuthorization, PumpBinding, PumpCommand, SerialLine


@dataclass(frozen=True)
class NozzleLive:
    nozzle_id: int
    state: str
    volume_ml: int
    amount_fen: int
    price_fen_per_litre: int | None
    updated_at: datetime | None


@dataclass(frozen=True)
class AuthorizationView:
    id: int
    nozzle_id: int
    status: str
    reason: str
    source: str
    external_reference: str
    fill_id: int | None
    fill_volume_ml: int | None
    fill_amount_fen: int | None
    fill_price_fen_per_litre: int | None
    requested_at: datetime
    authorised_at: datetime | None


def nozzle_live_get(*, nozzle_id: int) -> NozzleLive:
    state = NozzleState.objects.filter(nozzle_id=nozzle_id).first()
    if state is None:
        return NozzleLive(nozzle_id, NozzleLiveState.OFFLINE, 0, 0, None, None)
    return NozzleLive(
        nozzle_id, state.state, state.volume_ml, state.amount_fen, state.price_fen_per_litre, state.updated_at
    )


def nozzle_live_list_for_station(*, station_id: int) -> dict[int, NozzleLive]:
    states = NozzleState.objects.filter(nozzle__station_id=station_id)
    return {
        s.nozzle_id: NozzleLive(s.nozzle_id, s.state, s.volume_ml, s.amount_fen, s.price_fen_per_litre, s.updated_at)
        for s in states
    }


def authorization_get(*, authorization_id: int) -> AuthorizationView:
    auth = PumpAuthorization.objects.select_related("fill").get(pk=authorization_id)
    fill = getattr(auth, "fill", None)
    return AuthorizationView(
        id=auth.pk,
        nozzle_id=auth.nozzle_id,
        status=auth.status,
        reason=auth.reason,
        source=auth.source,
        external_reference=auth.external_reference,
        fill_id=fill.pk if fill else None,
        fill_volume_ml=fill.volume_ml if fill else None,
        fill_amount_fen=fill.amount_fen if fill else None,
        fill_price_fen_per_litre=fill.price_fen_per_litre if fill else None,
        requested_at=auth.requested_at,
        authorised_at=auth.authorised_at,
    )


def authorization_open_for_pump(*, pump: PumpBinding) -> PumpAuthorization | None:
    return (
        PumpAuthorization.objects.filter(pump=pump, status__in=OPEN_AUTHORIZATION_STATUSES)
        .order_by("-sequence")
        .first()
    )


def dispenser_ids_with_open_authorization(*, station_id: int) -> set[int]:
    """Pumps of the station that have an authorization in progress: every nozzle of such a pump is busy."""
    return set(
        PumpAuthorization.objects.filter(
            pump__dispenser__station_id=station_id, status__in=OPEN_AUTHORIZATION_STATUSES
        ).values_list("pump__dispenser_id", flat=True)
    )


def line_list_enabled() -> QuerySet[SerialLine]:
    return SerialLine.objects.filter(is_enabled=True).order_by("code")


def line_pending_commands(*, line: SerialLine) -> QuerySet[PumpCommand]:
    return (
        PumpCommand.objects.filter(pump__line=line, status="pending")
        .select_related("pump", "authorization", "authorization__nozzle")
        .order_by("pk")
    )


@dataclass(frozen=True)
class FillRecord:
    id: int
    station_id: int
    nozzle_id: int
    nozzle_number: int
    grade_name: str
    source: str
    volume_ml: int
    amount_fen: int
    price_fen_per_litre: int
    completed_at: datetime


def _fill_record(fill: Fill) -> FillRecord:
    return FillRecord(
        id=fill.pk,
        station_id=fill.nozzle.station_id,
        nozzle_id=fill.nozzle_id,
        nozzle_number=fill.nozzle.number,
        grade_name=fill.nozzle.grade.name,
        source=fill.authorization.source,
        volume_ml=fill.volume_ml,
        amount_fen=fill.amount_fen,
        price_fen_per_litre=fill.price_fen_per_litre,
        completed_at=fill.completed_at,
    )


def fill_get(*, fill_id: int) -> FillRecord | None:
    fill = Fill.objects.select_related("authorization", "nozzle", "nozzle__grade").filter(pk=fill_id).first()
    return _fill_record(fill) if fill else None


def postpaid_fill_list(
    *, station_id: int, exclude_fill_ids: Iterable[int], since: datetime | None = None, before: datetime | None = None
) -> list[FillRecord]:
    """Attendant-authorized fills at a station (completed in [since, before) when given), newest first, minus
    the excluded ones (a higher app's closed fills; a queryset of ids runs as a subquery)."""
    window = Q(completed_at__gte=since) if since else Q()
    if before:
        window &= Q(completed_at__lt=before)
    fills = (
        Fill.objects.filter(
            window,
            nozzle__station_id=station_id,
            amount_fen__gt=0,
            authorization__source=AuthorizationSource.ATTENDANT,
        )
        .exclude(pk__in=exclude_fill_ids)
        .select_related("authorization", "nozzle", "nozzle__grade")
        .order_by("-completed_at")
    )
    return [_fill_record(fill) for fill in fills]


def line_bridge_alive(*, line: SerialLine, now: datetime | None = None) -> bool:
    """True while the bridge owning the line heartbeats (every second while it runs)."""
    now = now or timezone.now()
    silent = timedelta(seconds=settings.PUMP_BRIDGE_SILENT_SECONDS)
    return line.last_seen_at is not None and now - line.last_seen_at < silent


def pump_binding_for_nozzle(*, nozzle_id: int) -> PumpBinding | None:
    return PumpBinding.objects.select_related("line").filter(dispenser__nozzles=nozzle_id).first()


def pump_alarm_list_for_station(*, station_id: int) -> list[str]:
    """What staff must look at on the station's pumps, one line each, for the console's alerts."""
    alarms = []
    for binding in PumpBinding.objects.filter(line__station_id=station_id).select_related("dispenser"):
        number = binding.dispenser.number
        if binding.alarm:
            alarms.append(_("Pump %(n)s: %(alarm)s") % {"n": number, "alarm": PumpAlarm(binding.alarm).label})
        if binding.decimals_confirmed is False:
            alarms.append(
                _("Pump %(n)s reports other decimals than configured: it is not authorized until staff fix it.")
                % {"n": number}
            )
        elif binding.online and binding.decimals_confirmed is None:
            alarms.append(
                _("Pump %(n)s did not report its decimals: the configured ones are used, unconfirmed.") % {"n": number}
            )
    return alarms


def station_controllers_alive(*, station_id: int) -> bool:
    """Every enabled serial line of the station has a bridge heartbeating on it."""
    lines = list(SerialLine.objects.filter(station_id=station_id, is_enabled=True))
    return bool(lines) and all(line_bridge_alive(line=line) for line in lines)


def nozzle_totalizers_for_station(*, station_id: int) -> dict[int, int | None]:
    """Each nozzle's electronic totalizer (ml) as the bridge last read it from the pump (DC101 totals)."""
    return dict(NozzleState.objects.filter(nozzle__station_id=station_id).values_list("nozzle_id", "totalizer_ml"))


def nozzle_totalizers_read_since(*, station_id: int, since: datetime) -> dict[int, int]:
    """The station's nozzles whose totalizer the pump reported at or after since (ml, by nozzle id)."""
    return dict(
        NozzleState.objects.filter(
            nozzle__station_id=station_id, totalizer_read_at__gte=since, totalizer_ml__isnull=False
        ).values_list("nozzle_id", "totalizer_ml")
    )


def serial_line_qs_with_health(*, lines: QuerySet[SerialLine] | None = None) -> QuerySet[SerialLine]:
    """Lines (all, or the given ones) with their pumps (pump_count, online_count) and the last fill on any of
    them (last_fill_at)."""
    lines = SerialLine.objects.all() if lines is None else lines
    return lines.select_related("station").annotate(
        pump_count=Count("pumps", distinct=True),
        online_count=Count("pumps", filter=Q(pumps__online=True), distinct=True),
        last_fill_at=Max("pumps__fills__completed_at"),
    )


@dataclass(frozen=True)
class LineHealth:
    line_id: int
    code: str
    station_name: str
    bridge_alive: bool
    last_seen_at: datetime | None
    pumps: int
    pumps_online: int
    last_fill_at: datetime | None
    bad_frames: int


def serial_line_health_list(*, now: datetime | None = None) -> list[LineHealth]:
    """Every enabled pump line: is its bridge heartbeating, how many pumps answer, when the last fill was."""
    now = now or timezone.now()
    return [
        LineHealth(
            line_id=line.pk,
            code=line.code,
            station_name=line.station.name,
            bridge_alive=line_bridge_alive(line=line, now=now),
            last_seen_at=line.last_seen_at,
            pumps=line.pump_count,
            pumps_online=line.online_count,
            last_fill_at=line.last_fill_at,
            bad_frames=line.bad_frames,
        )
        for line in serial_line_qs_with_health().filter(is_enabled=True).order_by("station__name", "code")
    ]
