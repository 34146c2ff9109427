from django.core.management.base import BaseCommand

from drivers.services import driver_phones_rotate_encryption, vehicle_plates_rotate_encryption
from stations.services import station_bank_accounts_rotate_encryption


class Command(BaseCommand):
    help = (
        "Re-encrypt stored bank account numbers, plates and phone numbers with the newest key in "
        "FIELD_ENCRYPTION_KEYS, and recompute the phone digests (needed after a new SECRET_KEY too)."
    )

    def handle(self, *args, **options):
        accounts = station_bank_accounts_rotate_encryption()
        plates = vehicle_plates_rotate_encryption()
        phones = driver_phones_rotate_encryption()
        self.stdout.write(
            self.style.SUCCESS(
                f"re-encrypted {accounts} bank account numbers, {plates} plates and {phones} phone numbers"
            )
        )
