"""Weeks of demo sales at the demo station, replayed through the real services so the dashboard's charts
have something to show and every figure matches the journal.

Each fill is told to the pump gateway the way the bridge tells it (attendant authorization, the pump's
statuses, the completed fill) and then paid by a driver (闪付, order_postpaid_pay), with the project clock
set to the moment of the sale: the services stamp their rows with django.utils.timezone.now, so the replay
sets that clock instead of rewriting timestamps afterwards (the journal is append-only). The plan for a day
depends only on its date, and each sale is keyed by its moment, so a second run on the same day pays nothing
twice.
"""

import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from unittest import mock

from django.db.models import Min
from django.utils import timezone

from drivers.models import Driver
from drivers.services import driver_register
from orders.models import FuelOrder
from orders.services import order_postpaid_pay
from pumpgateway.dart.transactions import PumpStatus
from pumpgateway.enums import AuthorizationSource, CommandKind
from pumpgateway.models import PumpCommand, SerialLine
from pumpgateway.services import DjangoBridgeStore, pump_authorization_request
from stations.models import GradePrice, Station
from stations.selectors import station_price_get
from wallet.providers import payment_provider_get
from wallet.selectors import wallet_balance_get
from wallet.services.top_up import wallet_top_up_notification_handle, wallet_top_up_order_create

HISTORY_DAYS = 28
# Regular customers of the demo station (the three demo phones keep their own balances for the browser demo).
HISTORY_PHONES = [f"139000000{n:02d}" for n in range(1, 21)]
# When drivers come: the morning and evening rush, a lunch bump.
BUSY_HOURS = [7, 7, 8, 8, 8, 9, 11, 12, 12, 13, 16, 17, 17, 18, 18, 18, 19, 20, 21]
TOP_UP_FEN = 300_000
TOP_UP_BELOW_FEN = 60_000


@dataclass(frozen=True)
class PlannedSale:
    key: str
    at: datetime
    phone: str
    nozzle_number: int
    volume_ml: int | None = None  # or the amount the pump stops at
    amount_fen: int | None = None


@contextmanager
def clock_at(moment: datetime) -> Iterator[None]:
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


def _day_plan(day, nozzle_numbers: list[int]) -> list[PlannedSale]:
    """The same sales for the same date on every run: more on Fridays and weekends, regulars more often."""
    rng = random.Random(day.toordinal())  # noqa: S311 - demo data, not security
    count = rng.randint(4, 7) + (3 if day.isoweekday() >= 5 else 0)
    sales = {}
    for _ in range(count):
        hour, minute = rng.choice(BUSY_HOURS), rng.randrange(0, 60, 3)
        at = timezone.make_aware(datetime(day.year, day.month, day.day, hour, minute))
        phone = HISTORY_PHONES[min(int(rng.expovariate(0.15)), len(HISTORY_PHONES) - 1)]
        volume_ml = rng.randint(18_000, 55_000)
        nozzle_number = rng.choice(nozzle_numbers)
        key = f"demo-sale-{at:%Y%m%d%H%M}-{nozzle_number}"
        sales[at] = PlannedSale(key=key, at=at, phone=phone, nozzle_number=nozzle_number, volume_ml=volume_ml)
    return [sales[at] for at in sorted(sales)]


def _wallet_filled(driver: Driver, key: str) -> None:
    if wallet_balance_get(driver_id=driver.pk).principal_fen >= TOP_UP_BELOW_FEN:
        return
    order = wallet_top_up_order_create(driver=driver, amount_fen=TOP_UP_FEN, idempotency_key=f"{key}-top-up")
    notification = payment_provider_get().payment_notification(
        out_trade_no=order.out_trade_no, amount_fen=order.amount_fen
    )
    wallet_top_up_notification_handle(params=notification)


