from datetime import timedelta

import factory
from django.utils import timezone

from pumpgateway.enums import AuthorizationSource, AuthorizationStatus
from pumpgateway.models import Fill, PumpAuthorization, PumpBinding, SerialLine


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


def attendant_fill(nozzle, *, amount_fen: int = 20_000, minutes_ago: int = 0):
    """A completed attendant-authorized (postpaid) fill on the nozzle, as the bridge would have stored it."""
    binding = PumpBinding.objects.filter(dispenser=nozzle.dispenser).first() or PumpBindingFactory(
        dispenser=nozzle.dispenser, online=True
    )
    sequence = PumpAuthorization.objects.filter(pump=binding).count() + 1
    authorization = PumpAuthorization.objects.create(
        nozzle=nozzle,
        pump=binding,
        sequence=sequence,
        source=AuthorizationSource.ATTENDANT,
        status=AuthorizationStatus.COMPLETED,
        closed_at=timezone.now(),
    )
    fill = Fill.objects.create(
        authorization=authorization,
        pump=binding,
        nozzle=nozzle,
        sequence=sequence,
        volume_ml=amount_fen * 1000 // 765,
        amount_fen=amount_fen,
        price_fen_per_litre=765,
    )
    if minutes_ago:
        Fill.objects.filter(pk=fill.pk).update(completed_at=timezone.now() - timedelta(minutes=minutes_ago))
        fill.refresh_from_db()
    return fill
