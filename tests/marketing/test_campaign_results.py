"""Campaign uplift for the back office's home: the latest launched campaigns that reach the stations."""

from datetime import timedelta

import pytest
from django.utils import timezone

from marketing.enums import PromotionScope
from marketing.selectors import campaign_report, campaign_results_for_stations
from marketing.services import campaign_launch
from tests.factories.marketing import CampaignFactory
from tests.factories.stations import StationFactory

pytestmark = pytest.mark.django_db


def test_only_launched_campaigns_reaching_the_stations_newest_first():
    station, elsewhere = StationFactory(), StationFactory()
    now = timezone.now()
    older = CampaignFactory(name="平台活动")
    newer = CampaignFactory(name="企业活动", scope=PromotionScope.ENTERPRISE, enterprise=station.enterprise)
    other = CampaignFactory(name="别家油站活动", scope=PromotionScope.STATIONS)
    other.stations.add(elsewhere)
    CampaignFactory(name="未发布")
    campaign_launch(campaign_id=older.pk, now=now - timedelta(days=9))
    campaign_launch(campaign_id=newer.pk, now=now - timedelta(days=2))
    campaign_launch(campaign_id=other.pk, now=now - timedelta(days=1))

    results = campaign_results_for_stations(station_ids=[station.pk])

    assert [result.name for result in results] == ["企业活动", "平台活动"]
    older.refresh_from_db()
    assert (results[1].target, results[1].holdout, results[1].uplift) == campaign_report(campaign=older)
