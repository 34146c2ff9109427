import json
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta

from django.db import connection
from django.db.models import Count, Max, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext

from core.money import format_fen, volume_for_amount_ml
from marketing.campaigns import GroupOutcome, Uplift, in_holdout, uplift
from marketing.engine import Draft, Offer, Quote, QuoteLine, Reason, offer_description, qualifying, quote
from marketing.enums import (
    TRANSACTIONAL_KINDS,
    BenefitKind,
    CampaignGroup,
    CouponIssuedVia,
    CouponKind,
    CouponStatus,
    Funder,
    NotificationKind,
    NotificationStatus,
    PointsKind,
    PromotionScope,
    PromotionTarget,
    ReferralStatus,
    Segment,
    StackingClass,
    UseStatus,
)
from marketing.exceptions import CouponNotApplicable
from marketing.models import (
    Campaign,
    CampaignMember,
    ContractOffer,
    Coupon,
    CouponTemplate,
    MemberLevel,
    Notification,
    NotificationOptOut,
    PointsEntry,
    Promotion,
    PromotionUse,
    Referral,
    SegmentSize,
    Standing,
)
from marketing.segments import SPEND_WINDOW_DAYS, segment_for
from stations.enums import StaffRoleKind
from stations.models import Station
from stations.selectors import (
    staff_role_get,
    station_prices_in_effect,
    station_qs_visible_to,
    user_is_platform_admin,
)


@dataclass(frozen=True)
class BonusOffer:
    bonus_fen: int
    funder: str
    funding_station_id: int | None
    rule_name: str


@dataclass(frozen=True)
class ContractTerms:
    offer_id: int
    station_id: int
    committed_fen: int
    days: int
    reward_bonus_fen: int
    funder: str


def _rule_in_effect(now) -> Q:
    return (
        Q(is_active=True)
        & (Q(starts_at__isnull=True) | Q(starts_at__lte=now))
        & (Q(ends_at__isnull=True) | Q(ends_at__gt=now))
    )


def top_up_bonus_offer_get(*, amount_fen: int, driver_id: int | None = None) -> BonusOffer | None:
    """储值满额送: the single most generous top-up promotion the amount and the driver (level, segment)
    qualify for (they do not stack); ties go to the higher priority, then the older promotion."""
    now = timezone.localtime()
    promotions = Promotion.objects.filter(
        _rule_in_effect(now), applies_to=PromotionTarget.TOP_UP, benefit_kind=BenefitKind.BONUS_CREDIT
    )
    standing = standing_get(driver_id=driver_id)
    draft = Draft(
        station_id=0,
        enterprise_id=0,
        grade_code="",
        grade_name="",
        list_price_fen_per_litre=1,
        price_fen_per_litre=1,
        volume_ml=0,
        amount_fen=amount_fen,
        at=now,
        member_level=standing.level,
        segment=standing.segment,
        is_first_order=standing.paid_orders == 0,
    )
    eligible, _ = qualifying(draft, [_offer_from(p) for p in promotions])
    if not eligible:
        return None
    best = min(eligible, key=lambda o: (-o.benefit_value, -o.priority, o.id))
    promotion = next(p for p in promotions if p.pk == best.id)
    return BonusOffer(
        bonus_fen=best.benefit_value,
        funder=best.funder,
        funding_station_id=promotion.funding_station_id,
        rule_name=promotion.name,
    )


def contract_terms_get(*, offer_id: int) -> ContractTerms | None:
    offer = ContractOffer.objects.filter(pk=offer_id, is_active=True).first()
    if offer is None:
        return None
    return ContractTerms(
        offer_id=offer.pk,
        station_id=offer.station_id,
        committed_fen=offer.committed_fen,
        days=offer.days,
        reward_bonus_fen=offer.reward_bonus_fen,
        funder=offer.funder,
    )


def promotion_list_for_driver() -> tuple[list[Promotion], list[ContractOffer]]:
    """What the driver's home page advertises: top-up bonuses and contract offers in effect now."""
    bonuses = Promotion.objects.filter(
        _rule_in_effect(timezone.now()), applies_to=PromotionTarget.TOP_UP, benefit_kind=BenefitKind.BONUS_CREDIT
    )
    offers = list(ContractOffer.objects.filter(is_active=True).select_related("station").order_by("committed_fen"))
    return list(bonuses.order_by("min_amount_fen", "pk")), offers


@dataclass(frozen=True)
class StandingView:
    level: str
    segment: str
    points: int
    paid_orders: int
    spend_90d_fen: int


_NEW_STANDING = StandingView(level="", segment=Segment.NEW, points=0, paid_orders=0, spend_90d_fen=0)


