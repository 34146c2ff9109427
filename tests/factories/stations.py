from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from stations.enums import EnterpriseKind, FuelKind, StaffRoleKind, StationStatus
from stations.models import Dispenser, Enterprise, FuelGrade, GradePrice, Nozzle, StaffRole, Station
from wallet.services.ledger import ledger_hot_accounts_provision


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    is_staff = True
    password = factory.django.Password("pw-123456")


class EnterpriseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enterprise

    name = factory.Sequence(lambda n: f"企业{n}")
    kind = EnterpriseKind.CHAIN


class StationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Station
        skip_postgeneration_save = True

    enterprise = factory.SubFactory(EnterpriseFactory)
    code = factory.Sequence(lambda n: f"st-{n}")
    name = factory.Sequence(lambda n: f"加油站{n}")
    address = "上海市"
    latitude = Decimal("31.230000")
    longitude = Decimal("121.470000")
    status = StationStatus.ACTIVE

    @factory.post_generation
    def hot_accounts(station, create, extracted, **kwargs):
        if create and station.status == StationStatus.ACTIVE:
            ledger_hot_accounts_provision(station_id=station.pk)


class FuelGradeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FuelGrade
        django_get_or_create = ("code",)

    code = "92"
    name = "92#汽油"
    kind = FuelKind.GASOLINE


class DispenserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Dispenser

    station = factory.SubFactory(StationFactory)
    number = factory.Sequence(lambda n: n + 1)


class NozzleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Nozzle

    dispenser = factory.SubFactory(DispenserFactory)
    station = factory.LazyAttribute(lambda o: o.dispenser.station)
    number = factory.Sequence(lambda n: n + 1)
    logical_number = 1
    grade = factory.SubFactory(FuelGradeFactory)


class GradePriceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GradePrice

    station = factory.SubFactory(StationFactory)
    grade = factory.SubFactory(FuelGradeFactory)
    list_price_fen_per_litre = 765
    price_fen_per_litre = 735
    effective_from = factory.LazyFunction(lambda: timezone.now() - timezone.timedelta(days=1))


class StaffRoleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StaffRole

    user = factory.SubFactory(UserFactory)
    role = StaffRoleKind.STATION_MANAGER
    station = None
    enterprise = None
