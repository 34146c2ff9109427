from django.core.management.base import BaseCommand

from pumpgateway import simulator


class Command(BaseCommand):
    help = "Run the DART forecourt simulator. Its first line names the serial device to point a bridge at."

    def add_arguments(self, parser):
        parser.add_argument(
            "simulator_args", nargs="*", help="passed on; see --help of python -m pumpgateway.simulator"
        )

    def run_from_argv(self, argv):
        # Every option belongs to the simulator (it is also runnable without Django).
        simulator.main(argv[2:])
