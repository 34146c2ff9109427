"""Daily settlement (T+1) per station, set-based: a few INSERT … SELECT / UPDATE statements settle every
station's day at once, then one ledger entry per station day, all written by one batch posting, moves the
day's receivable to the station's payable, less the platform fee.

A business day D runs from D 00:00 + SETTLEMENT_DAY_CUTOFF_MINUTES (Asia/Shanghai) to the same time on
D+1. Settling D takes every posting on a station's receivable (captures, late captures, refunds) made
before D's end and not yet settled; one whose fill or posting is older than D's start is a late item of
its own, already closed, day (original_date). A day once written never changes; its items are unique per
ledger entry, so nothing is settled twice.

    (new) ─▶ closed ─▶ in_payout ─▶ paid_out
                            └─▶ closed (the payout failed)
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone

from orders.enums import OrderLineKind
from settlement.enums import ItemKind, SettlementStatus
from settlement.exceptions import DayNotOver, SettlementTransitionNotAllowed
from settlement.models import FeeContract, SettlementDay, SettlementItem
from wallet.enums import AccountKind, HoldStatus, Operation, Phase, Side
from wallet.models import Account, Hold, JournalEntry, JournalLine
from wallet.services.ledger import Leg, PostingRequest, ledger_post_batch, ledger_transaction, system_account_ids

S = SettlementStatus
NEW = ""
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    NEW: frozenset({S.CLOSED}),
    S.CLOSED: frozenset({S.IN_PAYOUT}),
    S.IN_PAYOUT: frozenset({S.PAID_OUT, S.CLOSED}),
    S.PAID_OUT: frozenset(),
}


def settlement_days_transition(*, day_ids: list[int], from_status: str, to_status: str) -> int:
    """Move the given days (all in from_status) to to_status; anything else raises and changes nothing."""
    if to_status not in ALLOWED_TRANSITIONS[from_status]:
        raise SettlementTransitionNotAllowed(extra={"from_status": from_status, "to_status": to_status})
    moved = SettlementDay.objects.filter(pk__in=day_ids, status=from_status).update(status=to_status)
    if moved != len(set(day_ids)):
        raise SettlementTransitionNotAllowed(extra={"from_status": from_status, "to_status": to_status})
    return moved


def business_day_bounds(business_date: date) -> tuple[datetime, datetime]:
    start = timezone.make_aware(datetime.combine(business_date, time()) + timedelta(minutes=_cutoff()))
    return start, start + timedelta(days=1)


def business_date_of(moment: datetime) -> date:
    return (timezone.localtime(moment) - timedelta(minutes=_cutoff())).date()


def _cutoff() -> int:
    return settings.SETTLEMENT_DAY_CUTOFF_MINUTES


def _business_date_sql(column: str, start: datetime) -> tuple[str, list]:
    """SQL for the business date of a timestamp column (the zone has no DST: its offset at start holds)."""
    if connection.vendor == "postgresql":
        return f"(({column} AT TIME ZONE %s) - %s * INTERVAL '1 minute')::date", [settings.TIME_ZONE, _cutoff()]
    offset = int(timezone.localtime(start).utcoffset().total_seconds() // 60)
    return f"date({column}, %s)", [f"{offset - _cutoff():+d} minutes"]


@dataclass(frozen=True)
class SettleResult:
    business_date: date
    days_closed: int
    items: int
    net_fen: int
    already_closed: bool  # the station's day was closed before: nothing changed


T_ENTRY, T_LINE, T_ACCOUNT = JournalEntry._meta.db_table, JournalLine._meta.db_table, Account._meta.db_table
T_DAY, T_ITEM, T_FEE = SettlementDay._meta.db_table, SettlementItem._meta.db_table, FeeContract._meta.db_table
T_HOLD = Hold._meta.db_table

# PostgreSQL sums bigints as numeric; every sum that is divided later is cast back, so division truncates.
# Unsettled postings on a station's receivable made before the day's end: the receivable's signed movement.
_CANDIDATES = f"""
    SELECT e.id AS entry_id, e.station_id, e.reference, e.operation, e.created_at,
           CAST(SUM(CASE WHEN l.side = '{Side.CREDIT}' THEN l.amount_fen ELSE -l.amount_fen END) AS BIGINT)
               AS amount
    FROM {T_ENTRY} e
    JOIN {T_LINE} l ON l.entry_id = e.id AND l.phase = '{Phase.POSTED}'
    JOIN {T_ACCOUNT} a ON a.id = l.account_id AND a.kind = '{AccountKind.STATION_RECEIVABLE}'
    WHERE e.operation IN ('{Operation.CAPTURE}', '{Operation.LATE_CAPTURE}', '{Operation.REFUND}')
      AND e.created_at < %s AND (%s IS NULL OR e.station_id = %s)
      AND NOT EXISTS (SELECT 1 FROM {T_ITEM} i WHERE i.entry_id = e.id)
    GROUP BY e.id, e.station_id, e.reference, e.operation, e.created_at
