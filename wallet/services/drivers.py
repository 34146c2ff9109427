from django.contrib.auth import get_user_model
from django.db import transaction

from wallet.models import Driver
from wallet.services.ledger import driver_accounts_create


@transaction.atomic
def driver_register(*, phone: str) -> Driver:
    """A driver is a user (username = phone, no password: sign-in is by SMS code) with two wallet accounts."""
    existing = Driver.objects.filter(phone=phone).first()
    if existing is not None:
        return existing
    user = get_user_model().objects.create_user(username=phone)
    user.set_unusable_password()
    user.save(update_fields=["password"])
    driver = Driver.objects.create(user=user, phone=phone)
    driver_accounts_create(driver=driver)
    return driver