def standing_get(*, driver_id: int | None) -> StandingView:
    """A driver's level, segment and points; a driver who never paid is new, level-less, with no points."""
    fields = ("level", "segment", "points", "paid_orders", "spend_90d_fen")
    rows = Standing.objects.filter(driver_id=driver_id).values_list(*fields)[:1] if driver_id else ()
    for row in rows:
        return StandingView(*row)
    return _NEW_STANDING


def _offer_from(promotion: Promotion) -> Offer:
    budget_left = None if promotion.budget_fen is None else promotion.budget_fen - promotion.budget_used_fen
    return Offer(
        id=promotion.pk,
        name=promotion.name,
        name_en=promotion.name_en,
        benefit_kind=promotion.benefit_kind,
        benefit_value=promotion.benefit_value,
        funder=promotion.funder,
        stacking=promotion.stacking,
        priority=promotion.priority,
        stack_group=promotion.stack_group,
        weekdays=promotion.weekdays,
        hour_from=promotion.hour_from,
        hour_to=promotion.hour_to,
        grade_codes=tuple(promotion.grade_codes),
        nonfuel_categories=tuple(promotion.nonfuel_categories),
        min_amount_fen=promotion.min_amount_fen,
        min_volume_ml=promotion.min_volume_ml,
        member_levels=tuple(promotion.member_levels),
        first_order_only=promotion.first_order_only,
        payment_modes=tuple(promotion.payment_modes),
        segments=tuple(promotion.segments),
        vehicle_fuel_types=tuple(promotion.vehicle_fuel_types),
        budget_left_fen=budget_left,
    )


def _in_scope(*, station_id: int, enterprise_id: int) -> Q:
    """Promotions that apply at the station: platform-wide, its enterprise's, or listing it (coupon templates:
    the same rule in coupon_offers_for_draft's statement)."""
    listing = Promotion.stations.through.objects.filter(station_id=station_id).values("promotion_id")
    return (
        Q(scope=PromotionScope.PLATFORM)
        | Q(scope=PromotionScope.ENTERPRISE, enterprise_id=enterprise_id)
        | Q(scope=PromotionScope.STATIONS, pk__in=listing)
    )


def _template_offer(template: CouponTemplate, *, coupon_id: int) -> Offer:
    return _coupon_offer(
        coupon_id,
        template.name,
        template.name_en,
        template.benefit_kind,
        template.benefit_value,
        template.funder,
        tuple(template.grade_codes),
        tuple(template.nonfuel_categories),
        template.min_amount_fen,
    )


def _coupon_offer(
    coupon_id, name, name_en, benefit_kind, benefit_value, funder, grade_codes, categories, min_amount_fen
) -> Offer:
    return Offer(
        id=coupon_id,
        coupon_id=coupon_id,
        name=name,
        name_en=name_en,
        benefit_kind=benefit_kind,
        benefit_value=benefit_value,
        funder=funder,
        stacking=StackingClass.STACKABLE,
        stack_group="coupon",
        grade_codes=grade_codes,
        nonfuel_categories=categories,
        min_amount_fen=min_amount_fen,
    )


def _coupon_sql(*, locked: bool) -> str:
    coupon, template = Coupon._meta.db_table, CouponTemplate._meta.db_table
    listing = CouponTemplate.stations.through._meta.db_table
    held = "c.reference = %s" if locked else "c.valid_from <= %s AND c.valid_until > %s"
    # JSON columns are cast to text so both backends hand back the same string (decoded by the caller).
    return f"""
        SELECT c.id, t.name, t.name_en, t.benefit_kind, t.benefit_value, t.funder,
               CAST(t.grade_codes AS TEXT), CAST(t.nonfuel_categories AS TEXT), t.min_amount_fen
          FROM {coupon} c JOIN {template} t ON t.id = c.template_id
         WHERE c.driver_id = %s AND c.status = %s AND {held}
           AND (t.scope = %s OR (t.scope = %s AND t.enterprise_id = %s)
                OR (t.scope = %s AND t.id IN (SELECT coupontemplate_id FROM {listing} WHERE station_id = %s)))
         ORDER BY c.id"""  # noqa: S608 - table names only; every value is bound


@dataclass(frozen=True)
class CouponChoice:
    """One of the driver's coupons on the confirm page's coupon picker."""

    coupon_id: int
    description: Reason


def coupon_choice_list(*, driver_id: int, station_id: int, enterprise_id: int) -> list[CouponChoice]:
    """The driver's coupons usable at the station now, as the confirm page offers them to pick from."""
    now = timezone.localtime()
    draft = Draft(station_id, enterprise_id, "", "", 1, 1, 0, 0, now)
    offers = coupon_offers_for_draft(draft=draft, driver_id=driver_id)
    return [CouponChoice(offer.coupon_id, offer_description(offer)) for offer in offers]


