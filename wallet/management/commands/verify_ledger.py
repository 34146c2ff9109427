from django.core.management.base import BaseCommand, CommandError

from wallet.services.chain import ledger_chain_extend, ledger_verify


class Command(BaseCommand):
    help = (
        "Check every ledger invariant: balanced entries, zero-sum, counters = journal, no overdraft, "
        "driver receivables never overpaid, hash chain."
    )

    def add_arguments(self, parser):
        parser.add_argument("--chain-first", action="store_true", help="Link unchained entries before checking.")

    def handle(self, *args, **options):
        if options["chain_first"]:
            while linked := ledger_chain_extend():
                self.stdout.write(f"chained {linked} entries")
        report = ledger_verify(progress=lambda message: self.stdout.write(f"… {message}"))
        self.stdout.write(
            f"entries: {report.entries_checked}, accounts: {report.accounts_checked}, "
            f"chained: {report.chained}, awaiting chain: {report.unchained}"
        )
        if not report.ok:
            for problem in report.problems:
                self.stderr.write(f"BROKEN: {problem}")
            raise CommandError(f"ledger verification failed: {report.problems[0]}")
        self.stdout.write(self.style.SUCCESS("ledger OK"))