"""  # noqa: S608

# Materialised once per run (and analysed): both inserts read it, and the planner sees its real size.
_CANDIDATES_TABLE = "settlement_run_candidates"
_CANDIDATES_CREATE = f"CREATE TEMPORARY TABLE {_CANDIDATES_TABLE} AS {_CANDIDATES}"
_CANDIDATES_DROP = f"DROP TABLE IF EXISTS {_CANDIDATES_TABLE}"

_DAYS_INSERT = f"""
    INSERT INTO {T_DAY} (station_id, business_date, status, sales_count, volume_ml, gross_fuel_fen,
        gross_non_fuel_fen, discount_platform_fen, discount_station_fen, collected_fen, refunds_fen,
        adjustments_fen, fee_fen, net_fen, closed_by_id, closed_at)
    SELECT c.station_id, %s, '{S.CLOSED}', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, %s, %s
    FROM (SELECT DISTINCT station_id FROM {_CANDIDATES_TABLE}) c
    WHERE NOT EXISTS (SELECT 1 FROM {T_DAY} d WHERE d.station_id = c.station_id AND d.business_date = %s)
"""  # noqa: S608


# The contracts in effect on the day: per enterprise and grade (grade NULL: the enterprise-wide rate).
_RATES = f"""
    SELECT fc.enterprise_id, fc.grade_id, fc.rate_bps FROM {T_FEE} fc
    WHERE fc.effective_from = (SELECT MAX(newer.effective_from) FROM {T_FEE} newer
                               WHERE newer.enterprise_id = fc.enterprise_id AND newer.effective_from <= %s
                                 AND newer.grade_id IS NOT DISTINCT FROM fc.grade_id)
"""  # noqa: S608


_LINE_TOTALS = """
    SELECT order_id,
           CAST(SUM(CASE WHEN kind = %s THEN amount_fen ELSE 0 END) AS BIGINT) AS fuel,
           CAST(SUM(CASE WHEN kind = %s THEN amount_fen ELSE 0 END) AS BIGINT) AS non_fuel,
           CAST(SUM(CASE WHEN kind = %s AND funder = 'platform' THEN -amount_fen ELSE 0 END) AS BIGINT) AS by_platform,
           CAST(SUM(CASE WHEN kind = %s AND funder <> 'platform' THEN -amount_fen ELSE 0 END) AS BIGINT) AS by_station
    FROM wallet_orderline GROUP BY order_id
