"""Charts on the review pages: quota progress per worker, coverage per estate or community, and the coverage export.

Each chart carries its numbers as JSON (json_script) for static/js/charts.js; these tests read that JSON back and
hold it against the page's own table and the selector, for every role that may look.
"""

from __future__ import annotations

import datetime
import io
import json
import re
import urllib.parse

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from tests.factories import EstateFactory, GridAreaFactory, HouseholdFactory, UserFactory, VisitFactory
from visits import selectors
from visits.models import Visit
from visits.periods import Quarter
from wenxin.roles import Role
from wenxin.xlsx import XLSX_CONTENT_TYPE

TODAY = datetime.date(2026, 8, 15)
Q3 = Quarter(2026, 3)
COVERAGE_FIGURES = ["在册户数", "2026年已走访户数", "2026年覆盖率（%）", "近12个月已走访户数", "近12个月覆盖率（%）"]


@pytest.fixture(autouse=True)
def today(monkeypatch):
    """The office's clock reads TODAY: the third quarter of 2026, 46 of its 92 days gone."""
    real = timezone.localdate

    def localdate(value=None, timezone=None):
        return TODAY if value is None else real(value, timezone)

    monkeypatch.setattr("django.utils.timezone.localdate", localdate)
    return TODAY


def chart_data(response, chart_id: str) -> dict:
    """The chart's spec as the page hands it to charts.js, read back from its json_script element."""
    html = response.content.decode()
    match = re.search(rf'<script id="{chart_id}-data" type="application/json">(.*?)</script>', html, re.S)
    assert match, f"no data for {chart_id}"
    return json.loads(match.group(1))


def series(spec: dict) -> dict[str, list[float]]:
    return {s["label"]: s["values"] for s in spec["series"]}


def assert_drawable(response, chart_id: str, count: int) -> None:
    """The container, the canvas pointing at the data, and the scripts that draw it (static, not inline)."""
    html = response.content.decode()
    assert f'<figure class="wx-chart card card-body mb-3" id="{chart_id}"' in html
    assert f'data-wx-chart="{chart_id}-data"' in html
    assert f'data-wx-chart-count="{count}"' in html
    assert "vendor/chartjs/chart.umd.min.js" in html
    assert "js/charts.js" in html


# --- Quota progress per worker ----------------------------------------------------------------------------------


def dashboard(client, **params):
    return client.get(reverse("visits:quota"), params)


@pytest.fixture
def quota_visits(places, worker_a, worker_a2, worker_b):
    """worker_a: 3 households of her area (one twice); worker_a2: none; worker_b: 1."""
    mine = [HouseholdFactory(grid_area=places.area_a, estate=places.estate_a) for _ in range(3)]
    for household, day in [(mine[0], 2), (mine[0], 20), (mine[1], 5), (mine[2], 9)]:
        VisitFactory(visitor=worker_a, household=household, visited_on=datetime.date(2026, 7, day))
    VisitFactory(
        visitor=worker_b,
        household=HouseholdFactory(grid_area=places.area_b, estate=places.estate_b),
        visited_on=datetime.date(2026, 7, 9),
    )


def table_visited(response) -> list[int]:
    """The "visited" figure of each row of the dashboard's table, in the table's order."""
    return [int(n) for n in re.findall(r"data-visited>(\d+)</a>", response.content.decode())]


