"""The payment provider simulator's own actions (what the provider would do on its side)."""

import json
import logging
import urllib.error
import urllib.request

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
