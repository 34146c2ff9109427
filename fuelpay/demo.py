"""Demo data for a fresh install, built only through the real services, so the journal it leaves is
one the ledger verifier accepts. Idempotent: every step is keyed, a second run changes nothing."""

from dataclasses import dataclass
from datetime import time, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from drivers.services import driver_register
from fuelpay.demo_history import HISTORY_DAYS, PlannedSale, clock_at, demo_history_replay
from marketing.enums import BenefitKind, Funder, PromotionScope, PromotionTarget, Segment, StackingClass
from marketing.models import Campaign, ContractOffer, Promotion
from marketing.services import campaign_launch
from orders.models import FuelOrder
from pumpgateway.services import pump_binding_set, serial_line_configure
from settlement.models import FeeContract
from stations.enums import EnterpriseKind, FuelKind, NonFuelCategory, StaffRoleKind, StationStatus
from stations.models import NonFuelItem, Station
from stations.services import (
    dispenser_create,
    enterprise_get_or_create,
    fuel_grade_get_or_create,
    nozzle_create,
    staff_user_create,
    station_apply,
    station_bank_account_set,
    station_price_schedule,
    station_transition,
)
from wallet.providers import payment_provider_get
from wallet.services.holds import wallet_payment_refund
from wallet.services.top_up import wallet_top_up_notification_handle, wallet_top_up_order_create
from wallet.services.transfers import wallet_transfer

CAMPAIGN_NAME = "潜力客户促活"
DEMO_PASSWORD = "fuelpay-demo"  # noqa: S105 - printed to the operator; demo accounts only
GRADES = [
    ("92", "92#汽油", FuelKind.GASOLINE),
    ("95", "95#汽油", FuelKind.GASOLINE),
    ("98", "98#汽油", FuelKind.GASOLINE),
    ("0", "0#柴油", FuelKind.DIESEL),
]
# (list, station) prices in fen per litre: the station's own discount is 明折明扣.
PRICES = {"92": (765, 735), "95": (815, 780), "98": (905, 870), "0": (735, 720)}
STATIONS = [
    ("demo-pudong", "浦东世纪大道加油站", "上海市浦东新区世纪大道100号", "31.235929", "121.506058", None, None),
    ("demo-xuhui", "徐汇漕溪北路加油站", "上海市徐汇区漕溪北路88号", "31.191130", "121.437690", None, None),
    (
        "demo-minhang",
        "闵行莘庄加油站",
        "上海市闵行区莘庄镇沪闵路6000号",
        "31.111350",
        "121.385210",
        time(6, 0),
        time(23, 0),
    ),
]
DRIVER_PHONES = ["13800000001", "13800000002", "13800000003"]
DEMO_LINE = "demo-pudong-line"
# Where the forecourt simulator listens by default; `run_platform` points the line at it.
DEMO_LINE_URL = "socket://127.0.0.1:4001"


@dataclass(frozen=True)
class DemoSummary:
    stations: list[str]
    staff: dict[str, str]
    drivers: list[str]
    password: str


def _station_with_forecourt(enterprise, spec, grades) -> Station:
    code, name, address, lat, lng, opens, closes = spec
    station = Station.objects.filter(code=code).first()
    if station is not None:
        return station
    station = station_apply(
        enterprise=enterprise,
        code=code,
        name=name,
        address=address,
        latitude=Decimal(lat),
        longitude=Decimal(lng),
        opens_at=opens,
        closes_at=closes,
    )
    station_bank_account_set(
        station=station,
        bank_name="中国工商银行上海分行",
        holder=name,
        account_number="6222020000" + str(1000 + station.pk),
    )
    nozzle_number = 1
    for pump_number in (1, 2):
        dispenser = dispenser_create(station=station, number=pump_number)
        for logical, grade_code in enumerate(("92", "95"), start=1):
            nozzle_create(dispenser=dispenser, number=nozzle_number, logical_number=logical, grade=grades[grade_code])
            nozzle_number += 1
    diesel_pump = dispenser_create(station=station, number=3)
    nozzle_create(dispenser=diesel_pump, number=nozzle_number, logical_number=1, grade=grades["0"])
    nozzle_create(dispenser=diesel_pump, number=nozzle_number + 1, logical_number=2, grade=grades["98"])
    # In effect before the demo's sales history begins (fuelpay.demo_history).
    prices_from = timezone.now() - timedelta(days=HISTORY_DAYS + 1)
    for grade_code, (list_price, price) in PRICES.items():
        station_price_schedule(
            station=station,
            grade=grades[grade_code],
            list_price_fen_per_litre=list_price,
            price_fen_per_litre=price,
            effective_from=prices_from,
        )
    for sku, name, price_fen, category in NON_FUEL_CATALOGUE:
        NonFuelItem.objects.get_or_create(
            station=station, sku=sku, defaults={"name": name, "price_fen": price_fen, "category": category}
        )
    for status in (StationStatus.UNDER_REVIEW, StationStatus.APPROVED, StationStatus.ACTIVE):
        station_transition(station=station, to_status=status, note="demo onboarding")
    return station


