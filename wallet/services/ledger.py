"""The posting engine: one balanced, idempotent journal entry per money movement, in one transaction.

Counters are updated by single guarded UPDATE statements (no read-modify-write), in account pk order,
so a driver's wallet can never be overdrawn even under READ COMMITTED with many writers; the
account table's CHECK constraint is the last line of defence.
"""

import functools
import hashlib
import json
import zlib
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.utils import timezone

from wallet.enums import ACCOUNT_TYPE_OF_KIND, AccountKind, AccountType, Phase, Side
from wallet.exceptions import IdempotencyConflict, InsufficientFunds, UnbalancedPosting, WalletBusy
from wallet.locks import accounts_select_for_update
from wallet.models import Account, JournalEntry, JournalLine

MAX_TRANSACTION_ATTEMPTS = 5
# Rows per multi-row statement in batch postings: far below PostgreSQL's and SQLite's bound-parameter limits.
BATCH_ROWS = 500
# PostgreSQL: serialization failure and deadlock are retried; lock_timeout means "busy".
RETRYABLE_PGCODES = {"40001", "40P01"}
BUSY_PGCODES = {"55P03"}

HOT_ACCOUNT_KINDS = (AccountKind.PLATFORM_ESCROW, AccountKind.PLATFORM_FEE_INCOME, AccountKind.STATION_RECEIVABLE)

_account_id_cache: dict[str, int] = {}
# Lock order for every posting: driver wallet rows first, then system rows, each in pk order. Services
# lock a driver's rows (SELECT FOR UPDATE) before posting, so a posting that took a system bucket row
# first and then waited for a wallet row would deadlock with them.
_system_account_ids: set[int] = set()


@dataclass(frozen=True)
class Leg:
    account_id: int
    side: str
    amount_fen: int
    phase: str = Phase.POSTED


@dataclass(frozen=True)
class PostingRequest:
    """One entry of ledger_post_batch: what ledger_post takes as arguments."""

    operation: str
    idempotency_key: str
    legs: tuple[Leg, ...]
    driver_id: int | None = None
    station_id: int | None = None
    reference: str = ""


@dataclass(frozen=True)
class Posting:
    entry_id: int
    created: bool  # False: a replay of an earlier identical request; nothing moved this time
    balances_after: dict[int, int]


def ledger_transaction(func):
    """Outermost-service decorator: a durable transaction, retried on deadlock/serialization failure.

    Retrying is safe because every posting inside carries its idempotency key.
    """

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        for attempt in range(1, MAX_TRANSACTION_ATTEMPTS + 1):
            try:
                with transaction.atomic(durable=True):
                    return func(*args, **kwargs)
            except OperationalError as error:
                pgcode = getattr(error.__cause__, "pgcode", None)
                if pgcode in RETRYABLE_PGCODES and attempt < MAX_TRANSACTION_ATTEMPTS:
                    continue
                if pgcode in BUSY_PGCODES | RETRYABLE_PGCODES or "database is locked" in str(error):
                    raise WalletBusy() from error
                raise
        raise AssertionError("unreachable")

    return wrapper


def _remember_account_id(code: str, account_id: int) -> None:
    # Cached only once the row is committed, so a rolled-back creation is never remembered.
    transaction.on_commit(lambda: _account_id_cache.__setitem__(code, account_id))


def account_id_cache_clear() -> None:
    _account_id_cache.clear()
    _system_account_ids.clear()


def _account_id_get_or_create(
    *, code: str, kind: str, station_id: int | None = None, bucket: int = 0, driver_id: int | None = None
) -> int:
    cached = _account_id_cache.get(code)
    if cached is not None:
        return cached
    # Accounts almost always exist already (created at registration or activation): one plain SELECT.
    with connection.cursor() as cursor:
        cursor.execute(_ACCOUNT_ID_BY_CODE, [code])
        row = cursor.fetchone()
    if row is not None:
        _remember_account_id(code, row[0])
        return row[0]
    account, _ = Account.objects.get_or_create(
        code=code,
        defaults={
            "kind": kind,
            "type": ACCOUNT_TYPE_OF_KIND[kind],
            "station_id": station_id,
            "bucket": bucket,
            "driver_id": driver_id,
            # A driver's own money never goes below zero; system accounts may, and so may the driver's
            # receivable, which is debit-normal and guarded by its own CHECK constraint.
            "may_go_negative": driver_id is None or ACCOUNT_TYPE_OF_KIND[kind] == AccountType.ASSET,
        },
    )
    _remember_account_id(code, account.pk)
    return account.pk


