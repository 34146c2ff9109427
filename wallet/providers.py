"""Payment provider adapters. The simulator behaves like WeChat Pay (v2, HMAC-SHA256 sign_type):
create an order, the driver pays on the provider's cashier page, the provider sends an asynchronous
signed notification (possibly more than once, possibly late), and we verify it before crediting.

A real provider adapter implements the same four calls against the provider's API.
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from django.utils import timezone

RESULT_SUCCESS = "SUCCESS"
RESULT_FAIL = "FAIL"


@dataclass(frozen=True)
class ProviderNotification:
    out_trade_no: str
    transaction_id: str
    amount_fen: int
    succeeded: bool
    sent_at: int  # unix seconds, signed
    nonce: str


class PaymentSimulator:
    name = "simulator"

    def __init__(self, secret: str):
        self._secret = secret.encode()

    def sign(self, params: dict) -> str:
        canonical = "&".join(f"{key}={params[key]}" for key in sorted(params) if key != "sign" and params[key] != "")
        return hmac.new(self._secret, f"{canonical}&key=".encode() + self._secret, hashlib.sha256).hexdigest().upper()

    def verify_notification(self, params: dict) -> ProviderNotification | None:
        """The parsed notification if its signature and fields are valid, else None."""
        signature = str(params.get("sign", ""))
        try:
            # Bytes, so a hostile non-ASCII signature is a mismatch rather than compare_digest's TypeError.
            if not signature or not hmac.compare_digest(signature.encode(), self.sign(params).encode()):
                return None
            notification = ProviderNotification(
                out_trade_no=str(params["out_trade_no"]),
                transaction_id=str(params["transaction_id"]),
                amount_fen=int(params["total_fee"]),
                succeeded=params["result_code"] == RESULT_SUCCESS,
                sent_at=int(params["timestamp"]),
                nonce=str(params["nonce_str"])[:64],
            )
        except (KeyError, ValueError, TypeError):
            return None
        return notification

    def cashier_url(self, out_trade_no: str) -> str:
        return reverse("payment-simulator-cashier", kwargs={"out_trade_no": out_trade_no})

    def payment_notification(self, *, out_trade_no: str, amount_fen: int, succeeded: bool = True) -> dict:
        """What the provider POSTs to our notify URL after the driver pays (or the payment fails)."""
        params = {
            "out_trade_no": out_trade_no,
            # Stable per order, as the real provider's transaction id is across re-sent notifications.
            "transaction_id": "SIM" + hashlib.sha256(out_trade_no.encode()).hexdigest()[:24],
            "total_fee": str(amount_fen),
            "result_code": RESULT_SUCCESS if succeeded else RESULT_FAIL,
            "time_end": timezone.localtime().strftime("%Y%m%d%H%M%S"),
            # Each delivery is signed afresh with its own time and nonce (as WeChat Pay v3's headers are).
            "timestamp": str(int(timezone.now().timestamp())),
            "nonce_str": secrets.token_hex(16),
        }
        params["sign"] = self.sign(params)
        return params

    def refund(self, *, reference: str, amount_fen: int) -> str:
        """The simulator accepts every refund at once and returns the provider's refund id."""
        return "SIMREFUND" + hashlib.sha256(f"{reference}:{amount_fen}".encode()).hexdigest()[:20]


def payment_simulator_enabled() -> bool:
    """The simulator's cashier credits without payment: it exists only where it is the configured provider."""
    return PaymentSimulator.name == settings.PAYMENT_PROVIDER


def payment_provider_get() -> PaymentSimulator:
    """The provider PAYMENT_PROVIDER names; a real provider's adapter is added here next to the simulator."""
    if payment_simulator_enabled():
        return PaymentSimulator(settings.PAYMENT_SIMULATOR_SECRET)
    raise ImproperlyConfigured(f"No payment provider adapter named {settings.PAYMENT_PROVIDER!r}")
