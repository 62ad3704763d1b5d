"""The opinion figures' charts: opinions raised per month of the period, by category and by status now.

Places (tests/conftest.py): community A (德加社区) and community B (益乐社区) of our street. Times are written on the
office's clock (Asia/Shanghai) unless given in UTC; the month an opinion counts in is the office's month.
"""

from __future__ import annotations

import datetime
import json
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from feedback.models import Opinion
from tests.factories import OpinionFactory, opinion_category

TODAY = datetime.date(2026, 11, 15)
MONTHS_2026 = [f"2026-{month:02d}" for month in range(1, 13)]
Source, Status = Opinion.Source, Opinion.Status
STATUS_LABELS = ["待梳理", "已分类", "已交办", "办理中", "已解决", "已解释"]


@pytest.fixture(autouse=True)
def today(monkeypatch):
    """The office's clock reads TODAY, so "this year" is 2026."""
    real = timezone.localdate

    def localdate(value=None, timezone=None):
        return TODAY if value is None else real(value, timezone)

    monkeypatch.setattr("django.utils.timezone.localdate", localdate)
    return TODAY


def local(*args: int) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=timezone.get_default_timezone())


def make(
    community,
    *,
    created: datetime.datetime,
    status: str = Status.NEW,
    category: str | None = None,
    parent: Opinion | None = None,
) -> Opinion:
    """An opinion recorded at `created`, whatever the clock reads now."""
    opinion = OpinionFactory(
        community=community,
        source=Source.VISIT,
        meeting=None,
        status=status,
        category=opinion_category(category) if category else None,
        parent=parent,
    )
    closed = created + datetime.timedelta(days=3) if status in Opinion.CLOSED_STATUSES else None
    Opinion.objects.filter(pk=opinion.pk).update(created_at=created, closed_at=closed)
    return opinion


def page(client, **params):
    return client.get(reverse("feedback:figures"), params)


def chart_data(response, chart_id: str) -> dict:
    """The chart's spec as the page hands it to charts.js, read back from its json_script element."""
    match = re.search(
        rf'<script id="{chart_id}-data" type="application/json">(.*?)</script>', response.content.decode(), re.S
    )
    assert match, f"no data for {chart_id}"
    return json.loads(match.group(1))


def series(spec: dict) -> dict[str, list[float]]:
    return {s["label"]: s["values"] for s in spec["series"]}


def table_collected(response) -> dict[str, int]:
    """The category table's "collected" column, by category name, as the page prints it."""
    html = response.content.decode()
    table = html[html.index('data-table="category"') :]
    table = table[: table.index("</table>")]
    rows = re.findall(
        r'<th scope="row"[^>]*>([^<]+?)(?: <span[^<]*</span>)?</th>\s*<td[^>]*>(?:<a [^>]*>)?(\d+)', table
    )
    return {name.strip(): int(n) for name, n in rows}


@pytest.fixture
def year(places):
    """2026 in community A: 环境卫生 in January (2) and March (1), 交通秩序 in March (1) and one not yet sorted in
    July (00:10 on 1 July, still June in UTC); one split in May into two parts sorted in June.
    Community B: two 环境卫生 in March. Nothing in the other months."""
    a, b = places.community_a, places.community_b
    make(a, created=local(2026, 1, 5, 9), status=Status.RESOLVED, category="环境卫生")
    make(a, created=local(2026, 1, 20, 9), status=Status.ASSIGNED, category="环境卫生")
    make(a, created=local(2026, 3, 2, 9), status=Status.IN_PROGRESS, category="环境卫生")
    make(a, created=local(2026, 3, 31, 23, 30), status=Status.EXPLAINED, category="交通秩序")
    make(a, created=local(2026, 7, 1, 0, 10), status=Status.NEW)  # 30 June in UTC
    original = make(a, created=local(2026, 5, 30, 9), status=Status.SPLIT)
    for category in ("实事工程", "社区服务"):
        make(a, created=local(2026, 6, 2, 9), status=Status.SORTED, category=category, parent=original)
    make(b, created=local(2026, 3, 10, 9), status=Status.RESOLVED, category="环境卫生")
    make(b, created=local(2026, 3, 11, 9), status=Status.NEW, category="环境卫生")
    make(a, created=local(2025, 12, 31, 23, 59), status=Status.RESOLVED, category="环境卫生")  # last year


def zero_months_but(values: dict[str, int]) -> list[int]:
    return [values.get(month, 0) for month in MONTHS_2026]


class TestByCategory:
    def test_each_category_is_its_opinions_per_month_of_the_year(self, leader, year, client_for):
        response = page(client_for(leader))
        assert response.status_code == 200
        spec = chart_data(response, "opinions-by-category-chart")
        assert (spec["kind"], spec["stacked"], spec["horizontal"]) == ("bar", True, False)
        assert spec["labels"] == MONTHS_2026
        assert series(spec) == {
            "实事工程": zero_months_but({"2026-05": 1}),  # the parts count when the original was raised
            "交通秩序": zero_months_but({"2026-03": 1}),
            "环境卫生": zero_months_but({"2026-01": 2, "2026-03": 3}),
            "社区服务": zero_months_but({"2026-05": 1}),
            "尚未分类": zero_months_but({"2026-07": 1}),  # 00:10 on 1 July in Hangzhou is still June in UTC
        }

    def test_the_months_add_up_to_the_category_table_and_the_selector(self, leader, year, client_for):
        response = page(client_for(leader))
        spec = chart_data(response, "opinions-by-category-chart")
        totals = {label: sum(values) for label, values in series(spec).items()}
        table = table_collected(response)
        assert totals == {name: n for name, n in table.items() if n}
        assert table["环境卫生"] == 5
        figures = response.context["figures"]
        assert totals == {
            (row.category.name if row.category else "尚未分类"): row.tally.collected
            for row in figures.by_category
            if row.tally.collected
        }

    def test_a_community_leaders_chart_holds_only_his_community(self, community_leader, year, client_for):
        spec = chart_data(page(client_for(community_leader)), "opinions-by-category-chart")
        assert series(spec)["环境卫生"] == zero_months_but({"2026-01": 2, "2026-03": 1})

    def test_a_quarter_has_its_three_months(self, leader, year, client_for):
        spec = chart_data(page(client_for(leader), quarter="2026Q1"), "opinions-by-category-chart")
        assert spec["labels"] == ["2026-01", "2026-02", "2026-03"]
        assert series(spec) == {"交通秩序": [0, 0, 1], "环境卫生": [2, 0, 3]}

    def test_a_range_across_the_new_year_counts_its_months(self, leader, year, client_for):
        response = page(client_for(leader), start="2025-12-15", end="2026-02-10")
        spec = chart_data(response, "opinions-by-category-chart")
        assert spec["labels"] == ["2025-12", "2026-01", "2026-02"]
        assert series(spec) == {"环境卫生": [1, 2, 0]}


