"""Budgets, caps and coupons: reserved at confirm, settled at capture, released on cancel or failure.

The orders call these inside their own transaction. Promotion rows are locked in id order, so two orders
never wait on each other the other way round; counts are taken under those locks, so caps hold exactly.
"""

import secrets
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.audit import audit_record
from core.money import ML_PER_LITRE, format_fen
from drivers.models import Driver, Vehicle
from marketing.campaigns import in_holdout
from marketing.channels import channel_get
from marketing.engine import Quote
from marketing.enums import (
    COUPON_TRANSITIONS,
    SPENDABLE_POINTS_KINDS,
    TRANSACTIONAL_KINDS,
    BenefitKind,
    CampaignGroup,
    CouponIssuedVia,
    CouponStatus,
    Funder,
    NotificationKind,
    NotificationStatus,
    PointsKind,
    PromotionScope,
    ReferralStatus,
    Segment,
    StackingClass,
    UseStatus,
)
from marketing.exceptions import (
    CampaignAlreadyLaunched,
    CouponIssueRefused,
    CouponNotUsable,
    NotEnoughPoints,
    PromotionUsedUp,
    ReferralRefused,
)
from marketing.listeners import bonus_credit_earned
from marketing.models import (
    BirthdayGift,
    Campaign,
    CampaignMember,
    Coupon,
    CouponTemplate,
    MemberLevel,
    Notification,
    NotificationOptOut,
    PointsEntry,
    Promotion,
    PromotionUse,
    Referral,
    ReferralCode,
    SegmentSize,
    Standing,
)
from marketing.segments import SPEND_WINDOW_DAYS, refuel_due_at, segment_for
from marketing.selectors import (
    campaign_audience,
    driver_segments_grouped,
    notification_events_recorded,
    promotion_cap_reached,
    promotion_use_counts,
    scoped_qs_visible_to,
    standing_get,
)
from marketing.tasks import notification_deliver_task
from stations.models import Station
from stations.selectors import staff_role_get, station_qs_visible_to, user_is_platform_admin


def station_price_promotion_ensure() -> Promotion:
    """The one platform-wide station-price promotion (the station's GradePrice below its list price, funded
    by the station, always applied first); created where it is missing, never altered where it exists."""
    promotion, _ = Promotion.objects.get_or_create(
        benefit_kind=BenefitKind.STATION_PRICE,
        scope=PromotionScope.PLATFORM,
        defaults={
            "name": "站点直降 明折明扣",
            "name_en": "Station price",
            "is_active": True,
            "funder": Funder.STATION,
            "stacking": StackingClass.STACKABLE,
            "priority": 1000,
        },
    )
    return promotion


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
            coupon.used_fen = -sum(line.amount_fen for line in quote.lines if line.coupon_id == coupon.pk)
            coupon.used_at = timezone.now()
            coupon.save(update_fields=["used_fen", "used_at"])
        else:
            coupon_transition(coupon, to_status=CouponStatus.AVAILABLE)


def _points_set_aside(*, quote: Quote, driver_id: int, reference: str, at) -> None:
    """积分抵扣 at confirm: the quote's points leave the driver's balance (a redeem row for the order).
    Fewer points than the quote spends: NotEnoughPoints."""
    if not quote.points_used:
        return
    standing = _standing_for_update(driver_id)
    if standing.points < quote.points_used:
        raise NotEnoughPoints(extra={"points": standing.points, "needed": quote.points_used})
    _points_take(driver_id=driver_id, points=quote.points_used, kind=PointsKind.REDEEM, reference=reference, at=at)
    standing.points -= quote.points_used
    standing.save(update_fields=["points", "updated_at"])


def _points_settle(*, quote: Quote, reference: str) -> None:
    """At capture (or release, with an empty quote): the points set aside that the final quote does not
    spend go back to the driver, once, keeping the latest expiry of the rows they came from."""
    redeemed = PointsEntry.objects.filter(reference=reference, kind=PointsKind.REDEEM).first()
    if redeemed is None:
        return
    standing = _standing_for_update(redeemed.driver_id)
    if PointsEntry.objects.filter(driver_id=redeemed.driver_id, kind=PointsKind.RETURN, reference=reference).exists():
        return
    back = -redeemed.points - quote.points_used
    if back <= 0:
        return
    PointsEntry.objects.create(
        driver_id=redeemed.driver_id,
        kind=PointsKind.RETURN,
        points=back,
        remaining=back,
        expires_at=redeemed.expires_at,
        reference=reference,
        created_at=timezone.now(),
    )
    standing.points += back
    standing.save(update_fields=["points", "updated_at"])


