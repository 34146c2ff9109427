"""Uplift arithmetic for a campaign with a random holdout: pure, so it is tested on its own."""

import hashlib
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal


@dataclass(frozen=True)
class GroupOutcome:
    drivers: int
    redeemed: int  # drivers who used the campaign's coupon (the holdout has none)
    revisited: int  # drivers who paid at least once after the launch
    spend_fen: int  # what the group paid after the launch


@dataclass(frozen=True)
class Uplift:
    revisit_rate_target: Decimal
    revisit_rate_holdout: Decimal
    revisit_uplift_points: Decimal  # percentage points
    spend_per_driver_target_fen: int
    spend_per_driver_holdout_fen: int
    spend_uplift_per_driver_fen: int
    redemption_rate: Decimal


def _rate(part: int, whole: int) -> Decimal:
    if not whole:
        return Decimal(0)
    return (Decimal(part) * 100 / whole).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _per_driver(total_fen: int, drivers: int) -> int:
    return int((Decimal(total_fen) / drivers).quantize(Decimal(1), rounding=ROUND_HALF_UP)) if drivers else 0


def uplift(*, target: GroupOutcome, holdout: GroupOutcome) -> Uplift:
    """Targeted against holdout: revisit rates (%), spend per driver (fen), and their differences."""
    target_spend, holdout_spend = (
        _per_driver(target.spend_fen, target.drivers),
        _per_driver(holdout.spend_fen, holdout.drivers),
    )
    revisit_target, revisit_holdout = _rate(target.revisited, target.drivers), _rate(holdout.revisited, holdout.drivers)
    return Uplift(
        revisit_rate_target=revisit_target,
        revisit_rate_holdout=revisit_holdout,
        revisit_uplift_points=revisit_target - revisit_holdout,
        spend_per_driver_target_fen=target_spend,
        spend_per_driver_holdout_fen=holdout_spend,
        spend_uplift_per_driver_fen=target_spend - holdout_spend,
        redemption_rate=_rate(target.redeemed, target.drivers),
    )


def in_holdout(*, campaign, driver_id: int) -> bool:
    """A stable random draw per campaign and driver (so relaunching or previewing never moves anybody)."""
    digest = hashlib.sha256(f"{campaign.pk}:{driver_id}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % 100 < campaign.holdout_percent
