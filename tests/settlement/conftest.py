"""A station's business days seeded through the real wallet services at chosen moments (timezone.now is
patched while seeding, so journal entries, fills and orders carry those times)."""

from datetime import datetime, time, timedelta
from itertools import count
from unittest import mock

import pytest
from django.utils import timezone

from marketing.enums import BenefitKind, Funder
from orders.enums import OrderLineKind, OrderStatus
from orders.models import OrderLine
from pumpgateway.enums import AuthorizationSource, AuthorizationStatus
from pumpgateway.models import Fill, PumpAuthorization
from settlement.models import FeeContract
from tests.factories.drivers import DriverFactory
from tests.factories.marketing import PromotionFactory
from tests.factories.orders import FuelOrderFactory
from tests.factories.pumpgateway import PumpBindingFactory
from tests.factories.stations import DispenserFactory, FuelGradeFactory, NozzleFactory, StationFactory
from tests.factories.wallet import top_up
from wallet.services.holds import wallet_hold_capture, wallet_hold_place

FUEL, DISCOUNT, NON_FUEL = OrderLineKind.FUEL, OrderLineKind.DISCOUNT, OrderLineKind.NON_FUEL


def at(day, hh, mm=0):
    return timezone.make_aware(datetime.combine(day, time(hh, mm)))


class Seeder:
    def __init__(self, station=None):
        self.station = station or StationFactory()
        dispenser = DispenserFactory(station=self.station)
        self.pump = PumpBindingFactory(dispenser=dispenser)
        self.nozzle_92 = NozzleFactory(dispenser=dispenser, logical_number=1, grade=FuelGradeFactory())
        self.nozzle_95 = NozzleFactory(
            dispenser=dispenser, logical_number=2, grade=FuelGradeFactory(code="95", name="95#汽油")
        )
        self.driver = DriverFactory()
        # The station's price below list (明折明扣) is a discount line of a STATION_PRICE promotion.
        self.station_price = PromotionFactory(
            benefit_kind=BenefitKind.STATION_PRICE, funder=Funder.STATION, is_active=False
        )
        self._sequence = count(1)

    def top_up(self, amount_fen, *, when, key):
        with mock.patch("django.utils.timezone.now", return_value=when):
            return top_up(self.driver, amount_fen, key=key)

    def fill(self, nozzle, *, volume_ml, amount_fen, when, totals_after_ml=None):
        sequence = next(self._sequence)
        with mock.patch("django.utils.timezone.now", return_value=when):
            authorization = PumpAuthorization.objects.create(
                nozzle=nozzle,
                pump=self.pump,
                sequence=sequence,
                source=AuthorizationSource.ATTENDANT,
                status=AuthorizationStatus.COMPLETED,
            )
            return Fill.objects.create(
                authorization=authorization,
                pump=self.pump,
                nozzle=nozzle,
                sequence=sequence,
                volume_ml=volume_ml,
                amount_fen=amount_fen,
                price_fen_per_litre=735,
                totals_after_ml=totals_after_ml,
            )

    def sale(self, nozzle, *, lines, volume_ml, when, fill=None):
        """A paid order with these receipt lines (kind, amount, funder); the driver pays their sum."""
        paid = sum(amount for _, amount, _ in lines)
        key = f"sale-{next(self._sequence)}"
        with mock.patch("django.utils.timezone.now", return_value=when):
            order = FuelOrderFactory.build(
                driver=self.driver, nozzle=nozzle, station=self.station, grade_name=nozzle.grade.name
            )
            hold = wallet_hold_place(
                driver_id=self.driver.pk,
                station_id=self.station.pk,
                amount_fen=paid,
                reference=order.order_no,
                idempotency_key=key,
            )
            wallet_hold_capture(hold_id=hold.pk, amount_fen=paid)
            order.status, order.hold, order.fill, order.volume_ml = OrderStatus.PAID, hold, fill, volume_ml
            order.fuel_amount_fen = sum(amount for kind, amount, _ in lines if kind == FUEL)
            order.paid_fen, order.paid_at = paid, when
            order.save()
            OrderLine.objects.bulk_create(
                OrderLine(
                    order=order,
                    kind=kind,
                    label=kind,
                    amount_fen=amount,
                    funder=funder,
                    promotion=self.station_price if (kind, funder) == (DISCOUNT, Funder.STATION) else None,
                )
                for kind, amount, funder in lines
            )
        return order


@pytest.fixture
def seeder(db):
    return Seeder()


@pytest.fixture
def day():
    """A business day safely over (three days ago, Asia/Shanghai)."""
    return timezone.localdate() - timedelta(days=3)


@pytest.fixture
def fee_contracts(seeder, day):
    enterprise = seeder.station.enterprise
    FeeContract.objects.create(enterprise=enterprise, rate_bps=30, effective_from=day - timedelta(days=30))
    FeeContract.objects.create(
        enterprise=enterprise, grade=seeder.nozzle_95.grade, rate_bps=50, effective_from=day - timedelta(days=30)
    )


@pytest.fixture(autouse=True)
def statement_dir(settings, tmp_path):
    """Provider statements of these tests are written and read in the test's own directory."""
    settings.SETTLEMENT_STATEMENT_DIR = tmp_path
    return tmp_path
