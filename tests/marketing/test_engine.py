"""The promotion engine, table-driven: conditions, schedules across midnight, stacking, exclusivity,
budgets, rounding; and the property that the lines always sum to the total."""

from dataclasses import replace
from datetime import datetime

import pytest
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from marketing.engine import Draft, DraftItem, Offer, quote
from marketing.enums import BenefitKind, Funder, LineKind, StackingClass

MONDAY_NOON = datetime(2026, 11, 23, 12, 0)
STATION_PRICE = Offer(
    id=1,
    name="站点直降 明折明扣",
    name_en="Station price",
    benefit_kind=BenefitKind.STATION_PRICE,
    benefit_value=0,
    funder=Funder.STATION,
    stacking=StackingClass.STACKABLE,
    priority=1000,
)
# 40 L of 95#: list ¥8.00/L = ¥320.00, station price ¥7.50/L = ¥300.00.
DRAFT = Draft(
    station_id=1,
    enterprise_id=1,
    grade_code="95",
    grade_name="95#汽油",
    list_price_fen_per_litre=800,
    price_fen_per_litre=750,
    volume_ml=40_000,
    amount_fen=30_000,
    at=MONDAY_NOON,
    payment_mode="prepaid",
    member_level="gold",
)


def offer(id, kind=BenefitKind.PERCENT_OFF, value=500, stacking=StackingClass.STACKABLE, **fields) -> Offer:
    return Offer(
        id=id,
        name=f"活动{id}",
        name_en=f"Promotion {id}",
        benefit_kind=kind,
        benefit_value=value,
        funder=fields.pop("funder", Funder.PLATFORM),
        stacking=stacking,
        **fields,
    )


def discounts(result) -> list[tuple[int, int]]:
    return [(line.promotion_id, line.amount_fen) for line in result.lines if line.kind == LineKind.DISCOUNT]


