from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from orders.tasks import order_direct_payment_task, order_pump_update_task
from pumpgateway import listeners as pump_news
from wallet import listeners as wallet_news


def _order_pump_update_later(*, authorization_id: int) -> None:
    order_pump_update_task.delay(authorization_id)


def _order_direct_payment_later(*, driver_id: int, out_trade_no: str, pays_reference: str) -> None:
    order_direct_payment_task.delay(driver_id, out_trade_no, pays_reference)


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = _("Orders")

    def ready(self):
        # Called after the bridge's transaction commits; the order is settled in its own task, so a
        # slow or failing settlement never holds up the serial line.
        pump_news.register(on_authorization_changed=_order_pump_update_later)
        # After the provider's money for a fill is credited: the fill is paid in its own transaction.
        wallet_news.register(on_direct_payment_credited=_order_direct_payment_later)
