from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from tqdm import tqdm

from core.exceptions import FuelpayError
from core.money import format_fen
from settlement.services.days import SETTLE_STAGES, business_date_of, settlement_day_close
from stations.models import Station


class Command(BaseCommand):
    help = "Close a business day's settlement for every station (or one). Idempotent: a closed day is left alone."

    def add_arguments(self, parser):
        parser.add_argument("--date", type=date.fromisoformat, help="YYYY-MM-DD (default: yesterday)")
        parser.add_argument("--station", help="station code")

    def handle(self, *args, **options):
        business_date = options["date"] or business_date_of(timezone.now()) - timedelta(days=1)
        station_id = None
        if options["station"]:
            station = Station.objects.filter(code=options["station"]).first()
            if station is None:
                raise CommandError(f"no station {options['station']!r}")
            station_id = station.pk
        bar = tqdm(total=len(SETTLE_STAGES), desc="settling", unit="stage", disable=None)

        def progress(stage: str) -> None:
            bar.set_postfix_str(stage)
            bar.update()

        try:
            with bar:
                result = settlement_day_close(business_date=business_date, station_id=station_id, progress=progress)
        except FuelpayError as error:
            raise CommandError(error.message) from error
        if result.already_closed:
            self.stdout.write(f"{business_date}: already closed, nothing changed")
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"{business_date}: closed {result.days_closed} station days, {result.items} items, "
                f"net payable {format_fen(result.net_fen)}"
            )
        )
