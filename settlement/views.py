"""Finance's console: settlements by day and station with drill-down to the single fill, the discrepancy
queue, payout batches (four eyes), vouchers, and exports (CSV, XLSX at constant memory, PDF per day).
Scoped in settlement.selectors: another enterprise's rows do not exist here (404)."""

from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.audit import client_ip_get
from core.exceptions import FuelpayError
from marketing.selectors import partner_settlement_list
from settlement.enums import DiscrepancyStatus, PayoutStatus
from settlement.exceptions import TotalizerUnavailable
from settlement.exports import day_pdf, items_csv_stream, items_xlsx_file, partner_settlement_csv, shift_pdf
from settlement.selectors import (
    discrepancy_get,
    discrepancy_list,
    finance_enterprises,
    finance_stations,
    payout_batch_get,
    payout_batch_list,
    settlement_day_get,
    settlement_day_list,
    settlement_day_totals,
    settlement_item_list,
    shift_list,
)
from settlement.services.days import business_date_of, settlement_day_close
from settlement.services.payouts import payout_bank_file, payout_batch_create, payout_batch_transition
from settlement.services.reconcile import discrepancy_transition, reconcile_day
from settlement.services.shifts import shift_close, shift_hand_over, shift_open
from settlement.vouchers import VOUCHER_TITLES, VoucherKind, voucher_lines
from stations.admin_scoping import run_service_for_admin
from stations.enums import StaffAction
from stations.selectors import staff_may, station_qs_visible_to, user_is_platform_admin


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _filters(request) -> dict:
    station = request.GET.get("station") or None
    return {
        "date_from": _date(request.GET.get("from")),
        "date_to": _date(request.GET.get("to")),
        "station_id": int(station) if station and station.isdigit() else None,
    }


@staff_member_required
def day_list(request):
    days = settlement_day_list(user=request.user, **_filters(request))
    yesterday = business_date_of(timezone.now()) - timedelta(days=1)
    return render(
        request,
        "settlement/day_list.html",
        {
            "title": _("Settlements"),
            "days": days[:500],
            "totals": settlement_day_totals(days),
            "stations": finance_stations(user=request.user).order_by("code"),
            "query": request.GET.urlencode(),
            "filters": request.GET,
            "yesterday": yesterday,
        },
    )


@staff_member_required
@require_POST
def day_close(request):
    business_date = _date(request.POST.get("date"))
    if business_date is None:
        messages.error(request, _("Enter the business day as YYYY-MM-DD."))
        return redirect("finance-days")
    # The platform closes every station at once; an enterprise's finance closes its own stations.
    scope = [None] if user_is_platform_admin(user=request.user) else finance_stations(user=request.user)
    for station_id in scope if scope == [None] else scope.values_list("pk", flat=True):
        try:
            settlement_day_close(business_date=business_date, station_id=station_id, actor=request.user)
        except FuelpayError as error:
            messages.error(request, error.message)
            return redirect("finance-days")
    messages.success(request, _("Business day %(date)s is closed.") % {"date": business_date})
    return redirect(f"{reverse('finance-days')}?from={business_date}&to={business_date}")


@staff_member_required
@require_POST
def day_reconcile(request):
    """The same run as `manage.py reconcile --date D`: pump fills ↔ orders ↔ captures, and the provider's
    statement if its file is there. Platform-wide and idempotent (a finding is recorded once); each finance
    user then sees the findings of their own stations."""
    finance_enterprises(user=request.user)  # finance roles only
    business_date = _date(request.POST.get("date"))
    if business_date is None:
        messages.error(request, _("Enter the business day as YYYY-MM-DD."))
        return redirect("finance-days")
    try:
        result = reconcile_day(business_date=business_date)
    except FuelpayError as error:
        messages.error(request, error.message)
        return redirect("finance-days")
    messages.success(
        request,
        _("Business day %(date)s reconciled: %(found)s new discrepancies.")
        % {"date": business_date, "found": result.found},
    )
    return redirect("finance-discrepancies")


@staff_member_required
def day_detail(request, day_id: int):
    day = settlement_day_get(user=request.user, day_id=day_id)
    if day is None:
        raise Http404
    items = settlement_item_list(days=settlement_day_list(user=request.user).filter(pk=day.pk))
    title = _("Settlement of %(station)s on %(date)s") % {"station": day.station.name, "date": day.business_date}
    return render(request, "settlement/day_detail.html", {"title": title, "day": day, "items": items})