def quote_reserve(*, quote: Quote, driver_id: int, reference: str, at) -> None:
    """At confirm: reserve the quote's promotions (budgets, caps), lock its coupon and set its points aside.
    Raises PromotionUsedUp, CouponNotUsable or NotEnoughPoints and changes nothing if something was taken
    since the quote."""
    _promotion_uses_reserve(quote=quote, driver_id=driver_id, reference=reference, day=at.date())
    _coupons_lock(quote=quote, driver_id=driver_id, reference=reference, at=at)
    _points_set_aside(quote=quote, driver_id=driver_id, reference=reference, at=at)


def quote_settle(*, quote: Quote, reference: str) -> None:
    """At capture, with the re-quote on the actual fill."""
    _promotion_uses_settle(quote=quote, reference=reference)
    _coupons_settle(quote=quote, reference=reference)
    _points_settle(quote=quote, reference=reference)


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


def _standing_for_update(driver_id: int) -> Standing:
    Standing.objects.get_or_create(driver_id=driver_id)
    return Standing.objects.select_for_update().get(driver_id=driver_id)


def _level_for(spend_fen: int, levels: list[MemberLevel]) -> str:
    reached = [level for level in levels if level.min_spend_90d_fen <= spend_fen]
    return reached[-1].code if reached else ""


def _standing_recompute(standing: Standing, *, now, levels: list[MemberLevel]) -> None:
    since = now - timedelta(days=SPEND_WINDOW_DAYS)
    standing.spend_90d_fen = (
        PointsEntry.objects.filter(
            driver_id=standing.driver_id, kind=PointsKind.EARN, created_at__gt=since, created_at__lte=now
        ).aggregate(total=Sum("paid_fen"))["total"]
        or 0
    )
    standing.level = _level_for(standing.spend_90d_fen, levels)
    standing.segment = segment_for(
        paid_orders=standing.paid_orders,
        spend_90d_fen=standing.spend_90d_fen,
        last_paid_at=standing.last_paid_at,
        now=now,
    )


def order_paid_record(
    *, driver_id: int, paid_fen: int, reference: str, quote: Quote, station_id: int | None = None, at=None
) -> int:
    """Orders tell marketing a sale was paid (inside their transaction): points earned (per ¥ paid, plus any
    extra points the quote gave), coupons the quote granted, bonus credit it earned (the wallet credits it:
    marketing.listeners), the 90-day spend, level and segment; the station it was paid at (its own segments).
    Once per reference. Returns the points earned."""
    at = at or timezone.now()
    standing = _standing_for_update(driver_id)
    if PointsEntry.objects.filter(driver_id=driver_id, kind=PointsKind.EARN, reference=reference).exists():
        return 0
    extra = sum(r.value for r in quote.rewards if r.benefit_kind == BenefitKind.EXTRA_POINTS)
    points = paid_fen // settings.LOYALTY_FEN_PER_POINT + extra
    PointsEntry.objects.create(
        driver_id=driver_id,
        kind=PointsKind.EARN,
        points=points,
        paid_fen=paid_fen,
        remaining=points,
        expires_at=at + timedelta(days=settings.LOYALTY_POINTS_VALID_DAYS),
        reference=reference,
        station_id=station_id,
        created_at=at,
    )
    standing.points += points
    standing.paid_orders += 1
    standing.last_paid_at = at
    _standing_recompute(standing, now=at, levels=list(MemberLevel.objects.all()))
    standing.save()
    if standing.paid_orders == 1:
        _referral_reward(invitee_id=driver_id, at=at)
    for reward in quote.rewards:
        if reward.benefit_kind == BenefitKind.COUPON_GRANT:
            template = CouponTemplate.objects.get(pk=reward.value)
            coupon_issue(template=template, driver_id=driver_id, via=CouponIssuedVia.RULE, now=at)
        elif reward.benefit_kind == BenefitKind.BONUS_CREDIT:
            bonus_credit_earned(
                driver_id=driver_id,
                amount_fen=reward.value,
                funder=reward.funder,
                funding_station_id=Promotion.objects.values_list("funding_station_id", flat=True).get(
                    pk=reward.promotion_id
                ),
                reference=reference,
                promotion_id=reward.promotion_id,
            )
    return points


