"""The language switch in the navbar turns the pages into English, and back into Chinese."""

from __future__ import annotations

import pytest

sync_api = pytest.importorskip("playwright.sync_api", reason="browser tests skipped: Playwright is not installed")
expect = sync_api.expect


def test_the_language_switch_shows_english_and_back(open_page, log_in, worker_a):
    page = open_page("desktop")
    log_in(page, worker_a)
    navbar = page.locator("#wx-nav")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(navbar.get_by_role("link", name="首页")).to_be_visible()

    navbar.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(navbar.get_by_role("link", name="Home", exact=True)).to_be_visible()
    expect(navbar.get_by_role("link", name="Log a visit")).to_be_visible()
    expect(navbar.get_by_role("button", name="Log out")).to_be_visible()
    expect(page.get_by_role("heading", name="Door-to-door visits this quarter")).to_be_visible()
    # The choice is kept from page to page.
    navbar.get_by_role("link", name="Log a visit").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Log a visit")

    navbar.get_by_role("button", name="简体中文").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.get_by_role("heading", level=1)).to_have_text("记录走访")
    expect(navbar.get_by_role("link", name="首页")).to_be_visible()
