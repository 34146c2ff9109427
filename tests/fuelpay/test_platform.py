import io
import os
import subprocess
import sys
import time

import pytest
from django.core.management import call_command
from django.test import override_settings

from orders.models import FuelOrder
from pumpgateway.models import Fill
from stations.models import Station
from wallet.models import JournalEntry
from wallet.services.chain import ledger_verify

pytestmark = pytest.mark.django_db


def test_healthz_reports_database_and_broker_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "broker": "ok"}}


@override_settings(CELERY_BROKER_URL="redis://127.0.0.1:1/0", CELERY_BROKER_TRANSPORT_OPTIONS={})
def test_healthz_is_503_when_the_broker_is_unreachable(client):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["broker"].startswith("error")


@pytest.mark.parametrize(
    ("_case", "env"),
    [
        ("debug on", {"DEBUG": "true", "SECRET_KEY": "x" * 50}),
        ("default secret", {"DEBUG": "false", "SECRET_KEY": ""}),
    ],
)
def test_production_settings_refuse_insecure_start(_case, env):
    environment = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "SECRET_KEY")} | env
    environment["FIELD_ENCRYPTION_KEYS"] = "dGVzdC1vbmx5LWtleS10ZXN0LW9ubHkta2V5LTEyMzQ="
    result = subprocess.run(
        [sys.executable, "-c", "import fuelpay.settings.production"],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr


def test_seed_demo_is_idempotent_and_leaves_a_verifiable_ledger():
    call_command("seed_demo", stdout=io.StringIO())
    counts = (Station.objects.count(), JournalEntry.objects.count(), FuelOrder.objects.count(), Fill.objects.count())
    call_command("seed_demo", stdout=io.StringIO())
    assert (Station.objects.count(), JournalEntry.objects.count(), FuelOrder.objects.count(), Fill.objects.count()) == (
        counts
    )
    assert Station.objects.filter(status="active").count() == 3
    assert ledger_verify().ok


@override_settings(LANGUAGE_CODE="zh-hans")
def test_driver_station_page_renders_prices_in_chinese(client):
    call_command("seed_demo", stdout=io.StringIO())
    page = client.get("/s/demo-pudong/").content.decode()
    assert "浦东世纪大道加油站" in page and "¥7.35/L" in page


def test_a_dead_worker_is_restarted_with_a_log_line_and_only_the_web_server_stops_everything(monkeypatch, tmp_path):
    import sys

    from fuelpay.management.commands import run_platform

    monkeypatch.setattr(run_platform, "RESTART_DELAYS_S", (0,))
    runs = tmp_path / "runs"
    worker = run_platform.Part(
        "worker", [sys.executable, "-c", f"open({str(runs)!r}, 'a').write('x'); raise SystemExit(3)"]
    )
    web = run_platform.Part("web", [sys.executable, "-c", "import time; time.sleep(60)"], restartable=False)
    logged = []
    for part in (worker, web):
        part.start()
    deadline = time.monotonic() + 20
    while (not runs.exists() or len(runs.read_text()) < 3) and time.monotonic() < deadline:
        assert run_platform.supervise_once([worker, web], logged.append) is None  # the web keeps running
        time.sleep(0.05)
    assert len(runs.read_text()) >= 3
    assert "worker exited with code 3; restarting it in 0 s" in logged
    web.process.terminate()
    web.process.wait()
    assert run_platform.supervise_once([web], logged.append) is web
    worker.process.wait()


def test_a_web_server_stopped_by_the_same_ctrl_c_is_a_clean_stop_not_a_failure():
    import sys

    from fuelpay.management.commands import run_platform

    web = run_platform.Part("web", [sys.executable, "-c", "raise SystemExit(-2)"], restartable=False)
    web.start()
    web.process.wait()
    stops = iter([False, True])  # the signal handler ran while the loop looked at the dead web server

    assert run_platform.supervise_until_stopped([web], [].append, lambda: next(stops)) is None


def test_a_web_server_that_dies_on_its_own_stops_everything():
    import sys

    from fuelpay.management.commands import run_platform

    web = run_platform.Part("web", [sys.executable, "-c", "raise SystemExit(1)"], restartable=False)
    web.start()
    web.process.wait()

    assert run_platform.supervise_until_stopped([web], [].append, lambda: False) is web