def _pumps_online(store: DjangoBridgeStore) -> None:
    """The pumps answer and take the prices in effect (the bridge delivers what pump_online queued)."""
    store.heartbeat()
    for address in store.bindings:
        store.pump_online(address, True)
    for command in store.pending_commands():
        store.command_sending(command.command_id)
        store.command_result(command.command_id, delivered=True)


def _pump_delivers(store: DjangoBridgeStore, nozzle, sale: PlannedSale, price_fen: int) -> int:
    """The bridge's side of one attendant fill: authorize, fuel, complete. Returns the fill's id."""
    address = nozzle.dispenser.pump_binding.dart_address
    store.heartbeat()
    store.pump_status(address, PumpStatus.RESET, 0, False)
    authorization = pump_authorization_request(
        nozzle=nozzle, source=AuthorizationSource.ATTENDANT, preset_amount_fen=200_000
    )
    command = PumpCommand.objects.get(authorization=authorization, kind=CommandKind.AUTHORIZE)
    store.command_sending(command.pk)
    store.command_result(command.pk, delivered=True)
    store.pump_status(address, PumpStatus.AUTHORIZED, nozzle.logical_number, True)
    store.pump_status(address, PumpStatus.FILLING, nozzle.logical_number, True)
    if sale.amount_fen is None:
        volume_ml, amount_fen = sale.volume_ml, round(sale.volume_ml * price_fen / 1000)
    else:
        volume_ml, amount_fen = sale.amount_fen * 1000 // price_fen, sale.amount_fen
    store.fill_completed(address, nozzle.logical_number, volume_ml // 10, amount_fen, price_fen)
    store.pump_status(address, PumpStatus.FILLING_COMPLETED, 0, False)
    return authorization.fill.pk


def demo_history_replay(
    *, station: Station, line_code: str, extra_sales: list[PlannedSale], now: datetime | None = None
) -> int:
    """Replay the planned sales of the last HISTORY_DAYS days (today's up to now) and the extra sales at the
    station's pumps on the line. Returns how many sales were new."""
    now = now or timezone.now()
    line = SerialLine.objects.get(code=line_code)
    nozzles = {
        nozzle.number: nozzle
        for nozzle in station.nozzles.filter(dispenser__pump_binding__line=line).select_related(
            "dispenser__pump_binding", "grade"
        )
    }
    first_price = GradePrice.objects.filter(station=station).aggregate(at=Min("effective_from"))["at"]
    start = timezone.localdate(now) - timedelta(days=HISTORY_DAYS)
    days = [start + timedelta(days=offset) for offset in range(HISTORY_DAYS + 1)]
    planned = [sale for day in days for sale in _day_plan(day, sorted(nozzles))]
    done = set(
        FuelOrder.objects.filter(
            station=station, idempotency_key__in=[sale.key for sale in [*planned, *extra_sales]]
        ).values_list("idempotency_key", flat=True)
    )
    plan = sorted(
        (
            sale
            for sale in [*planned, *extra_sales]
            if sale.key not in done and first_price is not None and first_price < sale.at < now
        ),
        key=lambda sale: sale.at,
    )
    if not plan:
        return 0
    drivers = {phone: driver_register(phone=phone) for phone in {sale.phone for sale in plan}}
    store = DjangoBridgeStore(line)
    with clock_at(plan[0].at):
        _pumps_online(store)
    for sale in plan:
        nozzle, driver = nozzles[sale.nozzle_number], drivers[sale.phone]
        with clock_at(sale.at):
            price = station_price_get(station_id=station.pk, grade_id=nozzle.grade_id)
            _wallet_filled(driver, sale.key)
            fill_id = _pump_delivers(store, nozzle, sale, price.price_fen_per_litre)
        with clock_at(sale.at + timedelta(minutes=2)):
            order_postpaid_pay(driver=driver, fill_id=fill_id, idempotency_key=sale.key)
    for address in store.bindings:
        store.pump_online(address, False)  # until the real bridge reports them
    return len(plan)
