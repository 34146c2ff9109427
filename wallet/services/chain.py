"""Tamper evidence: a hash chain over journal entries, appended in commit order by one background
step, so postings never serialise on it; and the full ledger verification behind verify_ledger."""

import hashlib
import hmac
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Case, Exists, F, IntegerField, OuterRef, Q, Sum, When
from django.utils import timezone

from wallet.enums import AccountKind, AccountType, Operation, Phase, Side, TopUpStatus
from wallet.models import Account, ChainHead, ChainLink, JournalEntry, JournalLine, TopUpOrder

GENESIS_HASH = "0" * 64
logger = logging.getLogger(__name__)


def entry_content_hash(entry: JournalEntry, lines: list[JournalLine]) -> str:
    canonical = json.dumps(
        {
            "id": entry.pk,
            "operation": entry.operation,
            "key": entry.idempotency_key,
            "request_hash": entry.request_hash,
            "driver": entry.driver_id,
            "station": entry.station_id,
            "reference": entry.reference,
            "resolves": entry.resolves_entry_id,
            "created_at": entry.created_at.isoformat(),
            "lines": sorted(
                (line.account_id, line.side, line.phase, line.amount_fen, line.balance_after_fen) for line in lines
            ),
        },
        separators=(",", ":"),
        sort_keys=True,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def link_hash(previous_link_hash: str, content_hash: str) -> str:
    message = f"{previous_link_hash}:{content_hash}".encode()
    if settings.LEDGER_CHAIN_KEY:
        return hmac.new(settings.LEDGER_CHAIN_KEY.encode(), message, hashlib.sha256).hexdigest()
    return hashlib.sha256(message).hexdigest()


def _checkpoint_signature(sequence: int, head_hash: str) -> str:
    message = f"checkpoint:{sequence}:{head_hash}".encode()
    return hmac.new(settings.LEDGER_CHAIN_KEY.encode(), message, hashlib.sha256).hexdigest()


def ledger_chain_checkpoint() -> dict | None:
    """Anchor the chain head outside the database: a signed line appended to LEDGER_CHECKPOINT_FILE and logged
    (ship both off the host). A later rewrite of the chain no longer matches an earlier checkpoint."""
    head = ChainHead.objects.filter(pk=1).first()
    if head is None or head.sequence == 0:
        return None
    record = {
        "at": timezone.now().isoformat(),
        "sequence": head.sequence,
        "link_hash": head.link_hash,
        "signature": _checkpoint_signature(head.sequence, head.link_hash),
    }
    line = json.dumps(record, separators=(",", ":"))
    with open(settings.LEDGER_CHECKPOINT_FILE, "a", encoding="utf-8") as checkpoints:
        checkpoints.write(line + "\n")
    logger.warning("ledger chain checkpoint %s", line)
    return record


def _verify_checkpoints(report: "LedgerReport") -> None:
    path = Path(settings.LEDGER_CHECKPOINT_FILE)
    if not path.exists():
        return
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        try:
            record = json.loads(line)
            sequence, head_hash = int(record["sequence"]), str(record["link_hash"])
            signed = hmac.compare_digest(str(record["signature"]), _checkpoint_signature(sequence, head_hash))
        except (ValueError, KeyError, TypeError):
            report.problems.append(f"checkpoint line {number} is unreadable")
            continue
        if not signed:
            report.problems.append(f"checkpoint line {number} has a bad signature")
        elif not ChainLink.objects.filter(sequence=sequence, link_hash=head_hash).exists():
            report.problems.append(f"hash chain differs from checkpoint at sequence {sequence}")


def _lines_by_entry(entry_ids: list[int]) -> dict[int, list[JournalLine]]:
    grouped: dict[int, list[JournalLine]] = {entry_id: [] for entry_id in entry_ids}
    for line in JournalLine.objects.filter(entry_id__in=entry_ids):
        grouped[line.entry_id].append(line)
    return grouped


@transaction.atomic
def ledger_chain_extend(*, batch_size: int = 1000) -> int:
    """Link committed, not yet chained entries. Only visible (= committed) rows are seen, so the
    chain order is commit order as observed by the one chainer holding the head lock."""
    head, _ = ChainHead.objects.get_or_create(pk=1)
    head = ChainHead.objects.select_for_update().get(pk=1)
    entries = list(
        JournalEntry.objects.filter(~Q(pk__in=ChainLink.objects.values("entry_id"))).order_by("pk")[:batch_size]
    )
    if not entries:
        return 0
    lines = _lines_by_entry([e.pk for e in entries])
    links, sequence, previous = [], head.sequence, head.link_hash
    for entry in entries:
        sequence += 1
        previous = link_hash(previous, entry_content_hash(entry, lines[entry.pk]))
        links.append(ChainLink(entry=entry, sequence=sequence, link_hash=previous))
    ChainLink.objects.bulk_create(links)
    ChainHead.objects.filter(pk=1).update(sequence=sequence, link_hash=previous)
    return len(links)


@dataclass
class LedgerReport:
    problems: list[str] = field(default_factory=list)
    entries_checked: int = 0
    accounts_checked: int = 0
    chained: int = 0
    unchained: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def _signed(side_value: str):
    return Case(When(side=side_value, then=F("amount_fen")), default=0, output_field=IntegerField())


def ledger_verify(*, progress=None) -> LedgerReport:
    """Every invariant the ledger promises, checked against the journal itself: balanced entries, accounts
    summing to zero, counters equal to the journal, no overdrawn wallet, driver receivables that are
    debit-normal, never reserved and never overpaid, and the hash chain. Read-only."""
    report = LedgerReport()
    report.entries_checked = JournalEntry.objects.count()
    for phase in Phase.values:
        unbalanced = (
            JournalLine.objects.filter(phase=phase)
            .values("entry_id")
            .annotate(debits=Sum(_signed(Side.DEBIT)), credits=Sum(_signed(Side.CREDIT)))
            .exclude(debits=F("credits"))
            .order_by("entry_id")
            .first()
        )
        if unbalanced:
            report.problems.append(f"entry {unbalanced['entry_id']} does not balance ({phase})")
    totals = Account.objects.aggregate(
        dp=Sum("debits_posted"), cp=Sum("credits_posted"), dpe=Sum("debits_pending"), cpe=Sum("credits_pending")
    )
    if (totals["dp"] or 0) != (totals["cp"] or 0) or (totals["dpe"] or 0) != (totals["cpe"] or 0):
        report.problems.append(f"accounts do not sum to zero: {totals}")
    if progress:
        progress("entries balance, accounts sum to zero")
    journal = {
        row["account_id"]: row
        for row in JournalLine.objects.values("account_id").annotate(
            dp=Sum(Case(When(side=Side.DEBIT, phase=Phase.POSTED, then=F("amount_fen")), default=0)),
            cp=Sum(Case(When(side=Side.CREDIT, phase=Phase.POSTED, then=F("amount_fen")), default=0)),
            dpe=Sum(
                Case(
                    When(side=Side.DEBIT, phase=Phase.PENDING, then=F("amount_fen")),
                    When(side=Side.DEBIT, phase=Phase.VOID, then=-F("amount_fen")),
                    default=0,
                )
            ),
            cpe=Sum(
                Case(
                    When(side=Side.CREDIT, phase=Phase.PENDING, then=F("amount_fen")),
                    When(side=Side.CREDIT, phase=Phase.VOID, then=-F("amount_fen")),
                    default=0,
                )
            ),
        )
    }
    for account in Account.objects.order_by("pk").iterator():
        report.accounts_checked += 1
        row = journal.get(account.pk, {"dp": 0, "cp": 0, "dpe": 0, "cpe": 0})
        cached = (account.debits_posted, account.credits_posted, account.debits_pending, account.credits_pending)
        if cached != (row["dp"], row["cp"], row["dpe"], row["cpe"]):
            report.problems.append(
                f"account {account.code}: cached counters {cached} != journal "
                f"{(row['dp'], row['cp'], row['dpe'], row['cpe'])}"
            )
        if not account.may_go_negative and account.available_fen < 0:
            report.problems.append(f"account {account.code} is negative: {account.available_fen}")
        if account.kind == AccountKind.DRIVER_RECEIVABLE:
            _verify_receivable(report, account)
    if progress:
        progress(f"{report.accounts_checked} accounts match the journal")
    _verify_top_ups(report)
    _verify_chain(report)
    _verify_checkpoints(report)
    return report


def _verify_top_ups(report: LedgerReport) -> None:
    """Money enters only through a payment the provider confirmed: a balanced TOP_UP entry without its credited
    top-up order (a forged one) is reported."""
    confirmed = TopUpOrder.objects.filter(status=TopUpStatus.CREDITED, credit_entry_id=OuterRef("pk")).exclude(
        provider_transaction_id=""
    )
    forged = (
        JournalEntry.objects.filter(operation=Operation.TOP_UP)
        .exclude(Exists(confirmed.filter(out_trade_no=OuterRef("reference"))))
        .values_list("pk", flat=True)
        .order_by("pk")
    )
    for entry_id in forged[:20]:
        report.problems.append(f"TOP_UP entry {entry_id} has no provider-confirmed top-up order")


def _verify_receivable(report: LedgerReport, account: Account) -> None:
    """What a driver owes: an asset, never reserved (pending), never repaid beyond the debt."""
    if account.type != AccountType.ASSET or account.driver_id is None:
        report.problems.append(f"account {account.code}: a driver receivable must be a driver's asset account")
    if account.debits_pending or account.credits_pending:
        report.problems.append(f"account {account.code}: a driver receivable has pending amounts")
    if account.debits_posted < account.credits_posted:
        report.problems.append(f"account {account.code}: repaid more than owed ({account.posted_balance_fen})")


def _verify_chain(report: LedgerReport) -> None:
    previous = GENESIS_HASH
    links = ChainLink.objects.order_by("sequence")
    expected_sequence = 0
    batch: list[ChainLink] = []

    def flush(batch_links: list[ChainLink], previous_hash: str) -> str | None:
        entries = JournalEntry.objects.in_bulk([link.entry_id for link in batch_links])
        lines = _lines_by_entry(list(entries))
        for link in batch_links:
            if link.entry_id not in entries:
                report.problems.append(f"chained entry {link.entry_id} is missing")
                return None
            previous_hash = link_hash(previous_hash, entry_content_hash(entries[link.entry_id], lines[link.entry_id]))
            if previous_hash != link.link_hash:
                report.problems.append(f"hash chain broken at entry {link.entry_id} (sequence {link.sequence})")
                return None
        return previous_hash

    for link in links.iterator(chunk_size=2000):
        expected_sequence += 1
        if link.sequence != expected_sequence:
            report.problems.append(f"hash chain has a gap before sequence {link.sequence}")
            return
        batch.append(link)
        if len(batch) == 2000:
            previous = flush(batch, previous)
            if previous is None:
                return
            batch = []
    if batch and flush(batch, previous) is None:
        return
    report.chained = expected_sequence
    report.unchained = report.entries_checked - expected_sequence
