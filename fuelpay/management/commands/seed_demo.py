from django.core.management.base import BaseCommand

from fuelpay.demo import demo_data_seed


class Command(BaseCommand):
    help = "Load demo stations, staff of every role, drivers with wallets and a real journal. Idempotent."

    def handle(self, *args, **options):
        self.stdout.write("seeding demo data …")
        summary = demo_data_seed()
        self.stdout.write(f"stations: {', '.join(summary.stations)}")
        for username, role in summary.staff.items():
            self.stdout.write(f"staff login {username} / {summary.password} ({role})")
        self.stdout.write(f"drivers: {', '.join(summary.drivers)}")
        self.stdout.write(self.style.SUCCESS("demo data ready"))
