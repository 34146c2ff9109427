"""Three-way reconciliation of a business day — pump fill records ↔ orders ↔ ledger captures — and the
payment provider's statement ↔ top-ups. Each check is one INSERT … SELECT of findings; a finding is
unique per (kind, key), so reconciling a day again adds only what is new and never reopens a resolved one.

    open ─▶ explained ─▶ closed
      └──▶ adjusted ──┘
"""

# ruff: noqa: S608 - the SQL below is built from constants (table names, enum values); every value is bound.
import csv
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from core.money import yuan_to_fen
from marketing.enums import BenefitKind
from marketing.models import Promotion
from orders.enums import FillResolutionKind, OrderLineKind, OrderStatus
from orders.models import FillResolution
from settlement.enums import DiscrepancyKind, DiscrepancyStatus
from settlement.exceptions import BadStatement, SettlementTransitionNotAllowed
from settlement.models import Discrepancy, ProviderStatementLine
from settlement.services.days import business_day_bounds
from wallet.enums import AccountKind, Operation, Phase, Side
from wallet.providers import payment_provider_get
from wallet.services.simulator import STATEMENT_HEADER

K, DS = DiscrepancyKind, DiscrepancyStatus
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    DS.OPEN: frozenset({DS.EXPLAINED, DS.ADJUSTED}),
    DS.EXPLAINED: frozenset({DS.CLOSED}),
    DS.ADJUSTED: frozenset({DS.CLOSED}),
    DS.CLOSED: frozenset(),
}

T_FINDING = Discrepancy._meta.db_table
T_RESOLUTION = FillResolution._meta.db_table
_PAID = f"('{OrderStatus.PAID}', '{OrderStatus.NEEDS_REVIEW}')"
_INSERT = f"""
    INSERT INTO {T_FINDING} (kind, key, business_date, station_id, fill_id, order_id, top_up_id,
        expected_fen, actual_fen, detail, status, resolution, created_at)
    SELECT %(kind)s, q.key, %(date)s, q.station_id, q.fill_id, q.order_id, q.top_up_id, q.expected_fen,
           q.actual_fen, q.detail, '{DS.OPEN}', '', %(now)s
    FROM ({{query}}) q WHERE true
    ON CONFLICT (kind, key) DO NOTHING
"""  # noqa: S608

# Fills and orders of the day: fills by completion, orders by payment (or creation, when still owed).
_DAY_FILLS = "SELECT * FROM pumpgateway_fill WHERE completed_at >= %(start)s AND completed_at < %(end)s"
_DAY_ORDERS = f"""SELECT * FROM wallet_fuelorder WHERE status IN {_PAID}
    AND COALESCE(paid_at, created_at) >= %(start)s AND COALESCE(paid_at, created_at) < %(end)s"""  # noqa: S608
_FILL_TWIN = """EXISTS (SELECT 1 FROM pumpgateway_fill f1 WHERE f1.id < f.id AND f1.nozzle_id = f.nozzle_id
    AND f1.volume_ml = f.volume_ml AND f1.amount_fen = f.amount_fen
    AND (f1.totals_after_ml = f.totals_after_ml OR f1.completed_at = f.completed_at))"""
_NULL = "CAST(NULL AS BIGINT)"  # typed, so PostgreSQL does not take a bare NULL for text
_FILL_COLUMNS = f"n.station_id, f.id AS fill_id, {_NULL} AS order_id, {_NULL} AS top_up_id"
_ORDER_COLUMNS = f"o.station_id, o.fill_id, o.id AS order_id, {_NULL} AS top_up_id"
_PROVIDER_COLUMNS = f"{_NULL} AS station_id, {_NULL} AS fill_id, {_NULL} AS order_id"

