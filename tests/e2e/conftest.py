"""The whole platform as `make run` starts it (web, Celery worker and beat, forecourt simulator, pump
bridge — each its own process, on embedded defaults in a scratch directory), and Debian's Chromium."""

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from core.env import BASE_DIR

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
TABLET = {"viewport": {"width": 1024, "height": 768}}
SCREENSHOTS = BASE_DIR / "docs" / "screenshots"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Platform:
    def __init__(self, var_dir: Path):
        self.var_dir = var_dir
        self.web_port, self.sim_port, self.control_port = _free_port(), _free_port(), _free_port()
        self.url = f"http://127.0.0.1:{self.web_port}"
        self.env = {
            key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "CELERY_BROKER_URL")
        } | {
            "FUELPAY_VAR_DIR": str(var_dir),
            "DJANGO_SETTINGS_MODULE": "fuelpay.settings.local",
            "SITE_URL": self.url,
            "LOG_LEVEL": "WARNING",
            # The flows sign the same demo phones in from fresh browsers (no bound device) on one address,
            # often within a minute: the resend interval is a unit-tested limit, not what these flows test.
            "SMS_RESEND_SECONDS": "0",
        }
        self.log = open(var_dir / "platform.log", "ab")  # noqa: SIM115 - open for the platform's life
        self.process = None

    def manage(self, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=BASE_DIR,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr[-3000:]
        return result.stdout

    def start(self) -> None:
        self.manage("migrate", "--noinput", "-v0")
        self.manage("seed_demo")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "run_platform",
                "--addr",
                f"127.0.0.1:{self.web_port}",
                "--simulator-port",
                str(self.sim_port),
                "--simulator-control-port",
                str(self.control_port),
            ],
            cwd=BASE_DIR,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.wait_for(lambda: self._get_status("/healthz") == 200, 60, "web up")
        self.wait_for(self._pumps_online, 60, "pumps online")

    def _get_status(self, path: str) -> int:
        try:
            with urllib.request.urlopen(self.url + path, timeout=2) as response:  # noqa: S310 - loopback
                return response.status
        except OSError:
            return 0

    def _pumps_online(self) -> bool:
        code = "from pumpgateway.models import PumpBinding as P; print(P.objects.filter(online=True).count())"
        return int(self.manage("shell", "--no-imports", "-c", code).split()[-1]) >= 3

    def wait_for(self, predicate, timeout: float, message: str):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is None or self.process.poll() is None, self.log_tail()
            value = predicate()
            if value:
                return value
            time.sleep(0.2)
        raise AssertionError(f"timed out waiting for {message}\n{self.log_tail()}")

    def log_tail(self) -> str:
        return (self.var_dir / "platform.log").read_text(errors="replace")[-4000:]

    def simulator(self, path: str, body: dict | None = None) -> dict:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.control_port}{path}",
            data=None if body is None else json.dumps(body).encode(),
            method="GET" if body is None else "POST",
        )
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 - loopback simulator
            return json.loads(response.read())

    def last_sms_code(self, phone: str) -> str:
        outbox = self.var_dir / "sms-outbox.jsonl"
        self.wait_for(outbox.exists, 10, "an SMS")
        for line in reversed(outbox.read_text(encoding="utf-8").splitlines()):
            record = json.loads(line)
            if record["phone"] == phone:
                return re.search(r"(?<!\d)\d{6}(?!\d)", record["message"]).group()
        raise AssertionError(f"no SMS for {phone}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, 9)
        self.log.close()


@pytest.fixture(scope="module")
def platform(tmp_path_factory):
    running = Platform(tmp_path_factory.mktemp("platform"))
    try:
        running.start()
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


AXE = BASE_DIR / "var" / "axe" / "node_modules" / "axe-core" / "axe.min.js"  # `make browsers` installs it


def accessibility_problems(page) -> list[str]:
    """axe-core's serious and critical violations on the page as it stands, one line each."""
    assert AXE.exists(), "run `make browsers` (installs axe-core from the npm registry)"
    # Evaluated through the DevTools protocol: the page's CSP (no inline scripts) rightly refuses a script tag.
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{violation['id']} ({violation['impact']}): {node['target']}"
        for violation in result["violations"]
        if violation["impact"] in ("serious", "critical")
        for node in violation["nodes"]
    ]


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
