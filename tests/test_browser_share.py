"""The app as the README starts it answers on localhost only; sharing on a network shows nothing before the
password (real headless chromium, the real ``scripts/app.sh``)."""

from __future__ import annotations

import socket

import pytest

from browser_support import browser_page, non_loopback_ipv4, readme_app, screenshot, wait_app_idle

pytestmark = pytest.mark.browser


def _refused(ip: str, port: int) -> bool:
    try:
        socket.create_connection((ip, port), timeout=3).close()
    except OSError:
        return True
    return False


def test_readme_app_is_local_only(tmp_path):
    ip = non_loopback_ipv4()
    if ip is None:
        pytest.skip("this machine has no non-loopback IPv4 address to probe")
    with readme_app({"SCGRN_HOME": str(tmp_path)}) as port, browser_page() as page:
        assert not _refused("127.0.0.1", port)
        assert _refused(ip, port), f"the app answers on {ip}:{port}, not only on localhost"
        page.goto(f"http://localhost:{port}")
        page.get_by_text("Current dataset").first.wait_for(timeout=120_000)
        with pytest.raises(Exception, match="ERR_CONNECTION_REFUSED"):
            page.goto(f"http://{ip}:{port}", timeout=15_000)


def test_shared_app_shows_nothing_without_the_password(tmp_path):
    ip = non_loopback_ipv4()
    if ip is None:
        pytest.skip("this machine has no non-loopback IPv4 address to probe")
    env = {"SCGRN_HOME": str(tmp_path), "SCGRN_PASSWORD": "correct horse battery", "SCGRN_USER": "lab"}
    with readme_app(env, "--share") as port, browser_page() as page:
        url = f"http://{ip}:{port}"  # reachable on the network now: that is what --share is for
        page.goto(url)
        page.get_by_role("button", name="Login").wait_for(timeout=120_000)
        wait_app_idle(page)
        body = page.locator('[data-testid="stApp"]').inner_text()
        for secret in ("Current dataset", "synthetic", "Upload", "Runs"):
            assert secret not in body, f"{secret!r} is shown before the password"
        assert page.get_by_test_id("stSidebarNavItems").count() == 0  # no page list either
        screenshot(page, "share_01_login")
        # another page by URL shows nothing either
        page.goto(url + "/runs")
        try:
            page.get_by_role("button", name="Login").wait_for(timeout=60_000)
        finally:
            screenshot(page, "share_01b_runs_url")
        assert "Current dataset" not in page.locator('[data-testid="stApp"]').inner_text()

        page.get_by_role("textbox", name="Username").fill("lab")
        page.get_by_role("textbox", name="Password").fill("wrong")
        page.get_by_role("button", name="Login").click()
        page.get_by_text("Wrong user name or password").wait_for(timeout=60_000)
        assert "Current dataset" not in page.locator('[data-testid="stApp"]').inner_text()

        page.get_by_role("textbox", name="Password").fill("correct horse battery")
        page.get_by_role("button", name="Login").click()
        page.get_by_text("Current dataset").first.wait_for(timeout=120_000)
        wait_app_idle(page)
        screenshot(page, "share_02_after_login")