def test_past_six_categories_the_smallest_share_one_segment(leader, places, client_for):
    """A phone's legend holds six entries: the five largest categories keep their own, the rest add up as 其他."""
    counts = {"环境卫生": 5, "交通秩序": 4, "实事工程": 3, "治安状况": 3, "社区服务": 2}
    for category, n in counts.items():
        for day in range(n):
            make(places.community_a, created=local(2026, 2, 1 + day, 9), category=category)
    make(places.community_a, created=local(2026, 4, 1, 9), category="市容市貌")
    make(places.community_a, created=local(2026, 5, 1, 9), category="精神文明")
    make(places.community_a, created=local(2026, 5, 2, 9), category="营商环境")
    response = page(client_for(leader))
    spec = chart_data(response, "opinions-by-category-chart")
    # The table's order (group, then the office's order), 其他 last.
    assert list(series(spec)) == ["实事工程", "治安状况", "交通秩序", "环境卫生", "社区服务", "其他"]
    assert {label: values[1] for label, values in series(spec).items() if label != "其他"} == counts
    assert series(spec)["其他"] == zero_months_but({"2026-04": 1, "2026-05": 2})
    assert "“其他”包括：营商环境、市容市貌、精神文明" in response.content.decode()
    # Nothing is lost: the months still add up to the table.
    assert sum(sum(values) for values in series(spec).values()) == sum(table_collected(response).values()) == 20


class TestByStatus:
    def test_each_month_is_split_by_the_status_now(self, leader, year, client_for):
        spec = chart_data(page(client_for(leader)), "opinions-by-status-chart")
        assert spec["labels"] == MONTHS_2026
        assert spec["stacked"] is True
        assert list(series(spec)) == STATUS_LABELS
        assert series(spec) == {
            "待梳理": zero_months_but({"2026-03": 1, "2026-07": 1}),
            "已分类": zero_months_but({"2026-05": 2}),
            "已交办": zero_months_but({"2026-01": 1}),
            "办理中": zero_months_but({"2026-03": 1}),
            "已解决": zero_months_but({"2026-01": 1, "2026-03": 1}),
            "已解释": zero_months_but({"2026-03": 1}),
        }

    def test_its_months_add_up_to_the_category_charts(self, leader, year, client_for):
        response = page(client_for(leader))
        by_status = series(chart_data(response, "opinions-by-status-chart")).values()
        by_category = series(chart_data(response, "opinions-by-category-chart")).values()
        assert [sum(month) for month in zip(*by_status, strict=True)] == [
            sum(month) for month in zip(*by_category, strict=True)
        ]

    def test_another_streets_leader_sees_empty_charts(self, other_street_leader, year, client_for):
        html = page(client_for(other_street_leader)).content.decode()
        assert 'id="opinions-by-status-chart"' in html
        assert "opinions-by-status-chart-data" not in html
        assert "opinions-by-category-chart-data" not in html


class TestAccess:
    def test_the_page_draws_its_charts_with_the_static_scripts(self, leader, year, client_for):
        html = page(client_for(leader)).content.decode()
        for chart_id in ("opinions-by-category-chart", "opinions-by-status-chart"):
            assert f'data-wx-chart="{chart_id}-data"' in html
        assert "vendor/chartjs/chart.umd.min.js" in html and "js/charts.js" in html

    def test_a_social_worker_is_refused(self, worker_a, year, client_for):
        assert page(client_for(worker_a)).status_code == 403

    def test_anonymous_is_sent_to_log_in(self, client, places):
        assert page(client).status_code == 302


def test_the_charts_add_no_query(client_for, leader, places, django_assert_max_num_queries):
    client = client_for(leader)
    categories = ["环境卫生", "交通秩序", "营商环境", "实事工程", None]
    statuses = [Status.NEW, Status.SORTED, Status.ASSIGNED, Status.IN_PROGRESS, Status.RESOLVED, Status.EXPLAINED]

    def add(count: int) -> None:
        for n in range(count):
            community = places.community_a if n % 2 else places.community_b
            category = categories[n % len(categories)]
            status = statuses[n % len(statuses)] if category else Status.NEW
            make(community, created=local(2026, 1 + n % 12, 1 + n % 27, 9), status=status, category=category)

    add(15)
    # The page's bound before the charts (tests/feedback/test_figures.py): the months come with the category query.
    with django_assert_max_num_queries(10) as small:
        assert page(client).status_code == 200
    add(150)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = page(client)
    spec = chart_data(response, "opinions-by-category-chart")
    assert sum(sum(values) for values in series(spec).values()) == 165
    assert all(sum(values[month] for values in series(spec).values()) for month in range(12))