"""


def _items_insert_sql(start: datetime) -> tuple[str, list]:
    business_date_sql, date_params = _business_date_sql("x.origin_at", start)
    sql = f"""
    INSERT INTO {T_ITEM} (day_id, entry_id, kind, order_id, fill_id, grade_name, volume_ml, gross_fuel_fen,
        gross_non_fuel_fen, discount_platform_fen, discount_station_fen, amount_fen, fee_bps, fee_fen,
        original_date)
    SELECT x.day_id, x.entry_id, x.kind, x.order_id, x.fill_id, x.grade_name, x.volume_ml, x.fuel, x.non_fuel,
           x.by_platform, x.by_station, x.amount, x.bps,
           CASE WHEN x.kind = '{ItemKind.SALE}' THEN ((x.amount + x.by_platform) * x.bps + 5000) / 10000
                ELSE -(((-x.amount) * x.bps + 5000) / 10000) END,
           CASE WHEN x.origin_at < %s THEN {business_date_sql} END
    FROM (
        SELECT d.id AS day_id, c.entry_id,
               CASE WHEN c.operation = '{Operation.REFUND}' THEN '{ItemKind.REFUND}' ELSE '{ItemKind.SALE}' END
                   AS kind,
               o.id AS order_id, o.fill_id, COALESCE(o.grade_name, '') AS grade_name,
               CASE WHEN lt.order_id IS NULL THEN 0 ELSE o.volume_ml END AS volume_ml,
               COALESCE(lt.fuel, 0) AS fuel, COALESCE(lt.non_fuel, 0) AS non_fuel,
               COALESCE(lt.by_platform, 0) AS by_platform, COALESCE(lt.by_station, 0) AS by_station,
               c.amount,
               COALESCE(by_grade.rate_bps, by_enterprise.rate_bps, %s) AS bps,
               CASE WHEN lt.order_id IS NOT NULL AND f.completed_at < c.created_at THEN f.completed_at
                    ELSE c.created_at END AS origin_at
        FROM {_CANDIDATES_TABLE} c
        JOIN {T_DAY} d ON d.station_id = c.station_id AND d.business_date = %s AND d.closed_at = %s
        JOIN stations_station st ON st.id = c.station_id
        LEFT JOIN wallet_fuelorder o ON o.order_no = c.reference
        LEFT JOIN {T_HOLD} h ON h.id = o.hold_id
        LEFT JOIN stations_nozzle nz ON nz.id = o.nozzle_id
        LEFT JOIN pumpgateway_fill f ON f.id = o.fill_id
        LEFT JOIN ({_RATES}) by_grade ON by_grade.enterprise_id = st.enterprise_id AND by_grade.grade_id = nz.grade_id
        LEFT JOIN ({_RATES}) by_enterprise ON by_enterprise.enterprise_id = st.enterprise_id
            AND by_enterprise.grade_id IS NULL
        LEFT JOIN ({_LINE_TOTALS}) lt ON lt.order_id = o.id
            AND (c.operation = '{Operation.CAPTURE}'
                 OR (c.operation = '{Operation.LATE_CAPTURE}' AND h.status <> '{HoldStatus.CAPTURED}'))
    ) x
    """  # noqa: S608
    return sql, date_params


_DAYS_TOTAL = f"""
    UPDATE {T_DAY} SET
        sales_count = t.sales_count, volume_ml = t.volume_ml, gross_fuel_fen = t.fuel,
        gross_non_fuel_fen = t.non_fuel, discount_platform_fen = t.by_platform, discount_station_fen = t.by_station,
        collected_fen = t.collected, refunds_fen = t.refunds, adjustments_fen = t.adjustments, fee_fen = t.fee,
        net_fen = t.collected - t.refunds + t.by_platform - t.fee
    FROM (
        SELECT day_id,
               SUM(CASE WHEN kind = '{ItemKind.SALE}' AND gross_fuel_fen + gross_non_fuel_fen > 0 THEN 1 ELSE 0 END)
                   AS sales_count,
               SUM(volume_ml) AS volume_ml, SUM(gross_fuel_fen) AS fuel, SUM(gross_non_fuel_fen) AS non_fuel,
               SUM(discount_platform_fen) AS by_platform, SUM(discount_station_fen) AS by_station,
               SUM(CASE WHEN kind = '{ItemKind.SALE}' THEN amount_fen ELSE 0 END) AS collected,
               SUM(CASE WHEN kind = '{ItemKind.REFUND}' THEN -amount_fen ELSE 0 END) AS refunds,
               SUM(CASE WHEN original_date IS NOT NULL THEN amount_fen ELSE 0 END) AS adjustments,
               SUM(fee_fen) AS fee
        FROM {T_ITEM} WHERE day_id IN (SELECT id FROM {T_DAY} WHERE business_date = %s AND closed_at = %s)
        GROUP BY day_id
    ) t
    WHERE {T_DAY}.id = t.day_id