def _points_take(*, driver_id: int, points: int, kind: str, reference: str, at) -> None:
    """Take points from the driver's spendable rows, oldest expiry first, and write one history row (its
    expires_at: the latest expiry taken from, which points given back keep)."""
    left, latest = points, None
    rows = PointsEntry.objects.select_for_update().filter(
        driver_id=driver_id, kind__in=SPENDABLE_POINTS_KINDS, remaining__gt=0
    )
    for row in rows.order_by("expires_at", "pk"):
        part = min(left, row.remaining)
        row.remaining -= part
        row.save(update_fields=["remaining"])
        left -= part
        latest = row.expires_at
        if not left:
            break
    PointsEntry.objects.create(
        driver_id=driver_id, kind=kind, points=-points, expires_at=latest, reference=reference, created_at=at
    )


@transaction.atomic
def points_redeem_for_coupon(*, driver_id: int, template_id: int, idempotency_key: str) -> Coupon:
    """Spend points on a coupon whose template has a points price. Not enough points: refused, nothing
    changes."""
    now = timezone.now()
    template = CouponTemplate.objects.filter(pk=template_id, is_active=True, points_price__isnull=False).first()
    if template is None:
        raise CouponIssueRefused(_("This coupon cannot be bought with points."))
    standing = _standing_for_update(driver_id)
    reference = f"redeem:{idempotency_key}"[:40]
    if PointsEntry.objects.filter(driver_id=driver_id, kind=PointsKind.REDEEM, reference=reference).exists():
        raise CouponIssueRefused(_("This redemption was already made."))
    if standing.points < template.points_price:
        raise NotEnoughPoints(extra={"points": standing.points, "price": template.points_price})
    _points_take(driver_id=driver_id, points=template.points_price, kind=PointsKind.REDEEM, reference=reference, at=now)
    standing.points -= template.points_price
    standing.save(update_fields=["points", "updated_at"])
    return coupon_issue(template=template, driver_id=driver_id, via=CouponIssuedVia.RULE, now=now)


def points_expire(*, now=None) -> int:
    """Earn rows past their expiry lose what is left of them (a periodic task). Returns points expired."""
    now = now or timezone.now()
    expired = 0
    due = PointsEntry.objects.filter(kind__in=SPENDABLE_POINTS_KINDS, remaining__gt=0, expires_at__lte=now)
    for driver_id in due.values_list("driver_id", flat=True).distinct():
        with transaction.atomic():
            standing = _standing_for_update(driver_id)
            rows = list(due.filter(driver_id=driver_id).select_for_update())
            points = sum(row.remaining for row in rows)
            for row in rows:
                PointsEntry.objects.create(
                    driver_id=driver_id,
                    kind=PointsKind.EXPIRE,
                    points=-row.remaining,
                    reference=f"expire:{row.pk}",
                    created_at=now,
                )
                row.remaining = 0
                row.save(update_fields=["remaining"])
            standing.points -= points
            standing.save(update_fields=["points", "updated_at"])
            expired += points
    return expired


