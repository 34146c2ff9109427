import factory
from django.utils import timezone

from settlement.models import FeeContract


class FeeContractFactory(factory.django.DjangoModelFactory):
    """0.30 % of the enterprise's sales of every grade, in effect since a month ago."""

    class Meta:
        model = FeeContract

    enterprise = factory.SubFactory("tests.factories.stations.EnterpriseFactory")
    rate_bps = 30
    effective_from = factory.LazyFunction(lambda: timezone.localdate() - timezone.timedelta(days=30))
