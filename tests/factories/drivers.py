import factory

from drivers.models import Driver
from drivers.services import driver_register


class DriverFactory(factory.django.DjangoModelFactory):
    """Drivers are made by the real service, so every driver has its wallet accounts (the wallet listens)."""

    class Meta:
        model = Driver

    phone = factory.Sequence(lambda n: f"139{n:08d}")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return driver_register(phone=kwargs["phone"])
