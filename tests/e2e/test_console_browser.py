"""The staff console in a real browser: headless Chromium from Debian's packages, driven by
Playwright (pointed at /usr/bin/chromium; nothing is downloaded). A facilitator logs in on
the demo site, triages and closes an alert, records a coaching call and sees the attendance
chart; on a phone-sized screen too. CONSOLE_SCREENSHOT=path.png saves the brief as shown."""

from __future__ import annotations

import os
import shutil
import threading
import time
import urllib.request

import pytest

from tests.conftest import content, db_session, free_port

pytestmark = pytest.mark.e2e
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


@pytest.fixture
def console(app):
    if not os.path.exists(CHROMIUM):
        pytest.fail("Chromium is not installed: .ci/run installs Debian's chromium package (apt-get install chromium)")
    import uvicorn

    from coach.app.demo import fill
    from coach.core.identity import IdentityVault
    from coach.web.app import create_app

    with db_session() as s:
        logins = {d.login: d.password for d in fill(s, content(), IdentityVault.from_settings(app.settings))}
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(app.settings, app.db), host="127.0.0.1", port=port,
                                           log_level="warning", ws="none", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):  # bounded: about 10 s
        try:
            urllib.request.urlopen(f"{url}/healthz", timeout=1)
            break
        except OSError:
            time.sleep(0.1)
    yield url, logins
    server.should_exit = True
    thread.join(timeout=10)


def test_a_facilitator_triages_an_alert_records_a_call_and_sees_attendance(console):
    from playwright.sync_api import expect, sync_playwright

    url, logins = console
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.set_default_timeout(15_000)
            page.goto(f"{url}/alerts")
            page.get_by_label("Log-in name").fill("fay")
            page.get_by_label("Password").fill(logins["fay"])
            page.get_by_role("button", name="Log in").click()
            expect(page.get_by_role("heading", name="Alerts", exact=True)).to_be_visible()

            page.get_by_role("link", name="Suicide or self-harm").first.click()
            expect(page.get_by_text("got the pills out")).to_be_visible()
            page.get_by_role("button", name="Take ownership").click()
            expect(page.get_by_role("status")).to_contain_text("It's yours")
            page.get_by_label("Add a note").fill("Rang him. He is at his brother's; pills handed over.")
            page.get_by_role("button", name="Add note").click()
            page.get_by_label("Spoke to him: safety plan agreed").check()
            page.get_by_role("button", name="Close alert").click()
            expect(page.get_by_role("status")).to_contain_text("Closed")
            expect(page.get_by_text("pills handed over")).to_be_visible()

            page.get_by_role("link", name="Men").click()
            page.get_by_role("link", name="Kev M.").click()
            expect(page.get_by_role("heading", name="Talking points")).to_be_visible()
            if os.environ.get("CONSOLE_SCREENSHOT"):
                page.screenshot(path=os.environ["CONSOLE_SCREENSHOT"], full_page=False)
            page.get_by_label("Call done").check()
            page.get_by_label("Short note").fill("Went over the time-out plan.")
            page.get_by_role("button", name="Save the call").click()
            expect(page.get_by_role("status")).to_contain_text("Call recorded")
            expect(page.get_by_text("Went over the time-out plan.")).to_be_visible()

            page.get_by_role("link", name="Attendance").click()
            chart = page.get_by_role("img", name="Sessions attended or completed, per man")
            expect(chart).to_be_visible()
            assert page.locator("svg rect").count() > 12

            phone = browser.new_page(viewport={"width": 390, "height": 844})
            phone.goto(f"{url}/login")
            phone.get_by_label("Log-in name").fill("isla")
            phone.get_by_label("Password").fill(logins["isla"])
            phone.keyboard.press("Enter")  # keyboard alone works
            expect(phone.get_by_role("link", name="Partner or ex-partner may be at risk")).to_be_visible()
            assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")  # no sideways scroll
            expect(phone.get_by_role("link", name="Men")).to_have_count(0)
        finally:
            browser.close()
