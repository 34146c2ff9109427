"""合约加油: a driver commits funds to one station for N days; fulfilled contracts earn a reward."""

import hashlib
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.money import format_fen
from drivers.models import Driver
from marketing.enums import NotificationKind
from marketing.selectors import contract_terms_get, notification_events_recorded
from marketing.services import notify
from wallet.enums import AccountKind, ContractStatus, Operation, Side
from wallet.exceptions import ContractNotAllowed, IdempotencyConflict
from wallet.locks import contract_select_for_update, driver_accounts_select_for_update
from wallet.models import Account, Contract
from wallet.selectors import contract_list_due, contract_list_expiring
from wallet.services.ledger import Leg, driver_account_id, ledger_post, ledger_transaction, system_account_id
from wallet.services.top_up import PROMOTION_EXPENSE_KIND


@ledger_transaction
def wallet_contract_open(*, driver: Driver, offer_id: int, idempotency_key: str) -> Contract:
    terms = contract_terms_get(offer_id=offer_id)
    if terms is None:
        raise ContractNotAllowed()
    driver_accounts_select_for_update(driver_ids=[driver.pk])
    existing = Contract.objects.filter(driver=driver, idempotency_key=idempotency_key).first()
    if existing is not None:
        if (existing.station_id, existing.committed_fen) != (terms.station_id, terms.committed_fen):
            raise IdempotencyConflict()
        return existing
    now = timezone.now()
    try:
        with transaction.atomic():
            account = Account.objects.create(
                code=f"driver:{driver.pk}:contract:{hashlib.sha256(idempotency_key.encode()).hexdigest()[:24]}",
                kind=AccountKind.DRIVER_CONTRACT,
                type="liability",
                driver=driver,
                station_id=terms.station_id,
            )
            contract = Contract.objects.create(
                driver=driver,
                station_id=terms.station_id,
                account=account,
                committed_fen=terms.committed_fen,
                reward_bonus_fen=terms.reward_bonus_fen,
                reward_funder=terms.funder,
                starts_at=now,
                ends_at=now + timedelta(days=terms.days),
                idempotency_key=idempotency_key,
            )
    except IntegrityError as error:
        raise IdempotencyConflict() from error
    legs = [
        Leg(driver_account_id(driver_id=driver.pk, kind=AccountKind.DRIVER_PRINCIPAL), Side.DEBIT, terms.committed_fen),
        Leg(account.pk, Side.CREDIT, terms.committed_fen),
    ]
    ledger_post(
        operation=Operation.CONTRACT_OPEN,
        idempotency_key=f"contract:{contract.pk}",
        legs=legs,
        driver_id=driver.pk,
        station_id=terms.station_id,
        reference=f"contract:{contract.pk}",
    )
    return contract


@ledger_transaction
def wallet_contract_close(*, contract_id: int, now=None) -> Contract:
    """At expiry: spent in full → fulfilled and rewarded; otherwise the remainder is unfrozen.
    Waits (returns unchanged) while an authorization still reserves contract funds."""
    contract = contract_select_for_update(contract_id=contract_id)
    if contract.status != ContractStatus.ACTIVE or contract.ends_at > (now or timezone.now()):
        return contract
    driver_accounts_select_for_update(driver_ids=[contract.driver_id])
    account = Account.objects.get(pk=contract.account_id)
    if account.debits_pending:
        return contract
    remainder = account.credits_posted - account.debits_posted
    principal = driver_account_id(driver_id=contract.driver_id, kind=AccountKind.DRIVER_PRINCIPAL)
    if remainder:
        legs = [Leg(account.pk, Side.DEBIT, remainder), Leg(principal, Side.CREDIT, remainder)]
        contract.status = ContractStatus.UNFULFILLED
    else:
        contract.status = ContractStatus.FULFILLED
        legs = []
        if contract.reward_bonus_fen:
            expense = system_account_id(
                kind=PROMOTION_EXPENSE_KIND[contract.reward_funder],
                station_id=contract.station_id if contract.reward_funder == "station" else None,
                spread_key=f"contract:{contract.pk}",
            )
            bonus = driver_account_id(driver_id=contract.driver_id, kind=AccountKind.DRIVER_BONUS)
            legs = [
                Leg(expense, Side.DEBIT, contract.reward_bonus_fen),
                Leg(bonus, Side.CREDIT, contract.reward_bonus_fen),
            ]
    if legs:
        ledger_post(
            operation=Operation.CONTRACT_CLOSE,
            idempotency_key=f"contract:{contract.pk}",
            legs=legs,
            driver_id=contract.driver_id,
            station_id=contract.station_id,
            reference=f"contract:{contract.pk}",
        )
    contract.save(update_fields=["status"])
    return contract


def wallet_contracts_close_due() -> int:
    closed = 0
    for contract_id in contract_list_due(now=timezone.now()):
        if wallet_contract_close(contract_id=contract_id).status != ContractStatus.ACTIVE:
            closed += 1
    return closed


def wallet_contracts_notify_expiring(*, now=None) -> int:
    """Drivers hear NOTIFICATION_EXPIRING_DAYS ahead that a contract ends, with what is left to use there
    (a periodic task); each contract once. Returns how many were announced now."""
    now = now or timezone.now()
    contracts = contract_list_expiring(now=now, until=now + timedelta(days=settings.NOTIFICATION_EXPIRING_DAYS))
    done = notification_events_recorded(keys=[f"contract_expiring:{contract.pk}" for contract in contracts])
    announced = 0
    for contract in contracts:
        key = f"contract_expiring:{contract.pk}"
        if key in done:
            continue
        left = contract.account.credits_posted - contract.account.debits_posted - contract.account.debits_pending
        with transaction.atomic():
            notify(
                driver_id=contract.driver_id,
                kind=NotificationKind.EXPIRING,
                title=_("Your contract ends soon"),
                body=_("Your contract at %(station)s ends %(until)s; %(left)s is left to use there.")
                % {
                    "station": contract.station.name,
                    "until": f"{timezone.localtime(contract.ends_at):%Y-%m-%d %H:%M}",
                    "left": format_fen(max(left, 0)),
                },
                dedup_key=key,
                now=now,
            )
        announced += 1
    return announced
