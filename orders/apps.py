from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from orders.tasks import order_pump_update_task
from pumpgateway import listeners as pump_news


def _order_pump_update_later(*, authorization_id: int) -> None:
    order_pump_update_task.delay(authorization_id)


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = _("Orders")

    def ready(self):
        # Called after the bridge's transaction commits; the order is settled in its own task, so a
        # slow or failing settlement never holds up the serial line.
        pump_news.register(on_authorization_changed=_order_pump_update_later)
