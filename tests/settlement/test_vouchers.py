import pytest

from settlement.services.days import settlement_day_close
from settlement.vouchers import CHART_OF_ACCOUNTS, VoucherKind, voucher_lines
from tests.settlement.test_settle_day import seed_two_days
from wallet.enums import AccountKind

pytestmark = pytest.mark.django_db


def test_every_ledger_account_kind_has_one_subject_in_the_chart():
    assert set(CHART_OF_ACCOUNTS) == set(AccountKind.values)
    codes = [code for code, _ in CHART_OF_ACCOUNTS.values()]
    assert len(codes) == len(set(codes))


def test_the_days_settlement_voucher_balances_and_names_the_subjects(seeder, day, fee_contracts):
    seed_two_days(seeder, day)
    settlement_day_close(business_date=day)
    lines = {
        line.subject_code: (line.debit_fen, line.credit_fen)
        for line in voucher_lines(kind=VoucherKind.SETTLEMENT, business_date=day)
    }
    assert lines == {
        "2202.01": (52_750, 0),  # receivable: collected − refunds
        "6601.01": (1_000, 0),  # platform-funded discounts
        "2202.02": (0, 53_539),  # net payable
        "6001.01": (0, 211),  # fee
    }
    assert sum(d for d, _ in lines.values()) == sum(c for _, c in lines.values())
