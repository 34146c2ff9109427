from decimal import Decimal, InvalidOperation

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from core.exceptions import FuelpayError
from stations.enums import StationStatus
from stations.models import FuelGrade, Station
from stations.services import (
    dispenser_create,
    enterprise_get_or_create,
    nozzle_create,
    station_apply,
    station_bank_account_set,
    station_price_schedule,
    station_transition,
)


class DryRun(Exception):
    pass


class Command(BaseCommand):
    help = (
        "Onboard a station in one go (ops): application, bank account, pumps and nozzles, prices, and "
        "optionally review → approve → activate. Example: --pumps '1:92,95;2:0' --prices '92=765/735,95=815/780'"
    )

    def add_arguments(self, parser):
        parser.add_argument("--enterprise", required=True)
        parser.add_argument("--code", required=True)
        parser.add_argument("--name", required=True)
        parser.add_argument("--address", required=True)
        parser.add_argument("--lat", required=True)
        parser.add_argument("--lng", required=True)
        parser.add_argument("--bank-name", required=True)
        parser.add_argument("--holder", required=True)
        parser.add_argument("--account", required=True)
        parser.add_argument("--pumps", required=True, help="pump:grade,grade;pump:grade …  (nozzles numbered in order)")
        parser.add_argument("--prices", required=True, help="grade=list/station fen per litre, comma separated")
        parser.add_argument("--activate", action="store_true", help="run review, approval and activation too")
        parser.add_argument("--dry-run", action="store_true", help="validate and show, write nothing")

    def handle(self, *args, **options):
        if Station.objects.filter(code=options["code"]).exists():
            self.stdout.write(f"station {options['code']} already exists; nothing to do")
            return
        try:
            lat, lng = Decimal(options["lat"]), Decimal(options["lng"])
            pumps = [(int(p.split(":")[0]), p.split(":")[1].split(",")) for p in options["pumps"].split(";")]
            prices = {
                g: tuple(int(x) for x in v.split("/"))
                for g, v in (item.split("=") for item in options["prices"].split(","))
            }
        except (ValueError, IndexError, InvalidOperation) as error:
            raise CommandError(f"could not parse arguments: {error}") from error
        grades = {grade.code: grade for grade in FuelGrade.objects.all()}
        missing = {g for _, gs in pumps for g in gs} - set(grades)
        if missing:
            raise CommandError(f"unknown fuel grades: {sorted(missing)}")
        try:
            with transaction.atomic():
                self._onboard(options, lat, lng, pumps, prices, grades)
                if options["dry_run"]:
                    raise DryRun
        except DryRun:
            self.stdout.write("dry run: everything validated, nothing written")
        except FuelpayError as error:
            raise CommandError(error.message) from error

    def _onboard(self, options, lat, lng, pumps, prices, grades):
        enterprise = enterprise_get_or_create(name=options["enterprise"])
        station = station_apply(
            enterprise=enterprise,
            code=options["code"],
            name=options["name"],
            address=options["address"],
            latitude=lat,
            longitude=lng,
        )
        self.stdout.write(f"applied: {station.code}")
        station_bank_account_set(
            station=station, bank_name=options["bank_name"], holder=options["holder"], account_number=options["account"]
        )
        self.stdout.write(f"bank account: {station.bank_account_masked}")
        number = 1
        for pump_number, grade_codes in pumps:
            dispenser = dispenser_create(station=station, number=pump_number)
            for logical, code in enumerate(grade_codes, start=1):
                nozzle_create(dispenser=dispenser, number=number, logical_number=logical, grade=grades[code])
                self.stdout.write(f"pump {pump_number} nozzle {number}: {grades[code].name}")
                number += 1
        for code, (list_price, price) in prices.items():
            station_price_schedule(
                station=station, grade=grades[code], list_price_fen_per_litre=list_price, price_fen_per_litre=price
            )
        if options["activate"]:
            for status in (StationStatus.UNDER_REVIEW, StationStatus.APPROVED, StationStatus.ACTIVE):
                station_transition(station=station, to_status=status, note="onboard_station")
                self.stdout.write(f"status: {status}")