def standings_refresh(*, now=None) -> dict[str, int]:
    """Recompute every standing's 90-day spend, level and segment (spend ages out; drivers go quiet), and
    record the segment sizes of the day. Returns the sizes."""
    now = now or timezone.now()
    levels = list(MemberLevel.objects.all())
    for standing_id in Standing.objects.values_list("pk", flat=True):
        with transaction.atomic():
            standing = Standing.objects.select_for_update().get(pk=standing_id)
            _standing_recompute(standing, now=now, levels=levels)
            standing.save(update_fields=["spend_90d_fen", "level", "segment", "updated_at"])
    sizes = dict(Standing.objects.values("segment").annotate(n=Count("pk")).values_list("segment", "n"))
    day = timezone.localdate(now)
    _segment_sizes_save(day=day, sizes=sizes, scope_key="platform")
    by_station = driver_segments_grouped(now=now, group_by="station")
    by_enterprise = driver_segments_grouped(now=now, group_by="enterprise")
    for station in Station.objects.only("pk", "enterprise_id").order_by("pk"):
        station_sizes = _sizes_of(by_station.get(station.pk, {}).values())
        _segment_sizes_save(day=day, sizes=station_sizes, scope_key=f"station:{station.pk}", station=station)
    for enterprise_id in Station.objects.values_list("enterprise_id", flat=True).distinct().order_by("enterprise_id"):
        enterprise_sizes = _sizes_of(by_enterprise.get(enterprise_id, {}).values())
        _segment_sizes_save(
            day=day, sizes=enterprise_sizes, scope_key=f"enterprise:{enterprise_id}", enterprise_id=enterprise_id
        )
    return {segment: sizes.get(segment, 0) for segment in Segment.values}


def _sizes_of(segments) -> dict[str, int]:
    sizes: dict[str, int] = {}
    for segment in segments:
        sizes[segment] = sizes.get(segment, 0) + 1
    return sizes


def _segment_sizes_save(*, day, sizes: dict[str, int], scope_key: str, **where) -> None:
    for segment in Segment.values:
        SegmentSize.objects.update_or_create(
            day=day, segment=segment, scope_key=scope_key, defaults={"drivers": sizes.get(segment, 0), **where}
        )


def promotion_authoring_check(*, user, scope: str, enterprise, stations, funder: str, funding_station) -> None:
    """Station staff author promotions and coupon templates for their own stations only, funded by one of
    them; the platform authors anything. Raises ValidationError in plain words."""
    scope_authoring_check(user=user, scope=scope, enterprise=enterprise, stations=stations)
    if user_is_platform_admin(user=user):
        return
    visible = set(station_qs_visible_to(user=user).values_list("pk", flat=True))
    if funder != Funder.STATION or funding_station is None or funding_station.pk not in visible:
        raise ValidationError({"funder": _("Your promotions are funded by one of your stations.")})


def scope_authoring_check(*, user, scope: str, enterprise, stations) -> None:
    """Station staff choose their own stations or their own enterprise as the scope; the platform any."""
    if user_is_platform_admin(user=user):
        return
    visible = set(station_qs_visible_to(user=user).values_list("pk", flat=True))
    role = staff_role_get(user=user)
    if scope == PromotionScope.PLATFORM:
        raise ValidationError({"scope": _("Only the platform runs promotions at every station.")})
    if scope == PromotionScope.ENTERPRISE and (
        enterprise is None or role is None or role.enterprise_id != enterprise.pk
    ):
        raise ValidationError({"enterprise": _("You can run promotions for your own enterprise only.")})
    if scope == PromotionScope.STATIONS and (not stations or not {s.pk for s in stations} <= visible):
        raise ValidationError({"stations": _("List one or more of your own stations.")})


def campaign_authoring_check(*, user, scope: str, enterprise, stations, coupon_template) -> None:
    """A campaign targets the author's own drivers (its scope) with one of the author's own coupons."""
    scope_authoring_check(user=user, scope=scope, enterprise=enterprise, stations=stations)
    if (
        coupon_template is not None
        and not scoped_qs_visible_to(model=CouponTemplate, user=user).filter(pk=coupon_template.pk).exists()
    ):
        raise ValidationError({"coupon_template": _("Choose one of your own coupons.")})


def _in_quiet_hours(at) -> bool:
    start, end = settings.NOTIFICATION_QUIET_HOURS
    return start <= at.hour or at.hour < end if start > end else start <= at.hour < end


def _quiet_hours_end(at):
    end = at.replace(hour=settings.NOTIFICATION_QUIET_HOURS[1], minute=0, second=0, microsecond=0)
    return end if end > at else end + timedelta(days=1)