# One of each comes to ¥19.28, the 非油品 of the seed receipt.
NON_FUEL_CATALOGUE = [
    ("W550", "矿泉水 550ml", 300, NonFuelCategory.DRINKS),
    ("RB250", "红牛 250ml", 650, NonFuelCategory.DRINKS),
    ("WASH-Q", "快速洗车", 978, NonFuelCategory.CAR_WASH),
]


def _top_up(driver, amount_fen: int, key: str) -> None:
    order = wallet_top_up_order_create(driver=driver, amount_fen=amount_fen, idempotency_key=key)
    notification = payment_provider_get().payment_notification(
        out_trade_no=order.out_trade_no, amount_fen=order.amount_fen
    )
    wallet_top_up_notification_handle(params=notification)


def _history_promotions(station: Station) -> None:
    """Two fuel promotions that ran during the sales history and ended last midnight (so today's demo prices
    are the plain station prices): one the station funds, one the platform funds."""
    ran_from = timezone.now() - timedelta(days=HISTORY_DAYS + 1)
    ended = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    specs = [
        ("周末直降0.30元/升", "Weekends: ¥0.30 off a litre", BenefitKind.PER_LITRE_OFF, 30, Funder.STATION, "67", 0),
        ("平台补贴满200减8元", "Platform: ¥8 off ¥200", BenefitKind.AMOUNT_OFF, 800, Funder.PLATFORM, "", 20_000),
    ]
    for name, name_en, kind, value, funder, weekdays, minimum in specs:
        if Promotion.objects.filter(name=name).exists():
            continue
        promotion = Promotion.objects.create(
            name=name,
            name_en=name_en,
            is_active=True,
            applies_to=PromotionTarget.FUEL,
            scope=PromotionScope.STATIONS,
            starts_at=ran_from,
            ends_at=ended,
            weekdays=weekdays,
            min_amount_fen=minimum,
            benefit_kind=kind,
            benefit_value=value,
            funder=funder,
            funding_station=station if funder == Funder.STATION else None,
            stacking=StackingClass.STACKABLE,
            stack_group=funder,
        )
        promotion.stations.add(station)


def _history_campaign() -> None:
    """A campaign launched two weeks ago at the promising drivers, with a holdout, so its uplift shows."""
    if Campaign.objects.filter(name=CAMPAIGN_NAME).exists():
        return
    campaign = Campaign.objects.create(
        name=CAMPAIGN_NAME,
        segment=Segment.POTENTIAL,
        title="常来加油，积分多多",
        body="本周到浦东世纪大道加油站加油，积分翻倍。",
        holdout_percent=30,
    )
    with clock_at(timezone.now() - timedelta(days=14)), transaction.atomic():
        campaign_launch(campaign_id=campaign.pk)


def _demo_drivers_sales(now) -> list[PlannedSale]:
    """The demo drivers' fills at the demo station this morning, paid in the app (the second is refunded in part)."""
    return [
        PlannedSale(key=key, at=now - timedelta(minutes=minutes), phone=phone, nozzle_number=nozzle, amount_fen=fen)
        for key, minutes, phone, nozzle, fen in (
            ("demo-fill-1", 50, DRIVER_PHONES[0], 1, 30_000),
            ("demo-fill-2", 35, DRIVER_PHONES[1], 2, 25_050),
            ("demo-fill-3", 20, DRIVER_PHONES[2], 3, 18_888),
        )
    ]


