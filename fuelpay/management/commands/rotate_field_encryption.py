from django.core.management.base import BaseCommand

from drivers.services import vehicle_plates_rotate_encryption
from stations.services import station_bank_accounts_rotate_encryption


class Command(BaseCommand):
    help = "Re-encrypt stored bank account numbers and plates with the newest key in FIELD_ENCRYPTION_KEYS."

    def handle(self, *args, **options):
        accounts = station_bank_accounts_rotate_encryption()
        plates = vehicle_plates_rotate_encryption()
        self.stdout.write(self.style.SUCCESS(f"re-encrypted {accounts} bank account numbers and {plates} plates"))