def notify(*, driver_id: int, kind: str, title: str, body: str, dedup_key: str = "", now=None) -> Notification:
    """Send a driver a message through the channel, unless they opted out of its kind or already had the
    day's share; in quiet hours it waits until they end. Receipts and top-ups always go at once. A trigger
    names its event (dedup_key): the same event never makes a second message, whatever became of the first.
    The channel delivers after the commit."""
    now = timezone.localtime(now or timezone.now())
    if dedup_key:
        earlier = Notification.objects.filter(driver_id=driver_id, dedup_key=dedup_key).first()
        if earlier is not None:
            return earlier
    notification = Notification(
        driver_id=driver_id, kind=kind, title=title[:80], body=body[:300], dedup_key=dedup_key, created_at=now
    )
    if kind not in TRANSACTIONAL_KINDS:
        day_start = now.replace(hour=0, minute=0, second=0, microsecond=0)
        sent_today = Notification.objects.filter(
            driver_id=driver_id,
            created_at__gte=day_start,
            status__in=[NotificationStatus.SENT, NotificationStatus.WAITING],
        ).exclude(kind__in=TRANSACTIONAL_KINDS)
        if NotificationOptOut.objects.filter(driver_id=driver_id, kind=kind).exists():
            notification.status, notification.why_not_sent = NotificationStatus.SUPPRESSED, "opted_out"
        elif sent_today.count() >= settings.NOTIFICATION_MAX_PER_DAY:
            notification.status, notification.why_not_sent = NotificationStatus.SUPPRESSED, "frequency_cap"
        elif _in_quiet_hours(now):
            notification.status, notification.send_after = NotificationStatus.WAITING, _quiet_hours_end(now)
    if not notification.status:
        notification.status, notification.sent_at = NotificationStatus.SENT, now
    try:
        with transaction.atomic():
            notification.save()
    except IntegrityError:  # the same event, recorded by a concurrent trigger a moment ago
        return Notification.objects.get(driver_id=driver_id, dedup_key=dedup_key)
    if notification.status == NotificationStatus.SENT:
        _deliver_on_commit(notification.pk)
    return notification


def _deliver_on_commit(notification_id: int) -> None:
    transaction.on_commit(lambda: notification_deliver_task.delay(notification_id))


def notification_deliver(*, notification_id: int) -> bool:
    """Hand a sent notification to the channel (the task after the commit). Returns whether it went."""
    notification = Notification.objects.select_related("driver").filter(pk=notification_id).first()
    if notification is None or notification.status != NotificationStatus.SENT:
        return False
    channel_get().deliver(notification)
    return True


def notifications_send_due(*, now=None) -> int:
    """Messages that waited out the quiet hours go now (a periodic task). Returns how many."""
    now = now or timezone.now()
    sent = 0
    with transaction.atomic():
        due = Notification.objects.select_for_update(skip_locked=True).filter(
            status=NotificationStatus.WAITING, send_after__lte=now
        )
        for notification in due:
            notification.status, notification.sent_at = NotificationStatus.SENT, now
            notification.save(update_fields=["status", "sent_at"])
            _deliver_on_commit(notification.pk)
            sent += 1
    return sent


@transaction.atomic(durable=True)
def driver_preferences_set(*, driver_id: int, receive_kinds: set[str], birthday: date | None) -> None:
    """The driver's settings page: which kinds of messages they receive (the money ones always) and their
    birthday. Anything invalid raises ValidationError before anything is saved."""
    unknown = receive_kinds - set(NotificationKind.values)
    if unknown:
        raise ValidationError(_("Choose among the kinds of messages listed."))
    _birthday_check(birthday)
    for kind in NotificationKind.values:
        if kind not in TRANSACTIONAL_KINDS:
            notification_opt_out_set(driver_id=driver_id, kind=kind, opted_out=kind not in receive_kinds)
    Driver.objects.filter(pk=driver_id).update(birthday=birthday)


def notification_opt_out_set(*, driver_id: int, kind: str, opted_out: bool) -> None:
    if kind in TRANSACTIONAL_KINDS or kind not in NotificationKind.values:
        raise ValidationError(_("These messages cannot be switched off."))
    if opted_out:
        NotificationOptOut.objects.get_or_create(driver_id=driver_id, kind=kind)
    else:
        NotificationOptOut.objects.filter(driver_id=driver_id, kind=kind).delete()