def _system_account_code(kind: str, station_id: int | None, bucket: int) -> str:
    owner = f":station:{station_id}" if station_id is not None else ""
    return f"{kind}{owner}#{bucket:02d}"


def system_account_id(*, kind: str, spread_key: str, station_id: int | None = None) -> int:
    """A system account. Hot kinds resolve to one of several bucket rows, chosen by the posting's own
    key: concurrent postings spread over the rows, and a replay lands on the same row (same payload)."""
    buckets = settings.LEDGER_HOT_ACCOUNT_BUCKETS if kind in HOT_ACCOUNT_KINDS else 1
    bucket = zlib.crc32(spread_key.encode()) % buckets
    account_id = _account_id_get_or_create(
        code=_system_account_code(kind, station_id, bucket), kind=kind, station_id=station_id, bucket=bucket
    )
    _system_account_ids.add(account_id)
    return account_id


def system_account_ids(*, wanted: list[tuple[str, int | None, str]]) -> list[int]:
    """system_account_id for many (kind, station_id, spread_key) at once: one SELECT per BATCH_ROWS codes and
    one INSERT for the accounts that do not exist yet, instead of a round trip or three per account."""
    codes = []
    for kind, station_id, spread_key in wanted:
        buckets = settings.LEDGER_HOT_ACCOUNT_BUCKETS if kind in HOT_ACCOUNT_KINDS else 1
        bucket = zlib.crc32(spread_key.encode()) % buckets
        codes.append((_system_account_code(kind, station_id, bucket), kind, station_id, bucket))
    found = {code: _account_id_cache[code] for code, *_ in codes if code in _account_id_cache}

    def look_up(missing: list[str]) -> None:
        for chunk in _chunks(missing):
            found.update(Account.objects.filter(code__in=chunk).values_list("code", "pk"))

    look_up(sorted({code for code, *_ in codes} - set(found)))
    new = {code: (kind, station_id, bucket) for code, kind, station_id, bucket in codes if code not in found}
    if new:
        Account.objects.bulk_create(
            [
                Account(
                    code=code,
                    kind=kind,
                    type=ACCOUNT_TYPE_OF_KIND[kind],
                    station_id=station_id,
                    bucket=bucket,
                    may_go_negative=True,  # a system account, as _account_id_get_or_create makes it
                )
                for code, (kind, station_id, bucket) in sorted(new.items())
            ],
            ignore_conflicts=True,  # created meanwhile by a concurrent posting: looked up below
            batch_size=BATCH_ROWS,
        )
        look_up(sorted(new))
    for code, account_id in found.items():
        _remember_account_id(code, account_id)
        _system_account_ids.add(account_id)
    return [found[code] for code, *_ in codes]


def ledger_hot_accounts_provision(*, station_id: int | None = None) -> None:
    """Create every bucket row of the hot accounts (the platform's, or one station's) ahead of use.

    Created lazily inside postings instead, two payments that each hold a wallet lock can each insert a
    bucket row the other needs next and deadlock (PostgreSQL breaks it after a second)."""
    kinds = (
        (AccountKind.STATION_RECEIVABLE,)
        if station_id
        else (AccountKind.PLATFORM_ESCROW, AccountKind.PLATFORM_FEE_INCOME)
    )
    for kind in kinds:
        for bucket in range(settings.LEDGER_HOT_ACCOUNT_BUCKETS):
            _account_id_get_or_create(
                code=_system_account_code(kind, station_id, bucket), kind=kind, station_id=station_id, bucket=bucket
            )


def driver_account_id(*, driver_id: int, kind: str) -> int:
    return _account_id_get_or_create(code=f"driver:{driver_id}:{kind}", kind=kind, driver_id=driver_id)


