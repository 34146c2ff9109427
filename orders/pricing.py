"""Itemised price lines for a fuel sale (明折明扣): the same arithmetic quotes an order before the
pump runs and writes the receipt after it stops. The promotion engine will append its own lines."""

from dataclasses import dataclass

from core.money import amount_for_volume_fen
from marketing.enums import Funder
from orders.enums import OrderLineKind

STATION_DISCOUNT_LABEL = "站点直降 明折明扣"


@dataclass(frozen=True)
class PriceLine:
    kind: str
    label: str
    amount_fen: int  # discounts are negative
    funder: str = ""


def fuel_price_lines(
    *, grade_name: str, volume_ml: int, paid_fen: int, list_price_fen_per_litre: int
) -> list[PriceLine]:
    """Fuel at list price, then the station's own per-litre cut (funded by the station) down to paid_fen."""
    fuel_fen = max(amount_for_volume_fen(volume_ml=volume_ml, price_fen_per_litre=list_price_fen_per_litre), paid_fen)
    lines = [PriceLine(OrderLineKind.FUEL, grade_name, fuel_fen)]
    if fuel_fen > paid_fen:
        lines.append(PriceLine(OrderLineKind.DISCOUNT, STATION_DISCOUNT_LABEL, paid_fen - fuel_fen, Funder.STATION))
    return lines
