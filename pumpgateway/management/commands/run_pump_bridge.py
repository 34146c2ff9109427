import signal

from celery import current_app
from django.core.management.base import BaseCommand, CommandError

from pumpgateway.models import SerialLine
from pumpgateway.runner import LineBusy, LineRunner


class Command(BaseCommand):
    help = (
        "Own one serial line: a Celery worker on the line's queue with the DART master loop inside it. "
        "--standalone runs the loop without Celery (commands are picked up from the database)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--line", required=True, help="serial line code")
        parser.add_argument("--standalone", action="store_true", help="no Celery worker; poll commands from the DB")
        parser.add_argument("--run-once", action="store_true", help="one poll cycle over every pump, then exit")

    def handle(self, *args, **options):
        line = SerialLine.objects.filter(code=options["line"]).first()
        if line is None:
            raise CommandError(f"no serial line {options['line']!r}; see `manage.py pump_line list`")
        if not (options["standalone"] or options["run_once"]):
            # The project's Celery app (fuelpay.celery, loaded with the settings): its pump-line bootstep runs the line.
            current_app.worker_main(
                [
                    "worker",
                    "-P",
                    "solo",
                    "-Q",
                    line.queue,
                    "--pump-line",
                    line.code,
                    "-n",
                    f"pumps-{line.code}@%h",
                    "--without-gossip",
                    "--without-mingle",
                    "--loglevel",
                    "INFO",
                ]
            )
            return
        runner = LineRunner(line.code)
        try:
            runner.acquire()
        except LineBusy as error:
            raise CommandError(str(error)) from error
        signal.signal(signal.SIGTERM, lambda *_: runner.stop())
        self.stdout.write(f"bridge owns {line.code} at {line.url}")
        try:
            runner.run(run_once=options["run_once"])
        except KeyboardInterrupt:
            runner.stop()
        finally:
            runner.release()
        self.stdout.write(f"bridge stopped after {runner.cycles} cycles")
