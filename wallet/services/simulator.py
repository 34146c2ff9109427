"""The payment provider simulator's own actions (what the provider would do on its side)."""

import csv
import json
import logging
import urllib.error
import urllib.request

from django.utils import timezone

from core.money import yuan_text
from wallet.enums import TopUpStatus
from wallet.models import TopUpOrder
from wallet.providers import payment_provider_get

logger = logging.getLogger(__name__)


def payment_simulator_send_notification(*, out_trade_no: str, amount_fen: int, notify_url: str) -> bool:
    """POST a signed success notification to the merchant; True when the merchant acknowledged it."""
    params = payment_provider_get().payment_notification(out_trade_no=out_trade_no, amount_fen=amount_fen)
    request = urllib.request.Request(  # noqa: S310 - http(s) notify URL from settings
        notify_url, data=json.dumps(params).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - our own notify URL
            return json.loads(response.read()).get("code") == "SUCCESS"
    except (urllib.error.URLError, ValueError, TimeoutError) as error:
        logger.warning("simulator notification not acknowledged", extra={"error": str(error)})
        return False


STATEMENT_HEADER = ["trade_time", "out_trade_no", "transaction_id", "trade_state", "total_fee_yuan"]


def payment_simulator_statement_write(*, start, end, path) -> int:
    """The provider's daily bill (对账单, like WeChat Pay's downloadbill): one CSV line per successful payment
    between start and end, amounts in yuan. Returns the number of lines."""
    paid = TopUpOrder.objects.filter(
        provider=payment_provider_get().name,
        paid_at__gte=start,
        paid_at__lt=end,
        status__in=[TopUpStatus.CREDITED, TopUpStatus.REFUNDED_OVER_LIMIT],
    ).order_by("paid_at", "pk")
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(STATEMENT_HEADER)
        for order in paid.iterator():
            writer.writerow(
                [
                    timezone.localtime(order.paid_at).strftime("%Y-%m-%d %H:%M:%S"),
                    order.out_trade_no,
                    order.provider_transaction_id,
                    "SUCCESS",
                    yuan_text(order.amount_fen),
                ]
            )
            lines += 1
    return lines