class TestQuotaChart:
    def test_each_worker_is_a_bar_of_visited_and_still_to_do(self, chief, quota_visits, client_for):
        response = dashboard(client_for(chief))
        assert response.status_code == 200
        spec = chart_data(response, "quota-chart")
        assert (spec["kind"], spec["horizontal"], spec["stacked"]) == ("bar", True, True)
        assert spec["labels"] == ["张丽", "陈静", "王芳"]
        assert series(spec) == {"已走访": [3, 0, 1], "距指标还差": [47, 50, 49]}
        # The same numbers as the table and the selector.
        assert table_visited(response) == [3, 0, 1]
        rows = selectors.quota_progress(viewer=chief, quarter=Q3)
        assert series(spec)["已走访"] == [row.visited for row in rows]
        assert [a + b for a, b in zip(*series(spec).values(), strict=True)] == [row.target for row in rows]
        assert_drawable(response, "quota-chart", 3)

    def test_the_chart_shows_the_rows_the_filters_show_in_their_order(
        self, chief, places, worker_b, quota_visits, client_for
    ):
        for _ in range(24):  # 25 of 50 with 45 of 92 days gone: on track
            household = HouseholdFactory(grid_area=places.area_b, estate=places.estate_b)
            VisitFactory(visitor=worker_b, household=household, visited_on=datetime.date(2026, 8, 1))
        client = client_for(chief)
        on_track = dashboard(client, status="on_track")
        assert chart_data(on_track, "quota-chart")["labels"] == ["王芳"]
        behind = dashboard(client, status="behind")
        assert chart_data(behind, "quota-chart")["labels"] == ["张丽", "陈静"]
        assert series(chart_data(behind, "quota-chart"))["已走访"] == table_visited(behind) == [3, 0]
        ordered = dashboard(client, sort="-percent")
        assert chart_data(ordered, "quota-chart")["labels"] == ["王芳", "张丽", "陈静"]
        community_b = dashboard(client, community=places.community_b.pk)
        assert chart_data(community_b, "quota-chart")["labels"] == ["王芳"]
        assert series(chart_data(community_b, "quota-chart")) == {"已走访": [25], "距指标还差": [25]}

    def test_a_community_leaders_chart_holds_only_her_community(self, community_leader, quota_visits, client_for):
        spec = chart_data(dashboard(client_for(community_leader)), "quota-chart")
        assert spec["labels"] == ["张丽", "陈静"]
        assert series(spec)["已走访"] == [3, 0]

    def test_no_workers_no_chart(self, other_street_leader, quota_visits, client_for):
        response = dashboard(client_for(other_street_leader))
        assert response.status_code == 200
        assert 'id="quota-chart"' not in response.content.decode()

    @pytest.mark.parametrize("persona", ["worker_a", "staff"])
    def test_those_who_do_not_review_quotas_are_refused(self, persona, request, client_for):
        assert dashboard(client_for(request.getfixturevalue(persona))).status_code == 403

    def test_anonymous_is_sent_to_log_in(self, client, places):
        assert dashboard(client).status_code == 302

    def test_forty_workers_and_the_queries_do_not_grow(self, chief, places, client_for, django_assert_max_num_queries):
        client = client_for(chief)

        def add_workers(count: int) -> None:
            for _ in range(count):
                worker = UserFactory(role=Role.SOCIAL_WORKER, street=places.street, community=places.community_a)
                places.area_a.workers.add(worker)
                for _ in range(2):
                    VisitFactory(visitor=worker, household=HouseholdFactory(grid_area=places.area_a), visited_on=TODAY)

        add_workers(3)
        # The dashboard's bound before the chart: the chart reads the rows already there.
        with django_assert_max_num_queries(8) as small:
            assert len(chart_data(dashboard(client), "quota-chart")["labels"]) == 3
        add_workers(42)
        with django_assert_max_num_queries(len(small.captured_queries)):
            response = dashboard(client)
        spec = chart_data(response, "quota-chart")
        assert len(spec["labels"]) == 45
        assert series(spec)["已走访"] == [2] * 45
        # A horizontal chart is told its row count, so charts.js makes it tall enough for 45 names on a phone.
        assert_drawable(response, "quota-chart", 45)


# --- Coverage per estate or community ---------------------------------------------------------------------------


def coverage_page(client, **params):
    return client.get(reverse("visits:coverage"), params)


def coverage_export(client, **params):
    return client.get(reverse("visits:coverage_export"), params)


