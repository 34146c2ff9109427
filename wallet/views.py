"""The wallet's page actions (top-up from the driver's home page) and the payment provider simulator's
cashier. The driver's home page itself is orders.views.home: it shows orders too."""

import uuid

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from core.exceptions import FuelpayError
from core.money import format_fen
from drivers.exceptions import SmsCodeInvalid
from drivers.permissions import driver_required
from drivers.selectors import driver_get_by_phone, driver_phone_get
from drivers.services import phone_normalize, sms_code_send, sms_code_verify
from marketing.selectors import promotion_list_for_driver
from wallet.exceptions import ContractNotAllowed, InvalidAmount, TransferRecipientUnknown
from wallet.forms import amount_input_to_fen, number_input_to_int
from wallet.models import TopUpOrder
from wallet.providers import payment_provider_get, payment_simulator_enabled
from wallet.selectors import HistoryKind, contract_progress_list_for_driver, wallet_history_list
from wallet.services.contracts import wallet_contract_open
from wallet.services.top_up import wallet_top_up_order_create
from wallet.services.transfers import wallet_transfer
from wallet.statements import statement_pdf
from wallet.tasks import payment_simulator_notify_task

# out_trade_no → the page the driver topped up from (a nozzle): the cashier sends the driver back there.
TOP_UP_RETURN_SESSION_KEY = "top_up_return"


def _return_path(request) -> str | None:
    path = request.POST.get("next", "")
    safe = url_has_allowed_host_and_scheme(path, allowed_hosts={request.get_host()}, require_https=False)
    return path if path and safe else None


@driver_required
@require_POST
def top_up(request):
    """From the home page or inline on a nozzle page (next=the nozzle, with the amount chosen)."""
    back = _return_path(request)
    try:
        amount_fen = amount_input_to_fen(request.POST.get("amount_yuan") or request.POST.get("tier_yuan") or "")
        order = wallet_top_up_order_create(
            driver=request.user.driver, amount_fen=amount_fen, idempotency_key=request.POST.get("key", "")[:80]
        )
    except FuelpayError as error:
        messages.error(request, error.message)
        return redirect(back or "driver-home")
    if back:
        request.session[TOP_UP_RETURN_SESSION_KEY] = {order.out_trade_no: back}
    return redirect(payment_provider_get().cashier_url(order.out_trade_no))


def payment_simulator_cashier(request, out_trade_no: str):
    if not payment_simulator_enabled():  # routed only with the simulator; this guards a changed setting too
        raise Http404
    order = get_object_or_404(TopUpOrder, out_trade_no=out_trade_no)
    back = request.session.get(TOP_UP_RETURN_SESSION_KEY, {}).get(out_trade_no)
    paid = False
    if request.method == "POST":
        notify_url = settings.SITE_URL + reverse("payment-notify")
        transaction.on_commit(
            lambda: payment_simulator_notify_task.delay(order.out_trade_no, order.amount_fen, notify_url)
        )
        paid = True
    return render(request, "wallet/cashier.html", {"order": order, "paid": paid, "back": back})


HISTORY_KINDS = [
    (HistoryKind.TOP_UP, _("Top-ups")),
    (HistoryKind.PAYMENT, _("Payments")),
    (HistoryKind.REFUND, _("Refunds")),
    (HistoryKind.TRANSFER, _("Transfers")),
    (HistoryKind.CONTRACT, _("Contracts")),
]


def _month_input(text: str) -> tuple[int, int] | None:
    """'2026-11' → (2026, 11); anything else None."""
    try:
        year, month = (int(part) for part in text.split("-"))
    except ValueError:
        return None
    return (year, month) if 2000 <= year <= 2100 and 1 <= month <= 12 else None


