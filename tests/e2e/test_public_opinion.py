"""A resident, without an account, submits an opinion online and follows it with the tracking code she is given."""

from __future__ import annotations

import datetime
import re

import pytest
from django.utils import timezone

from feedback import services
from feedback.models import Opinion
from tests.factories import opinion_category

sync_api = pytest.importorskip("playwright.sync_api", reason="browser tests skipped: Playwright is not installed")
expect = sync_api.expect


def test_a_resident_submits_an_opinion_and_follows_it_to_its_resolution(open_page, places, leader, staff):
    page = open_page("phone")

    page.goto("/opinion/")
    page.get_by_label("所在社区").select_option(label="德加社区")
    page.get_by_label("意见建议").fill("香港城3幢楼下的路灯坏了一个星期，晚上回家很黑。")
    page.get_by_label("具体位置").fill("香港城 3 幢楼下")
    page.get_by_label("联系电话").fill("138 0000 1234")
    page.get_by_role("button", name="提交意见").click()

    shown = page.locator("[data-wx-tracking-code]")
    expect(shown).to_have_text(re.compile(r"^\s*[A-Z0-9]{8}\s*$"))
    code = shown.inner_text().strip()
    opinion = Opinion.objects.get(tracking_code=code)
    assert (opinion.source, opinion.community, opinion.contact) == (
        Opinion.Source.ONLINE,
        places.community_a,
        "13800001234",
    )

    page.get_by_role("link", name="查看办理进度").click()
    record = page.locator("[data-wx-public-record]")
    expect(record).to_contain_text(code)
    expect(record).to_contain_text("收到待处理")

    # The office takes it up: sorted and assigned by the leader, resolved by the member of staff responsible.
    services.opinion_sort(actor=leader, opinion=opinion, category=opinion_category("市容市貌"))
    services.opinion_assign(
        actor=leader, opinion=opinion, responsible=staff, due_on=timezone.localdate() + datetime.timedelta(days=7)
    )
    services.opinion_start(actor=staff, opinion=opinion)
    services.opinion_resolve(actor=staff, opinion=opinion, resolution="已更换3幢楼下的路灯，恢复照明。")

    # Days later she comes back with only her code.
    page.goto("/opinion/track/")
    page.get_by_label("查询码").fill(code.lower())
    page.get_by_role("button", name="查询").click()
    expect(record).to_contain_text("已解决")
    expect(record).to_contain_text("市容市貌")
    expect(record).to_contain_text("已更换3幢楼下的路灯，恢复照明。")
    expect(record).not_to_contain_text("13800001234")
