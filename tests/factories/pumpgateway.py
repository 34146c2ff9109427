import factory
from django.utils import timezone

from pumpgateway.models import PumpBinding, SerialLine


class SerialLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SerialLine

    code = factory.Sequence(lambda n: f"line-{n}")
    station = factory.SubFactory("tests.factories.stations.StationFactory")
    url = "loop://"
    last_seen_at = factory.LazyFunction(timezone.now)  # a bridge is heartbeating on it


class PumpBindingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PumpBinding

    dispenser = factory.SubFactory("tests.factories.stations.DispenserFactory")
    line = factory.SubFactory(SerialLineFactory, station=factory.SelfAttribute("..dispenser.station"))
    dart_address = 0x50
