"""The driver's monthly wallet statement (对账单) as a PDF: the history lines of one month, each with the
wallet total after it. Chinese text uses reportlab's built-in CID font STSong-Light (no font file)."""

import io

from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from core.money import format_fen
from wallet.selectors import HistoryEvent

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))


def statement_pdf(*, holder: str, year: int, month: int, events: list[HistoryEvent]) -> bytes:
    """events: the month's history lines, newest first (as wallet_history_list returns them)."""
    buffer = io.BytesIO()
    document = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, title="fuelpay")
    title = ParagraphStyle("title", fontName=FONT, fontSize=16, leading=22)
    body = ParagraphStyle("body", fontName=FONT, fontSize=10, leading=14)
    pending = _("pending")
    rows = [[_("Time"), _("Event"), _("Station"), _("Amount"), _("Wallet total after")]]
    for event in reversed(events):
        rows.append(
            [
                timezone.localtime(event.created_at).strftime("%Y-%m-%d %H:%M"),
                event.label + (f" ({pending})" if event.is_pending else ""),
                event.station_name,
                format_fen(event.amount_fen) if event.amount_fen else format_fen(event.moved_fen),
                format_fen(event.total_after_fen),
            ]
        )
    table = Table(rows, colWidths=[32 * mm, 45 * mm, 45 * mm, 28 * mm, 30 * mm], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), FONT),
                ("FONTSIZE", (0, 0), (-1, -1), 9),
                ("ALIGN", (3, 0), (-1, -1), "RIGHT"),
                ("LINEBELOW", (0, 0), (-1, 0), 0.5, colors.black),
                ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f5f6f8")]),
            ]
        )
    )
    heading = _("Wallet statement %(year)d-%(month)02d") % {"year": year, "month": month}
    printed = _("Printed %(at)s") % {"at": timezone.localtime().strftime("%Y-%m-%d %H:%M")}
    story = [
        Paragraph(heading, title),
        Paragraph(f"{holder} · {printed}", body),
        Spacer(1, 6 * mm),
        table if events else Paragraph(_("No movements this month."), body),
    ]
    document.build(story)
    return buffer.getvalue()
