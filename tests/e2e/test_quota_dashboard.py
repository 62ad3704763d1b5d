"""A section chief opens the quota dashboard and drills into one worker's quarter: the visits behind her number."""

from __future__ import annotations

import pytest
from django.utils import timezone

from tests.factories import HouseholdFactory, VisitFactory

sync_api = pytest.importorskip("playwright.sync_api", reason="browser tests skipped: Playwright is not installed")
expect = sync_api.expect


def test_a_chief_drills_from_the_dashboard_into_a_workers_visits(open_page, log_in, places, chief, worker_a, worker_b):
    today = timezone.localdate()
    first, second = (
        HouseholdFactory(grid_area=places.area_a, estate=places.estate_a, building="7", unit="1", room=room)
        for room in ("101", "102")
    )
    visits = [VisitFactory(household=household, visitor=worker_a, visited_on=today) for household in (first, second)]
    VisitFactory(household=HouseholdFactory(grid_area=places.area_b, estate=places.estate_b), visited_on=today)
    page = open_page("desktop")

    log_in(page, chief)
    navbar = page.locator("#wx-nav")
    navbar.get_by_role("button", name="走访", exact=True).click()
    navbar.get_by_role("link", name="走访指标").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("走访指标")
    row_a = page.locator(f"tr[data-worker='{worker_a.pk}']")
    expect(row_a.locator("[data-visited]")).to_have_text("2")
    expect(page.locator(f"tr[data-worker='{worker_b.pk}'] [data-visited]")).to_have_text("1")

    row_a.get_by_role("link", name="张丽").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("张丽")
    expect(page.locator("[data-visited]")).to_have_text("2")
    lines = page.locator("[data-visit]")
    expect(lines).to_have_count(2)
    for visit in visits:
        line = page.locator(f"[data-visit='{visit.pk}']")
        expect(line).to_contain_text(visit.household.address)
        expect(line).to_have_attribute("data-mark", "counted")
