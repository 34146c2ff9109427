"""Accounting vouchers (记账凭证 / 清账凭证) from the ledger, in the chart of accounts below
(documented in docs/settlement.md). Every ledger account kind maps to exactly one subject."""

from dataclasses import dataclass
from datetime import date

from django.db.models import Q, Sum
from django.utils.translation import gettext_lazy as _

from wallet.enums import AccountKind, Operation, Side
from wallet.models import JournalLine

# Subject codes follow the PRC enterprise accounting standards' numbering (1xxx assets, 2xxx liabilities,
# 6xxx profit and loss); the second level names the platform's own sub-ledger.
CHART_OF_ACCOUNTS: dict[str, tuple[str, str]] = {
    AccountKind.PLATFORM_ESCROW: ("1002.01", "银行存款—备付金"),
    AccountKind.PROVIDER_CLEARING: ("1012.01", "其他货币资金—支付通道在途"),
    AccountKind.DRIVER_RECEIVABLE: ("1221.01", "其他应收款—用户欠款"),
    AccountKind.STATION_RECEIVABLE: ("2202.01", "应付账款—油站待结算"),
    AccountKind.STATION_PAYABLE: ("2202.02", "应付账款—油站已结算待付"),
    AccountKind.DRIVER_PRINCIPAL: ("2241.01", "其他应付款—用户储值本金"),
    AccountKind.DRIVER_BONUS: ("2241.02", "其他应付款—用户赠送金"),
    AccountKind.DRIVER_CONTRACT: ("2241.03", "其他应付款—合约冻结资金"),
    AccountKind.REFUNDS_PAYABLE: ("2241.04", "其他应付款—待退款"),
    AccountKind.PLATFORM_FEE_INCOME: ("6001.01", "主营业务收入—平台服务费"),
    AccountKind.PROMOTION_EXPENSE_PLATFORM: ("6601.01", "销售费用—平台营销补贴"),
    AccountKind.PROMOTION_EXPENSE_STATION: ("6601.02", "销售费用—油站营销补贴"),
}


class VoucherKind:
    SETTLEMENT = "settlement"  # 记账凭证: the day's settlement postings (receivable → payable, fee)
    CLEARING = "clearing"  # 清账凭证: payouts released that day (payable → escrow)


VOUCHER_TITLES = {VoucherKind.SETTLEMENT: _("记账凭证"), VoucherKind.CLEARING: _("清账凭证")}


@dataclass(frozen=True)
class VoucherLine:
    subject_code: str
    subject_name: str
    debit_fen: int
    credit_fen: int


def voucher_lines(*, kind: str, business_date: date, station_ids=None) -> list[VoucherLine]:
    """One line per subject: the day's postings summed by account kind (a set-based aggregate)."""
    if kind == VoucherKind.SETTLEMENT:
        scope = Q(entry__operation=Operation.SETTLEMENT, entry__reference=business_date.isoformat())
    else:
        scope = Q(entry__operation=Operation.PAYOUT, entry__created_at__date=business_date)
    lines = JournalLine.objects.filter(scope, phase="posted")
    if station_ids is not None:
        lines = lines.filter(entry__station_id__in=station_ids)
    totals = (
        lines.values("account__kind")
        .annotate(
            debit=Sum("amount_fen", filter=Q(side=Side.DEBIT), default=0),
            credit=Sum("amount_fen", filter=Q(side=Side.CREDIT), default=0),
        )
        .order_by()
    )
    result = [VoucherLine(*CHART_OF_ACCOUNTS[row["account__kind"]], row["debit"], row["credit"]) for row in totals]
    return sorted(result, key=lambda line: line.subject_code)
