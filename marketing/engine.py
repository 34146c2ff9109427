"""The promotion engine: pure arithmetic over a draft and the promotions in play (no database).

Rounding, specified once: every discount is computed exactly and rounded half-up to the fen (core.money),
then capped at what is left of the amount it applies to, so no line can push a total below zero and the
lines always sum to the total.

Combination, deterministic: the station price (明折明扣) applies first, always. Then the candidates are each
exclusive promotion alone and the stackable ones together (the best of each stacking group, priority order,
each on what the previous ones left). The candidate saving the driver most wins; ties go to the higher
priority, then the lower promotion id. A coupon the driver picked is honoured: only combinations that use it
compete (if it qualifies at all).

Points (积分抵扣) come last, on what the driver still pays: the driver opts in with the points they offer;
at most points_max_share of what is left, at the configured points per yuan, in whole fen (rounded down,
and the points spent rounded up from the fen taken, so a driver never spends more points than offered).
Their line is funded by the platform.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext

from core.money import amount_for_volume_fen, basis_points_of_fen, format_fen
from marketing.enums import DISCOUNT_BENEFITS, BenefitKind, Funder, LineKind, StackingClass

MAX_HINTS = 3


@dataclass(frozen=True)
class DraftItem:
    category: str
    label: str
    amount_fen: int


@dataclass(frozen=True)
class Draft:
    """What the driver is about to buy and who they are. amount_fen is the fuel at the station price (what
    the pump charges); the list price gives the fuel line."""

    station_id: int
    enterprise_id: int
    grade_code: str
    grade_name: str
    list_price_fen_per_litre: int
    price_fen_per_litre: int
    volume_ml: int
    amount_fen: int
    at: datetime  # local time of the confirmation: schedules are judged at it, also at capture
    payment_mode: str = ""
    member_level: str = ""
    segment: str = ""
    is_first_order: bool = False
    vehicle_fuel_type: str = ""
    items: tuple[DraftItem, ...] = ()
    points_offered: int = 0  # points the driver opted to pay with (0: none)

    @property
    def list_amount_fen(self) -> int:
        return max(
            amount_for_volume_fen(volume_ml=self.volume_ml, price_fen_per_litre=self.list_price_fen_per_litre),
            self.amount_fen,
        )

    @property
    def payable_before_promotions_fen(self) -> int:
        return self.amount_fen + sum(item.amount_fen for item in self.items)


@dataclass(frozen=True)
class Offer:
    """A promotion as the engine sees it (marketing.selectors builds these from Promotion rows)."""

    id: int
    name: str
    name_en: str
    benefit_kind: str
    benefit_value: int
    funder: str
    stacking: str
    priority: int = 0
    stack_group: str = ""
    weekdays: str = ""
    hour_from: int | None = None
    hour_to: int | None = None
    grade_codes: tuple[str, ...] = ()
    nonfuel_categories: tuple[str, ...] = ()
    min_amount_fen: int = 0
    min_volume_ml: int = 0
    member_levels: tuple[str, ...] = ()
    first_order_only: bool = False
    payment_modes: tuple[str, ...] = ()
    segments: tuple[str, ...] = ()
    vehicle_fuel_types: tuple[str, ...] = ()
    budget_left_fen: int | None = None  # None: unlimited; caps the discount
    coupon_id: int | None = None  # a driver's coupon (one per order: selectors give them one stack group)


class Reason:
    """A line's plain-language reason in Chinese (zh) and English (en). Worded on first use, in the active
    language without switching: a quote that is only shown renders one language, a receipt stores both."""

    def __init__(self, zh: str | None = None, en: str | None = None, *, render=None):
        self._texts = {"zh-hans": zh, "en": en}
        self._render = render

    def _text(self, language: str) -> str:
        if self._texts[language] is None:
            if translation.get_language() == language:
                self._texts[language] = self._render(language)
            else:
                with translation.override(language):
                    self._texts[language] = self._render(language)
        return self._texts[language]

    @property
    def zh(self) -> str:
        return self._text("zh-hans")

    @property
    def en(self) -> str:
        return self._text("en")

    def __str__(self) -> str:
        return self.en if translation.get_language() == "en" else self.zh

    def __eq__(self, other) -> bool:
        return isinstance(other, Reason) and (self.zh, self.en) == (other.zh, other.en)

    def __hash__(self) -> int:
        return hash((self.zh, self.en))

    def __repr__(self) -> str:
        return f"Reason(zh={self.zh!r}, en={self.en!r})"


@dataclass(frozen=True)
class QuoteLine:
    kind: str
    amount_fen: int  # discounts are negative
    reason: Reason
    funder: str = ""
    promotion_id: int | None = None
    coupon_id: int | None = None
    non_fuel: bool = False  # a non-fuel item, or a discount on non-fuel categories (settlement splits them)
    points: int = 0  # a points line: the points it spends

    @property
    def display_label(self) -> str:
        return str(self.reason)


@dataclass(frozen=True)
class Reward:
    """A benefit that is not a price cut: bonus credit (fen), extra points, a coupon template id."""

    benefit_kind: str
    value: int
    promotion_id: int
    funder: str
    reason: Reason


@dataclass(frozen=True)
class Hint:
    promotion_id: int | None
    missing_fen: int
    missing_ml: int
    reason: Reason
    coupon_id: int | None = None


@dataclass(frozen=True)
class Quote:
    lines: tuple[QuoteLine, ...]
    total_fen: int
    rewards: tuple[Reward, ...] = ()
    hints: tuple[Hint, ...] = ()
    promotion_ids: tuple[int, ...] = field(default=())
    coupon_ids: tuple[int, ...] = field(default=())
    points_used: int = 0

    @property
    def discount_fen(self) -> int:
        return -sum(line.amount_fen for line in self.lines if line.kind == LineKind.DISCOUNT)

    def cost_by_promotion(self) -> dict[int, int]:
        """What each promotion costs its funder: its discount lines, and the bonus credit it gives."""
        costs: dict[int, int] = {}
        for line in self.lines:
            if line.promotion_id is not None:
                costs[line.promotion_id] = costs.get(line.promotion_id, 0) - line.amount_fen
        for reward in self.rewards:
            if reward.benefit_kind == BenefitKind.BONUS_CREDIT:
                costs[reward.promotion_id] = costs.get(reward.promotion_id, 0) + reward.value
        return costs


def _in_schedule(offer: Offer, at: datetime) -> bool:
    if offer.weekdays and str(at.isoweekday()) not in offer.weekdays:
        return False
    if offer.hour_from is None or offer.hour_to is None:
        return True
    if offer.hour_from <= offer.hour_to:
        return offer.hour_from <= at.hour < offer.hour_to
    return at.hour >= offer.hour_from or at.hour < offer.hour_to  # across midnight


def _matches(values: tuple[str, ...], value: str) -> bool:
    return not values or value in values


def _qualifies_except_minimums(offer: Offer, draft: Draft) -> bool:
    return (
        _in_schedule(offer, draft.at)
        and _matches(offer.grade_codes, draft.grade_code)
        and (not offer.nonfuel_categories or any(i.category in offer.nonfuel_categories for i in draft.items))
        and _matches(offer.member_levels, draft.member_level)
        and (draft.is_first_order or not offer.first_order_only)
        and _matches(offer.payment_modes, draft.payment_mode)
        and _matches(offer.segments, draft.segment)
        and _matches(offer.vehicle_fuel_types, draft.vehicle_fuel_type)
        and offer.budget_left_fen != 0
        # bonus credit is all or nothing: the budget must cover it
        and not (
            offer.benefit_kind == BenefitKind.BONUS_CREDIT
            and offer.budget_left_fen is not None
            and offer.budget_left_fen < offer.benefit_value
        )
    )


def _missing(offer: Offer, draft: Draft) -> tuple[int, int]:
    return (
        max(offer.min_amount_fen - draft.payable_before_promotions_fen, 0),
        max(offer.min_volume_ml - draft.volume_ml, 0),
    )


def _schedule_text(offer: Offer) -> str:
    if offer.hour_from is None or offer.hour_to is None:
        return ""
    return f"({offer.hour_from:02d}:00–{offer.hour_to % 24:02d}:00)"


def _zhe(basis_points_off: int) -> str:
    """500 basis points off → "95"; 1000 → "9"; 1250 → "87.5"."""
    tenths = (10_000 - basis_points_off) / 100
    text = f"{tenths:g}"
    return text[:-1] if text.endswith("0") and "." not in text else text


def _benefit_text(offer: Offer) -> str:
    value = offer.benefit_value
    match offer.benefit_kind:
        case BenefitKind.PERCENT_OFF:
            return gettext("%(zhe)s%% of the price") % {"zhe": _zhe(value)}
        case BenefitKind.AMOUNT_OFF if not offer.min_amount_fen:
            return gettext("%(off)s off") % {"off": format_fen(value)}
        case BenefitKind.AMOUNT_OFF:
            return gettext("%(off)s off orders from %(minimum)s") % {
                "off": format_fen(value),
                "minimum": format_fen(offer.min_amount_fen),
            }
        case BenefitKind.PER_LITRE_OFF:
            return gettext("%(off)s off per litre") % {"off": format_fen(value)}
        case BenefitKind.FIXED_PRICE:
            return gettext("%(price)s per litre") % {"price": format_fen(value)}
        case BenefitKind.STATION_PRICE:
            return gettext("station price below list")
        case BenefitKind.BONUS_CREDIT:
            return gettext("%(bonus)s bonus credit") % {"bonus": format_fen(value)}
        case BenefitKind.EXTRA_POINTS:
            return gettext("%(points)s extra points") % {"points": value}
        case _:
            return gettext("a coupon")


def _offer_reason(offer: Offer, amount_fen: int | None = None) -> Reason:
    def render(language: str) -> str:
        name = offer.name_en if language == "en" else offer.name
        text = f"{name}{_schedule_text(offer)}: {_benefit_text(offer)}"
        return text if amount_fen is None else f"{text} {format_fen(amount_fen)}"

    return Reason(render=render)


def offer_description(offer: Offer) -> Reason:
    """What an offer gives, in words (a coupon on the confirm page's picker)."""
    return _offer_reason(offer)


def _hint_reason(offer: Offer, missing_fen: int, missing_ml: int) -> Reason:
    def render(language: str) -> str:
        name = offer.name_en if language == "en" else offer.name
        if missing_fen:
            more = gettext("Add %(amount)s more") % {"amount": format_fen(missing_fen)}
        else:
            more = gettext("Add %(litres)s L more") % {"litres": f"{missing_ml / 1000:g}"}
        return gettext("%(more)s to get %(promotion)s") % {"more": more, "promotion": f"{name}: {_benefit_text(offer)}"}

    return Reason(render=render)


@dataclass
class _Pools:
    """What is left to discount: the fuel, and each non-fuel category."""

    fuel_fen: int
    categories: dict[str, int]

    def base(self, offer: Offer) -> int:
        if offer.nonfuel_categories:
            return sum(self.categories.get(category, 0) for category in offer.nonfuel_categories)
        return self.fuel_fen

    def take(self, offer: Offer, amount_fen: int) -> None:
        if not offer.nonfuel_categories:
            self.fuel_fen -= amount_fen
            return
        for category in offer.nonfuel_categories:
            part = min(amount_fen, self.categories.get(category, 0))
            self.categories[category] = self.categories.get(category, 0) - part
            amount_fen -= part


def _raw_discount(offer: Offer, draft: Draft, base_fen: int) -> int:
    value = offer.benefit_value
    match offer.benefit_kind:
        case BenefitKind.PERCENT_OFF:
            return basis_points_of_fen(amount_fen=base_fen, basis_points=value)
        case BenefitKind.AMOUNT_OFF:
            return value
        case BenefitKind.PER_LITRE_OFF:
            return amount_for_volume_fen(volume_ml=draft.volume_ml, price_fen_per_litre=value)
        case BenefitKind.FIXED_PRICE:
            return draft.amount_fen - amount_for_volume_fen(volume_ml=draft.volume_ml, price_fen_per_litre=value)
    return 0


def _apply(offers: Iterable[Offer], draft: Draft, pools: _Pools) -> list[tuple[Offer, int]]:
    """Each discount offer in turn on what the previous ones left; rounded, capped, never negative."""
    applied = []
    for offer in offers:
        if offer.benefit_kind not in DISCOUNT_BENEFITS:
            applied.append((offer, 0))
            continue
        cap = pools.base(offer) if offer.budget_left_fen is None else min(pools.base(offer), offer.budget_left_fen)
        amount = max(min(_raw_discount(offer, draft, pools.base(offer)), cap), 0)
        pools.take(offer, amount)
        applied.append((offer, amount))
    return applied


def _key(offer: Offer) -> tuple[int, bool, int]:
    return (-offer.priority, offer.coupon_id is not None, offer.id)


def _priority_order(offers: Iterable[Offer]) -> list[Offer]:
    return sorted(offers, key=_key)


def _stackable_set(offers: list[Offer], draft: Draft, pools: _Pools) -> list[Offer]:
    """All stackable offers, keeping only the most generous of each stacking group (alone on the pools)."""
    chosen: dict[str, Offer] = {}
    loose = []
    for offer in _priority_order(offers):
        if not offer.stack_group:
            loose.append(offer)
            continue
        best = chosen.get(offer.stack_group)
        saving = _apply([offer], draft, _Pools(pools.fuel_fen, dict(pools.categories)))[0][1]
        if best is None or saving > _apply([best], draft, _Pools(pools.fuel_fen, dict(pools.categories)))[0][1]:
            chosen[offer.stack_group] = offer
    return _priority_order([*loose, *chosen.values()])


def qualifying(draft: Draft, offers: Iterable[Offer]) -> tuple[list[Offer], list[Hint]]:
    """The offers the draft qualifies for, and hints for the few it misses only by amount or litres (the
    nearest first)."""
    eligible, near = [], []
    for offer in offers:
        if not _qualifies_except_minimums(offer, draft):
            continue
        missing_fen, missing_ml = _missing(offer, draft)
        if missing_fen or missing_ml:
            near.append((missing_fen, missing_ml, offer.coupon_id is not None, offer.id, offer))
        else:
            eligible.append(offer)
    hints = []
    for missing_fen, missing_ml, _, _, offer in sorted(near, key=lambda item: item[:4])[:MAX_HINTS]:
        reason = _hint_reason(offer, missing_fen, missing_ml)
        promotion_id = None if offer.coupon_id else offer.id
        hints.append(Hint(promotion_id, missing_fen, missing_ml, reason, offer.coupon_id))
    return eligible, hints


def quote(draft: Draft, offers: Iterable[Offer], *, chosen_coupon_id: int | None = None) -> Quote:
    """The driver's best deterministic combination, itemised, with hints of what almost qualified.
    chosen_coupon_id: the coupon the driver picked; the best combination using it, if it qualifies."""
    eligible, hints = qualifying(draft, offers)

    # The pump's amount is the most the fuel costs: the station price line only explains it against the
    # list price (the fuel line is the list price only when that line is there), so without it nothing
    # can ever charge more than the pump did.
    station_price = _priority_order(o for o in eligible if o.benefit_kind == BenefitKind.STATION_PRICE)[:1]
    others = [o for o in eligible if o.benefit_kind != BenefitKind.STATION_PRICE]
    pools = _Pools(draft.amount_fen, {})
    for item in draft.items:
        pools.categories[item.category] = pools.categories.get(item.category, 0) + item.amount_fen
    base_applied = [(offer, draft.list_amount_fen - draft.amount_fen) for offer in station_price]

    candidates = [[offer] for offer in others if offer.stacking == StackingClass.EXCLUSIVE]
    candidates.append(_stackable_set([o for o in others if o.stacking == StackingClass.STACKABLE], draft, pools))
    if chosen_coupon_id is not None and any(o.coupon_id == chosen_coupon_id for o in others):
        candidates = [c for c in candidates if any(o.coupon_id == chosen_coupon_id for o in c)]

    def evaluate(candidate: list[Offer]):
        applied = _apply(candidate, draft, _Pools(pools.fuel_fen, dict(pools.categories)))
        saving = sum(amount for _, amount in applied)
        return (-saving, -sum(o.priority for o in candidate), [_key(o) for o in candidate]), applied

    _, best = min((evaluate(candidate) for candidate in candidates), key=lambda pair: pair[0])
    return _build_quote(draft, [*base_applied, *best], hints)


def _build_quote(draft: Draft, applied: list[tuple[Offer, int]], hints: list[Hint]) -> Quote:
    fuel_reason = Reason(draft.grade_name, draft.grade_name)
    station_cut = sum(amount for offer, amount in applied if offer.benefit_kind == BenefitKind.STATION_PRICE)
    lines = [QuoteLine(LineKind.FUEL, draft.amount_fen + station_cut, fuel_reason)]
    lines += [
        QuoteLine(LineKind.NON_FUEL, item.amount_fen, Reason(item.label, item.label), non_fuel=True)
        for item in draft.items
    ]
    rewards = []
    for offer, amount in applied:
        if offer.benefit_kind in DISCOUNT_BENEFITS:
            if amount:
                reason = _offer_reason(offer, -amount)
                promotion_id = None if offer.coupon_id else offer.id
                lines.append(
                    QuoteLine(
                        LineKind.DISCOUNT,
                        -amount,
                        reason,
                        offer.funder,
                        promotion_id,
                        offer.coupon_id,
                        non_fuel=bool(offer.nonfuel_categories),
                    )
                )
        else:
            reason = _offer_reason(offer)
            rewards.append(Reward(offer.benefit_kind, offer.benefit_value, offer.id, offer.funder, reason))
    points_line = _points_line(draft, sum(line.amount_fen for line in lines))
    if points_line is not None:
        lines.append(points_line)
    used = tuple(sorted({line.promotion_id for line in lines if line.promotion_id} | {r.promotion_id for r in rewards}))
    coupons = tuple(line.coupon_id for line in lines if line.coupon_id)
    return Quote(
        lines=tuple(lines),
        total_fen=sum(line.amount_fen for line in lines),
        rewards=tuple(rewards),
        hints=tuple(hints),
        promotion_ids=used,
        coupon_ids=coupons,
        points_used=points_line.points if points_line else 0,
    )


def _points_line(draft: Draft, paying_fen: int) -> QuoteLine | None:
    """积分抵扣 on what the driver still pays (see the module docstring), or None."""
    per_yuan = settings.LOYALTY_POINTS_PER_YUAN_REDEEMED
    most_fen = paying_fen * settings.LOYALTY_POINTS_MAX_SHARE_BASIS_POINTS // 10_000
    amount = min(draft.points_offered * 100 // per_yuan, most_fen)
    if amount <= 0:
        return None
    points = -(-amount * per_yuan // 100)  # rounded up
    reason = Reason(render=lambda language: _points_text(points, -amount))
    return QuoteLine(LineKind.DISCOUNT, -amount, reason, Funder.PLATFORM, points=points)


def _points_text(points: int, amount_fen: int) -> str:
    return gettext("Paid with %(points)s points %(amount)s") % {"points": points, "amount": format_fen(amount_fen)}