CHECKS: dict[str, str] = {
    # A duplicate record of a delivery already stored: same nozzle, litres, amount and totalizer (or moment).
    K.DUPLICATE_FILL: f"""
        SELECT 'fill:' || f.id AS key, {_FILL_COLUMNS}, {_NULL} AS expected_fen, f.amount_fen AS actual_fen,
               '' AS detail
        FROM ({_DAY_FILLS}) f JOIN stations_nozzle n ON n.id = f.nozzle_id WHERE {_FILL_TWIN}""",
    # Fuel went out and no platform order paid it. A fill paid at the counter (another tender, the station's
    # own takings) is not one; a drive-off the cashier reported is, marked as such.
    K.FILL_WITHOUT_ORDER: f"""
        SELECT 'fill:' || f.id AS key, {_FILL_COLUMNS}, f.amount_fen AS expected_fen, 0 AS actual_fen,
               COALESCE((SELECT r.kind FROM {T_RESOLUTION} r WHERE r.fill_id = f.id), '') AS detail
        FROM ({_DAY_FILLS}) f JOIN stations_nozzle n ON n.id = f.nozzle_id
        WHERE f.amount_fen > 0 AND NOT {_FILL_TWIN}
          AND NOT EXISTS (SELECT 1 FROM wallet_fuelorder o WHERE o.fill_id = f.id AND o.status IN {_PAID})
          AND NOT EXISTS (SELECT 1 FROM {T_RESOLUTION} r WHERE r.fill_id = f.id
                          AND r.kind = '{FillResolutionKind.COUNTER}')""",
    K.ORDER_WITHOUT_FILL: f"""
        SELECT 'order:' || o.order_no AS key, {_ORDER_COLUMNS}, {_NULL} AS expected_fen,
               o.paid_fen + o.debt_fen AS actual_fen, '' AS detail
        FROM ({_DAY_ORDERS}) o WHERE o.fill_id IS NULL""",
    K.VOLUME_MISMATCH: f"""
        SELECT 'order:' || o.order_no AS key, {_ORDER_COLUMNS}, f.volume_ml AS expected_fen,
               o.volume_ml AS actual_fen, 'ml' AS detail
        FROM ({_DAY_ORDERS}) o JOIN pumpgateway_fill f ON f.id = o.fill_id WHERE o.volume_ml <> f.volume_ml""",
    # The fuel on the receipt at the station's price (fuel line plus the station-price line) is what the pump
    # charged; promotions and non-fuel items come on top and do not enter this comparison.
    K.AMOUNT_MISMATCH: f"""
        SELECT 'order:' || o.order_no AS key, {_ORDER_COLUMNS}, f.amount_fen AS expected_fen,
               r.at_pump AS actual_fen, '' AS detail
        FROM ({_DAY_ORDERS}) o JOIN pumpgateway_fill f ON f.id = o.fill_id
        JOIN (SELECT l.order_id, SUM(l.amount_fen) AS at_pump FROM wallet_orderline l
              LEFT JOIN {Promotion._meta.db_table} p ON p.id = l.promotion_id
              WHERE l.kind = '{OrderLineKind.FUEL}'
                 OR (l.kind = '{OrderLineKind.DISCOUNT}' AND p.benefit_kind = %(price_cut)s)
              GROUP BY l.order_id) r ON r.order_id = o.id
        WHERE r.at_pump <> f.amount_fen""",
    # What the ledger credited the station for the order against what the order says was charged.
    K.CAPTURE_MISMATCH: f"""
        SELECT 'order:' || o.order_no AS key, {_ORDER_COLUMNS}, o.paid_fen + o.debt_fen AS expected_fen,
               COALESCE(c.captured, 0) AS actual_fen, '' AS detail
        FROM ({_DAY_ORDERS}) o
        LEFT JOIN (SELECT e.reference, SUM(l.amount_fen) AS captured FROM wallet_journalentry e
                   JOIN wallet_journalline l ON l.entry_id = e.id AND l.side = '{Side.CREDIT}'
                        AND l.phase = '{Phase.POSTED}'
                   JOIN wallet_account a ON a.id = l.account_id AND a.kind = '{AccountKind.STATION_RECEIVABLE}'
                   WHERE e.operation IN ('{Operation.CAPTURE}', '{Operation.LATE_CAPTURE}')
                   GROUP BY e.reference) c ON c.reference = o.order_no
        WHERE COALESCE(c.captured, 0) <> o.paid_fen + o.debt_fen""",
    # A top-up the ledger credited that the provider's statement does not list.
    K.PROVIDER_MISSING: f"""
        SELECT 'top_up:' || t.out_trade_no AS key, {_PROVIDER_COLUMNS},
               t.id AS top_up_id, t.amount_fen AS expected_fen, 0 AS actual_fen, '' AS detail
        FROM wallet_journalentry e JOIN wallet_topuporder t ON t.credit_entry_id = e.id
        WHERE e.operation = '{Operation.TOP_UP}' AND e.created_at >= %(start)s AND e.created_at < %(end)s
          AND NOT EXISTS (SELECT 1 FROM settlement_providerstatementline s
                          WHERE s.provider = t.provider AND s.out_trade_no = t.out_trade_no)""",
    # A statement line with no paid top-up of ours.
    K.PROVIDER_EXTRA: f"""
        SELECT 'statement:' || s.transaction_id AS key, {_PROVIDER_COLUMNS},
               {_NULL} AS top_up_id, 0 AS expected_fen, s.amount_fen AS actual_fen, s.out_trade_no AS detail
        FROM settlement_providerstatementline s
        WHERE s.business_date = %(date)s AND NOT EXISTS (
            SELECT 1 FROM wallet_topuporder t WHERE t.out_trade_no = s.out_trade_no AND t.paid_at IS NOT NULL)""",
    K.PROVIDER_AMOUNT: f"""
        SELECT 'top_up:' || t.out_trade_no AS key, {_PROVIDER_COLUMNS},
               t.id AS top_up_id, t.amount_fen AS expected_fen, s.amount_fen AS actual_fen, '' AS detail
        FROM settlement_providerstatementline s JOIN wallet_topuporder t ON t.out_trade_no = s.out_trade_no
        WHERE s.business_date = %(date)s AND s.amount_fen <> t.amount_fen""",
}