CASES = [
    # (case, offers, draft changes, expected discount lines after the station price, expected total)
    ("no promotion", [], {}, [], 30_000),
    ("95折 on the station price", [offer(2)], {}, [(2, -1500)], 28_500),
    ("满200减10", [offer(2, BenefitKind.AMOUNT_OFF, 1000, min_amount_fen=20_000)], {}, [(2, -1000)], 29_000),
    ("满400减50 not reached", [offer(2, BenefitKind.AMOUNT_OFF, 5000, min_amount_fen=40_000)], {}, [], 30_000),
    ("直降 ¥0.30/L", [offer(2, BenefitKind.PER_LITRE_OFF, 30)], {}, [(2, -1200)], 28_800),
    ("一口价 ¥7.00/L", [offer(2, BenefitKind.FIXED_PRICE, 700)], {}, [(2, -2000)], 28_000),
    ("fixed price above the pump price gives nothing", [offer(2, BenefitKind.FIXED_PRICE, 900)], {}, [], 30_000),
    (
        "stackables apply in priority order on what is left",
        [offer(2, value=1000, priority=1), offer(3, BenefitKind.AMOUNT_OFF, 1000, priority=5)],
        {},
        [(3, -1000), (2, -2900)],
        26_100,
    ),
    (
        "the better exclusive beats the stackables",
        [offer(2, value=500), offer(3, BenefitKind.AMOUNT_OFF, 2000, stacking=StackingClass.EXCLUSIVE)],
        {},
        [(3, -2000)],
        28_000,
    ),
    (
        "stackables together beat a weaker exclusive",
        [offer(2, value=500), offer(3, value=500), offer(4, BenefitKind.AMOUNT_OFF, 2000, stacking="exclusive")],
        {},
        [(2, -1500), (3, -1425)],
        27_075,
    ),
    (
        "one per stacking group: the more generous",
        [offer(2, value=500, stack_group="level"), offer(3, value=800, stack_group="level")],
        {},
        [(3, -2400)],
        27_600,
    ),
    (
        "equal exclusives: the higher priority, then the lower id",
        [offer(3, BenefitKind.AMOUNT_OFF, 1000, "exclusive"), offer(2, BenefitKind.AMOUNT_OFF, 1000, "exclusive")],
        {},
        [(2, -1000)],
        29_000,
    ),
    ("grade must match", [offer(2, grade_codes=("0",))], {}, [], 30_000),
    ("member level must match", [offer(2, member_levels=("silver",))], {}, [], 30_000),
    ("member level matches", [offer(2, member_levels=("gold", "silver"))], {}, [(2, -1500)], 28_500),
    ("first order only, not first", [offer(2, first_order_only=True)], {}, [], 30_000),
    ("first order only, first", [offer(2, first_order_only=True)], {"is_first_order": True}, [(2, -1500)], 28_500),
    ("payment mode", [offer(2, payment_modes=("postpaid",))], {}, [], 30_000),
    ("segment", [offer(2, segments=("dormant",))], {"segment": "dormant"}, [(2, -1500)], 28_500),
    ("vehicle fuel type", [offer(2, vehicle_fuel_types=("diesel",))], {"vehicle_fuel_type": "petrol"}, [], 30_000),
    ("minimum litres not met", [offer(2, min_volume_ml=50_000)], {}, [], 30_000),
    ("weekday not in schedule", [offer(2, weekdays="67")], {}, [], 30_000),
    ("weekday in schedule", [offer(2, weekdays="1")], {}, [(2, -1500)], 28_500),
    ("night 22–6 at noon", [offer(2, hour_from=22, hour_to=6)], {}, [], 30_000),
    (
        "night 22–6 at 23:00",
        [offer(2, hour_from=22, hour_to=6)],
        {"at": datetime(2026, 11, 23, 23)},
        [(2, -1500)],
        28_500,
    ),
    (
        "night 22–6 at 05:59",
        [offer(2, hour_from=22, hour_to=6)],
        {"at": datetime(2026, 11, 23, 5, 59)},
        [(2, -1500)],
        28_500,
    ),
    ("night 22–6 at 06:00", [offer(2, hour_from=22, hour_to=6)], {"at": datetime(2026, 11, 23, 6)}, [], 30_000),
    ("day 8–18 at 18:00 is out", [offer(2, hour_from=8, hour_to=18)], {"at": datetime(2026, 11, 23, 18)}, [], 30_000),
    ("budget left caps the discount", [offer(2, budget_left_fen=700)], {}, [(2, -700)], 29_300),
    ("budget spent: not offered", [offer(2, budget_left_fen=0)], {}, [], 30_000),
    ("amount off never below zero", [offer(2, BenefitKind.AMOUNT_OFF, 99_999)], {}, [(2, -30_000)], 0),
    (
        "rounding half-up to the fen: 5% of ¥0.33 is 1.65 fen → 2 fen",
        [offer(2)],
        {"volume_ml": 44, "amount_fen": 33, "list_price_fen_per_litre": 750},
        [(2, -2)],
        31,
    ),
    (
        "rounding half-up: 5% of ¥0.29 is 1.45 fen → 1 fen",
        [offer(2)],
        {"volume_ml": 38, "amount_fen": 29, "list_price_fen_per_litre": 750},
        [(2, -1)],
        28,
    ),
]


@pytest.mark.parametrize(("case", "offers", "changes", "expected", "total"), CASES, ids=[c[0] for c in CASES])
def test_quote(case, offers, changes, expected, total):
    result = quote(replace(DRAFT, **changes), [STATION_PRICE, *offers])
    lines = discounts(result)
    station = [amount for promotion_id, amount in lines if promotion_id == STATION_PRICE.id]
    list_amount = replace(DRAFT, **changes).list_amount_fen
    amount = replace(DRAFT, **changes).amount_fen
    assert station == ([amount - list_amount] if list_amount > amount else [])
    assert [line for line in lines if line[0] != STATION_PRICE.id] == expected
    assert result.total_fen == total
    assert sum(line.amount_fen for line in result.lines) == result.total_fen


def test_each_discount_line_names_its_promotion_funder_and_reason_in_both_languages():
    night = offer(2, hour_from=22, hour_to=6, funder=Funder.STATION, grade_codes=("0",))
    night = replace(night, name="夜间柴油95折", name_en="Night diesel")
    result = quote(replace(DRAFT, grade_code="0", grade_name="0#柴油", at=datetime(2026, 11, 23, 23)), [night])
    (line,) = [line for line in result.lines if line.kind == LineKind.DISCOUNT]
    assert (line.promotion_id, line.funder) == (2, Funder.STATION)
    assert line.reason.zh == "夜间柴油95折(22:00–06:00): 95折 -¥15.00"
    assert line.reason.en == "Night diesel(22:00–06:00): 95% of the price -¥15.00"
    with translation.override("en"):
        assert line.display_label == line.reason.en


