"""Budgets and caps: reserved at confirm, settled at capture, released on cancel or failure.

The orders call these inside their own transaction. Promotion rows are locked in id order, so two orders
never wait on each other the other way round; counts are taken under those locks, so caps hold exactly.
"""

from datetime import date

from django.db.models import F

from marketing.engine import Quote
from marketing.enums import UseStatus
from marketing.exceptions import PromotionUsedUp
from marketing.models import Promotion, PromotionUse
from marketing.selectors import promotion_cap_reached, promotion_use_counts


def promotion_uses_reserve(*, quote: Quote, driver_id: int, reference: str, day: date) -> None:
    """Reserve each promotion the quote uses, at the quote's cost. Raises PromotionUsedUp (nothing changed)
    if a budget or cap no longer allows it."""
    costs = quote.cost_by_promotion()
    ids = list(quote.promotion_ids)
    promotions = {p.pk: p for p in Promotion.objects.select_for_update().filter(pk__in=ids).order_by("pk")}
    counts = promotion_use_counts(promotion_ids=ids, driver_id=driver_id, day=day)
    for promotion_id in ids:
        promotion, cost = promotions[promotion_id], costs.get(promotion_id, 0)
        over_budget = promotion.budget_fen is not None and promotion.budget_used_fen + cost > promotion.budget_fen
        if over_budget or promotion_cap_reached(promotion, counts):
            raise PromotionUsedUp(extra={"promotion_id": promotion_id})
    for promotion_id in ids:
        cost = costs.get(promotion_id, 0)
        Promotion.objects.filter(pk=promotion_id).update(budget_used_fen=F("budget_used_fen") + cost)
        PromotionUse.objects.create(
            promotion_id=promotion_id,
            driver_id=driver_id,
            reference=reference,
            status=UseStatus.RESERVED,
            cost_fen=cost,
            day=day,
        )


def promotion_uses_settle(*, quote: Quote, reference: str) -> None:
    """At capture: each reservation settles at the re-quoted cost (never more than reserved); a promotion
    the actual fill no longer earns is released."""
    costs = quote.cost_by_promotion()
    used = set(quote.promotion_ids)
    reserved = PromotionUse.objects.select_for_update().filter(reference=reference, status=UseStatus.RESERVED)
    for use in reserved.order_by("promotion_id"):
        cost = min(costs.get(use.promotion_id, 0), use.cost_fen) if use.promotion_id in used else 0
        Promotion.objects.filter(pk=use.promotion_id).update(budget_used_fen=F("budget_used_fen") - use.cost_fen + cost)
        use.status = UseStatus.SETTLED if use.promotion_id in used else UseStatus.RELEASED
        use.cost_fen = cost
        use.save(update_fields=["status", "cost_fen"])


def promotion_uses_release(*, reference: str) -> None:
    """The order was cancelled or failed: its budget and cap places go back."""
    promotion_uses_settle(quote=Quote(lines=(), total_fen=0), reference=reference)
