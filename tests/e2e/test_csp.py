"""The pages keep to the Content Security Policy in a real browser: nothing is refused, no script breaks.

The policy (wenxin/settings.py) allows only our own origin: no inline script, no eval, no <style> element, no
style="" attribute. A server-side test can see the header; only a browser can tell whether Bootstrap, htmx,
Chart.js and the admin's widgets (select2 autocomplete, the two-list selector, the calendar) live with it. Each page
is opened and used the way a person does, and every `securitypolicyviolation` event and every console message about
the policy is collected; the test fails listing them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import HouseholdCategoryFactory, HouseholdFactory, OpinionFactory, ResidentFactory, VisitFactory
from wenxin.roles import sync_role_groups
from wenxin.services import user_sync_role

sync_api = pytest.importorskip("playwright.sync_api", reason="browser tests skipped: Playwright is not installed")
expect = sync_api.expect

# Reports each violation to the test through a binding (bindings and init scripts are the browser's own, outside
# the page's policy). Registered on the document before any of the page's scripts run.
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.wxCspViolation({
    page: location.pathname,
    directive: event.effectiveDirective,
    blocked: event.blockedURI,
    source: event.sourceFile + ":" + event.lineNumber,
    sample: event.sample,
  });
});
"""


@dataclass
class Watch:
    """What went wrong on the pages of one browser context."""

    violations: list[dict] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def assert_clean(self) -> None:
        assert (self.violations, self.console, self.errors) == ([], [], [])


@pytest.fixture
def watched(open_page) -> Callable[..., tuple]:
    """`watched("phone")`: a page whose policy violations, policy console messages and script errors are kept."""

    def make(screen: str = "desktop"):
        page = open_page(screen)
        watch = Watch()
        page.context.expose_binding("wxCspViolation", lambda _source, report: watch.violations.append(report))
        page.context.add_init_script(REPORT_VIOLATIONS)

        def on_console(message) -> None:
            if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
                watch.console.append(f"{page.url}: {message.text}")

        page.on("console", on_console)
        page.on("pageerror", lambda error: watch.errors.append(f"{page.url}: {error}"))
        return page, watch

    return make


def chart_drawn(page, selector: str = "canvas[data-wx-chart]") -> None:
    """Every chart of the page was drawn by Chart.js (charts.js ran; the canvas got its size)."""
    canvases = page.locator(selector)
    expect(canvases.first).to_be_visible()
    assert canvases.count() > 0
    for index in range(canvases.count()):
        assert canvases.nth(index).evaluate("(canvas) => window.Chart.getChart(canvas) !== undefined")


@pytest.fixture
def street(places, worker_a, worker_a2):
    """A quarter's work in community A: households with their heads, visits of both workers, an opinion."""
    today = timezone.localdate()
    households = []
    for number, (worker, area) in enumerate([(worker_a, places.area_a)] * 3 + [(worker_a2, places.area_a2)] * 2):
        household = HouseholdFactory(grid_area=area, estate=places.estate_a, building="8", room=f"{number + 1}01")
        ResidentFactory(household=household, name=f"刘建{'国华明强伟'[number]}")
        VisitFactory(household=household, visitor=worker, visited_on=today)
        households.append(household)
    HouseholdCategoryFactory()
    opinion = OpinionFactory(community=places.community_a, text="香港城3幢楼下的路灯坏了，晚上回家很黑。")
    return households, opinion


def test_a_workers_pages_on_her_phone_keep_to_the_policy(watched, log_in, street, worker_a):
    page, watch = watched("phone")

    log_in(page, worker_a)  # the login page, then home
    expect(page.locator(".wx-quota")).to_be_visible()
    page.get_by_role("button", name="展开菜单").click()  # Bootstrap's collapse
    expect(page.locator("#wx-nav")).to_be_visible()

    page.goto(reverse("visits:log"))
    page.locator("#household-q").fill("刘建国")  # htmx's live search
    found = page.locator("#household-results [data-wx-pick-item]")
    expect(found).to_have_count(1)
    found.click()
    expect(page.locator("#household-chosen")).to_contain_text("刘建国")

    page.goto(reverse("households:list"))
    page.get_by_role("searchbox").first.fill("刘建")  # the registry's live search
    page.wait_for_load_state("networkidle")
    watch.assert_clean()


