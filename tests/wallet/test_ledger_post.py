import pytest
from django.db import IntegrityError, connection, transaction

from tests.factories.wallet import counters_snapshot
from wallet.enums import AccountKind, Operation, Phase, Side
from wallet.exceptions import IdempotencyConflict, InsufficientFunds, UnbalancedPosting
from wallet.models import Account, JournalEntry
from wallet.selectors import wallet_balance_get
from wallet.services.ledger import Leg, driver_account_id, ledger_post, system_account_id

pytestmark = pytest.mark.django_db


def _credit_legs(driver, amount, key="k1"):
    return [
        Leg(system_account_id(kind=AccountKind.PLATFORM_ESCROW, spread_key=key), Side.DEBIT, amount),
        Leg(driver_account_id(driver_id=driver.pk, kind=AccountKind.DRIVER_PRINCIPAL), Side.CREDIT, amount),
    ]


def test_posting_moves_counters_and_records_balance_after(driver):
    with transaction.atomic():
        posting = ledger_post(operation=Operation.TOP_UP, idempotency_key="k1", legs=_credit_legs(driver, 1234))
    assert posting.created
    assert wallet_balance_get(driver_id=driver.pk).principal_fen == 1234
    line = JournalEntry.objects.get(pk=posting.entry_id).lines.get(side="C")
    assert line.balance_after_fen == 1234


def test_replay_with_same_key_and_payload_moves_no_money(driver):
    with transaction.atomic():
        first = ledger_post(operation=Operation.TOP_UP, idempotency_key="k1", legs=_credit_legs(driver, 500))
        second = ledger_post(operation=Operation.TOP_UP, idempotency_key="k1", legs=_credit_legs(driver, 500))
    assert (second.entry_id, second.created) == (first.entry_id, False)
    assert wallet_balance_get(driver_id=driver.pk).principal_fen == 500


def test_same_key_with_different_amount_is_a_conflict(driver):
    with transaction.atomic():
        ledger_post(operation=Operation.TOP_UP, idempotency_key="k1", legs=_credit_legs(driver, 500))
    before = counters_snapshot()
    with pytest.raises(IdempotencyConflict), transaction.atomic():
        ledger_post(operation=Operation.TOP_UP, idempotency_key="k1", legs=_credit_legs(driver, 501))
    assert counters_snapshot() == before


@pytest.mark.parametrize(
    ("_case", "legs"),
    [
        ("debits differ from credits", [Leg(1, Side.DEBIT, 100), Leg(2, Side.CREDIT, 99)]),
        ("single line", [Leg(1, Side.DEBIT, 100)]),
        ("zero amount", [Leg(1, Side.DEBIT, 0), Leg(2, Side.CREDIT, 0)]),
        ("float amount", [Leg(1, Side.DEBIT, 1.5), Leg(2, Side.CREDIT, 1.5)]),
        ("pending unbalanced", [Leg(1, Side.DEBIT, 5, Phase.PENDING), Leg(2, Side.CREDIT, 5)]),
    ],
)
def test_unbalanced_posting_is_never_written(_case, legs):
    with pytest.raises(UnbalancedPosting), transaction.atomic():
        ledger_post(operation=Operation.TOP_UP, idempotency_key="bad", legs=legs)
    assert JournalEntry.objects.count() == 0


def test_overdraft_is_refused_and_nothing_changes(driver):
    with transaction.atomic():
        ledger_post(operation=Operation.TOP_UP, idempotency_key="k1", legs=_credit_legs(driver, 100))
    principal = driver_account_id(driver_id=driver.pk, kind=AccountKind.DRIVER_PRINCIPAL)
    receivable = system_account_id(kind=AccountKind.PLATFORM_FEE_INCOME, spread_key="spend")
    before = counters_snapshot()
    with pytest.raises(InsufficientFunds), transaction.atomic():
        ledger_post(
            operation=Operation.CAPTURE,
            idempotency_key="spend",
            legs=[Leg(principal, Side.DEBIT, 101), Leg(receivable, Side.CREDIT, 101)],
        )
    assert counters_snapshot() == before
    assert JournalEntry.objects.count() == 1


def test_database_check_constraint_refuses_a_negative_wallet_even_bypassing_python(driver):
    principal = Account.objects.get(driver=driver, kind=AccountKind.DRIVER_PRINCIPAL)
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE wallet_account SET debits_posted = debits_posted + 1 WHERE id = %s", [principal.pk])


def test_journal_rows_cannot_be_updated(driver):
    with transaction.atomic():
        posting = ledger_post(operation=Operation.TOP_UP, idempotency_key="k1", legs=_credit_legs(driver, 100))
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE wallet_journalline SET amount_fen = 1 WHERE entry_id = %s", [posting.entry_id])


@pytest.mark.postgres
def test_journal_rows_cannot_be_deleted_on_postgres(driver):
    with transaction.atomic():
        posting = ledger_post(operation=Operation.TOP_UP, idempotency_key="k1", legs=_credit_legs(driver, 100))
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM wallet_journalline WHERE entry_id = %s", [posting.entry_id])


def test_hot_accounts_are_spread_over_bucket_rows(driver, settings):
    settings.LEDGER_HOT_ACCOUNT_BUCKETS = 4
    with transaction.atomic():
        for n in range(40):
            ledger_post(operation=Operation.TOP_UP, idempotency_key=f"k{n}", legs=_credit_legs(driver, 1, f"k{n}"))
    spread = Account.objects.filter(kind=AccountKind.PLATFORM_ESCROW, debits_posted__gt=0).order_by("bucket")
    # The bucket is crc32(key) % 4: keys k0..k39 land 9, 11, 9, 11 times on buckets 0..3.
    assert [(a.bucket, a.debits_posted) for a in spread] == [(0, 9), (1, 11), (2, 9), (3, 11)]
