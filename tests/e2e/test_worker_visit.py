"""A social worker on her phone logs in, logs a visit to a household she finds by name, and sees her quota move."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from tests.factories import HouseholdFactory, ResidentFactory, VisitFactory
from visits.models import Visit

sync_api = pytest.importorskip("playwright.sync_api", reason="browser tests skipped: Playwright is not installed")
expect = sync_api.expect


def test_a_worker_logs_a_visit_on_her_phone_and_her_quota_moves(open_page, log_in, places, worker_a):
    visited = HouseholdFactory(grid_area=places.area_a, estate=places.estate_a, building="3", unit="1", room="301")
    VisitFactory(household=visited, visitor=worker_a, visited_on=timezone.localdate())
    target = HouseholdFactory(grid_area=places.area_a, estate=places.estate_a, building="5", unit="2", room="502")
    ResidentFactory(household=target, name="刘建国")
    page = open_page("phone")

    log_in(page, worker_a)
    quota = page.locator(".wx-quota .wx-figure")
    expect(quota).to_have_text(re.compile(r"^\s*1\s*/\s*50\b"))

    # On a phone the menu is folded behind the toggler.
    page.get_by_role("button", name="展开菜单").click()
    page.locator("#wx-nav").get_by_role("link", name="记录走访").click()
    page.wait_for_url("**/visits/log/")  # and its scripts loaded: the live search listens from then on
    expect(page.get_by_role("heading", name="记录走访")).to_be_visible()

    page.locator("#household-q").fill("刘建国")
    found = page.locator("#household-results [data-wx-pick-item]")
    expect(found).to_have_count(1)
    expect(found).to_contain_text("户主：刘建国")
    found.click()
    expect(page.locator("#household-chosen")).to_contain_text("5幢2单元502室")
    page.get_by_label("接待人/走访对象").fill("户主刘建国及老伴")
    page.get_by_label("了解情况").fill("两位老人身体尚好，子女每周回家。")
    page.get_by_role("button", name="保存走访记录").click()

    expect(page.get_by_role("alert")).to_contain_text("本季度已走访 2/50 户。")
    page.get_by_role("link", name="文新一线工作法").click()
    expect(quota).to_have_text(re.compile(r"^\s*2\s*/\s*50\b"))
    visit = Visit.objects.get(household=target)
    assert (visit.visitor, visit.met_whom, visit.visited_on) == (worker_a, "户主刘建国及老伴", timezone.localdate())
