import factory

from orders.enums import OrderMode, OrderStatus
from orders.models import FuelOrder


class FuelOrderFactory(factory.django.DjangoModelFactory):
    """An order row in a given status, for lifecycle tests; real sales are made by the order services."""

    class Meta:
        model = FuelOrder

    order_no = factory.Sequence(lambda n: f"F{n:020d}")
    mode = OrderMode.PREPAID
    status = OrderStatus.AUTHORIZING
    driver = factory.SubFactory("tests.factories.drivers.DriverFactory")
    nozzle = factory.SubFactory("tests.factories.stations.NozzleFactory")
    station = factory.LazyAttribute(lambda o: o.nozzle.station)
    grade_name = "92#汽油"
    list_price_fen_per_litre = 765
    price_fen_per_litre = 735
    dynamic_code = "1234"
    idempotency_key = factory.Sequence(lambda n: f"key-{n}")


def paid_postpaid_fill(*, driver, pump, nozzle, sequence: int, amount_fen: int, pay: bool = True):
    """A fill the attendant authorized at the pump, then (pay=True) paid by the driver through the real service."""
    from orders.services import order_postpaid_pay
    from pumpgateway.enums import AuthorizationSource, AuthorizationStatus
    from pumpgateway.models import Fill, PumpAuthorization

    authorization = PumpAuthorization.objects.create(
        nozzle=nozzle,
        pump=pump,
        sequence=sequence,
        source=AuthorizationSource.ATTENDANT,
        status=AuthorizationStatus.COMPLETED,
    )
    fill = Fill.objects.create(
        authorization=authorization,
        pump=pump,
        nozzle=nozzle,
        sequence=sequence,
        volume_ml=amount_fen * 1000 // 735,
        amount_fen=amount_fen,
        price_fen_per_litre=735,
    )
    if pay:
        return order_postpaid_pay(driver=driver, fill_id=fill.pk, idempotency_key=f"fill-{fill.pk}")
    return fill
