"""Every row lock in the wallet goes through here: evaluated at once, only inside atomic, pk order.

Account rows are also locked implicitly by the guarded counter UPDATEs in services/ledger.py, which
run in account pk order for the same reason: a fixed order means no deadlock between postings.
"""

from django.db import connection

from wallet.models import Account, Contract, Hold


def _assert_in_transaction() -> None:
    assert connection.in_atomic_block, "row locks are only meaningful inside transaction.atomic()"


def driver_accounts_select_for_update(*, driver_ids: list[int]) -> list[Account]:
    _assert_in_transaction()
    return list(Account.objects.filter(driver_id__in=driver_ids).order_by("pk").select_for_update(of=("self",)))


def hold_select_for_update(*, hold_id: int) -> Hold:
    _assert_in_transaction()
    return Hold.objects.select_for_update(of=("self",)).get(pk=hold_id)


def contract_select_for_update(*, contract_id: int) -> Contract:
    _assert_in_transaction()
    return Contract.objects.select_for_update(of=("self",)).get(pk=contract_id)


def accounts_select_for_update(*, account_ids: set[int], system_account_ids: set[int]) -> None:
    """Lock the accounts a batch of postings moves, in the order ledger_post updates them: driver rows
    first, then system rows, each in pk order (so a batch never deadlocks with single postings)."""
    _assert_in_transaction()
    for ids in (account_ids - system_account_ids, account_ids & system_account_ids):
        if ids:
            list(Account.objects.filter(pk__in=ids).order_by("pk").select_for_update(of=("self",)).values_list("pk"))