def coupon_offers_for_draft(*, draft: Draft, driver_id: int | None, reference: str = "", locked: bool = False):
    """The driver's coupons usable at the draft's station and moment; locked: those the order holds.

    One plain SQL statement (coupon, template and scope), read as values: it runs on every quote."""
    if driver_id is None:
        return []
    if locked:
        status, held = CouponStatus.LOCKED, [reference]
    else:
        at = connection.ops.adapt_datetimefield_value(draft.at)
        status, held = CouponStatus.AVAILABLE, [at, at]
    scope = [PromotionScope.PLATFORM, PromotionScope.ENTERPRISE, draft.enterprise_id]
    scope += [PromotionScope.STATIONS, draft.station_id]
    with connection.cursor() as cursor:
        cursor.execute(_coupon_sql(locked=locked), [driver_id, status, *held, *scope])
        return [
            _coupon_offer(*row[:6], tuple(json.loads(row[6])), tuple(json.loads(row[7])), row[8])
            for row in cursor.fetchall()
        ]


_NO_USES = {"total": 0, "today": 0, "by_driver": 0}


def promotion_use_counts(*, promotion_ids: list[int], driver_id: int | None, day) -> dict[int, dict[str, int]]:
    """Live (not released) uses of each promotion: in all, on the day, and by the driver."""
    rows = (
        PromotionUse.objects.filter(promotion_id__in=promotion_ids)
        .exclude(status=UseStatus.RELEASED)
        .values("promotion_id")
        .annotate(
            total=Count("pk"),
            today=Count("pk", filter=Q(day=day)),
            by_driver=Count("pk", filter=Q(driver_id=driver_id)),
        )
    )
    return {row["promotion_id"]: row for row in rows}


def promotion_cap_reached(promotion, counts: dict[int, dict[str, int]]) -> bool:
    """promotion: a Promotion, or anything with its pk and limits."""
    row = counts.get(promotion.pk, _NO_USES)
    return (
        (promotion.uses_limit is not None and row["total"] >= promotion.uses_limit)
        or (promotion.per_day_limit is not None and row["today"] >= promotion.per_day_limit)
        or (promotion.per_driver_limit is not None and row["by_driver"] >= promotion.per_driver_limit)
    )


@dataclass(frozen=True)
class _Live:
    """A live promotion as the quote path keeps it between quotes: its offer (without the budget left, read
    fresh each quote), its window and its caps."""

    offer: Offer
    starts_at: datetime | None
    ends_at: datetime | None
    budget_fen: int | None
    uses_limit: int | None
    per_day_limit: int | None
    per_driver_limit: int | None
    # The offer with a given budget left, kept: budgets seldom move between two quotes.
    _with_budget: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def pk(self) -> int:
        return self.offer.id

    @property
    def is_capped(self) -> bool:
        return self.uses_limit is not None or self.per_day_limit is not None or self.per_driver_limit is not None

    def offer_with_budget_left(self, budget_left_fen: int) -> Offer:
        offer = self._with_budget.get(budget_left_fen)
        if offer is None:
            if len(self._with_budget) > 16:
                self._with_budget.clear()
            offer = self._with_budget[budget_left_fen] = replace(self.offer, budget_left_fen=budget_left_fen)
        return offer


@dataclass(frozen=True)
class _LiveSet:
    stamp: tuple
    promotions: list[_Live]
    tracked_ids: tuple[int, ...]  # those with a budget or a cap: their state is read with the stamp


# Per process: each station's active fuel promotions, kept while the promotions' stamp (how many there are,
# the latest change) is unchanged. Any save changes updated_at; a stations list change touches it too
# (MarketingConfig.ready). Budgets and use counts move without touching it: they are read per quote, in the
# same statement as the stamp.
_live_cache: dict[tuple[int, int], _LiveSet] = {}


def _live_promotions_load(*, station_id: int, enterprise_id: int, stamp: tuple) -> _LiveSet:
    promotions = Promotion.objects.filter(
        _in_scope(station_id=station_id, enterprise_id=enterprise_id),
        is_active=True,
        applies_to=PromotionTarget.FUEL,
    )
    live = [
        _Live(
            offer=replace(_offer_from(p), budget_left_fen=None),
            starts_at=p.starts_at,
            ends_at=p.ends_at,
            budget_fen=p.budget_fen,
            uses_limit=p.uses_limit,
            per_day_limit=p.per_day_limit,
            per_driver_limit=p.per_driver_limit,
        )
        for p in promotions
    ]
    tracked = tuple(item.pk for item in live if item.budget_fen is not None or item.is_capped)
    return _LiveSet(stamp=stamp, promotions=live, tracked_ids=tracked)


@dataclass(frozen=True)
class _State:
    stamp: tuple
    standing: StandingView
    budget_used: dict[int, int]
    counts: dict[int, dict[str, int]]