def test_almost_qualified_hints_name_what_is_missing():
    full_reduction = offer(2, BenefitKind.AMOUNT_OFF, 1000, min_amount_fen=32_000)
    big_fill = offer(3, min_volume_ml=45_000)
    result = quote(DRAFT, [full_reduction, big_fill, offer(4, member_levels=("silver",), min_amount_fen=99_999)])
    assert [(h.promotion_id, h.missing_fen, h.missing_ml) for h in result.hints] == [(3, 0, 5000), (2, 2000, 0)]
    assert result.hints[1].reason.zh == "再加 ¥20.00 可享 活动2: 满¥320.00减¥10.00"
    assert discounts(result) == []


def test_rewards_are_listed_not_priced():
    points = offer(2, BenefitKind.EXTRA_POINTS, 50)
    credit = offer(3, BenefitKind.BONUS_CREDIT, 500)
    result = quote(DRAFT, [STATION_PRICE, points, credit])
    assert [(r.benefit_kind, r.value) for r in result.rewards] == [("extra_points", 50), ("bonus_credit", 500)]
    assert result.total_fen == DRAFT.amount_fen == 30_000


def test_non_fuel_promotion_discounts_only_its_category():
    draft = replace(DRAFT, items=(DraftItem("drinks", "矿泉水", 300), DraftItem("wash", "洗车", 2000)))
    result = quote(draft, [STATION_PRICE, offer(2, value=5000, nonfuel_categories=("drinks",))])
    assert discounts(result)[1:] == [(2, -150)]
    assert result.total_fen == 30_000 + 300 + 2000 - 150


offers_strategy = st.lists(
    st.builds(
        offer,
        id=st.integers(2, 50),
        kind=st.sampled_from(list(BenefitKind)),
        value=st.integers(0, 20_000),
        stacking=st.sampled_from(list(StackingClass)),
        priority=st.integers(-3, 3),
        stack_group=st.sampled_from(["", "a", "b"]),
        min_amount_fen=st.integers(0, 50_000),
        budget_left_fen=st.none() | st.integers(0, 5_000),
        hour_from=st.none() | st.integers(0, 23),
        hour_to=st.integers(0, 24),
    ),
    max_size=8,
    unique_by=lambda o: o.id,
)


@settings(max_examples=300, deadline=None)
@given(
    offers=offers_strategy,
    volume_ml=st.integers(1, 200_000),
    list_price=st.integers(1, 1500),
    cut=st.integers(0, 300),
    hour=st.integers(0, 23),
    items=st.lists(st.builds(DraftItem, st.sampled_from(["drinks", "wash"]), st.just("item"), st.integers(0, 5000))),
)
def test_lines_always_sum_to_the_total_and_nothing_goes_negative(offers, volume_ml, list_price, cut, hour, items):
    price = max(list_price - cut, 1)
    from core.money import amount_for_volume_fen

    draft = replace(
        DRAFT,
        volume_ml=volume_ml,
        list_price_fen_per_litre=list_price,
        price_fen_per_litre=price,
        amount_fen=amount_for_volume_fen(volume_ml=volume_ml, price_fen_per_litre=price),
        at=MONDAY_NOON.replace(hour=hour),
        items=tuple(items),
    )
    result = quote(draft, [STATION_PRICE, *offers])
    assert sum(line.amount_fen for line in result.lines) == result.total_fen
    assert 0 <= result.total_fen <= draft.list_amount_fen + sum(item.amount_fen for item in items)
    assert result.total_fen <= draft.payable_before_promotions_fen
    for line in result.lines:
        if line.kind == LineKind.DISCOUNT:
            assert line.amount_fen < 0 and line.promotion_id is not None
    assert result == quote(draft, [STATION_PRICE, *reversed(offers)])  # deterministic, whatever the order


def test_without_the_station_price_promotion_nobody_pays_more_than_the_pump_charged():
    """The station price line only explains the pump's amount against the list price; if its promotion is
    gone (switched off, or a flushed test database), the fuel line is the pump's amount."""
    result = quote(DRAFT, [offer(2)])
    assert [(line.kind, line.amount_fen) for line in result.lines] == [("fuel", 30_000), ("discount", -1500)]
    assert result.total_fen == 28_500
