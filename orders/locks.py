"""Every row lock on orders goes through here: evaluated at once, only inside atomic."""

from django.db import connection

from orders.models import FuelOrder


def order_select_for_update(*, order_id: int) -> FuelOrder:
    assert connection.in_atomic_block, "row locks are only meaningful inside transaction.atomic()"
    return FuelOrder.objects.select_for_update(of=("self",)).get(pk=order_id)
