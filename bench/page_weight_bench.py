"""First load of the driver pages on a slow connection: bytes transferred, requests, third-party requests
and time to the load event, with Chromium's network emulation at DevTools' "Slow 3G" (400 ms RTT,
400 kbit/s down and up) and the cache disabled. Budget: ≤ 150 KB transferred for the nozzle page, no
third-party assets on any driver page.

    python bench/page_weight_bench.py

Starts the whole platform on embedded defaults (as the browser tests do) and Debian's Chromium.
"""

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE, Platform  # noqa: E402

SLOW_3G = {"offline": False, "latency": 400, "downloadThroughput": 400_000 / 8, "uploadThroughput": 400_000 / 8}
STATION = "demo-pudong"
BUDGET_KB = {f"/s/{STATION}/1/": 150}
PAGES = [
    f"/s/{STATION}/",
    f"/s/{STATION}/1/",
    f"/s/{STATION}/pay-later/?nozzle=3",
    "/me/",
    "/me/history/",
    "/me/transfer/",
    "/me/contracts/",
]


def measure(page, cdp, url: str) -> dict:
    sizes: dict[str, int] = {}
    hosts: dict[str, str] = {}
    cdp.on("Network.requestWillBeSent", lambda e: hosts.__setitem__(e["requestId"], e["request"]["url"]))
    cdp.on("Network.loadingFinished", lambda e: sizes.__setitem__(e["requestId"], e["encodedDataLength"]))
    started = time.perf_counter()
    page.goto(url, wait_until="load")
    seconds = time.perf_counter() - started
    page.wait_for_timeout(300)  # late loadingFinished events
    third_party = [u for u in hosts.values() if not u.startswith(("http://127.0.0.1", "data:"))]
    return {"kb": sum(sizes.values()) / 1024, "requests": len(hosts), "third_party": len(third_party), "s": seconds}


def main() -> None:
    from playwright.sync_api import sync_playwright

    platform = Platform(Path(tempfile.mkdtemp(prefix="fuelpay-weight-")))
    platform.start()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            context = browser.new_context(**PHONE, locale="zh-CN")
            page = context.new_page()
            page.goto(f"{platform.url}/login/?next=/me/")  # sign in at full speed; measure afterwards
            page.fill("#phone", "13800000002")
            page.click("#send-code")
            page.wait_for_url("**/login/verify/**")
            page.fill("#code", platform.last_sms_code("13800000002"))
            page.click("#verify")
            page.wait_for_url("**/me/")
            rows = []
            for path in PAGES:
                cdp = context.new_cdp_session(page)
                cdp.send("Network.enable")
                cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
                cdp.send("Network.emulateNetworkConditions", SLOW_3G)
                rows.append((path, measure(page, cdp, platform.url + path)))
                cdp.detach()
            browser.close()
    finally:
        platform.stop()
    print("| page (signed in, first load, Slow 3G) | KB transferred | requests | third-party | load (s) | budget |")
    print("|---|---|---|---|---|---|")
    for path, row in rows:
        budget = BUDGET_KB.get(path)
        verdict = f"≤ {budget} KB {'ok' if row['kb'] <= budget else 'OVER'}" if budget else ""
        print(f"| `{path}` | {row['kb']:.1f} | {row['requests']} | {row['third_party']} | {row['s']:.2f} | {verdict} |")


if __name__ == "__main__":
    main()