def _promotions_state(*, ids: tuple[int, ...], driver_id: int | None, day) -> _State:
    """One statement: the promotions' stamp, the driver's standing, and the budget used and live use counts
    (in all, on the day, by the driver) of the promotions named. The quote's hot path: plain SQL, built per
    number of ids."""
    promotion, use, standing = Promotion._meta.db_table, PromotionUse._meta.db_table, Standing._meta.db_table
    stamp = f"SELECT COUNT(*) AS n, MAX(updated_at) AS at FROM {promotion}"  # noqa: S608 - a table name
    head = f"""
        SELECT s.n, s.at, st.level, st.segment, st.points, st.paid_orders, st.spend_90d_fen, {{promotion_columns}}
          FROM ({stamp}) s LEFT JOIN {standing} st ON st.driver_id = %s"""  # noqa: S608 - table names only
    sql, params = head.format(promotion_columns="NULL, NULL, NULL, NULL, NULL"), [driver_id]
    if ids:
        marks = ", ".join(["%s"] * len(ids))
        joins = f"""
              LEFT JOIN {promotion} p ON p.id IN ({marks})
              LEFT JOIN (SELECT promotion_id, COUNT(*) AS total,
                                SUM(CASE WHEN day = %s THEN 1 ELSE 0 END) AS today,
                                SUM(CASE WHEN driver_id = %s THEN 1 ELSE 0 END) AS by_driver
                           FROM {use} WHERE status <> %s AND promotion_id IN ({marks})
                          GROUP BY promotion_id) u ON u.promotion_id = p.id"""  # noqa: S608 - placeholders only
        sql = head.format(promotion_columns="p.id, p.budget_used_fen, u.total, u.today, u.by_driver") + joins
        params += [*ids, connection.ops.adapt_datefield_value(day), driver_id, UseStatus.RELEASED, *ids]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    budget_used, counts = {}, {}
    for row in rows:
        pk, used, total, today, by_driver = row[7:]
        if pk is not None:
            budget_used[pk] = used
            if total:
                counts[pk] = {"total": total, "today": today, "by_driver": by_driver}
    first = rows[0]
    standing = StandingView(*first[2:7]) if first[2] is not None else _NEW_STANDING
    return _State(stamp=first[:2], standing=standing, budget_used=budget_used, counts=counts)


def _live_promotions(*, station_id: int, enterprise_id: int, driver_id: int | None, day) -> tuple[_LiveSet, _State]:
    """The station's live promotions (cached) and their state now; one query unless the promotions changed."""
    key = (station_id, enterprise_id)
    cached = _live_cache.get(key)
    state = _promotions_state(ids=cached.tracked_ids if cached else (), driver_id=driver_id, day=day)
    if cached is None or cached.stamp != state.stamp:
        cached = _live_cache[key] = _live_promotions_load(
            station_id=station_id, enterprise_id=enterprise_id, stamp=state.stamp
        )
        state = _promotions_state(ids=cached.tracked_ids, driver_id=driver_id, day=day)
    return cached, state


def promotion_quote(
    *,
    draft: Draft,
    driver_id: int | None = None,
    reference: str = "",
    only_ids: Iterable[int] | None = None,
    coupon_id: int | None = None,
    use_coupons: bool = True,
    use_points: bool = False,
) -> Quote:
    """The quote for a draft at its station: promotions in effect at draft.at, caps applied, and the driver's
    coupons (coupon_id: the one the driver picked, CouponNotApplicable if it is not theirs to use here;
    use_coupons=False: none) and points (use_points: the driver offers them, 积分抵扣). The driver's facts
    (level, segment, first order, points) come from their standing, read here with the promotions' state.
    only_ids (the re-quote at capture) limits it to the promotions the order reserved at confirm, whose
    caps it holds, to the coupon it locked and to the points it set aside."""
    at = draft.at
    live_set, state = _live_promotions(
        station_id=draft.station_id, enterprise_id=draft.enterprise_id, driver_id=driver_id, day=at.date()
    )
    if only_ids is None:
        draft = replace(
            draft,
            member_level=state.standing.level,
            segment=state.standing.segment,
            is_first_order=driver_id is not None and state.standing.paid_orders == 0,
            points_offered=state.standing.points if use_points else 0,
        )
    live = [
        item
        for item in live_set.promotions
        if (item.starts_at is None or item.starts_at <= at) and (item.ends_at is None or item.ends_at > at)
    ]
    if only_ids is not None:
        wanted = set(only_ids)
        live = [item for item in live if item.pk in wanted]
    else:
        live = [item for item in live if not (item.is_capped and promotion_cap_reached(item, state.counts))]
    offers = [
        item.offer
        if item.budget_fen is None
        else item.offer_with_budget_left(item.budget_fen - state.budget_used.get(item.pk, item.budget_fen))
        for item in live
    ]
    if only_ids is not None:  # the driver's conditions were judged at confirm; the reservation holds them
        offers = [_as_reserved(offer, reference) for offer in offers]
        draft = replace(draft, points_offered=points_reserved_get(reference=reference))
    held = only_ids is not None
    coupons = coupon_offers_for_draft(draft=draft, driver_id=driver_id, reference=reference, locked=held)
    if coupon_id is not None:
        coupons = [offer for offer in coupons if offer.coupon_id == coupon_id]
        if not coupons:
            raise CouponNotApplicable(extra={"coupon_id": coupon_id})
    return quote(draft, offers + coupons if use_coupons else offers, chosen_coupon_id=coupon_id)


