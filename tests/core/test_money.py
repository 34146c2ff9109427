import pytest

from core.money import amount_for_volume_fen, format_fen, split_proportionally_fen, yuan_to_fen


def test_money_helpers_round_half_up_and_split_exactly():
    assert amount_for_volume_fen(volume_ml=1500, price_fen_per_litre=735) == 1103  # 1102.5 → 1103
    assert split_proportionally_fen(total_fen=100, weights=[1, 1, 1]) == [34, 33, 33]
    assert yuan_to_fen("99.5") == 9950
    assert format_fen(-123456) == "-¥1,234.56"
    with pytest.raises(ValueError):
        yuan_to_fen("1.234")


@pytest.mark.parametrize("typed", ["abc", "", "1e400", "NaN", "Infinity", "1.001"])
def test_yuan_to_fen_rejects_anything_but_an_amount_with_a_value_error(typed):
    with pytest.raises(ValueError):
        yuan_to_fen(typed)
