"""ledger_post_batch writes exactly what ledger_post writes posting the same entries one by one (lines with each
account's running balance, counters), with the same idempotency and guards; system_account_ids resolves (and
creates) the accounts system_account_id would."""

import pytest
from django.db import transaction

from tests.factories.stations import StationFactory
from tests.factories.wallet import counters_snapshot
from wallet.enums import AccountKind, Operation, Side
from wallet.exceptions import IdempotencyConflict, InsufficientFunds
from wallet.models import JournalEntry, JournalLine
from wallet.services.ledger import (
    Leg,
    PostingRequest,
    driver_account_id,
    ledger_post,
    ledger_post_batch,
    system_account_id,
    system_account_ids,
)

pytestmark = pytest.mark.django_db
PROMOTION, PAYABLE = AccountKind.PROMOTION_EXPENSE_PLATFORM, AccountKind.STATION_PAYABLE


def _requests(stations, amounts):
    """Per station: promotion expense (shared by all) → the station's payable."""
    requests = []
    for station, amount in zip(stations, amounts, strict=True):
        key = f"s:{station.pk}"
        promotion = system_account_id(kind=PROMOTION, spread_key=key)
        payable = system_account_id(kind=PAYABLE, station_id=station.pk, spread_key=key)
        legs = (Leg(promotion, Side.DEBIT, amount), Leg(payable, Side.CREDIT, amount))
        requests.append(PostingRequest(operation=Operation.SETTLEMENT, idempotency_key=key, legs=legs, reference="d"))
    return requests


def _written():
    """The journal as written, entry ids replaced by their order: what one-by-one and batch must agree on."""
    order = {pk: index for index, pk in enumerate(JournalEntry.objects.order_by("pk").values_list("pk", flat=True))}
    lines = JournalLine.objects.values_list(
        "entry_id", "account_id", "side", "phase", "amount_fen", "balance_after_fen"
    )
    entries = JournalEntry.objects.order_by("pk").values_list(
        "operation", "idempotency_key", "request_hash", "reference"
    )
    return list(entries), sorted((order[entry], *rest) for entry, *rest in lines), counters_snapshot()


def test_a_batch_writes_what_posting_one_by_one_writes(db):
    stations = [StationFactory() for _ in range(3)]
    requests = _requests(stations, [1_000, 250, 4_000])
    with transaction.atomic():
        postings = ledger_post_batch(requests=requests)
        batch = _written()
        transaction.set_rollback(True)
    with transaction.atomic():
        for request in requests:
            ledger_post(
                operation=request.operation,
                idempotency_key=request.idempotency_key,
                legs=list(request.legs),
                reference=request.reference,
            )
        one_by_one = _written()

    assert batch == one_by_one
    promotion = requests[0].legs[0].account_id
    assert [posting.balances_after[promotion] for posting in postings] == [1_000, 1_250, 5_250]  # debit-normal


def test_a_batch_posted_again_is_answered_with_the_same_entries_and_moves_nothing(db):
    requests = _requests([StationFactory(), StationFactory()], [700, 300])
    with transaction.atomic():
        first = ledger_post_batch(requests=requests)
    before = counters_snapshot()
    with transaction.atomic():
        again = ledger_post_batch(requests=requests)
    assert [(p.entry_id, p.created) for p in again] == [(p.entry_id, False) for p in first]
    assert counters_snapshot() == before and JournalEntry.objects.count() == 2


def test_a_key_reused_with_another_amount_rolls_the_whole_batch_back(db):
    stations = [StationFactory(), StationFactory()]
    with transaction.atomic():
        ledger_post_batch(requests=_requests(stations[:1], [700]))
    before, entries = counters_snapshot(), JournalEntry.objects.count()
    with pytest.raises(IdempotencyConflict), transaction.atomic():
        ledger_post_batch(requests=_requests(stations, [701, 300]))
    assert (counters_snapshot(), JournalEntry.objects.count()) == (before, entries)


def test_a_batch_that_would_overdraw_a_wallet_writes_nothing(driver):
    wallet = driver_account_id(driver_id=driver.pk, kind=AccountKind.DRIVER_PRINCIPAL)
    escrow = system_account_id(kind=AccountKind.PLATFORM_ESCROW, spread_key="x")
    overdraw = PostingRequest(
        operation=Operation.SETTLEMENT,
        idempotency_key="x",
        legs=(Leg(wallet, Side.DEBIT, 1), Leg(escrow, Side.CREDIT, 1)),
    )
    before = counters_snapshot()
    with pytest.raises(InsufficientFunds), transaction.atomic():
        ledger_post_batch(requests=[*_requests([StationFactory()], [500]), overdraw])
    assert counters_snapshot() == before and not JournalEntry.objects.exists()


def test_system_account_ids_resolves_and_creates_the_accounts_system_account_id_would(db):
    station = StationFactory()
    wanted = [(AccountKind.PLATFORM_FEE_INCOME, None, f"k{n}") for n in range(5)] + [(PAYABLE, station.pk, "k")]
    with transaction.atomic():
        batch = system_account_ids(wanted=wanted)
        transaction.set_rollback(True)
    with transaction.atomic():
        single = [
            system_account_id(kind=kind, station_id=station_id, spread_key=key) for kind, station_id, key in wanted
        ]
    assert len(batch) == len(single) == 6
    with transaction.atomic():
        assert system_account_ids(wanted=wanted) == single
