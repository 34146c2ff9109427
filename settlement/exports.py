"""Finance exports at constant memory: rows are read from the database in chunks (a server-side cursor on
PostgreSQL) and written as they come — CSV streamed to the client, XLSX through xlsxwriter's
constant_memory mode into a temporary file — and a one-page PDF per station day (reportlab, CJK CID font)."""

import csv
import io
import tempfile
from collections.abc import Iterator

import xlsxwriter
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from core.money import FEN_PER_YUAN, format_fen, yuan_text
from marketing.selectors import PartnerSettlementRow
from settlement.models import SettlementDay, SettlementItem

CHUNK = 5000
ITEM_COLUMNS = (
    "day__business_date",
    "day__station__code",
    "day__station__name",
    "kind",
    "order__order_no",
    "fill_id",
    "grade_name",
    "volume_ml",
    "gross_fuel_fen",
    "gross_non_fuel_fen",
    "discount_platform_fen",
    "discount_station_fen",
    "amount_fen",
    "fee_bps",
    "fee_fen",
    "original_date",
)
MONEY_COLUMNS = {8, 9, 10, 11, 12, 14}  # positions of fen columns, exported as yuan
SUMMED = (7, *sorted(MONEY_COLUMNS))


def item_headers() -> list[str]:
    return [
        _("Business day"),
        _("Station code"),
        _("Station"),
        _("Kind"),
        _("Order"),
        _("Fill"),
        _("Grade"),
        _("Litres"),
        _("Fuel at list price (yuan)"),
        _("Non-fuel (yuan)"),
        _("Platform-funded discount (yuan)"),
        _("Station-funded discount (yuan)"),
        _("Amount (yuan)"),
        _("Fee rate (bp)"),
        _("Fee (yuan)"),
        _("Late item of"),
    ]


def _rows(items: QuerySet[SettlementItem]) -> Iterator[tuple]:
    return items.values_list(*ITEM_COLUMNS).iterator(chunk_size=CHUNK)


def _cells(row: tuple) -> list:
    cells = list(row)
    cells[7] = f"{row[7] / 1000:.3f}"
    for index in MONEY_COLUMNS:
        cells[index] = yuan_text(row[index])
    return ["" if cell is None else cell for cell in cells]


def items_csv_stream(items: QuerySet[SettlementItem]) -> Iterator[str]:
    """Lines of a CSV (UTF-8 BOM, so spreadsheet programs read the Chinese), ending in a totals line."""

    class Line:
        def write(self, text):
            return text

    writer = csv.writer(Line())
    yield "\ufeff" + writer.writerow(item_headers())
    totals = dict.fromkeys(SUMMED, 0)
    for row in _rows(items):
        for index in SUMMED:
            totals[index] += row[index]
        yield writer.writerow(_cells(row))
    yield writer.writerow(_totals_cells(totals, as_text=True))