def test_the_chiefs_and_leaders_dashboards_and_charts_keep_to_the_policy(watched, log_in, street, chief, leader):
    _households, opinion = street
    page, watch = watched("desktop")

    log_in(page, chief)
    page.goto(reverse("visits:quota"))
    chart_drawn(page)
    page.locator("#wx-nav").get_by_role("button", name="走访", exact=True).click()  # a dropdown (Popper)
    expect(page.locator("#wx-nav").get_by_role("link", name="覆盖率")).to_be_visible()
    page.goto(reverse("visits:coverage"))
    chart_drawn(page)

    leader_page, leader_watch = watched("desktop")
    log_in(leader_page, leader)
    leader_page.goto(reverse("report"))
    chart_drawn(leader_page)
    leader_page.goto(reverse("feedback:detail", args=[opinion.pk]))
    expect(leader_page.get_by_text("路灯坏了")).to_be_visible()
    watch.assert_clean()
    leader_watch.assert_clean()


def test_the_admin_with_its_autocomplete_and_selectors_keeps_to_the_policy(
    watched, log_in, street, community_leader, places
):
    households, _opinion = street
    sync_role_groups()
    user_sync_role(user=community_leader)
    page, watch = watched("desktop")

    log_in(page, community_leader)
    page.goto(reverse("admin:households_household_changelist"))
    expect(page.locator("#result_list")).to_be_visible()
    page.locator("#searchbar").fill("刘建国")
    page.locator("#searchbar").press("Enter")
    expect(page.locator("#result_list tbody tr")).to_have_count(1)

    page.goto(reverse("admin:households_household_change", args=[households[0].pk]))
    # select2's autocomplete: open it, type, and pick an estate from the server's answer.
    page.locator(".field-estate .select2-selection").click()
    page.locator(".select2-search__field").fill("香港")
    option = page.locator(".select2-results__option", has_text="香港城")
    expect(option).to_be_visible()
    option.click()
    # The two-list selector of categories, and an inline's "add another" row.
    expect(page.locator("#id_categories_from")).to_be_visible()
    page.locator("#id_categories_from").select_option(index=0)
    page.locator("#id_categories_add").click()
    expect(page.locator("#id_categories_to option")).to_have_count(1)
    rows = page.locator("#residents-group tbody tr.form-row:not(.empty-form)")
    before = rows.count()
    page.locator("#residents-group .add-row a").click()
    expect(rows).to_have_count(before + 1)
    watch.assert_clean()


def test_the_public_opinion_page_keeps_to_the_policy(watched, places):
    page, watch = watched("phone")

    page.goto(reverse("public:submit"))
    page.get_by_label("所在社区").select_option(label="德加社区")
    page.get_by_label("意见建议").fill("香港城3幢楼下的路灯坏了一个星期，晚上回家很黑。")
    page.get_by_role("button", name="提交意见").click()
    expect(page.locator("[data-wx-tracking-code]")).to_be_visible()
    page.get_by_role("link", name="查看办理进度").click()
    expect(page.locator("[data-wx-public-record]")).to_be_visible()
    watch.assert_clean()


def test_a_violation_is_caught(watched, places):
    """The watch itself works: a style="" attribute added by a script is refused and reported."""
    page, watch = watched("desktop")
    page.goto(reverse("public:submit"))
    page.evaluate("document.body.insertAdjacentHTML('beforeend', '<p style=\"color: red\">x</p>')")
    page.wait_for_timeout(200)
    assert [violation["directive"] for violation in watch.violations] == ["style-src-attr"]
    assert any("style-src" in message for message in watch.console)
