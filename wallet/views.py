"""The payment provider simulator's cashier page: stands in for WeChat Pay / Alipay's own page."""

from django.conf import settings
from django.db import transaction
from django.shortcuts import get_object_or_404, render
from django.urls import reverse

from wallet.models import TopUpOrder
from wallet.tasks import payment_simulator_notify_task


def payment_simulator_cashier(request, out_trade_no: str):
    order = get_object_or_404(TopUpOrder, out_trade_no=out_trade_no)
    paid = False
    if request.method == "POST":
        notify_url = settings.SITE_URL + reverse("payment-notify")
        transaction.on_commit(
            lambda: payment_simulator_notify_task.delay(order.out_trade_no, order.amount_fen, notify_url)
        )
        paid = True
    return render(request, "simulator/cashier.html", {"order": order, "paid": paid})
