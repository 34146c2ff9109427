"""Top-up (储值) through a payment provider: order → driver pays → signed notification → credit once."""

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from drivers.models import Driver
from marketing.enums import Funder
from marketing.selectors import top_up_bonus_offer_get
from marketing.services import top_up_credited_notify
from wallet.enums import AccountKind, Operation, Side, TopUpStatus
from wallet.exceptions import (
    IdempotencyConflict,
    InvalidAmount,
    InvalidSignature,
    LimitExceeded,
    NotificationMismatch,
    NotificationStale,
    PaymentOrderNotFound,
)
from wallet.listeners import direct_payment_credited
from wallet.locks import driver_accounts_select_for_update
from wallet.models import ProviderNotificationNonce, TopUpOrder
from wallet.providers import ProviderNotification, payment_provider_get
from wallet.selectors import wallet_balance_get
from wallet.services.debt import debt_repay_from_top_up
from wallet.services.ledger import Leg, driver_account_id, ledger_post, ledger_transaction, system_account_id
from wallet.tasks import wallet_provider_refund_task

PROMOTION_EXPENSE_KIND = {
    Funder.PLATFORM: AccountKind.PROMOTION_EXPENSE_PLATFORM,
    Funder.STATION: AccountKind.PROMOTION_EXPENSE_STATION,
}


def promotion_bonus_credit(
    *, driver_id: int, amount_fen: int, funder: str, funding_station_id: int | None, reference: str, promotion_id: int
) -> None:
    """A fuel promotion's bonus credit (加满送) into the driver's bonus, from its funder's promotion expense:
    marketing announces it inside the paying transaction (marketing.listeners). Composable; once per order and
    promotion (the ledger's idempotency key)."""
    key = f"bonus:{reference}:{promotion_id}"
    expense = system_account_id(kind=PROMOTION_EXPENSE_KIND[funder], spread_key=key, station_id=funding_station_id)
    bonus = driver_account_id(driver_id=driver_id, kind=AccountKind.DRIVER_BONUS)
    ledger_post(
        operation=Operation.BONUS_GRANT,
        idempotency_key=key,
        legs=[Leg(expense, Side.DEBIT, amount_fen), Leg(bonus, Side.CREDIT, amount_fen)],
        driver_id=driver_id,
        station_id=funding_station_id,
        reference=reference,
    )


def _new_out_trade_no() -> str:
    return "T" + timezone.localtime().strftime("%Y%m%d%H%M%S") + secrets.token_hex(6).upper()


def _check_top_up_limits(*, driver: Driver, amount_fen: int, bonus_fen: int) -> None:
    if type(amount_fen) is not int or not (
        settings.WALLET_MIN_TOP_UP_FEN <= amount_fen <= settings.WALLET_MAX_TOP_UP_FEN
    ):
        raise InvalidAmount(
            extra={"min_fen": settings.WALLET_MIN_TOP_UP_FEN, "max_fen": settings.WALLET_MAX_TOP_UP_FEN}
        )
    day_start = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    today = (
        TopUpOrder.objects.filter(
            driver=driver, created_at__gte=day_start, status__in=[TopUpStatus.CREATED, TopUpStatus.CREDITED]
        ).aggregate(total=Sum("amount_fen"))["total"]
        or 0
    )
    if today + amount_fen > settings.WALLET_DAILY_TOP_UP_LIMIT_FEN:
        raise LimitExceeded(
            extra={"limit": "daily_top_up", "limit_fen": settings.WALLET_DAILY_TOP_UP_LIMIT_FEN, "used_fen": today}
        )
    balance = wallet_balance_get(driver_id=driver.pk)
    if balance.principal_fen + balance.bonus_fen + amount_fen + bonus_fen > settings.WALLET_MAX_BALANCE_FEN:
        raise LimitExceeded(extra={"limit": "max_balance", "limit_fen": settings.WALLET_MAX_BALANCE_FEN})


@ledger_transaction
def wallet_top_up_order_create(
    *, driver: Driver, amount_fen: int, idempotency_key: str, pays_reference: str = ""
) -> TopUpOrder:
    """A provider payment for the driver's wallet. With pays_reference it is a direct payment: no bonus, and
    once credited it is spent on what it pays (wallet.listeners.DIRECT_PAYMENT_CREDITED)."""
    driver_accounts_select_for_update(driver_ids=[driver.pk])  # serialises limit checks per driver
    existing = TopUpOrder.objects.filter(driver=driver, idempotency_key=idempotency_key).first()
    if existing is not None:
        if existing.amount_fen != amount_fen or existing.pays_reference != pays_reference:
            raise IdempotencyConflict()
        return existing
    if type(amount_fen) is not int:
        raise InvalidAmount()
    offer = None if pays_reference else top_up_bonus_offer_get(amount_fen=amount_fen, driver_id=driver.pk)
    _check_top_up_limits(driver=driver, amount_fen=amount_fen, bonus_fen=offer.bonus_fen if offer else 0)
    try:
        with transaction.atomic():
            return TopUpOrder.objects.create(
                driver=driver,
                out_trade_no=_new_out_trade_no(),
                idempotency_key=idempotency_key,
                amount_fen=amount_fen,
                bonus_fen=offer.bonus_fen if offer else 0,
                bonus_funder=offer.funder if offer else "",
                bonus_station_id=offer.funding_station_id if offer else None,
                provider=payment_provider_get().name,
                pays_reference=pays_reference,
            )
    except IntegrityError as error:
        raise IdempotencyConflict() from error