@transaction.atomic
def campaign_launch(*, campaign_id: int, now=None, actor=None, client_ip: str | None = None) -> dict[str, int]:
    """Target the campaign's segment: the holdout gets nothing; the others its coupon and its message.
    Once per campaign, audit-logged (it hands out coupons). Returns the group sizes."""
    now = now or timezone.now()
    campaign = Campaign.objects.select_for_update().get(pk=campaign_id)
    if campaign.launched_at is not None:
        raise CampaignAlreadyLaunched()
    drivers = campaign_audience(campaign=campaign, now=now)
    sizes = {CampaignGroup.TARGET: 0, CampaignGroup.HOLDOUT: 0}
    for driver_id in drivers:
        group = CampaignGroup.HOLDOUT if in_holdout(campaign=campaign, driver_id=driver_id) else CampaignGroup.TARGET
        coupon = None
        if group == CampaignGroup.TARGET:
            if campaign.coupon_template_id:
                coupon = coupon_issue(
                    template=campaign.coupon_template, driver_id=driver_id, via=CouponIssuedVia.CAMPAIGN, now=now
                )
            notify(
                driver_id=driver_id, kind=NotificationKind.CAMPAIGN, title=campaign.title, body=campaign.body, now=now
            )
        CampaignMember.objects.create(campaign=campaign, driver_id=driver_id, group=group, coupon=coupon)
        sizes[group] += 1
    campaign.launched_at = now
    campaign.save(update_fields=["launched_at"])
    result = {str(group): size for group, size in sizes.items()}
    audit_record(
        actor=actor,
        action="marketing.campaign.launched",
        target=f"marketing.campaign:{campaign.pk}",
        detail={"coupon_template": campaign.coupon_template_id, **result},
        client_ip=client_ip,
    )
    return result


def campaign_from_template(*, template: str, coupon_template: CouponTemplate | None = None) -> Campaign:
    """Ready-made campaigns; "dormant_wake_up" (唤醒睡眠客户) targets drivers gone quiet."""
    if template != "dormant_wake_up":
        raise ValidationError(_("No such campaign template."))
    return Campaign.objects.create(
        scope=PromotionScope.PLATFORM,
        name="唤醒睡眠客户",
        segment=Segment.DORMANT,
        coupon_template=coupon_template,
        title="好久不见，送您一张加油券",
        body="您有一张加油优惠券待使用，欢迎回来加油。",
        holdout_percent=10,
    )


def referral_code_get_or_create(*, driver_id: int) -> str:
    code = ReferralCode.objects.filter(driver_id=driver_id).values_list("code", flat=True).first()
    if code:
        return code
    for _attempt in range(5):
        try:
            with transaction.atomic():
                return ReferralCode.objects.create(driver_id=driver_id, code=secrets.token_hex(4).upper()).code
        except IntegrityError:
            continue
    raise ReferralRefused()


def referral_accept(*, invitee_id: int, code: str, device_digest: str) -> Referral:
    """The invitee signed up with an inviter's code. Refused (nothing saved) for one's own code or a driver
    who already paid or was already referred."""
    inviter_id = ReferralCode.objects.filter(code=code.strip().upper()).values_list("driver_id", flat=True).first()
    if inviter_id is None or inviter_id == invitee_id:
        raise ReferralRefused()
    if Referral.objects.filter(invitee_id=invitee_id).exists() or standing_paid_orders(invitee_id) > 0:
        raise ReferralRefused()
    return Referral.objects.create(inviter_id=inviter_id, invitee_id=invitee_id, device_digest=device_digest)


def standing_paid_orders(driver_id: int) -> int:
    return Standing.objects.filter(driver_id=driver_id).values_list("paid_orders", flat=True).first() or 0


def _referral_abuse(referral: Referral) -> str:
    """Which anti-abuse rule the referral breaks, or "": one reward per device and per plate (across all
    rewarded invitees and the inviter), and no rings (the invitee up the inviter's chain of referrers)."""
    rewarded = Referral.objects.filter(status=ReferralStatus.REWARDED).exclude(pk=referral.pk)
    if rewarded.filter(device_digest=referral.device_digest).exists():
        return "device"
    plates = set(Vehicle.objects.filter(driver_id=referral.invitee_id).values_list("plate_digest", flat=True))
    others = [referral.inviter_id, *rewarded.values_list("invitee_id", flat=True)]
    if plates and Vehicle.objects.filter(driver_id__in=others, plate_digest__in=plates).exists():
        return "plate"
    upline, seen = referral.inviter_id, set()
    while upline is not None and upline not in seen:
        if upline == referral.invitee_id:
            return "ring"
        seen.add(upline)
        upline = Referral.objects.filter(invitee_id=upline).values_list("inviter_id", flat=True).first()
    return ""


