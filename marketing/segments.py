"""RFM-style segments from a driver's behaviour: recency (last paid), frequency (paid orders), monetary
(90-day spend). Pure: marketing.services applies it to every standing from a periodic task."""

from datetime import datetime, timedelta

from django.conf import settings

from marketing.enums import Segment

SPEND_WINDOW_DAYS = 90  # member levels and the high-value segment come from the rolling 90-day spend


def segment_for(*, paid_orders: int, spend_90d_fen: int, last_paid_at: datetime | None, now: datetime) -> str:
    if paid_orders == 0 or last_paid_at is None:
        return Segment.NEW
    unseen = now - last_paid_at
    if unseen > timedelta(days=settings.SEGMENT_DORMANT_AFTER_DAYS):
        return Segment.DORMANT
    if unseen > timedelta(days=settings.SEGMENT_AT_RISK_AFTER_DAYS):
        return Segment.AT_RISK
    if spend_90d_fen >= settings.SEGMENT_HIGH_VALUE_SPEND_90D_FEN:
        return Segment.HIGH_VALUE
    if paid_orders == 1:
        return Segment.NEW
    return Segment.POTENTIAL


def refuel_due_at(paid_times: list[datetime]) -> datetime | None:
    """加油提醒: when a driver usually needs fuel again — the last fill plus the median gap between their
    recent fills. None with fewer than three fills (no cycle to learn yet)."""
    if len(paid_times) < 3:
        return None
    ordered = sorted(paid_times)
    gaps = sorted(later - earlier for earlier, later in zip(ordered, ordered[1:], strict=False))
    return ordered[-1] + gaps[len(gaps) // 2]