"""  # noqa: S608


def _signed_leg(account_id: int, credit_fen: int) -> list[Leg]:
    """A credit of credit_fen (a debit when negative; nothing when zero)."""
    if credit_fen == 0:
        return []
    return [Leg(account_id, Side.CREDIT if credit_fen > 0 else Side.DEBIT, abs(credit_fen))]


def _days_post(days: list[SettlementDay]) -> None:
    """Per station day: escrow-backed receivable → station payable (net) + fee income, platform discounts from
    promotion expense. One entry per day (key settlement:<station>:<date>), all posted by one batch."""
    keys = [f"settlement:{day.station_id}:{day.business_date.isoformat()}" for day in days]
    kinds = (
        AccountKind.STATION_RECEIVABLE,
        AccountKind.STATION_PAYABLE,
        AccountKind.PLATFORM_FEE_INCOME,
        AccountKind.PROMOTION_EXPENSE_PLATFORM,
    )
    wanted = [
        (kind, day.station_id if kind in kinds[:2] else None, key)
        for day, key in zip(days, keys, strict=True)
        for kind in kinds
    ]
    account_ids = system_account_ids(wanted=wanted)
    requests, posted_days = [], []
    for index, (day, key) in enumerate(zip(days, keys, strict=True)):
        receivable, payable, fee_income, promotion = account_ids[4 * index : 4 * index + 4]
        legs = (
            *_signed_leg(receivable, -(day.collected_fen - day.refunds_fen)),
            *_signed_leg(promotion, -day.discount_platform_fen),
            *_signed_leg(fee_income, day.fee_fen),
            *_signed_leg(payable, day.net_fen),
        )
        if legs:
            requests.append(
                PostingRequest(
                    operation=Operation.SETTLEMENT,
                    idempotency_key=key,
                    legs=legs,
                    station_id=day.station_id,
                    reference=day.business_date.isoformat(),
                )
            )
            posted_days.append(day)
    for day, posting in zip(posted_days, ledger_post_batch(requests=requests), strict=True):
        day.entry_id = posting.entry_id
    SettlementDay.objects.bulk_update(posted_days, ["entry"], batch_size=500)


SETTLE_STAGES = ("candidates", "items", "day totals", "ledger postings")


def _done(progress, stage: str) -> None:
    if progress is not None:
        progress(stage)


@ledger_transaction
def settlement_day_close(
    *, business_date: date, station_id: int | None = None, actor=None, progress=None
) -> SettleResult:
    """Close business_date for every station with unsettled postings (or only station_id). Idempotent: a
    closed station day is never touched again; a late posting lands in a later day as a late item.
    progress(stage), if given, is called as each of SETTLE_STAGES is done."""
    start, end = business_day_bounds(business_date)
    if end > timezone.now():
        raise DayNotOver(extra={"business_date": business_date.isoformat(), "ends_at": end.isoformat()})
    if (
        station_id is not None
        and SettlementDay.objects.filter(station_id=station_id, business_date=business_date).exists()
    ):
        return SettleResult(business_date, 0, 0, 0, already_closed=True)
    adapt = connection.ops.adapt_datetimefield_value
    run_at = timezone.now()
    user_id = actor.pk if actor is not None else None
    with connection.cursor() as cursor:
        cursor.execute(_CANDIDATES_DROP)
        cursor.execute(_CANDIDATES_CREATE, [adapt(end), station_id, station_id])
        cursor.execute(f"ANALYZE {_CANDIDATES_TABLE}")
        _done(progress, "candidates")
        cursor.execute(_DAYS_INSERT, [business_date, user_id, adapt(run_at), business_date])
        items_sql, date_params = _items_insert_sql(start)
        line_kinds = [OrderLineKind.FUEL, OrderLineKind.NON_FUEL, OrderLineKind.DISCOUNT, OrderLineKind.DISCOUNT]
        rate_dates = [business_date, business_date]
        cursor.execute(
            items_sql,
            [
                adapt(start),
                *date_params,
                settings.PLATFORM_FEE_BPS,
                business_date,
                adapt(run_at),
                *rate_dates,
                *line_kinds,
            ],
        )
        items = cursor.rowcount
        _done(progress, "items")
        cursor.execute(_CANDIDATES_DROP)
        cursor.execute(_DAYS_TOTAL, [business_date, adapt(run_at)])
        _done(progress, "day totals")
    days = list(SettlementDay.objects.filter(business_date=business_date, closed_at=run_at).order_by("station_id"))
    _days_post(days)
    _done(progress, "ledger postings")
    return SettleResult(
        business_date, len(days), items, sum(day.net_fen for day in days), already_closed=not days and bool(station_id)
    )
