"""合约加油 from its page: the terms must be accepted, the contract shows its progress (spent vs the
commitment), days left, reward, and what is still frozen: ¥900 after a ¥100 fill, not the ¥1,000 opened."""

import pytest

from marketing.enums import Funder
from marketing.models import ContractOffer
from tests.factories.wallet import counters_snapshot, top_up
from wallet.models import Contract
from wallet.services.holds import wallet_hold_capture, wallet_hold_place

pytestmark = pytest.mark.django_db


@pytest.fixture
def offer(station):
    return ContractOffer.objects.create(
        station=station, committed_fen=100_000, days=30, reward_bonus_fen=5_000, funder=Funder.STATION
    )


@pytest.fixture
def signed_in(client, driver):
    top_up(driver, 150_000)
    client.force_login(driver.user)
    return client


def test_joining_needs_the_terms_accepted_and_changes_nothing_otherwise(signed_in, offer):
    before = counters_snapshot()
    page = signed_in.post("/me/contracts/", {"offer": offer.pk, "key": "c1"}).content.decode()
    assert 'id="error"' in page and not Contract.objects.exists() and counters_snapshot() == before
    page = signed_in.post("/me/contracts/", {"offer": "x", "key": "c1", "agree": "yes"}).content.decode()
    assert 'id="error"' in page and not Contract.objects.exists() and counters_snapshot() == before


def test_a_joined_contract_shows_progress_days_left_reward_and_what_is_still_frozen(signed_in, driver, offer, station):
    signed_in.post("/me/contracts/", {"offer": offer.pk, "key": "c1", "agree": "yes"})
    hold = wallet_hold_place(
        driver_id=driver.pk, station_id=station.pk, amount_fen=10_000, reference="F", idempotency_key="h"
    )
    wallet_hold_capture(hold_id=hold.pk, amount_fen=10_000)
    page = signed_in.get("/me/contracts/").content.decode()
    assert 'value="10"' in page  # 10 % of the commitment
    assert "仍冻结：¥900.00" in page and "达成奖励：赠送 ¥50.00" in page
    assert "剩余 29 天" in page  # opened a moment ago for 30 days
    home = signed_in.get("/me/").content.decode()
    assert 'class="contract-remaining">¥900.00<' in home