@staff_member_required
def day_pdf_download(request, day_id: int):
    day = settlement_day_get(user=request.user, day_id=day_id)
    if day is None:
        raise Http404
    response = HttpResponse(day_pdf(day), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="settlement-{day.station.code}-{day.business_date}.pdf"'
    return response


@staff_member_required
def export_csv(request):
    items = settlement_item_list(days=settlement_day_list(user=request.user, **_filters(request)))
    response = StreamingHttpResponse(items_csv_stream(items), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="settlement-items.csv"'
    return response


@staff_member_required
def export_xlsx(request):
    items = settlement_item_list(days=settlement_day_list(user=request.user, **_filters(request)))
    return FileResponse(
        items_xlsx_file(items),
        as_attachment=True,
        filename="settlement-items.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


@staff_member_required
def discrepancies(request):
    status = request.GET.get("status", DiscrepancyStatus.OPEN)
    findings = discrepancy_list(user=request.user, status=status if status in DiscrepancyStatus.values else None)
    return render(
        request,
        "settlement/discrepancies.html",
        {
            "title": _("Discrepancies"),
            "findings": findings[:500],
            "statuses": DiscrepancyStatus.choices,
            "status": status,
        },
    )


@staff_member_required
def discrepancy_detail(request, discrepancy_id: int):
    finding = discrepancy_get(user=request.user, discrepancy_id=discrepancy_id)
    if finding is None:
        raise Http404
    if request.method == "POST":
        done = run_service_for_admin(
            request,
            discrepancy_transition,
            _("Discrepancy updated."),
            discrepancy_id=finding.pk,
            to_status=request.POST.get("to_status", ""),
            actor=request.user,
            note=request.POST.get("note", ""),
        )
        return redirect("finance-discrepancies" if done else "finance-discrepancy", *([] if done else [finding.pk]))
    return render(
        request,
        "settlement/discrepancy_detail.html",
        {"title": finding.get_kind_display(), "finding": finding, "statuses": DiscrepancyStatus.choices},
    )


@staff_member_required
def payouts(request):
    if request.method == "POST":
        enterprise = finance_enterprises(user=request.user).filter(pk=request.POST.get("enterprise")).first()
        if enterprise is None:
            raise Http404
        station = request.POST.get("station") or None
        if station is not None:  # one station's batch; a station of another enterprise does not exist here
            station = finance_stations(user=request.user).filter(pk=station, enterprise=enterprise).first()
            if station is None:
                raise Http404
        run_service_for_admin(
            request,
            payout_batch_create,
            _("Payout batch created."),
            enterprise=enterprise,
            actor=request.user,
            station_id=station.pk if station else None,
        )
        return redirect("finance-payouts")
    return render(
        request,
        "settlement/payouts.html",
        {
            "title": _("Payout batches"),
            "batches": payout_batch_list(user=request.user)[:200],
            "enterprises": finance_enterprises(user=request.user),
            "stations": finance_stations(user=request.user).order_by("code"),
            "statuses": PayoutStatus,
        },
    )


@staff_member_required
@require_POST
def payout_transition(request, batch_id: int):
    batch = payout_batch_get(user=request.user, batch_id=batch_id)
    if batch is None:
        raise Http404
    run_service_for_admin(
        request,
        payout_batch_transition,
        _("Payout batch updated."),
        batch_id=batch.pk,
        to_status=request.POST.get("to_status", ""),
        actor=request.user,
    )
    return redirect("finance-payouts")


@staff_member_required
def payout_bank_file_download(request, batch_id: int):
    batch = payout_batch_get(user=request.user, batch_id=batch_id)
    if batch is None:
        raise Http404
    try:
        content = payout_bank_file(batch=batch, actor=request.user, client_ip=client_ip_get(request))
    except FuelpayError as error:
        messages.error(request, error.message)
        return redirect("finance-payouts")
    response = HttpResponse("\ufeff" + content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="payout-{batch.pk}.csv"'
    return response


@staff_member_required
def vouchers(request):
    business_date = _date(request.GET.get("date")) or business_date_of(timezone.now()) - timedelta(days=1)
    station_ids = list(finance_stations(user=request.user).values_list("pk", flat=True))
    sheets = []
    for kind in (VoucherKind.SETTLEMENT, VoucherKind.CLEARING):
        lines = voucher_lines(kind=kind, business_date=business_date, station_ids=station_ids)
        sheets.append(
            {
                "title": VOUCHER_TITLES[kind],
                "lines": lines,
                "debit": sum(line.debit_fen for line in lines),
                "credit": sum(line.credit_fen for line in lines),
            }
        )
    return render(
        request,
        "settlement/vouchers.html",
        {"title": _("Vouchers"), "sheets": sheets, "business_date": business_date},
    )


def _partner_period(request) -> tuple[date, date]:
    """The report's days (local, both included): ?from= and ?to=, by default the month so far."""
    today = timezone.localdate()
    date_to = _date(request.GET.get("to")) or today
    date_from = _date(request.GET.get("from")) or date_to.replace(day=1)
    return date_from, max(date_from, date_to)


@staff_member_required
def partner_settlement(request):
    """合作券: what each partner's coupons took off orders, per day, to settle with the partner. The platform
    settles with partners: other staff are refused."""
    if not user_is_platform_admin(user=request.user):
        raise PermissionDenied
    date_from, date_to = _partner_period(request)
    rows = partner_settlement_list(date_from=date_from, date_to=date_to)
    if request.GET.get("format") == "csv":
        response = HttpResponse(partner_settlement_csv(rows), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="partner-coupons-{date_from}-{date_to}.csv"'
        return response
    context = {
        "title": _("Partner coupons"),
        "rows": rows,
        "date_from": date_from,
        "date_to": date_to,
        "uses": sum(row.uses for row in rows),
        "cost_fen": sum(row.cost_fen for row in rows),
    }
    return render(request, "settlement/partner_settlement.html", context)


def _may_run_shifts(request) -> bool:
    """Opening and closing a shift is the station's own work: the roles that operate its pumps."""
    return staff_may(user=request.user, action=StaffAction.OPERATE_PUMPS)


@staff_member_required
def shifts(request):
    may_run = _may_run_shifts(request)
    stations = station_qs_visible_to(user=request.user).order_by("code") if may_run else []
    return render(
        request,
        "settlement/shifts.html",
        {
            "title": _("Shifts"),
            "shifts": shift_list(user=request.user).prefetch_related("nozzles__nozzle")[:200],
            "stations": stations,
            "may_run": may_run,
        },
    )


@staff_member_required
@require_POST
def shift_open_view(request):
    if not _may_run_shifts(request):
        raise PermissionDenied
    station = station_qs_visible_to(user=request.user).filter(pk=request.POST.get("station") or 0).first()
    if station is None:
        raise Http404
    run_service_for_admin(request, shift_open, _("Shift opened."), station=station, actor=request.user)
    return redirect("shifts")


_LITRES_MAX = Decimal(10**12)  # far beyond any pump's totalizer; keeps the ml inside a BigIntegerField


def _litres_ml(value: str) -> int | None:
    """A reading or volume typed in litres (up to three decimals) → ml; blank → None."""
    value = value.strip()
    if not value:
        return None
    try:
        litres = Decimal(value)
    except InvalidOperation:
        raise ValueError(value) from None
    if not litres.is_finite() or not 0 <= litres < _LITRES_MAX or litres * 1000 % 1:
        raise ValueError(value)
    return int(litres * 1000)


def _close_form(post, rows) -> tuple[dict[int, int], dict[int, int]]:
    """The close form's per-nozzle fields (litres) → manual readings and declared tenders, ml by nozzle id."""
    manual, tenders = {}, {}
    for row in rows:
        for field, target in (("manual", manual), ("tender", tenders)):
            ml = _litres_ml(post.get(f"{field}-{row.nozzle_id}", ""))
            if ml is not None:
                target[row.nozzle_id] = ml
    return manual, tenders


@staff_member_required
def shift_detail(request, shift_id: int):
    """An open shift: the close form (declared tenders, manual readings; a silent pump's nozzles must have one).
    A closed shift: its reconciliation per nozzle, with flags."""
    shift = shift_list(user=request.user).filter(pk=shift_id).first()
    if shift is None:
        raise Http404
    rows = list(shift.nozzles.select_related("nozzle__grade").order_by("nozzle__number"))
    silent: list[int] = []
    if request.method == "POST":
        if not _may_run_shifts(request):
            raise PermissionDenied
        try:
            manual, tenders = _close_form(request.POST, rows)
        except ValueError:
            messages.error(request, _("Enter litres as a number that is not negative, with at most three decimals."))
        else:
            try:
                shift_close(shift_id=shift.pk, actor=request.user, manual_readings=manual, other_tenders=tenders)
            except TotalizerUnavailable as error:
                messages.error(request, error.message)
                silent = error.extra.get("nozzles", [])
            except FuelpayError as error:
                messages.error(request, error.message)
            else:
                messages.success(request, _("Shift closed."))
                return redirect("shift", shift.pk)
    for row in rows:  # what the cashier typed stays in the form; a silent pump's nozzles need a reading
        row.manual_input = request.POST.get(f"manual-{row.nozzle_id}", "")
        row.tender_input = request.POST.get(f"tender-{row.nozzle_id}", "")
        row.is_silent = row.nozzle.number in silent
    return render(
        request,
        "settlement/shift_detail.html",
        {
            "title": _("Shift of %(station)s") % {"station": shift.station.name},
            "shift": shift,
            "rows": rows,
            "may_run": _may_run_shifts(request),
        },
    )


@staff_member_required
def shift_pdf_download(request, shift_id: int):
    shift = shift_list(user=request.user).filter(pk=shift_id).first()
    if shift is None:
        raise Http404
    response = HttpResponse(shift_pdf(shift), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="shift-{shift.station.code}-{shift.pk}.pdf"'
    return response


@staff_member_required
@require_POST
def shift_hand_over_view(request, shift_id: int):
    """The signed-in cashier takes the shift over (signs the report off)."""
    shift = shift_list(user=request.user).filter(pk=shift_id).first()
    if shift is None:
        raise Http404
    run_service_for_admin(request, shift_hand_over, _("Shift handed over."), shift_id=shift.pk, incoming=request.user)
    return redirect("shifts")