def demo_data_seed() -> DemoSummary:
    with transaction.atomic():
        enterprise = enterprise_get_or_create(name="示范石化连锁", kind=EnterpriseKind.CHAIN)
        grades = {code: fuel_grade_get_or_create(code=code, name=name, kind=kind) for code, name, kind in GRADES}
        stations = [_station_with_forecourt(enterprise, spec, grades) for spec in STATIONS]
        if not Promotion.objects.filter(applies_to=PromotionTarget.TOP_UP).exists():
            for name, name_en, minimum, bonus in (
                ("充2000送100", "Top up ¥2,000, get ¥100", 200_000, 10_000),
                ("充1000送40", "Top up ¥1,000, get ¥40", 100_000, 4_000),
            ):
                Promotion.objects.create(
                    name=name,
                    name_en=name_en,
                    is_active=True,
                    applies_to=PromotionTarget.TOP_UP,
                    scope=PromotionScope.PLATFORM,
                    min_amount_fen=minimum,
                    benefit_kind=BenefitKind.BONUS_CREDIT,
                    benefit_value=bonus,
                    funder=Funder.PLATFORM,
                    stacking=StackingClass.EXCLUSIVE,
                )
        _history_promotions(stations[0])
        # The platform's fee: the default 0.30 % written down for the enterprise, diesel at 0.25 %.
        fees_from = timezone.localdate() - timedelta(days=HISTORY_DAYS + 1)
        for grade, rate_bps in ((None, 30), (grades["0"], 25)):
            FeeContract.objects.get_or_create(
                enterprise=enterprise, grade=grade, defaults={"rate_bps": rate_bps, "effective_from": fees_from}
            )
        if not ContractOffer.objects.exists():
            ContractOffer.objects.create(
                station=stations[0], committed_fen=100_000, days=30, reward_bonus_fen=3_000, funder=Funder.STATION
            )
        user_model = get_user_model()
        if not user_model.objects.filter(username="admin").exists():
            user_model.objects.create_superuser("admin", "admin@example.com", DEMO_PASSWORD)
        staff = {
            "ent_admin": (StaffRoleKind.ENTERPRISE_ADMIN, {"enterprise": enterprise}),
            "manager": (StaffRoleKind.STATION_MANAGER, {"station": stations[0]}),
            "cashier": (StaffRoleKind.CASHIER, {"station": stations[0]}),
            "finance": (StaffRoleKind.FINANCE, {"enterprise": enterprise}),
        }
        for username, (role, scope) in staff.items():
            staff_user_create(username=username, password=DEMO_PASSWORD, role=role, **scope)
        drivers = [driver_register(phone=phone) for phone in DRIVER_PHONES]
        serial_line_configure(code=DEMO_LINE, station=stations[0], url=DEMO_LINE_URL)
        for pump_number in (1, 2, 3):
            pump_binding_set(line_code=DEMO_LINE, dispenser_number=pump_number, dart_address=0x4F + pump_number)
    # Money moves through the wallet's own durable transactions, each keyed for idempotency.
    _top_up(drivers[0], 200_000, "demo-topup-1")
    _top_up(drivers[1], 100_000, "demo-topup-1")
    _top_up(drivers[2], 50_000, "demo-topup-1")
    wallet_transfer(from_driver=drivers[0], to_driver=drivers[2], amount_fen=10_000, idempotency_key="demo-transfer")
    demo_history_replay(station=stations[0], line_code=DEMO_LINE, extra_sales=_demo_drivers_sales(timezone.now()))
    _history_campaign()
    refunded = FuelOrder.objects.filter(idempotency_key="demo-fill-2").select_related("hold").first()
    if refunded is not None and refunded.hold.refunded_fen == 0:
        wallet_payment_refund(hold_id=refunded.hold_id, amount_fen=5_000, idempotency_key="demo-refund")
    return DemoSummary(
        stations=[s.code for s in stations],
        staff={"admin": "platform admin"} | {name: role for name, (role, _) in staff.items()},
        drivers=DRIVER_PHONES,
        password=DEMO_PASSWORD,
    )