@dataclass(frozen=True)
class ReconcileResult:
    business_date: date
    found: int  # new findings this run
    statement_lines: int | None  # None: no statement file for the day


def statement_path(business_date: date) -> Path:
    return Path(settings.SETTLEMENT_STATEMENT_DIR) / f"{payment_provider_get().name}-{business_date.isoformat()}.csv"


def _statement_load(*, business_date: date, path: Path) -> int:
    """Replace the day's loaded statement with the file's lines; a malformed file changes nothing."""
    provider = payment_provider_get().name
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle)
            if next(reader, None) != STATEMENT_HEADER:
                raise BadStatement(extra={"path": str(path), "reason": "header"})
            lines = [
                ProviderStatementLine(
                    provider=provider,
                    business_date=business_date,
                    out_trade_no=row[1],
                    transaction_id=row[2],
                    amount_fen=yuan_to_fen(row[4]),
                )
                for row in reader
                if row and row[3] == "SUCCESS"
            ]
    except (ValueError, IndexError, UnicodeDecodeError) as error:
        raise BadStatement(extra={"path": str(path), "reason": str(error)}) from error
    ProviderStatementLine.objects.filter(provider=provider, business_date=business_date).delete()
    ProviderStatementLine.objects.bulk_create(lines)
    return len(lines)


@transaction.atomic
def reconcile_day(*, business_date: date, statement: Path | None = None) -> ReconcileResult:
    """Record every new finding of the day. The provider checks run when the day's statement file exists
    (statement, or the provider's file in SETTLEMENT_STATEMENT_DIR)."""
    start, end = business_day_bounds(business_date)
    path = statement or statement_path(business_date)
    loaded = _statement_load(business_date=business_date, path=path) if path.exists() else None
    adapt = connection.ops.adapt_datetimefield_value
    params = {
        "start": adapt(start),
        "end": adapt(end),
        "date": business_date,
        "price_cut": BenefitKind.STATION_PRICE,
        "now": adapt(timezone.now()),
    }
    found = 0
    with connection.cursor() as cursor:
        for kind, query in CHECKS.items():
            if kind.startswith("provider_") and loaded is None:
                continue
            cursor.execute(_INSERT.replace("{query}", query), {**params, "kind": kind})
            found += cursor.rowcount
    return ReconcileResult(business_date, found, loaded)


@transaction.atomic
def discrepancy_transition(*, discrepancy_id: int, to_status: str, actor, note: str) -> Discrepancy:
    """Explain, adjust or close a finding, saying how; who and when are recorded."""
    finding = Discrepancy.objects.select_for_update().get(pk=discrepancy_id)
    note = (note or "").strip()
    if to_status not in ALLOWED_TRANSITIONS[finding.status] or not note:
        raise SettlementTransitionNotAllowed(
            extra={"from_status": finding.status, "to_status": to_status, "note_required": not note}
        )
    finding.status = to_status
    finding.resolution = f"{finding.resolution}\n{note}".strip()
    finding.resolved_by, finding.resolved_at = actor, timezone.now()
    finding.save(update_fields=["status", "resolution", "resolved_by", "resolved_at"])
    return finding