def driver_accounts_create(*, driver_id: int) -> None:
    for kind in (AccountKind.DRIVER_PRINCIPAL, AccountKind.DRIVER_BONUS):
        driver_account_id(driver_id=driver_id, kind=kind)


def _check_balanced(legs: list[Leg]) -> None:
    if len(legs) < 2:
        raise UnbalancedPosting(extra={"reason": "a posting needs at least two lines"})
    totals: dict[tuple[str, str], int] = defaultdict(int)
    for leg in legs:
        if type(leg.amount_fen) is not int or leg.amount_fen <= 0:
            raise UnbalancedPosting(extra={"reason": "amounts are positive integer fen"})
        totals[(leg.phase, leg.side)] += leg.amount_fen
    for phase in Phase.values:
        if totals[(phase, Side.DEBIT)] != totals[(phase, Side.CREDIT)]:
            raise UnbalancedPosting(extra={"reason": f"{phase} debits != credits"})


def _request_hash(
    operation, idempotency_key, legs, driver_id, station_id, reference, resolves_entry_id, non_fuel_fen
) -> str:
    payload = [
        operation,
        idempotency_key,
        sorted((leg.account_id, leg.side, leg.phase, leg.amount_fen) for leg in legs),
        driver_id,
        station_id,
        reference,
        resolves_entry_id,
    ]
    if non_fuel_fen is not None:  # only a sale's capture has it; every other entry keeps its hash
        payload.append(non_fuel_fen)
    canonical = json.dumps(payload, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _counter_deltas(legs: list[Leg]) -> dict[int, list[int]]:
    """Per account: [debits_posted, credits_posted, debits_pending, credits_pending] deltas."""
    deltas: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for leg in legs:
        column = 0 if leg.side == Side.DEBIT else 1
        if leg.phase == Phase.POSTED:
            deltas[leg.account_id][column] += leg.amount_fen
        elif leg.phase == Phase.PENDING:
            deltas[leg.account_id][column + 2] += leg.amount_fen
        else:
            deltas[leg.account_id][column + 2] -= leg.amount_fen
    return deltas


# Table names come from model meta; every value is a bound parameter.
_ENTRY_INSERT = f"""
    INSERT INTO {JournalEntry._meta.db_table}
        (operation, idempotency_key, request_hash, driver_id, station_id, reference, resolves_entry_id, created_at,
         non_fuel_fen)
    VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)
    ON CONFLICT (operation, idempotency_key) DO NOTHING
    RETURNING id
"""  # noqa: S608
_ACCOUNT_ID_BY_CODE = f"SELECT id FROM {Account._meta.db_table} WHERE code = %s"  # noqa: S608
_LINES_INSERT = f"""
    INSERT INTO {JournalLine._meta.db_table} (entry_id, account_id, side, phase, amount_fen, balance_after_fen)
    VALUES """  # noqa: S608
# One statement per account: add the deltas only if the account may go negative or stays covered.
_ACCOUNT_UPDATE = f"""
    UPDATE {Account._meta.db_table}
    SET debits_posted = debits_posted + %s, credits_posted = credits_posted + %s,
        debits_pending = debits_pending + %s, credits_pending = credits_pending + %s
    WHERE id = %s
      AND (may_go_negative OR credits_posted + %s - debits_posted - %s - debits_pending - %s >= 0)
    RETURNING type, debits_posted, credits_posted
"""  # noqa: S608


def ledger_post(
    *,
    operation: str,
    idempotency_key: str,
    legs: list[Leg],
    driver_id: int | None = None,
    station_id: int | None = None,
    reference: str = "",
    resolves_entry_id: int | None = None,
    non_fuel_fen: int | None = None,
) -> Posting:
    """Write one balanced entry and move the counters. Composable: must run inside a transaction.
    non_fuel_fen: a sale's capture records the part paid for non-fuel items (see JournalEntry)."""
    assert connection.in_atomic_block, "ledger_post must run inside the caller's transaction"
    _check_balanced(legs)
    request_hash = _request_hash(
        operation, idempotency_key, legs, driver_id, station_id, reference, resolves_entry_id, non_fuel_fen
    )
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(
            _ENTRY_INSERT,
            [
                operation,
                idempotency_key,
                request_hash,
                driver_id,
                station_id,
                reference,
                resolves_entry_id,
                now,
                non_fuel_fen,
            ],
        )
        row = cursor.fetchone()
        if row is None:
            existing = JournalEntry.objects.values_list("pk", "request_hash").get(
                operation=operation, idempotency_key=idempotency_key
            )
            if existing[1] != request_hash:
                raise IdempotencyConflict()  # no key or operation in the answer: keys carry internal ids
            return Posting(entry_id=existing[0], created=False, balances_after={})
        entry_id = row[0]
        balances: dict[int, int] = {}
        for account_id, (d_posted, c_posted, d_pending, c_pending) in sorted(
            _counter_deltas(legs).items(), key=lambda item: (item[0] in _system_account_ids, item[0])
        ):
            cursor.execute(
                _ACCOUNT_UPDATE, [d_posted, c_posted, d_pending, c_pending, account_id, c_posted, d_posted, d_pending]
            )
            updated = cursor.fetchone()
            if updated is None:
                raise InsufficientFunds()  # never an internal account id in what a client sees
            account_type, debits_posted, credits_posted = updated
            debit_normal = account_type in (AccountType.ASSET, AccountType.EXPENSE)
            balances[account_id] = debits_posted - credits_posted if debit_normal else credits_posted - debits_posted
        # Raw multi-row INSERT: the ORM's bulk_create was ~40 % of a posting's CPU.
        cursor.execute(
            _LINES_INSERT + ", ".join(["(%s, %s, %s, %s, %s, %s)"] * len(legs)),
            [
                value
                for leg in legs
                for value in (entry_id, leg.account_id, leg.side, leg.phase, leg.amount_fen, balances[leg.account_id])
            ],
        )
    return Posting(entry_id=entry_id, created=True, balances_after=balances)


def _chunks(items: list) -> list[list]:
    return [items[start : start + BATCH_ROWS] for start in range(0, len(items), BATCH_ROWS)]


_ENTRIES_INSERT = f"""
    INSERT INTO {JournalEntry._meta.db_table}
        (operation, idempotency_key, request_hash, driver_id, station_id, reference, resolves_entry_id, created_at)
    VALUES {{rows}}
    ON CONFLICT (operation, idempotency_key) DO NOTHING
    RETURNING id, operation, idempotency_key
"""  # noqa: S608
# The counters of many accounts in one statement; an account that would be overdrawn is not returned.
_ACCOUNTS_UPDATE = f"""
    UPDATE {Account._meta.db_table}
    SET debits_posted = debits_posted + v.column2, credits_posted = credits_posted + v.column3,
        debits_pending = debits_pending + v.column4, credits_pending = credits_pending + v.column5
    FROM (VALUES {{rows}}) AS v
    WHERE {Account._meta.db_table}.id = v.column1
      AND (may_go_negative OR credits_posted + v.column3 - debits_posted - v.column2 - debits_pending - v.column4 >= 0)
    RETURNING {Account._meta.db_table}.id, type, debits_posted, credits_posted
"""  # noqa: S608


def _posted_movement(leg: Leg, account_type: str) -> int:
    """What the leg adds to its account's posted balance (the balance ledger_post reports)."""
    if leg.phase != Phase.POSTED:
        return 0
    debit_normal = account_type in (AccountType.ASSET, AccountType.EXPENSE)
    return leg.amount_fen if (leg.side == Side.DEBIT) == debit_normal else -leg.amount_fen


def ledger_post_batch(*, requests: list[PostingRequest]) -> list[Posting]:
    """ledger_post for many entries in a handful of statements instead of several per entry (settlement
    posts one entry per station day, a thousand of them). It writes the rows ledger_post would write posting
    them one by one in this order: the entries, their lines with each account's balance after the entry,
    the counters (guarded the same way: InsufficientFunds and nothing written). Idempotent the same way: an
    entry already posted with the same payload is answered with its id (created=False); a key reused with
    another payload raises IdempotencyConflict and nothing is written. Composable: inside the caller's
    transaction."""
    assert connection.in_atomic_block, "ledger_post_batch must run inside the caller's transaction"
    keys = [(request.operation, request.idempotency_key) for request in requests]
    if len(set(keys)) != len(keys):
        raise IdempotencyConflict()
    hashes = {}
    for request in requests:
        _check_balanced(list(request.legs))
        hashes[(request.operation, request.idempotency_key)] = _request_hash(
            request.operation,
            request.idempotency_key,
            request.legs,
            request.driver_id,
            request.station_id,
            request.reference,
            None,
            None,  # non_fuel_fen: only a sale's capture has one, and captures are posted one by one
        )
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    created: dict[tuple[str, str], int] = {}
    with connection.cursor() as cursor:
        for chunk in _chunks(requests):
            cursor.execute(
                _ENTRIES_INSERT.replace("{rows}", ", ".join(["(%s, %s, %s, %s, %s, %s, NULL, %s)"] * len(chunk))),
                [
                    value
                    for r in chunk
                    for value in (
                        r.operation,
                        r.idempotency_key,
                        hashes[(r.operation, r.idempotency_key)],
                        r.driver_id,
                        r.station_id,
                        r.reference,
                        now,
                    )
                ],
            )
            created.update({(operation, key): entry_id for entry_id, operation, key in cursor.fetchall()})
        replayed = {}
        for chunk in _chunks([key for key in keys if key not in created]):
            for entry_id, operation, key, request_hash in JournalEntry.objects.filter(
                operation__in={operation for operation, _ in chunk}, idempotency_key__in=[key for _, key in chunk]
            ).values_list("pk", "operation", "idempotency_key", "request_hash"):
                if (operation, key) not in hashes:
                    continue
                if request_hash != hashes[(operation, key)]:
                    raise IdempotencyConflict()  # the whole batch rolls back with the caller's transaction
                replayed[(operation, key)] = entry_id
        new = sorted((created[key], request) for key, request in zip(keys, requests, strict=True) if key in created)
        deltas = _counter_deltas([leg for _, request in new for leg in request.legs])
        accounts_select_for_update(account_ids=set(deltas), system_account_ids=_system_account_ids)
        final: dict[int, tuple[str, int]] = {}
        for chunk in _chunks(sorted(deltas.items())):
            cursor.execute(
                _ACCOUNTS_UPDATE.replace("{rows}", ", ".join(["(%s, %s, %s, %s, %s)"] * len(chunk))),
                [value for account_id, moves in chunk for value in (account_id, *moves)],
            )
            for account_id, account_type, debits_posted, credits_posted in cursor.fetchall():
                debit_normal = account_type in (AccountType.ASSET, AccountType.EXPENSE)
                final[account_id] = (
                    account_type,
                    debits_posted - credits_posted if debit_normal else credits_posted - debits_posted,
                )
        if len(final) != len(deltas):
            raise InsufficientFunds()
        # Each account's balance before the batch, then after each entry in entry order, as one by one.
        running = {account_id: balance for account_id, (_, balance) in final.items()}
        for _, request in new:
            for leg in request.legs:
                running[leg.account_id] -= _posted_movement(leg, final[leg.account_id][0])
        postings: dict[int, Posting] = {}
        lines = []
        for entry_id, request in new:
            balances = {}
            for account_id in dict.fromkeys(leg.account_id for leg in request.legs):
                account_type = final[account_id][0]
                running[account_id] += sum(
                    _posted_movement(leg, account_type) for leg in request.legs if leg.account_id == account_id
                )
                balances[account_id] = running[account_id]
            lines += [
                (entry_id, leg.account_id, leg.side, leg.phase, leg.amount_fen, balances[leg.account_id])
                for leg in request.legs
            ]
            postings[entry_id] = Posting(entry_id=entry_id, created=True, balances_after=balances)
        for chunk in _chunks(lines):
            cursor.execute(
                _LINES_INSERT + ", ".join(["(%s, %s, %s, %s, %s, %s)"] * len(chunk)),
                [value for line in chunk for value in line],
            )
    return [
        postings[created[key]] if key in created else Posting(entry_id=replayed[key], created=False, balances_after={})
        for key in keys
    ]