def estate_visit(person, estate, day):
    return VisitFactory(
        visitor=person,
        household=None,
        kind=Visit.Kind.ESTATE,
        estate=estate,
        street=estate.community.street,
        community=estate.community,
        visited_on=day,
    )


@pytest.fixture
def dataset(places, worker_a, worker_a2, worker_b):
    """Community A: 香港城 with 4 households (1 visited this year, 2 in 12 months) and 西溪花园 with 2 (both this
    year); community B: 益乐新村 with 3 (1 this year)."""
    xixi = EstateFactory(community=places.community_a, name="西溪花园")
    a = [HouseholdFactory(grid_area=places.area_a, estate=places.estate_a) for _ in range(4)]
    x = [HouseholdFactory(grid_area=places.area_a2, estate=xixi) for _ in range(2)]
    b = [HouseholdFactory(grid_area=places.area_b, estate=places.estate_b) for _ in range(3)]
    VisitFactory(household=a[0], visited_on=datetime.date(2026, 3, 1))
    VisitFactory(household=a[1], visited_on=datetime.date(2025, 12, 1))  # 12 months, not this year
    VisitFactory(household=x[0], visited_on=datetime.date(2026, 8, 1))
    VisitFactory(household=x[1], visited_on=datetime.date(2026, 2, 1))
    VisitFactory(household=b[0], visited_on=datetime.date(2026, 1, 1))
    return {"xixi": xixi}


def table_percents(response, section: str) -> dict[str, tuple[int, int]]:
    """Each row of one of the page's tables: name → (this year's %, the 12 months' %)."""
    html = response.content.decode()
    table = html[html.index(f'data-section="{section}"') :]
    table = table[: table.index("</table>")]
    rows = re.findall(
        r'<tr data-row="([^"]+)">.*?data-year>\d+ · (\d+)%</span>.*?data-months>\d+ · (\d+)%</td>', table, re.S
    )
    return {name: (int(year), int(months)) for name, year, months in rows}


class TestCoverageChart:
    def test_without_a_community_each_community_is_a_pair_of_bars(self, leader, dataset, client_for):
        response = coverage_page(client_for(leader))
        spec = chart_data(response, "coverage-chart")
        assert (spec["horizontal"], spec["unit"], spec["max"]) == (True, "%", 100)
        assert spec["labels"] == ["德加社区", "益乐社区"]
        # 德加: 3 of 6 this year, 4 of 6 in 12 months; 益乐: 1 of 3 both.
        assert series(spec) == {"2026年以来": [50, 33], "近12个月": [66, 33]}
        page_rows = table_percents(response, "communities")
        assert [page_rows[name] for name in spec["labels"]] == list(zip(*series(spec).values(), strict=True))
        result = selectors.coverage(viewer=leader)
        assert series(spec)["2026年以来"] == [row.percent_year for row in result.communities]
        assert_drawable(response, "coverage-chart", 2)

    def test_a_chosen_community_is_shown_per_estate(self, leader, places, dataset, client_for):
        response = coverage_page(client_for(leader), community=places.community_a.pk)
        spec = chart_data(response, "coverage-chart")
        assert spec["labels"] == ["西溪花园", "香港城"]
        assert series(spec) == {"2026年以来": [100, 25], "近12个月": [100, 50]}
        page_rows = table_percents(response, "estates")
        assert [page_rows[name] for name in spec["labels"]] == [(100, 100), (25, 50)]
        assert "各小区走访覆盖率" in response.content.decode()

    def test_a_community_leaders_chart_is_her_communitys_estates(self, community_leader, dataset, client_for):
        response = coverage_page(client_for(community_leader))
        spec = chart_data(response, "coverage-chart")
        assert spec["labels"] == ["西溪花园", "香港城"]
        assert "益乐" not in json.dumps(spec, ensure_ascii=False)

    def test_a_community_outside_the_scope_changes_nothing(self, community_leader, places, dataset, client_for):
        response = coverage_page(client_for(community_leader), community=places.community_b.pk)
        assert chart_data(response, "coverage-chart")["labels"] == ["西溪花园", "香港城"]

    def test_another_streets_leader_sees_an_empty_chart(self, other_street_leader, dataset, client_for):
        response = coverage_page(client_for(other_street_leader))
        html = response.content.decode()
        assert 'id="coverage-chart"' in html
        assert "coverage-chart-data" not in html
        assert "这一期间没有数据" in html

    def test_the_page_offers_the_export_with_its_filters(self, leader, places, dataset, client_for):
        html = coverage_page(client_for(leader), community=places.community_a.pk).content.decode()
        assert f'href="{reverse("visits:coverage_export")}?community={places.community_a.pk}"' in html

    def test_the_chart_adds_no_query(self, leader, places, client_for, django_assert_max_num_queries):
        client = client_for(leader)

        def add(households: int, staff: int) -> None:
            for n in range(households):
                area = (places.area_a, places.area_b)[n % 2]
                VisitFactory(household=HouseholdFactory(grid_area=area), visited_on=TODAY - datetime.timedelta(n))
            for _ in range(staff):
                person = UserFactory(role=Role.DEPARTMENT_STAFF, street=places.street, department=places.department)
                estate_visit(person, places.estate_a, TODAY)

        add(20, 3)
        # The page's bound before the chart (tests/visits/test_coverage_pages.py): the chart reads its rows.
        with django_assert_max_num_queries(8) as small:
            coverage_page(client, community=places.community_a.pk)
        add(60, 9)
        with django_assert_max_num_queries(len(small.captured_queries)):
            response = coverage_page(client, community=places.community_a.pk)
        # Every household of area A got an estate of its own: 40 estates, 40 bars.
        assert len(chart_data(response, "coverage-chart")["labels"]) == 40


