from django.core.management.base import BaseCommand, CommandError

from core.exceptions import FuelpayError
from pumpgateway.models import PumpBinding, SerialLine
from pumpgateway.services import pump_binding_set, serial_line_configure
from stations.models import Station


class Command(BaseCommand):
    help = "Configure serial lines and the pumps on them (ops)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("list", help="lines, their pumps and last heartbeat")
        configure = sub.add_parser("set", help="create or update a line")
        configure.add_argument("code")
        configure.add_argument("--station", help="station code (when creating)")
        configure.add_argument("--url", help="/dev/ttyUSB0, a pty path or socket://host:port")
        configure.add_argument("--baudrate", type=int, choices=[9600, 19200])
        configure.add_argument("--queue")
        configure.add_argument("--disable", action="store_true")
        bind = sub.add_parser("bind", help="put a dispenser on a line at a DART address")
        bind.add_argument("code")
        bind.add_argument("--pump", type=int, required=True, help="dispenser number at the station")
        bind.add_argument("--address", required=True, help="0x50-0x6F")
        bind.add_argument("--decimals", default="2,2,2", help="volume,amount,price decimals")

    def handle(self, *args, **options):
        action = options["action"]
        if action == "list":
            for line in SerialLine.objects.order_by("code"):
                self.stdout.write(
                    f"{line.code}\t{line.url}\t{line.queue}\tenabled={line.is_enabled}\t"
                    f"bad_frames={line.bad_frames}\tlast_seen={line.last_seen_at}"
                )
                for pump in PumpBinding.objects.filter(line=line).select_related("dispenser"):
                    self.stdout.write(
                        f"  pump {pump.dispenser.number} @0x{pump.dart_address:02X} "
                        f"online={pump.online} status={pump.status}"
                    )
            return
        try:
            if action == "set":
                station = Station.objects.filter(code=options["station"]).first() if options["station"] else None
                line = serial_line_configure(
                    code=options["code"],
                    station=station,
                    url=options["url"],
                    baudrate=options["baudrate"],
                    queue=options["queue"],
                    is_enabled=False if options["disable"] else None,
                )
                self.stdout.write(f"line {line.code}: {line.url}")
            else:
                volume, amount, price = (int(x) for x in options["decimals"].split(","))
                binding = pump_binding_set(
                    line_code=options["code"],
                    dispenser_number=options["pump"],
                    dart_address=int(options["address"], 0),
                    volume_decimals=volume,
                    amount_decimals=amount,
                    price_decimals=price,
                )
                self.stdout.write(f"bound {binding}")
        except (FuelpayError, ValueError) as error:
            raise CommandError(str(error)) from error