def _referral_reward(*, invitee_id: int, at) -> None:
    """The invitee's first paid fill completed: reward both sides once, or refuse for abuse."""
    referral = Referral.objects.select_for_update().filter(invitee_id=invitee_id, status=ReferralStatus.PENDING).first()
    template = CouponTemplate.objects.filter(for_referrals=True, is_active=True).order_by("pk").first()
    if referral is None or template is None:
        return
    reason = _referral_abuse(referral)
    if reason:
        referral.status, referral.refusal_reason = ReferralStatus.REFUSED, reason
        referral.save(update_fields=["status", "refusal_reason"])
        return
    for driver_id in (referral.inviter_id, referral.invitee_id):
        coupon_issue(template=template, driver_id=driver_id, via=CouponIssuedVia.REFERRAL, now=at)
    referral.status, referral.rewarded_at = ReferralStatus.REWARDED, at
    referral.save(update_fields=["status", "rewarded_at"])


REFUEL_CYCLE_FILLS = 6  # the driver's last fills that set their cycle


def refuel_reminders_send(*, now=None) -> int:
    """加油提醒 for drivers whose own refuelling cycle says they are due and who were not reminded since their
    last fill (a periodic task; quiet hours, opt-out and caps apply through notify). Returns how many."""
    now = now or timezone.now()
    sent = 0
    for standing in Standing.objects.filter(paid_orders__gte=3, last_paid_at__lt=now):
        times = list(
            PointsEntry.objects.filter(driver_id=standing.driver_id, kind=PointsKind.EARN)
            .order_by("-created_at")
            .values_list("created_at", flat=True)[:REFUEL_CYCLE_FILLS]
        )
        due = refuel_due_at(times)
        reminded = Notification.objects.filter(
            driver_id=standing.driver_id, kind=NotificationKind.REFUEL_REMINDER, created_at__gt=standing.last_paid_at
        ).exists()
        if due is None or due > now or reminded:
            continue
        notify(
            driver_id=standing.driver_id,
            kind=NotificationKind.REFUEL_REMINDER,
            dedup_key=f"refuel:{standing.last_paid_at:%Y%m%d%H%M%S}",
            title=str(_("Time to refuel?")),
            body=str(_("By your usual rhythm you may need fuel about now. Pay at the pump with your wallet.")),
            now=now,
        )
        sent += 1
    return sent


def low_balance_notify(*, driver_id: int, balance_fen: int, paid_fen: int, reference: str) -> bool:
    """The payment (reference) took the wallet from the threshold or above to below it: warn the driver once.
    Returns whether this payment crossed it."""
    threshold = settings.NOTIFICATION_LOW_BALANCE_FEN
    if not balance_fen < threshold <= balance_fen + paid_fen:
        return False
    notify(
        driver_id=driver_id,
        kind=NotificationKind.LOW_BALANCE,
        title=str(_("Your balance is low")),
        body=str(
            _("%(balance)s left in your wallet. Top up before your next fill.") % {"balance": format_fen(balance_fen)}
        ),
        dedup_key=f"low_balance:{reference}",
    )
    return True


def receipt_notify(*, driver_id: int, reference: str, paid_fen: int, station_name: str, volume_ml: int) -> None:
    """A paid order's receipt (加油小票): what was paid, where, and the litres; once per order (reference), in
    the paying transaction, so a payment that rolls back sends nothing. Receipts are always on."""
    if volume_ml:
        body = _("%(amount)s paid at %(station)s for %(litres)s L of fuel. Order %(order)s.") % {
            "amount": format_fen(paid_fen),
            "station": station_name,
            "litres": f"{Decimal(volume_ml) / ML_PER_LITRE:.2f}",
            "order": reference,
        }
    else:
        body = _("%(amount)s paid at %(station)s. Order %(order)s.") % {
            "amount": format_fen(paid_fen),
            "station": station_name,
            "order": reference,
        }
    notify(
        driver_id=driver_id,
        kind=NotificationKind.RECEIPT,
        title=str(_("Payment receipt")),
        body=str(body),
        dedup_key=f"receipt:{reference}",
    )


