"""Payout batches: the net payable of an enterprise's closed days, per station, to the stations' bank
accounts. Four eyes: the person who releases a batch is never the one who created it.

    draft ─▶ released ─▶ paid
                  └────▶ failed (the bank returned it: the money is back in the station's payable)

Release posts, per station, station payable → platform escrow (the money leaves the 备付金 account); a
failed batch posts the reverse and its days are open for the next batch again.
"""

import csv
import io

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from core.audit import audit_record
from core.crypto import decrypt_text
from core.money import yuan_text
from settlement.enums import PayoutStatus, SettlementStatus
from settlement.exceptions import FourEyesRequired, NothingToPay, SettlementTransitionNotAllowed
from settlement.models import PayoutBatch, PayoutItem, SettlementDay
from settlement.services.days import settlement_days_transition
from stations.models import Enterprise
from wallet.enums import AccountKind, Operation, Side
from wallet.services.ledger import Leg, ledger_post, ledger_transaction, system_account_id

P = PayoutStatus
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    P.DRAFT: frozenset({P.RELEASED}),
    P.RELEASED: frozenset({P.PAID, P.FAILED}),
    P.PAID: frozenset(),
    P.FAILED: frozenset(),
}
# The settlement days' status that follows each batch status.
_DAYS_FOLLOW = {
    P.PAID: (SettlementStatus.IN_PAYOUT, SettlementStatus.PAID_OUT),
    P.FAILED: (
        SettlementStatus.IN_PAYOUT,
        SettlementStatus.CLOSED,
    ),
}


@ledger_transaction
def payout_batch_create(*, enterprise: Enterprise, actor, station_id: int | None = None) -> PayoutBatch:
    """Gather every closed day of the enterprise's stations (or of its one station station_id) whose station
    total is positive into a draft."""
    days = SettlementDay.objects.filter(station__enterprise=enterprise, status=SettlementStatus.CLOSED)
    if station_id is not None:
        days = days.filter(station_id=station_id)
    list(days.select_for_update().values_list("pk", flat=True))  # a concurrent batch waits, then finds none
    per_station = {
        row["station_id"]: row["total"]
        for row in days.values("station_id").annotate(total=Sum("net_fen")).order_by("station_id")
        if row["total"] > 0
    }
    if not per_station:
        raise NothingToPay()
    batch = PayoutBatch.objects.create(
        enterprise=enterprise, status=P.DRAFT, total_fen=sum(per_station.values()), created_by=actor
    )
    for station_id, total in per_station.items():
        item = PayoutItem.objects.create(batch=batch, station_id=station_id, amount_fen=total)
        day_ids = list(days.filter(station_id=station_id).values_list("pk", flat=True))
        settlement_days_transition(
            day_ids=day_ids, from_status=SettlementStatus.CLOSED, to_status=SettlementStatus.IN_PAYOUT
        )
        SettlementDay.objects.filter(pk__in=day_ids).update(payout_item=item)
    return batch


def _payout_post(item: PayoutItem, *, reverse: bool) -> int:
    key = f"payout:{item.pk}" + (":returned" if reverse else "")
    payable = system_account_id(kind=AccountKind.STATION_PAYABLE, station_id=item.station_id, spread_key=key)
    escrow = system_account_id(kind=AccountKind.PLATFORM_ESCROW, spread_key=key)
    out, back = (Side.DEBIT, Side.CREDIT) if not reverse else (Side.CREDIT, Side.DEBIT)
    return ledger_post(
        operation=Operation.PAYOUT,
        idempotency_key=key,
        legs=[Leg(payable, out, item.amount_fen), Leg(escrow, back, item.amount_fen)],
        station_id=item.station_id,
        reference=f"batch:{item.batch_id}",
    ).entry_id


@ledger_transaction
def payout_batch_transition(*, batch_id: int, to_status: str, actor) -> PayoutBatch:
    """The one way a batch changes status. Releasing needs a second person and posts the payouts; paid
    marks its days paid out; failed returns the money to the payables and reopens the days."""
    batch = PayoutBatch.objects.select_for_update().get(pk=batch_id)
    if to_status not in ALLOWED_TRANSITIONS[batch.status]:
        raise SettlementTransitionNotAllowed(extra={"from_status": batch.status, "to_status": to_status})
    items = list(batch.items.order_by("pk"))
    if to_status == P.RELEASED:
        if actor is None or actor.pk == batch.created_by_id:
            raise FourEyesRequired()
        for item in items:
            PayoutItem.objects.filter(pk=item.pk).update(entry_id=_payout_post(item, reverse=False))
        batch.released_by, batch.released_at = actor, timezone.now()
    else:
        if to_status == P.FAILED:
            for item in items:
                _payout_post(item, reverse=True)
        from_days, to_days = _DAYS_FOLLOW[to_status]
        day_ids = list(SettlementDay.objects.filter(payout_item__batch=batch).values_list("pk", flat=True))
        settlement_days_transition(day_ids=day_ids, from_status=from_days, to_status=to_days)
        if to_status == P.FAILED:
            SettlementDay.objects.filter(pk__in=day_ids).update(payout_item=None)
    batch.status = to_status
    batch.save(update_fields=["status", "released_by", "released_at"])
    return batch


BANK_FILE_HEADER = ["序号", "收款户名", "收款账号", "开户行", "金额(元)", "用途"]


@transaction.atomic
def payout_bank_file(*, batch: PayoutBatch, actor, client_ip: str | None = None) -> str:
    """The bank's bulk-transfer file (CSV) of a released batch, with the decrypted account numbers. Every
    export shows full account numbers to a person, so each one is an audit event."""
    if batch.status == P.DRAFT:
        raise SettlementTransitionNotAllowed(extra={"from_status": batch.status, "reason": "not released"})
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(BANK_FILE_HEADER)
    items = list(batch.items.select_related("station").order_by("pk"))
    for number, item in enumerate(items, start=1):
        station = item.station
        writer.writerow(
            [
                number,
                station.bank_account_holder,
                decrypt_text(station.bank_account_number_encrypted) if station.bank_account_number_encrypted else "",
                station.bank_name,
                yuan_text(item.amount_fen),
                f"fuelpay payout {batch.pk}-{item.pk}",
            ]
        )
    audit_record(
        actor=actor,
        action="settlement.payoutbatch.bank_file_exported",
        target=f"settlement.payoutbatch:{batch.pk}",
        detail={"stations": [item.station_id for item in items]},
        client_ip=client_ip,
    )
    return buffer.getvalue()
