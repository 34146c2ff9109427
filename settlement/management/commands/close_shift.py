from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from core.exceptions import FuelpayError
from settlement.enums import ShiftStatus
from settlement.models import Shift
from settlement.services.shifts import shift_close, shift_open


def _by_nozzle_number(shift: Shift, pairs: list[str]) -> dict[int, int]:
    """["1=1035100", …] (nozzle number = millilitres) → {nozzle id: ml}."""
    ids = {row.nozzle.number: row.nozzle_id for row in shift.nozzles.select_related("nozzle")}
    readings = {}
    for pair in pairs:
        number, _, value = pair.partition("=")
        if not number.isdigit() or int(number) not in ids or not value.isdigit():
            raise CommandError(f"not a reading for a nozzle of the station: {pair!r} (use NOZZLE=MILLILITRES)")
        readings[ids[int(number)]] = int(value)
    return readings


class Command(BaseCommand):
    help = (
        "Close the station's open shift (班结) against fresh totalizers read from the pumps (a pump that does "
        "not answer needs --manual readings for its nozzles), and open the next one."
    )

    def add_arguments(self, parser):
        parser.add_argument("--station", required=True, help="station code")
        parser.add_argument("--user", required=True, help="the closing cashier's username")
        parser.add_argument("--manual", nargs="*", default=[], help="manual totalizer readings NOZZLE=ML")
        parser.add_argument(
            "--tender",
            nargs="*",
            default=[],
            help="further tenders not recorded on the console (fuel cards, …) NOZZLE=ML",
        )
        parser.add_argument("--no-reopen", action="store_true", help="do not open the next shift")

    def handle(self, *args, **options):
        user = get_user_model().objects.filter(username=options["user"]).first()
        shift = Shift.objects.filter(station__code=options["station"], status=ShiftStatus.OPEN).first()
        if user is None or shift is None:
            raise CommandError("no such user, or the station has no open shift")
        try:
            shift_close(
                shift_id=shift.pk,
                actor=user,
                manual_readings=_by_nozzle_number(shift, options["manual"]),
                other_tenders=_by_nozzle_number(shift, options["tender"]),
            )
            if not options["no_reopen"]:
                shift_open(station=shift.station, actor=user)
        except FuelpayError as error:
            raise CommandError(error.message) from error
        for row in shift.nozzles.select_related("nozzle"):
            self.stdout.write(
                f"nozzle {row.nozzle.number}: totalizer {row.totalizer_ml / 1000:.2f} L, "
                f"fills {row.fills_ml / 1000:.2f} L, "
                f"platform {row.platform_ml / 1000:.2f} L, counter {row.counter_ml / 1000:.2f} L, "
                f"drive-offs {row.drive_off_ml / 1000:.2f} L, other {row.other_tenders_ml / 1000:.2f} L, "
                f"unpaid {row.unpaid_ml / 1000:.2f} L {' '.join(row.flags) or 'ok'}"
            )
        self.stdout.write(self.style.SUCCESS(f"shift {shift.pk} closed"))
