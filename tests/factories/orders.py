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
