"""The order's lifecycle, in one place: the table of legal status changes, the one function that changes
an order's status (and writes its audit row), and the one function that words an order for the driver.

    authorizing ─▶ authorized ─▶ fuelling ─▶ paid
         │              │            │   └─▶ needs_review ─▶ paid (late capture covered it)
         │              │            └─▶ cancelled (hung up without fuel)
         └──────────────┴─▶ paid | needs_review | cancelled | failed (refused)   (news can skip states)
    (new) ─▶ authorizing (prepaid) | paid (postpaid: paid when created)

The pump's news can arrive late or collapsed (an order still waiting for the pump may learn that the fill
is already complete), so each open status may jump straight to every later one the pump can produce.
"""

from dataclasses import dataclass

from django.db import connection
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.money import format_fen
from orders.enums import OrderProblem, OrderStatus
from orders.exceptions import OrderTransitionNotAllowed
from orders.models import FuelOrder, OrderStatusChange
from pumpgateway.enums import AuthorizationEndReason

S = OrderStatus
NEW = ""  # the from-status of an order being created
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    NEW: frozenset({S.AUTHORIZING, S.PAID}),
    S.AUTHORIZING: frozenset({S.AUTHORIZED, S.FUELLING, S.PAID, S.NEEDS_REVIEW, S.CANCELLED, S.FAILED}),
    S.AUTHORIZED: frozenset({S.FUELLING, S.PAID, S.NEEDS_REVIEW, S.CANCELLED}),
    S.FUELLING: frozenset({S.PAID, S.NEEDS_REVIEW, S.CANCELLED}),
    S.NEEDS_REVIEW: frozenset({S.PAID}),
    S.PAID: frozenset(),
    S.CANCELLED: frozenset(),
    S.FAILED: frozenset(),
}
# Between the pump stopping and the worker settling the payment the driver sees this display status.
SETTLING = "settling"


def order_transition(*, order: FuelOrder, to_status: str, cause: str, actor=None, failure_code: str = "") -> FuelOrder:
    """Move the order to to_status (creating it if it is new) and record from, to, cause, actor and when.

    The caller holds the order's row lock inside its transaction, and saves its other fields itself. An
    illegal move raises OrderTransitionNotAllowed before anything is written."""
    assert connection.in_atomic_block, "an order changes status inside its caller's transaction"
    from_status = NEW if order._state.adding else order.status
    if to_status not in ALLOWED_TRANSITIONS[from_status]:
        raise OrderTransitionNotAllowed(
            extra={
                "order_no": order.order_no,
                "from_status": from_status,
                "to_status": to_status,
                "allowed": sorted(ALLOWED_TRANSITIONS[from_status]),
            }
        )
    order.status, order.failure_code = to_status, failure_code
    if from_status == NEW:
        order.save()
    else:
        order.save(update_fields=["status", "failure_code"])
    OrderStatusChange.objects.create(
        order=order,
        from_status=from_status,
        to_status=to_status,
        cause=cause,
        failure_code=failure_code,
        actor=actor,
    )
    return order


@dataclass(frozen=True)
class OrderMessage:
    status_label: str  # short: what is happening now
    detail: str  # one sentence on what happened to the money, when that is not obvious; else ""


_END_REASON_DETAIL = {
    AuthorizationEndReason.NOT_LIFTED: _("The nozzle was not lifted in time. Your money has been released."),
    AuthorizationEndReason.PUMP_OFFLINE: _("The pump went offline. Your money has been released."),
    AuthorizationEndReason.NOT_CONFIRMED: _(
        "The pump did not confirm the authorization. Your money has been released."
    ),
    AuthorizationEndReason.CONTROLLER_UNRESPONSIVE: _(
        "The station's pump controller is not responding. Your money has been released."
    ),
    AuthorizationEndReason.PUMP_BUSY: _("The pump was busy. Your money has been released."),
    AuthorizationEndReason.RESET_AT_PUMP: _("The pump was reset before fuelling. Your money has been released."),
    AuthorizationEndReason.CANCELLED: _("The order was cancelled. Your money has been released."),
    OrderProblem.NO_FUEL: _("The nozzle was hung up without fuelling. Your money has been released."),
}


def order_message(*, status: str, failure_code: str = "", debt_fen: int = 0) -> OrderMessage:
    """What the driver reads about an order, in the reader's language. Pages, the order API and the
    attendant console all ask here; nothing else words an order's status or failure."""
    label = gettext("Fuelling finished, settling the payment") if status == SETTLING else str(OrderStatus(status).label)
    if status == S.NEEDS_REVIEW:
        detail = gettext(
            "%(debt)s of this fill could not be paid from your balance. It will be taken from your next "
            "top-up; paying at the pump is paused until then."
        ) % {"debt": format_fen(debt_fen)}
    elif status == S.PAID and failure_code == OrderProblem.HOLD_LAPSED:
        detail = gettext("Your reservation had lapsed before the fill; the fill was paid from your balance.")
    elif status == S.PAID and failure_code == OrderProblem.OVER_HOLD:
        detail = gettext("The fill came to more than was reserved; the difference was paid from your balance.")
    elif status in (S.CANCELLED, S.FAILED):
        detail = str(_END_REASON_DETAIL.get(failure_code) or gettext("Your money has been released."))
    else:
        detail = ""
    return OrderMessage(status_label=str(label), detail=str(detail))