@driver_required
def history(request):
    """Every wallet movement, one line per event, with the total after it; filters by kind and month."""
    kind, month_text = request.GET.get("kind", ""), request.GET.get("month", "")
    month = _month_input(month_text) if month_text else None
    if kind and kind not in dict(HISTORY_KINDS) or month_text and month is None:
        messages.error(request, _("Choose a kind from the list and a month as YYYY-MM."))
        kind, month_text, month = "", "", None
    now = timezone.localtime()
    context = {
        "events": wallet_history_list(driver_id=request.user.driver.pk, limit=200, kind=kind, month=month),
        "kinds": HISTORY_KINDS,
        "kind": kind,
        "month": month_text,
        "statement_month": month_text or f"{now.year}-{now.month:02d}",
    }
    return render(request, "wallet/history.html", context)


@driver_required
def history_statement(request, month: str):
    """The month's statement as a PDF download."""
    parsed = _month_input(month)
    if parsed is None:
        raise Http404
    events = wallet_history_list(driver_id=request.user.driver.pk, limit=None, month=parsed)
    pdf = statement_pdf(holder=str(request.user.driver), year=parsed[0], month=parsed[1], events=events)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="fuelpay-statement-{month}.pdf"'
    return response


@driver_required
def transfer(request):
    """转赠 in three steps: phone and amount → confirm (recipient masked; an SMS code to the sender's own
    phone from WALLET_TRANSFER_SMS_FROM_FEN up) → done. Any refusal shows why and moves nothing."""
    sender = request.user.driver
    data = request.POST
    context = {"phone": data.get("phone", ""), "amount_yuan": data.get("amount_yuan", ""), "step": "enter"}
    context["key"] = data.get("key") or uuid.uuid4().hex
    if request.method != "POST":
        return render(request, "wallet/transfer.html", context)
    try:
        amount_fen = amount_input_to_fen(context["amount_yuan"])
        if not 0 < amount_fen <= settings.WALLET_TRANSFER_MAX_FEN:  # refused before the confirm step too
            raise InvalidAmount(extra={"max_fen": settings.WALLET_TRANSFER_MAX_FEN})
        recipient = driver_get_by_phone(phone=phone_normalize(context["phone"]))
        if recipient is None or recipient.pk == sender.pk:
            raise TransferRecipientUnknown()
        step_up = amount_fen >= settings.WALLET_TRANSFER_SMS_FROM_FEN
        context.update(step="confirm", recipient=recipient, amount_fen=amount_fen, step_up=step_up)
        sender_phone = driver_phone_get(driver=sender) if step_up else ""
        if data.get("step") == "enter":
            if step_up:
                sms_code_send(phone=sender_phone, client_ip=request.META.get("REMOTE_ADDR"))
            return render(request, "wallet/transfer.html", context)
        if step_up and sms_code_verify(phone=sender_phone, code=data.get("code", "")).pk != sender.pk:
            raise SmsCodeInvalid()
        wallet_transfer(from_driver=sender, to_driver=recipient, amount_fen=amount_fen, idempotency_key=context["key"])
    except FuelpayError as error:
        context["error"] = error
        return render(request, "wallet/transfer.html", context)
    messages.success(
        request, _("%(amount)s sent to %(phone)s.") % {"amount": format_fen(amount_fen), "phone": str(recipient)}
    )
    return redirect("driver-history")


@driver_required
def contracts(request):
    """合约加油: offers to join (terms shown, agreement required), and the driver's contracts with progress."""
    offers = promotion_list_for_driver()[1]
    context = {"offers": offers, "key": uuid.uuid4().hex}
    if request.method == "POST":
        try:
            if request.POST.get("agree") != "yes":
                raise ContractNotAllowed(_("Please read and accept the terms first."))
            wallet_contract_open(
                driver=request.user.driver,
                offer_id=number_input_to_int(request.POST.get("offer", "")),
                idempotency_key=request.POST.get("key", "")[:80],
            )
        except FuelpayError as error:
            context["error"] = error
        else:
            messages.success(request, _("You joined the contract; the funds are frozen for that station."))
            return redirect("driver-contracts")
    context["contracts"] = contract_progress_list_for_driver(driver_id=request.user.driver.pk)
    return render(request, "wallet/contracts.html", context)