def _credit_legs(order: TopUpOrder) -> list[Leg]:
    principal = driver_account_id(driver_id=order.driver_id, kind=AccountKind.DRIVER_PRINCIPAL)
    legs = [
        Leg(
            system_account_id(kind=AccountKind.PLATFORM_ESCROW, spread_key=order.out_trade_no),
            Side.DEBIT,
            order.amount_fen,
        ),
        Leg(principal, Side.CREDIT, order.amount_fen),
    ]
    if order.bonus_fen:
        expense = system_account_id(
            kind=PROMOTION_EXPENSE_KIND[order.bonus_funder],
            spread_key=order.out_trade_no,
            station_id=order.bonus_station_id,
        )
        bonus = driver_account_id(driver_id=order.driver_id, kind=AccountKind.DRIVER_BONUS)
        legs += [Leg(expense, Side.DEBIT, order.bonus_fen), Leg(bonus, Side.CREDIT, order.bonus_fen)]
    return legs


def _check_fresh_and_first(notification: ProviderNotification) -> None:
    """A notification older than the window, or one whose nonce was already received, is a replay."""
    now = timezone.now()
    window = timedelta(seconds=settings.PAYMENT_NOTIFICATION_MAX_AGE_SECONDS)
    if abs(now.timestamp() - notification.sent_at) > window.total_seconds() or not notification.nonce:
        raise NotificationStale()
    ProviderNotificationNonce.objects.filter(received_at__lt=now - 2 * window).delete()
    try:
        with transaction.atomic():
            ProviderNotificationNonce.objects.create(nonce=notification.nonce, received_at=now)
    except IntegrityError as error:
        raise NotificationStale() from error


@ledger_transaction
def wallet_top_up_notification_handle(*, params: dict) -> TopUpOrder:
    """Verify a provider notification and credit the order exactly once.

    Duplicates return the order unchanged; a success after the order was closed locally is still
    credited (the driver's money arrived); a credit that would break the balance cap is refunded. What the
    driver owes for an earlier fill is repaid first from the credited principal, in the same transaction.
    """
    notification = payment_provider_get().verify_notification(params)
    if notification is None:
        raise InvalidSignature()
    _check_fresh_and_first(notification)
    order = TopUpOrder.objects.select_for_update().filter(out_trade_no=notification.out_trade_no).first()
    if order is None:
        raise PaymentOrderNotFound()
    if notification.amount_fen != order.amount_fen:
        raise NotificationMismatch()  # the caller is not told what amount was expected
    if order.status in (TopUpStatus.CREDITED, TopUpStatus.REFUNDED_OVER_LIMIT):
        return order
    if not notification.succeeded:
        order.status = TopUpStatus.CLOSED
        order.save(update_fields=["status"])
        return order
    order.provider_transaction_id = notification.transaction_id
    order.paid_at = timezone.now()
    driver_accounts_select_for_update(driver_ids=[order.driver_id])
    balance = wallet_balance_get(driver_id=order.driver_id)
    repaid_fen = min(balance.debt_fen, order.amount_fen)
    credited_fen = order.amount_fen + order.bonus_fen - repaid_fen
    if balance.principal_fen + balance.bonus_fen + credited_fen > settings.WALLET_MAX_BALANCE_FEN:
        transaction.on_commit(lambda: wallet_provider_refund_task.delay(order.out_trade_no, order.amount_fen))
        order.status = TopUpStatus.REFUNDED_OVER_LIMIT
        order.save(update_fields=["status", "provider_transaction_id", "paid_at"])
        return order
    posting = ledger_post(
        operation=Operation.TOP_UP,
        idempotency_key=order.out_trade_no,
        legs=_credit_legs(order),
        driver_id=order.driver_id,
        reference=order.out_trade_no,
    )
    debt_repay_from_top_up(order=order, debt_fen=balance.debt_fen)
    order.status = TopUpStatus.CREDITED
    order.credit_entry_id = posting.entry_id
    order.save(update_fields=["status", "provider_transaction_id", "paid_at", "credit_entry"])
    if order.pays_reference:  # a direct payment (闪付): its order's receipt tells the driver
        direct_payment_credited(
            driver_id=order.driver_id, out_trade_no=order.out_trade_no, pays_reference=order.pays_reference
        )
    else:
        top_up_credited_notify(
            driver_id=order.driver_id,
            reference=order.out_trade_no,
            amount_fen=order.amount_fen,
            bonus_fen=order.bonus_fen,
        )
    return order


@transaction.atomic
def wallet_top_up_orders_close_stale(*, older_than: timedelta = timedelta(hours=2)) -> int:
    """Unpaid orders stop counting against the daily limit; a late payment is still credited."""
    return TopUpOrder.objects.filter(status=TopUpStatus.CREATED, created_at__lt=timezone.now() - older_than).update(
        status=TopUpStatus.CLOSED
    )
