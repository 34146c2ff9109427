"""Budgets, caps and coupons: reserved at confirm, settled at capture, released on cancel or failure.

The orders call these inside their own transaction. Promotion rows are locked in id order, so two orders
never wait on each other the other way round; counts are taken under those locks, so caps hold exactly.
"""

from datetime import date, timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from marketing.engine import Quote
from marketing.enums import COUPON_TRANSITIONS, CouponIssuedVia, CouponStatus, UseStatus
from marketing.exceptions import CouponIssueRefused, CouponNotUsable, PromotionUsedUp
from marketing.models import Coupon, CouponTemplate, Promotion, PromotionUse
from marketing.selectors import promotion_cap_reached, promotion_use_counts


def _promotion_uses_reserve(*, quote: Quote, driver_id: int, reference: str, day: date) -> None:
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


def _promotion_uses_settle(*, quote: Quote, reference: str) -> None:
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


def coupon_transition(coupon: Coupon, *, to_status: str, reference: str = "") -> None:
    """The one way a coupon's status changes (COUPON_TRANSITIONS); the row must be locked by the caller."""
    if to_status not in COUPON_TRANSITIONS[coupon.status]:
        raise CouponNotUsable(extra={"coupon_id": coupon.pk, "status": coupon.status})
    coupon.status, coupon.reference = to_status, reference
    coupon.save(update_fields=["status", "reference"])


def _coupons_lock(*, quote: Quote, driver_id: int, reference: str, at) -> None:
    for coupon in Coupon.objects.select_for_update().filter(pk__in=quote.coupon_ids).order_by("pk"):
        if coupon.driver_id != driver_id or not coupon.valid_from <= at < coupon.valid_until:
            raise CouponNotUsable(extra={"coupon_id": coupon.pk})
        coupon_transition(coupon, to_status=CouponStatus.LOCKED, reference=reference)


def _coupons_settle(*, quote: Quote, reference: str) -> None:
    """The coupons the final quote used are spent; any other the order held goes back to the driver."""
    held = Coupon.objects.select_for_update().filter(status=CouponStatus.LOCKED, reference=reference)
    for coupon in held.order_by("pk"):
        if coupon.pk in quote.coupon_ids:
            coupon_transition(coupon, to_status=CouponStatus.USED, reference=reference)
        else:
            coupon_transition(coupon, to_status=CouponStatus.AVAILABLE)


def quote_reserve(*, quote: Quote, driver_id: int, reference: str, at) -> None:
    """At confirm: reserve the quote's promotions (budgets, caps) and lock its coupon. Raises PromotionUsedUp
    or CouponNotUsable and changes nothing if something was taken since the quote."""
    _promotion_uses_reserve(quote=quote, driver_id=driver_id, reference=reference, day=at.date())
    _coupons_lock(quote=quote, driver_id=driver_id, reference=reference, at=at)


def quote_settle(*, quote: Quote, reference: str) -> None:
    """At capture, with the re-quote on the actual fill."""
    _promotion_uses_settle(quote=quote, reference=reference)
    _coupons_settle(quote=quote, reference=reference)


def quote_release(*, reference: str) -> None:
    """The order was cancelled or failed: budgets, cap places and coupons go back."""
    quote_settle(quote=Quote(lines=(), total_fen=0), reference=reference)


def coupon_issue(
    *, template: CouponTemplate, driver_id: int, via: str, reason: str = "", issued_by=None, now=None
) -> Coupon:
    """Give a driver a coupon from a template, valid for the template's days. Staff must say why (audited by
    the row: who, when, why)."""
    reason = reason.strip()
    if not template.is_active:
        raise CouponIssueRefused(_("This coupon template is not active."))
    if via == CouponIssuedVia.STAFF and (issued_by is None or not reason):
        raise CouponIssueRefused(_("Say why the coupon is given."))
    now = now or timezone.now()
    return Coupon.objects.create(
        template=template,
        driver_id=driver_id,
        status=CouponStatus.AVAILABLE,
        valid_from=now,
        valid_until=now + timedelta(days=template.valid_days),
        issued_via=via,
        issued_by=issued_by,
        reason=reason[:200],
    )


def coupons_expire(*, now=None) -> int:
    """Available coupons past their validity expire (a periodic task). Returns how many."""
    now = now or timezone.now()
    expired = 0
    with transaction.atomic():
        for coupon in Coupon.objects.select_for_update(skip_locked=True).filter(
            status=CouponStatus.AVAILABLE, valid_until__lte=now
        ):
            coupon_transition(coupon, to_status=CouponStatus.EXPIRED)
            expired += 1
    return expired
