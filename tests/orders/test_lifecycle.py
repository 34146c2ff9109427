"""The order's one state machine: every legal move is recorded, every illegal one refused and changes nothing;
and the one place that words an order for the driver."""

import itertools

import pytest
from django.db import transaction
from django.utils import translation

from orders.enums import OrderCause, OrderProblem, OrderStatus
from orders.exceptions import OrderTransitionNotAllowed
from orders.lifecycle import ALLOWED_TRANSITIONS, NEW, SETTLING, order_message, order_transition
from orders.models import FuelOrder, OrderStatusChange
from pumpgateway.enums import AuthorizationEndReason
from tests.factories.orders import FuelOrderFactory

pytestmark = pytest.mark.django_db

S = OrderStatus
LEGAL = [(source, target) for source, targets in ALLOWED_TRANSITIONS.items() if source for target in sorted(targets)]
ILLEGAL = [
    (source, target)
    for source, target in itertools.product(S.values, S.values)
    if target not in ALLOWED_TRANSITIONS[source]
]


def test_the_table_covers_every_status_and_final_statuses_lead_nowhere():
    assert set(ALLOWED_TRANSITIONS) == {NEW, *S.values}
    assert [status for status, targets in ALLOWED_TRANSITIONS.items() if not targets] == [S.PAID, S.CANCELLED, S.FAILED]


@pytest.mark.parametrize(("from_status", "to_status"), LEGAL)
def test_a_legal_move_changes_the_status_and_records_who_what_when(from_status, to_status):
    order = FuelOrderFactory(status=from_status)
    with transaction.atomic():
        order_transition(
            order=order, to_status=to_status, cause=OrderCause.DRIVER_CANCEL, actor=order.driver.user, failure_code="x"
        )
    order.refresh_from_db()
    assert (order.status, order.failure_code) == (to_status, "x")
    change = OrderStatusChange.objects.get(order=order)
    assert (change.from_status, change.to_status, change.cause, change.failure_code, change.actor) == (
        from_status,
        to_status,
        "driver:cancel",
        "x",
        order.driver.user,
    )
    assert change.created_at is not None


@pytest.mark.parametrize(("from_status", "to_status"), ILLEGAL)
def test_an_illegal_move_is_refused_and_changes_nothing(from_status, to_status):
    order = FuelOrderFactory(status=from_status, failure_code="before")
    with pytest.raises(OrderTransitionNotAllowed) as refused, transaction.atomic():
        order_transition(order=order, to_status=to_status, cause=OrderCause.PUMP_COMPLETED, failure_code="after")
    assert refused.value.extra["from_status"] == from_status and refused.value.extra["to_status"] == to_status
    assert FuelOrder.objects.values_list("status", "failure_code").get(pk=order.pk) == (from_status, "before")
    assert not OrderStatusChange.objects.exists()


@pytest.mark.parametrize("to_status", [S.AUTHORIZED, S.FUELLING, S.NEEDS_REVIEW, S.CANCELLED, S.FAILED])
def test_a_new_order_starts_only_as_authorizing_or_paid(to_status):
    order = FuelOrderFactory.build(
        driver=FuelOrderFactory().driver, nozzle=FuelOrderFactory().nozzle, status="", order_no="F-new"
    )
    with pytest.raises(OrderTransitionNotAllowed), transaction.atomic():
        order_transition(order=order, to_status=to_status, cause=OrderCause.DRIVER_ORDER)
    assert not FuelOrder.objects.filter(order_no="F-new").exists()


@pytest.mark.parametrize(
    ("_case", "status", "failure_code", "debt_fen", "label", "detail"),
    [
        ("waiting", S.AUTHORIZING, "", 0, "等待油机响应", ""),
        ("settling", SETTLING, "", 0, "加油结束，正在结算", ""),
        ("paid", S.PAID, "", 0, "已支付", ""),
        ("paid late", S.PAID, OrderProblem.HOLD_LAPSED, 0, "已支付", "加油前您的冻结已失效，本次加油已从余额扣款。"),
        ("paid over", S.PAID, OrderProblem.OVER_HOLD, 0, "已支付", "本次加油金额超过冻结金额，差额已从余额扣款。"),
        (
            "owed",
            S.NEEDS_REVIEW,
            OrderProblem.OVER_HOLD,
            150,
            "未全额支付",
            "本次加油有 ¥1.50 未能从余额扣除，将从您下次充值中优先扣回；在此之前暂停油枪旁支付。",
        ),
        ("no fuel", S.CANCELLED, OrderProblem.NO_FUEL, 0, "已取消", "未加油即挂枪，冻结金额已退回钱包。"),
        (
            "not lifted",
            S.CANCELLED,
            AuthorizationEndReason.NOT_LIFTED,
            0,
            "已取消",
            "未在规定时间内提枪，冻结金额已退回钱包。",
        ),
        ("refused", S.FAILED, AuthorizationEndReason.PUMP_BUSY, 0, "失败", "油机正忙，冻结金额已退回钱包。"),
        ("unknown reason", S.FAILED, "gremlins", 0, "失败", "冻结金额已退回钱包。"),
    ],
)
def test_the_driver_reads_one_wording_per_status_and_failure(_case, status, failure_code, debt_fen, label, detail):
    with translation.override("zh-hans"):
        message = order_message(status=status, failure_code=failure_code, debt_fen=debt_fen)
    assert (message.status_label, message.detail) == (label, detail)
