from datetime import date, timedelta
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from core.exceptions import FuelpayError
from settlement.services.days import business_date_of, business_day_bounds
from settlement.services.reconcile import reconcile_day, statement_path
from wallet.services.simulator import payment_simulator_statement_write


class Command(BaseCommand):
    help = (
        "Reconcile a business day: fill records ↔ orders ↔ ledger captures, and the payment provider's "
        "statement ↔ top-ups. Idempotent: each finding is recorded once."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", type=date.fromisoformat, help="YYYY-MM-DD (default: yesterday)")
        parser.add_argument("--statement", type=Path, help="the provider's statement file (default: its folder)")
        parser.add_argument(
            "--simulator-statement", action="store_true", help="have the payment simulator write the day's bill first"
        )

    def handle(self, *args, **options):
        business_date = options["date"] or business_date_of(timezone.now()) - timedelta(days=1)
        if options["simulator_statement"]:
            start, end = business_day_bounds(business_date)
            path = options["statement"] or statement_path(business_date)
            lines = payment_simulator_statement_write(start=start, end=end, path=path)
            self.stdout.write(f"simulator statement: {lines} lines → {path}")
        try:
            result = reconcile_day(business_date=business_date, statement=options["statement"])
        except FuelpayError as error:
            raise CommandError(f"{error.message} {error.extra}") from error
        statement = "no statement file" if result.statement_lines is None else f"{result.statement_lines} lines"
        self.stdout.write(
            self.style.SUCCESS(f"{business_date}: {result.found} new discrepancies (provider statement: {statement})")
        )