def points_reserved_get(*, reference: str) -> int:
    """The points an order set aside at confirm (积分抵扣) and has not had back."""
    rows = PointsEntry.objects.filter(reference=reference, kind__in=[PointsKind.REDEEM, PointsKind.RETURN])
    return -(rows.aggregate(total=Sum("points"))["total"] or 0)


def _as_reserved(offer: Offer, reference: str) -> Offer:
    """At capture: the order's own reserved cost is budget it already holds."""
    offer = replace(
        offer, member_levels=(), first_order_only=False, payment_modes=(), segments=(), vehicle_fuel_types=()
    )
    if offer.budget_left_fen is None:
        return offer
    held = PromotionUse.objects.filter(promotion_id=offer.id, reference=reference, status=UseStatus.RESERVED)
    reserved = held.values_list("cost_fen", flat=True).first() or 0
    return replace(offer, budget_left_fen=offer.budget_left_fen + reserved)


def promotion_ids_reserved(*, reference: str) -> list[int]:
    return list(
        PromotionUse.objects.filter(reference=reference, status=UseStatus.RESERVED).values_list(
            "promotion_id", flat=True
        )
    )


@dataclass(frozen=True)
class Rewards:
    """The driver's rewards page: level, points and their history, coupons, coupons to buy with points."""

    standing: StandingView
    level_name: str
    next_level: MemberLevel | None
    points_history: list[PointsEntry]
    coupons: list[Coupon]
    past_coupons: list[Coupon]
    points_shop: list[CouponTemplate]
    inbox: list[Notification]


def rewards_get(*, driver_id: int, history: int = 20) -> Rewards:
    standing = standing_get(driver_id=driver_id)
    levels = list(MemberLevel.objects.all())
    current = next((level for level in levels if level.code == standing.level), None)
    coupons = Coupon.objects.filter(driver_id=driver_id).select_related("template").order_by("valid_until", "pk")
    return Rewards(
        standing=standing,
        level_name=current.name if current else "",
        next_level=next((level for level in levels if level.min_spend_90d_fen > standing.spend_90d_fen), None),
        points_history=list(PointsEntry.objects.filter(driver_id=driver_id)[:history]),
        coupons=[c for c in coupons if c.status in (CouponStatus.AVAILABLE, CouponStatus.LOCKED)],
        past_coupons=[c for c in coupons if c.status in (CouponStatus.USED, CouponStatus.EXPIRED)][-history:],
        points_shop=list(
            CouponTemplate.objects.filter(is_active=True, points_price__isnull=False).order_by("points_price", "pk")
        ),
        inbox=list(Notification.objects.filter(driver_id=driver_id, status=NotificationStatus.SENT)[:history]),
    )


def promotion_qs_visible_to(*, user) -> QuerySet[Promotion]:
    return scoped_qs_visible_to(model=Promotion, user=user)


def scoped_qs_visible_to(*, model, user) -> QuerySet:
    """Rows of a scoped model (promotions, coupon templates, campaigns) a staff user may see and edit: the
    platform all; an enterprise admin their enterprise's and those listing only their stations; a station
    manager those listing only their station."""
    if user_is_platform_admin(user=user):
        return model.objects.all()
    visible = station_qs_visible_to(user=user).values("pk")
    listings = model.stations.through.objects
    column = f"{model._meta.model_name}_id"
    listing_only_theirs = (
        Q(scope=PromotionScope.STATIONS)
        & Q(pk__in=listings.filter(station_id__in=visible).values(column))
        & ~Q(pk__in=listings.exclude(station_id__in=visible).values(column))
    )
    role = staff_role_get(user=user)
    theirs = listing_only_theirs
    if role is not None and role.enterprise_id:
        theirs |= Q(scope=PromotionScope.ENTERPRISE, enterprise_id=role.enterprise_id)
    return model.objects.filter(theirs)


def scope_station_ids(*, scope: str, enterprise_id: int | None, listed) -> list[int] | None:
    """The stations a scope covers (listed: the row's stations manager); None for the whole platform."""
    if scope == PromotionScope.PLATFORM:
        return None
    if scope == PromotionScope.ENTERPRISE:
        return list(Station.objects.filter(enterprise_id=enterprise_id).values_list("pk", flat=True))
    return list(listed.values_list("pk", flat=True))


