"""The street's main leader sets up a spot-check of last quarter's cadre visits in the admin and draws the sample."""

from __future__ import annotations

import datetime
import re

import pytest
from django.utils import timezone

from assessment.models import SpotCheck
from tests.factories import UserFactory, VisitFactory
from visits.models import Visit
from visits.periods import Quarter
from wenxin.roles import Role, sync_role_groups
from wenxin.services import user_sync_role

sync_api = pytest.importorskip("playwright.sync_api", reason="browser tests skipped: Playwright is not installed")
expect = sync_api.expect


def estate_visit(visitor, estate, day: datetime.date) -> Visit:
    return VisitFactory(
        household=None,
        kind=Visit.Kind.ESTATE,
        estate=estate,
        visitor=visitor,
        street=estate.community.street,
        community=estate.community,
        visited_on=day,
    )


def test_a_leader_draws_a_sample_of_last_quarters_cadre_visits(open_page, log_in, places, leader, cadre):
    sync_role_groups()
    user_sync_role(user=leader)
    other_cadre = UserFactory(username="cadre2", full_name="孔部长", role=Role.CADRE, street=places.street)
    last = Quarter.current().previous()
    for days in (1, 20, 40):
        estate_visit(cadre, places.estate_a, last.start + datetime.timedelta(days=days))
    for days in (5, 50):
        estate_visit(other_cadre, places.estate_b, last.start + datetime.timedelta(days=days))
    estate_visit(cadre, places.estate_a, timezone.localdate())  # this quarter: not in the period
    page = open_page("desktop")

    log_in(page, leader)
    page.goto("/admin/assessment/spotcheck/add/")
    page.get_by_label("抽查层级").select_option(SpotCheck.Level.CADRE)
    expect(page.get_by_label("走访起始日期")).to_have_value(f"{last.start:%Y/%m/%d}")
    page.get_by_label("抽样数量").fill("3")
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("成功")
    spot_check = SpotCheck.objects.get(checker=leader)

    page.locator(f"input[name='_selected_action'][value='{spot_check.pk}']").check()
    page.locator("select[name='action']").select_option("draw_sample")
    page.get_by_role("button", name="执行").click()
    expect(page.locator(".messagelist")).to_contain_text("已从 5 条走访中抽取 3 条")

    page.locator("#result_list tbody .field-level a").click()
    rows = page.locator("#items-group tbody tr.form-row")
    expect(rows).to_have_count(3)
    visitors = [text.strip() for text in rows.locator("td.field-visitor").all_inner_texts()]
    # Stratified: each cadre is represented in the sample.
    assert set(visitors) == {"郑部长", "孔部长"}
    expect(rows.first.locator("td.field-visit_kind")).to_have_text(re.compile("小区"))
    assert spot_check.items.count() == 3