def partner_settlement_csv(rows: list[PartnerSettlementRow]) -> str:
    """合作券 settlement per partner and day (UTF-8 BOM for spreadsheet programs), ending in a totals line."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_("Day"), _("Partner code"), _("Coupons used"), _("Discount to settle (yuan)")])
    for row in rows:
        writer.writerow([row.day.isoformat(), row.partner_code, row.uses, yuan_text(row.cost_fen)])
    writer.writerow([_("Total"), "", sum(r.uses for r in rows), yuan_text(sum(r.cost_fen for r in rows))])
    return "\ufeff" + out.getvalue()


def _totals_cells(totals: dict[int, int], *, as_text: bool) -> list:
    cells: list = [_("Total")] + [""] * (len(ITEM_COLUMNS) - 1)
    cells[7] = f"{totals[7] / 1000:.3f}" if as_text else totals[7] / 1000
    for index in MONEY_COLUMNS:
        cells[index] = yuan_text(totals[index]) if as_text else totals[index] / FEN_PER_YUAN
    return cells


def items_xlsx_file(items: QuerySet[SettlementItem]):
    """A temporary XLSX file (open, at position 0) written row by row in constant memory."""
    handle = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - returned open; the FileResponse closes it
    workbook = xlsxwriter.Workbook(handle, {"constant_memory": True, "in_memory": False})
    sheet = workbook.add_worksheet(_("Settlement items")[:31])
    money = workbook.add_format({"num_format": "#,##0.00"})
    litres = workbook.add_format({"num_format": "0.000"})
    sheet.write_row(0, 0, item_headers(), workbook.add_format({"bold": True}))
    totals = dict.fromkeys(SUMMED, 0)
    number = 0
    for number, row in enumerate(_rows(items), start=1):
        for index in SUMMED:
            totals[index] += row[index]
        for column, value in enumerate(row):
            if column in MONEY_COLUMNS:
                sheet.write_number(number, column, value / FEN_PER_YUAN, money)
            elif column == 7:
                sheet.write_number(number, column, value / 1000, litres)
            elif value is not None:
                sheet.write(number, column, value.isoformat() if hasattr(value, "isoformat") else value)
    sheet.write_row(number + 1, 0, _totals_cells(totals, as_text=False), money)
    workbook.close()
    handle.seek(0)
    return handle


def day_pdf(day: SettlementDay) -> bytes:
    """One page: the station day's figures, the ledger posting and the late items it carries."""
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4)
    width, height = A4
    page.setFont("STSong-Light", 16)
    page.drawString(50, height - 60, _("Daily settlement %(date)s") % {"date": day.business_date.isoformat()})
    page.setFont("STSong-Light", 11)
    page.drawString(50, height - 82, f"{day.station.name} ({day.station.code}) · {day.station.enterprise.name}")
    rows = [
        (_("Sales through the platform"), str(day.sales_count)),
        (_("Litres"), f"{day.volume_ml / 1000:.3f}"),
        (_("Fuel at list price"), format_fen(day.gross_fuel_fen)),
        (_("Non-fuel"), format_fen(day.gross_non_fuel_fen)),
        (_("Discounts funded by the platform"), format_fen(-day.discount_platform_fen)),
        (_("Discounts funded by the station"), format_fen(-day.discount_station_fen)),
        (_("Captured through the platform"), format_fen(day.collected_fen)),
        (_("Refunds"), format_fen(-day.refunds_fen)),
        (_("of which late items of closed days"), format_fen(day.adjustments_fen)),
        (_("Platform fee"), format_fen(-day.fee_fen)),
        (_("Net payable to the station"), format_fen(day.net_fen)),
    ]
    y = height - 120
    for label, value in rows:
        page.drawString(60, y, label)
        page.drawRightString(width - 60, y, value)
        y -= 20
    page.line(60, y + 12, width - 60, y + 12)
    page.setFont("STSong-Light", 9)
    page.drawString(
        60,
        y - 10,
        _("Status: %(status)s · ledger entry %(entry)s · closed %(closed)s")
        % {
            "status": day.get_status_display(),
            "entry": day.entry_id or "—",
            "closed": day.closed_at.strftime("%Y-%m-%d %H:%M"),
        },
    )
    page.showPage()
    page.save()
    return buffer.getvalue()


def shift_pdf(shift) -> bytes:
    """The shift report (班结单) for signing at handover: one line per nozzle, flags marked."""
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4)
    width, height = A4
    page.setFont("STSong-Light", 16)
    page.drawString(50, height - 60, _("Shift report · %(station)s") % {"station": shift.station.name})
    page.setFont("STSong-Light", 10)
    closed = shift.closed_at.strftime("%Y-%m-%d %H:%M") if shift.closed_at else "—"
    page.drawString(50, height - 80, f"{shift.opened_at:%Y-%m-%d %H:%M} → {closed} · {shift.get_status_display()}")
    headers = [
        _("Nozzle"),
        _("Totalizer"),
        _("Fills"),
        _("Platform"),
        _("Counter"),
        _("Drive-offs"),
        _("Other tenders"),
        _("Unpaid"),
        _("Flags"),
    ]
    y = height - 110
    for column, header in enumerate(headers):
        page.drawString(40 + column * 58, y, header)
    for row in shift.nozzles.select_related("nozzle"):
        y -= 18
        cells = [
            row.nozzle.number,
            row.totalizer_ml,
            row.fills_ml,
            row.platform_ml,
            row.counter_ml,
            row.drive_off_ml,
            row.other_tenders_ml,
            row.unpaid_ml,
        ]
        for column, value in enumerate(cells):
            page.drawString(40 + column * 58, y, f"{value / 1000:.2f} L" if column else f"{value}")
        page.drawString(40 + 8 * 58, y, " ".join(row.flags) or "✓")
    y -= 50
    page.drawString(50, y, _("Closed by: %(user)s") % {"user": shift.closed_by or "—"})
    page.drawString(300, y, _("Handed over to: %(user)s") % {"user": shift.handed_over_to or "________"})
    page.showPage()
    page.save()
    return buffer.getvalue()
