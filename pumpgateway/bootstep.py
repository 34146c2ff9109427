"""The pump bridge as a Celery worker: `celery worker -P solo -Q <line queue> --pump-line CODE`.

The worker consumes the line's queue (commands arrive as tasks) and this bootstep runs the DART
master loop for that line in a thread of the same process, so the task and the port owner meet
in memory and exactly one process touches the port.
"""

from celery import bootsteps
from click import Option

PUMP_LINE_OPTION = Option(("--pump-line",), default=None, help="Own this serial line and run its DART master.")


class PumpBridgeStep(bootsteps.StartStopStep):
    requires = {"celery.worker.components:Pool"}

    def __init__(self, worker, pump_line=None, **options):
        super().__init__(worker, **options)
        self.line_code = pump_line
        self.runner = None

    def start(self, worker):
        if not self.line_code:
            return
        # Imported here: Django apps are only ready once the worker has booted.
        from pumpgateway.runner import line_runner_start_thread

        self.runner = line_runner_start_thread(self.line_code)

    def stop(self, worker):
        if self.runner is not None:
            self.runner.stop()
            self.runner.thread.join(timeout=5)