def driver_segments_grouped(
    *, now: datetime, group_by: str, station_ids: list[int] | None = None
) -> dict[int | None, dict[int, str]]:
    """Each driver's segment from what they paid at a station ("station"), at an enterprise's stations
    ("enterprise") or at all of station_ids together ("all", keyed None): {group: {driver_id: segment}}.
    One query over the paid sales (points earn rows) that name their station."""
    since = now - timedelta(days=SPEND_WINDOW_DAYS)
    column = {"station": "station_id", "enterprise": "station__enterprise_id", "all": None}[group_by]
    sales = PointsEntry.objects.filter(kind=PointsKind.EARN, station__isnull=False, created_at__lte=now)
    if station_ids is not None:
        sales = sales.filter(station_id__in=station_ids)
    rows = (
        sales.values(*([column] if column else []), "driver_id")
        .annotate(
            orders=Count("pk"),
            spend=Sum("paid_fen", filter=Q(created_at__gt=since)),
            last=Max("created_at"),
        )
        .order_by()
    )
    groups: dict[int | None, dict[int, str]] = {}
    for row in rows:
        groups.setdefault(row[column] if column else None, {})[row["driver_id"]] = segment_for(
            paid_orders=row["orders"], spend_90d_fen=row["spend"] or 0, last_paid_at=row["last"], now=now
        )
    return groups


@dataclass(frozen=True)
class PreviewCase:
    """One sample sale and what the promotion (with the station price) makes of it."""

    description: Reason
    lines: tuple[QuoteLine, ...]
    total_fen: int


def promotion_preview(
    *, promotion: Promotion, station: Station, grade_code: str, price, offer: Offer | None = None
) -> list[PreviewCase]:
    """A sale that meets the promotion's conditions (its first grade, level, hour, weekday; its minimum or
    ¥300), and one just below its minimum: the lines the driver would see, before the promotion is active.
    offer: what to preview under those conditions instead of the promotion itself (a coupon)."""
    offer = offer or _offer_from(promotion)
    at = timezone.localtime()
    if promotion.weekdays:
        at += timedelta(days=(int(promotion.weekdays[0]) - at.isoweekday()) % 7)
    at = at.replace(hour=promotion.hour_from if promotion.hour_from is not None else 12, minute=0)
    amounts = [max(promotion.min_amount_fen, 30_000)]
    if promotion.min_amount_fen > 100:
        amounts.append(promotion.min_amount_fen - 100)
    station_price = [_offer_from(p) for p in Promotion.objects.filter(benefit_kind=BenefitKind.STATION_PRICE)]
    cases = []
    for amount in amounts:
        volume = volume_for_amount_ml(amount_fen=amount, price_fen_per_litre=price.price_fen_per_litre)
        draft = Draft(
            station_id=station.pk,
            enterprise_id=station.enterprise_id,
            grade_code=(promotion.grade_codes or [grade_code])[0],
            grade_name=price.grade_name,
            list_price_fen_per_litre=price.list_price_fen_per_litre,
            price_fen_per_litre=price.price_fen_per_litre,
            volume_ml=volume,
            amount_fen=amount,
            at=at,
            payment_mode=(promotion.payment_modes or [""])[0],
            member_level=(promotion.member_levels or [""])[0],
            segment=(promotion.segments or [""])[0],
            is_first_order=promotion.first_order_only,
            vehicle_fuel_type=(promotion.vehicle_fuel_types or [""])[0],
        )
        result = quote(draft, [*station_price, offer])
        cases.append(PreviewCase(_preview_description(draft), result.lines, result.total_fen))
    return cases


def _preview_description(draft: Draft) -> Reason:
    def render(language: str) -> str:
        text = gettext("a %(grade)s fill of %(amount)s at %(time)s") % {
            "grade": draft.grade_name,
            "amount": format_fen(draft.amount_fen),
            "time": draft.at.strftime("%a %H:%M"),
        }
        if draft.member_level:
            text += gettext(", member level %(level)s") % {"level": draft.member_level}
        if draft.is_first_order:
            text += gettext(", first order")
        return text

    return Reason(render=render)


@dataclass(frozen=True)
class PromotionReport:
    uses: int
    reserved: int
    cost_by_funder: dict[str, int]
    budget_left_fen: int | None


def promotion_report(*, promotion: Promotion) -> PromotionReport:
    """Uses (settled), orders still holding it, what it cost whom, and the budget left."""
    uses = PromotionUse.objects.filter(promotion=promotion)
    settled = uses.filter(status=UseStatus.SETTLED).aggregate(n=Count("pk"), cost=Sum("cost_fen"))
    return PromotionReport(
        uses=settled["n"],
        reserved=uses.filter(status=UseStatus.RESERVED).count(),
        cost_by_funder={str(Funder(promotion.funder).label): settled["cost"] or 0},
        budget_left_fen=None if promotion.budget_fen is None else promotion.budget_fen - promotion.budget_used_fen,
    )