# --- The coverage export ----------------------------------------------------------------------------------------


def workbook(response):
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX_CONTENT_TYPE
    return load_workbook(io.BytesIO(response.content))


def sheet_rows(wb, title: str) -> list[tuple]:
    return list(wb[title].iter_rows(values_only=True))


class TestCoverageExport:
    def test_it_holds_the_pages_tables_with_chinese_headers(self, leader, places, dataset, client_for):
        client = client_for(leader)
        coverage = coverage_page(client).context["coverage"]
        wb = workbook(coverage_export(client))
        assert wb.sheetnames == ["各村社", "各小区", "各网格", "街道干部走遍小区"]
        communities = sheet_rows(wb, "各村社")
        assert list(communities[0]) == ["村社", *COVERAGE_FIGURES]
        assert communities[1:] == [("德加社区", 6, 3, 50, 4, 66), ("益乐社区", 3, 1, 33, 1, 33)]
        estates = sheet_rows(wb, "各小区")
        assert list(estates[0]) == ["小区", "村社", *COVERAGE_FIGURES]
        assert estates[1:] == [
            (
                r.name,
                r.community,
                r.households,
                r.visited_year,
                r.percent_year,
                r.visited_12_months,
                r.percent_12_months,
            )
            for r in coverage.estates
        ]
        areas = sheet_rows(wb, "各网格")
        assert list(areas[0]) == ["网格", "村社", *COVERAGE_FIGURES]
        assert [row[0] for row in areas[1:]] == ["德加第1网格", "德加第2网格", "益乐第1网格"]
        assert list(sheet_rows(wb, "街道干部走遍小区")[0]) == [
            "姓名",
            "科室/职务",
            "已走访小区数",
            "小区总数",
            "比例（%）",
        ]

    def test_the_staff_sheet_counts_the_estates_each_walked(self, leader, staff, places, dataset, client_for):
        estate_visit(staff, places.estate_a, datetime.date(2026, 4, 20))
        estate_visit(staff, places.estate_a, datetime.date(2026, 5, 20))  # the same estate again
        estate_visit(staff, dataset["xixi"], datetime.date(2026, 6, 20))
        rows = sheet_rows(workbook(coverage_export(client_for(leader))), "街道干部走遍小区")
        assert ("赵科员", "城管科", 2, 3, 66) in rows

    def test_the_community_filter_narrows_it_and_names_the_file(self, leader, places, dataset, client_for):
        response = coverage_export(client_for(leader), community=places.community_b.pk)
        wb = workbook(response)
        assert sheet_rows(wb, "各村社")[1:] == [("益乐社区", 3, 1, 33, 1, 33)]
        assert [row[0] for row in sheet_rows(wb, "各小区")[1:]] == ["益乐新村"]
        disposition = urllib.parse.unquote(response["Content-Disposition"])
        assert "走访覆盖率-益乐社区-2026.xlsx" in disposition

    def test_a_community_leader_exports_only_her_community(self, community_leader, places, dataset, client_for):
        response = coverage_export(client_for(community_leader), community=places.community_b.pk)
        wb = workbook(response)
        assert [row[0] for row in sheet_rows(wb, "各村社")[1:]] == ["德加社区"]
        assert [row[0] for row in sheet_rows(wb, "各小区")[1:]] == ["西溪花园", "香港城"]
        names = [cell for title in wb.sheetnames for row in sheet_rows(wb, title) for cell in row]
        assert not any("益乐" in str(cell) for cell in names)

    def test_names_that_look_like_formulas_stay_text(self, leader, places, client_for):
        for name in ('=HYPERLINK("http://x")', "+1", "-2", "@SUM(A1)"):
            estate = EstateFactory(community=places.community_a, name=name)
            HouseholdFactory(grid_area=GridAreaFactory(community=places.community_a, name=name), estate=estate)
        wb = workbook(coverage_export(client_for(leader)))
        estates = {row[0] for row in sheet_rows(wb, "各小区")[1:]}
        areas = {row[0] for row in sheet_rows(wb, "各网格")[1:]}
        expected = {'\'=HYPERLINK("http://x")', "'+1", "'-2", "'@SUM(A1)"}
        assert estates == areas == expected
        assert all(wb["各小区"].cell(row=r, column=1).data_type == "s" for r in range(2, 6))

    @pytest.mark.parametrize("persona", ["worker_a", "staff"])
    def test_those_who_do_not_review_are_refused(self, persona, request, dataset, client_for):
        assert coverage_export(client_for(request.getfixturevalue(persona))).status_code == 403

    def test_anonymous_is_sent_to_log_in(self, client, places):
        response = coverage_export(client)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))

    def test_garbage_in_the_query_string_is_ignored(self, leader, dataset, client_for):
        wb = workbook(coverage_export(client_for(leader), community="'; drop table"))
        assert len(sheet_rows(wb, "各村社")) == 3

    def test_it_does_not_grow_with_households_or_staff(self, leader, places, client_for, django_assert_max_num_queries):
        client = client_for(leader)

        def add(households: int, staff: int) -> None:
            for n in range(households):
                area = (places.area_a, places.area_b)[n % 2]
                VisitFactory(household=HouseholdFactory(grid_area=area), visited_on=TODAY - datetime.timedelta(n))
            for _ in range(staff):
                person = UserFactory(role=Role.DEPARTMENT_STAFF, street=places.street, department=places.department)
                estate_visit(person, places.estate_a, TODAY)

        add(20, 3)
        with django_assert_max_num_queries(8) as small:
            coverage_export(client)
        add(60, 9)
        with django_assert_max_num_queries(len(small.captured_queries)):
            wb = workbook(coverage_export(client))
        assert sheet_rows(wb, "各村社")[1][1] == 40
        assert len(sheet_rows(wb, "街道干部走遍小区")) == 1 + 12 + 1  # the header, the staff and the leader