def top_up_credited_notify(*, driver_id: int, reference: str, amount_fen: int, bonus_fen: int) -> None:
    """A confirmed top-up (储值到账): the amount and any bonus; once per top-up (reference), in the crediting
    transaction. Top-up messages are always on."""
    if bonus_fen:
        body = _("%(amount)s topped up to your wallet, plus a %(bonus)s bonus.") % {
            "amount": format_fen(amount_fen),
            "bonus": format_fen(bonus_fen),
        }
    else:
        body = _("%(amount)s topped up to your wallet.") % {"amount": format_fen(amount_fen)}
    notify(
        driver_id=driver_id,
        kind=NotificationKind.TOP_UP,
        title=str(_("Top-up credited")),
        body=str(body),
        dedup_key=f"top_up:{reference}",
    )


def coupons_expiring_notify(*, now=None) -> int:
    """Coupons ending within NOTIFICATION_EXPIRING_DAYS are announced to their driver, each once (a periodic
    task). Returns how many were announced now."""
    now = now or timezone.now()
    soon = now + timedelta(days=settings.NOTIFICATION_EXPIRING_DAYS)
    coupons = Coupon.objects.filter(status=CouponStatus.AVAILABLE, valid_until__gt=now, valid_until__lte=soon)
    coupons = list(coupons.select_related("template").order_by("valid_until", "pk"))
    done = notification_events_recorded(keys=[f"coupon_expiring:{coupon.pk}" for coupon in coupons])
    count = 0
    for coupon in coupons:
        key = f"coupon_expiring:{coupon.pk}"
        if key in done:
            continue
        with transaction.atomic():
            notify(
                driver_id=coupon.driver_id,
                kind=NotificationKind.EXPIRING,
                title=str(_("A coupon expires soon")),
                body=str(
                    _("Your coupon %(name)s can be used until %(until)s.")
                    % {
                        "name": coupon.template.name,
                        "until": timezone.localtime(coupon.valid_until).strftime("%Y-%m-%d %H:%M"),
                    }
                ),
                dedup_key=key,
                now=now,
            )
        count += 1
    return count


def _birthday_is(birthday: date, today: date) -> bool:
    """29 February birthdays are kept on the 28th in other years."""
    if (birthday.month, birthday.day) == (today.month, today.day):
        return True
    leap = today.year % 4 == 0 and (today.year % 100 != 0 or today.year % 400 == 0)
    return (birthday.month, birthday.day) == (2, 29) and not leap and (today.month, today.day) == (2, 28)


def birthday_gifts_grant(*, now=None) -> int:
    """生日礼: drivers whose birthday is today and whose member level has a birthday coupon get it, once a year
    (a daily task), with a message. Returns how many were given now."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    gifts = {level.code: level.birthday_coupon for level in MemberLevel.objects.select_related("birthday_coupon")}
    candidates = Driver.objects.filter(birthday__month=today.month)  # the day is checked below (29 February)
    given = 0
    for driver in candidates.order_by("pk"):
        template = gifts.get(standing_get(driver_id=driver.pk).level)
        if not _birthday_is(driver.birthday, today) or template is None or not template.is_active:
            continue
        try:
            with transaction.atomic():
                coupon = coupon_issue(template=template, driver_id=driver.pk, via=CouponIssuedVia.RULE, now=now)
                BirthdayGift.objects.create(driver=driver, year=today.year, coupon=coupon)
                notify(
                    driver_id=driver.pk,
                    kind=NotificationKind.BIRTHDAY,
                    title=str(_("Happy birthday!")),
                    body=str(_("A birthday gift is in your wallet: %(name)s.") % {"name": template.name}),
                    dedup_key=f"birthday:{today.year}",
                    now=now,
                )
        except IntegrityError:  # this year's gift was already given
            continue
        given += 1
    return given


def _birthday_check(birthday: date | None) -> None:
    """A real birthday: not in the future, nor before 1900."""
    if birthday is not None and not date(1900, 1, 1) <= birthday <= timezone.localdate():
        raise ValidationError(_("Enter your real birthday."))