def _stations_in_scope(scoped) -> QuerySet[Station]:
    if scoped.scope == PromotionScope.STATIONS:
        return scoped.stations.all()
    if scoped.scope == PromotionScope.ENTERPRISE:
        return Station.objects.filter(enterprise_id=scoped.enterprise_id)
    return Station.objects.all()


def _preview_in_scope(*, scoped, conditions: Promotion, offer: Offer | None = None) -> list[PreviewCase]:
    """The preview at a station in the row's scope (its first listed one, else one of its enterprise's or any
    station) that sells the grade the conditions ask for."""
    for station in _stations_in_scope(scoped).order_by("pk")[:20]:
        prices = station_prices_in_effect(station=station)
        wanted = [p for p in prices if not conditions.grade_codes or p.grade_code in conditions.grade_codes]
        if wanted:
            return promotion_preview(
                promotion=conditions, station=station, grade_code=wanted[0].grade_code, price=wanted[0], offer=offer
            )
    return []


def promotion_preview_for_admin(*, promotion: Promotion) -> list[PreviewCase]:
    return _preview_in_scope(scoped=promotion, conditions=promotion)


def coupon_template_preview_for_admin(*, template: CouponTemplate) -> list[PreviewCase]:
    """The coupon on a sample sale at a station in its scope (its minimum spend or ¥300, and just below it)."""
    conditions = Promotion(grade_codes=template.grade_codes, min_amount_fen=template.min_amount_fen)
    return _preview_in_scope(scoped=template, conditions=conditions, offer=_template_offer(template, coupon_id=0))


def coupon_template_report(*, template: CouponTemplate) -> dict[str, int]:
    """Its coupons by status (label → how many): issued, held, used, expired."""
    counts = dict(
        Coupon.objects.filter(template=template).values("status").annotate(n=Count("pk")).values_list("status", "n")
    )
    return {str(CouponStatus(status).label): counts.get(status, 0) for status in CouponStatus.values}


def campaign_audience(*, campaign: Campaign, now=None) -> list[int]:
    """The drivers a campaign targets, holdout included: the platform's in its segment, or those whose
    behaviour at the campaign's stations puts them in it (a driver dormant at one station may be high value at
    another)."""
    station_ids = scope_station_ids(
        scope=campaign.scope, enterprise_id=campaign.enterprise_id, listed=campaign.stations
    )
    if station_ids is None:
        standings = Standing.objects.filter(segment=campaign.segment).order_by("driver_id")
        return list(standings.values_list("driver_id", flat=True))
    segments = driver_segments_grouped(now=now or timezone.now(), group_by="all", station_ids=station_ids)
    return sorted(driver_id for driver_id, segment in segments.get(None, {}).items() if segment == campaign.segment)


@dataclass(frozen=True)
class AudiencePreview:
    drivers: int
    targeted: int
    holdout: int


def campaign_audience_preview(*, campaign: Campaign) -> AudiencePreview:
    """Before the launch: how many drivers the campaign reaches now, and how the holdout draw splits them."""
    drivers = campaign_audience(campaign=campaign)
    holdout = sum(1 for driver_id in drivers if in_holdout(campaign=campaign, driver_id=driver_id))
    return AudiencePreview(drivers=len(drivers), targeted=len(drivers) - holdout, holdout=holdout)


def segment_size_qs_visible_to(*, user) -> QuerySet[SegmentSize]:
    """The platform sees every scope's sizes; station staff their stations' and their enterprise's."""
    if user_is_platform_admin(user=user):
        return SegmentSize.objects.all()
    theirs = Q(station_id__in=station_qs_visible_to(user=user).values("pk"))
    role = staff_role_get(user=user)
    if role is not None and role.enterprise_id and role.role != StaffRoleKind.STATION_MANAGER:
        theirs |= Q(enterprise_id=role.enterprise_id)
    return SegmentSize.objects.filter(theirs)


def campaign_report(*, campaign: Campaign) -> tuple[GroupOutcome, GroupOutcome, Uplift]:
    """Targeted and holdout after the launch: redemptions, revisits (paid at least once) and spend."""
    outcomes = {}
    for group in CampaignGroup.values:
        members = CampaignMember.objects.filter(campaign=campaign, group=group)
        driver_ids = members.values("driver_id")
        paid_after = PointsEntry.objects.filter(
            driver_id__in=driver_ids, kind=PointsKind.EARN, created_at__gt=campaign.launched_at
        )
        outcomes[group] = GroupOutcome(
            drivers=members.count(),
            redeemed=members.filter(coupon__status=CouponStatus.USED).count(),
            revisited=paid_after.values("driver_id").distinct().count(),
            spend_fen=paid_after.aggregate(total=Sum("paid_fen"))["total"] or 0,
        )
    target, holdout = outcomes[CampaignGroup.TARGET], outcomes[CampaignGroup.HOLDOUT]
    return target, holdout, uplift(target=target, holdout=holdout)


