from django.core.management.base import BaseCommand

from stations.services import station_bank_accounts_rotate_encryption


class Command(BaseCommand):
    help = "Re-encrypt stored bank account numbers with the newest key in FIELD_ENCRYPTION_KEYS."

    def handle(self, *args, **options):
        rotated = station_bank_accounts_rotate_encryption()
        self.stdout.write(self.style.SUCCESS(f"re-encrypted {rotated} bank account numbers"))