def notification_events_recorded(*, keys: list[str]) -> set[str]:
    """Which of these trigger events (Notification.dedup_key) already made a message."""
    return set(Notification.objects.filter(dedup_key__in=keys).values_list("dedup_key", flat=True))


@dataclass(frozen=True)
class NotificationPreference:
    kind: str
    label: str
    receiving: bool
    switchable: bool  # receipts and top-ups (money that moved) always go


def notification_preferences_get(*, driver_id: int) -> list[NotificationPreference]:
    opted_out = set(NotificationOptOut.objects.filter(driver_id=driver_id).values_list("kind", flat=True))
    return [
        NotificationPreference(
            kind=kind,
            label=str(label),
            receiving=kind not in opted_out,
            switchable=kind not in TRANSACTIONAL_KINDS,
        )
        for kind, label in NotificationKind.choices
    ]


@dataclass(frozen=True)
class Invitee:
    phone_masked: str
    joined_at: datetime
    status: str
    status_label: str


@dataclass(frozen=True)
class InvitePage:
    """The driver's referral page: their code, whom they invited, and the coupons the invitations earned."""

    code: str
    invitees: list[Invitee]
    rewarded: int
    reward_name: str  # the referral coupon each side gets, "" when no referral reward runs
    coupons_earned: list[Coupon]


def invite_page_get(*, driver_id: int, code: str) -> InvitePage:
    referrals = list(
        Referral.objects.filter(inviter_id=driver_id).select_related("invitee").order_by("-created_at", "-pk")
    )
    invitees = [
        Invitee(
            phone_masked=referral.invitee.phone_masked,
            joined_at=referral.created_at,
            status=referral.status,
            status_label=str(ReferralStatus(referral.status).label),
        )
        for referral in referrals
    ]
    reward = CouponTemplate.objects.filter(for_referrals=True, is_active=True).order_by("pk").first()
    # Both sides' coupons are issued valid from the moment the referral is rewarded: the inviter's are theirs.
    rewarded_at = [referral.rewarded_at for referral in referrals if referral.status == ReferralStatus.REWARDED]
    earned = Coupon.objects.filter(driver_id=driver_id, issued_via=CouponIssuedVia.REFERRAL, valid_from__in=rewarded_at)
    return InvitePage(
        code=code,
        invitees=invitees,
        rewarded=len(rewarded_at),
        reward_name=reward.name if reward else "",
        coupons_earned=list(earned.select_related("template").order_by("-valid_from", "-pk")),
    )


@dataclass(frozen=True)
class PartnerSettlementRow:
    """合作券 used on one local day for one partner: how many, and the discount the partner settles."""

    partner_code: str
    day: date
    uses: int
    cost_fen: int


def partner_settlement_list(*, date_from: date, date_to: date) -> list[PartnerSettlementRow]:
    """Partner coupons used from date_from to date_to (local days, both included), per partner and day."""
    tz = timezone.get_current_timezone()
    start = datetime.combine(date_from, time.min, tzinfo=tz)
    end = datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=tz)
    rows = (
        Coupon.objects.filter(
            template__kind=CouponKind.PARTNER, status=CouponStatus.USED, used_at__gte=start, used_at__lt=end
        )
        .annotate(day=TruncDate("used_at", tzinfo=tz))
        .values("template__partner_code", "day")
        .annotate(uses=Count("pk"), cost=Sum("used_fen"))
        .order_by("day", "template__partner_code")
    )
    return [PartnerSettlementRow(r["template__partner_code"], r["day"], r["uses"], r["cost"]) for r in rows]


@dataclass(frozen=True)
class CampaignResult:
    name: str
    launched_at: datetime
    target: GroupOutcome
    holdout: GroupOutcome
    uplift: Uplift


def campaign_results_for_stations(*, station_ids: Iterable[int], limit: int = 3) -> list[CampaignResult]:
    """The latest launched campaigns that reach the stations (platform-wide, their enterprise's, or one listing
    one of them), each with its report."""
    stations = Station.objects.filter(pk__in=list(station_ids))
    listing = Campaign.stations.through.objects.filter(station__in=stations).values("campaign_id")
    reaching = (
        Q(scope=PromotionScope.PLATFORM)
        | Q(scope=PromotionScope.ENTERPRISE, enterprise__in=stations.values("enterprise_id"))
        | Q(scope=PromotionScope.STATIONS, pk__in=listing)
    )
    campaigns = Campaign.objects.filter(reaching, launched_at__isnull=False).order_by("-launched_at", "-pk")[:limit]
    results = []
    for campaign in campaigns:
        target, holdout, outcome = campaign_report(campaign=campaign)
        results.append(
            CampaignResult(
                name=campaign.name, launched_at=campaign.launched_at, target=target, holdout=holdout, uplift=outcome
            )
        )
    return results
