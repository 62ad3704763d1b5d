"""The diary on paper (民情联系日记台账) and in a spreadsheet.

worker_a's fourth quarter of 2025: six visits of hers (one she joined as a companion, one to a household of
community B she helped with), and visits outside the quarter or by a colleague that must never appear. Whose
diary may be printed or exported is decided as on the diary page: her own, or a colleague's in a reviewer's scope.
"""

from __future__ import annotations

import datetime
import io
import re
from urllib.parse import quote

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from tests.factories import (
    HouseholdFactory,
    ResidentFactory,
    SubsidyFactory,
    UserFactory,
    VisitFactory,
)
from visits.models import Visit
from visits.periods import Quarter
from wenxin.roles import Role

PRINT = reverse("visits:diary_print")
EXPORT = reverse("visits:diary_export")
DIARY = reverse("visits:diary")
Q4 = {"quarter": "2025Q4"}
ID_NUMBER = "330106195001011234"


@pytest.fixture
def household_a(places):
    household = HouseholdFactory(grid_area=places.area_a, estate=places.estate_a, building="3", unit="1", room="301")
    ResidentFactory(household=household, name="王大伯", id_number=ID_NUMBER, disability="physical", disability_grade=2)
    SubsidyFactory(household=household, source="临时救助专项资金")
    return household


@pytest.fixture
def quarter(places, worker_a, worker_a2, community_leader, household_a):
    """worker_a's 2025Q4 diary, and the visits around it that do not belong in it."""
    in_area = HouseholdFactory(grid_area=places.area_a, estate=places.estate_a, building="5", unit="2", room="502")
    joined_home = HouseholdFactory(grid_area=places.area_a, estate=places.estate_a, building="7", unit="1", room="101")
    community_b_home = HouseholdFactory(grid_area=places.area_b, estate=places.estate_b, building="1", room="101")
    visits = {
        "oct": VisitFactory(
            household=household_a,
            visitor=worker_a,
            visited_on=datetime.date(2025, 10, 8),
            met_whom="王大伯",
            situation="十月：老人独居",
            difficulty="楼道灯坏了",
            action_taken="已报物业维修",
            follow_up_needed=True,
            follow_up_by=datetime.date(2025, 10, 20),
        ),
        "caring": VisitFactory(
            household=in_area,
            visitor=worker_a,
            kind=Visit.Kind.CARING,
            visited_on=datetime.date(2025, 11, 10),
            situation="十一月：爱心走访送米油",
        ),
        "estate": VisitFactory(
            household=None,
            visitor=worker_a,
            kind=Visit.Kind.ESTATE,
            estate=places.estate_a,
            community=places.community_a,
            visited_on=datetime.date(2025, 11, 20),
            met_whom="物业经理",
            situation="十一月：小区走访",
        ),
        "community_b": VisitFactory(
            household=community_b_home,
            visitor=worker_a,
            visited_on=datetime.date(2025, 12, 1),
            situation="十二月：协助益乐社区",
        ),
        "dec": VisitFactory(
            household=household_a,
            visitor=worker_a,
            visited_on=datetime.date(2025, 12, 5),
            situation="十二月：再次入户",
        ),
        "joined": VisitFactory(
            household=joined_home,
            visitor=community_leader,
            companions=[worker_a],
            visited_on=datetime.date(2025, 12, 12),
            situation="十二月：陪同书记走访",
        ),
    }
    outside = [
        VisitFactory(
            household=household_a, visitor=worker_a, visited_on=datetime.date(2025, 9, 30), situation="九月底"
        ),
        VisitFactory(household=household_a, visitor=worker_a, visited_on=datetime.date(2026, 1, 1), situation="元旦"),
        VisitFactory(
            household=HouseholdFactory(grid_area=places.area_a2, estate=places.estate_a),
            visitor=worker_a2,
            visited_on=datetime.date(2025, 11, 15),
            situation="同事的走访",
        ),
    ]
    return {"visits": visits, "outside": outside}


def printed_ids(response) -> list[int]:
    return [int(pk) for pk in re.findall(r'data-wx-visit="(\d+)"', response.text)]


def sheet_rows(response) -> list[tuple]:
    """The sheet's rows; the spreadsheet stores a date as a midnight, read back as the date it is."""
    workbook = load_workbook(io.BytesIO(response.content))
    return [
        tuple(cell.date() if isinstance(cell, datetime.datetime) else cell for cell in row)
        for row in workbook.active.iter_rows(values_only=True)
    ]


# --- the printed ledger ----------------------------------------------------------------------------------------


class TestDiaryLedger:
    def test_it_prints_every_visit_of_the_quarter_in_date_order_and_no_other(self, client_for, worker_a, quarter):
        response = client_for(worker_a).get(PRINT, Q4)
        assert response.status_code == 200
        v = quarter["visits"]
        expected = [v["oct"], v["caring"], v["estate"], v["community_b"], v["dec"], v["joined"]]
        assert printed_ids(response) == [visit.pk for visit in expected]
        for visit in quarter["outside"]:
            assert visit.situation not in response.text
        assert "香港城 3幢1单元301室" in response.text
        assert "楼道灯坏了" in response.text
        assert "已报物业维修" in response.text
        assert "需跟进<br>10-20" in response.text
        assert "物业经理" in response.text
        assert "同行 · 走访人：李书记" in response.text

    def test_its_header_names_the_unit_the_title_and_the_quarter(self, client_for, worker_a, quarter):
        response = client_for(worker_a).get(PRINT, Q4)
        assert '<span class="wx-print-unit">文新街道 德加社区 · 德加第1网格</span>' in response.text
        assert '<span class="wx-print-title">民情联系日记台账</span>' in response.text
        assert '<span class="wx-print-period">2025年第4季度</span>' in response.text
        assert "2025-10-01 – 2025-12-31" in response.text
        assert "css/print.css" in response.text

    def test_it_sums_up_the_quarter(self, client_for, worker_a, quarter):
        response = client_for(worker_a).get(PRINT, Q4)
        summary = response.context["summary"]
        assert summary.visits == 6
        # Three households of her area and one of community B; household_a visited twice counts once.
        assert summary.households == 4
        # The quota counts only her own area's households: community B's does not.
        assert (summary.quota.visited, summary.quota.target) == (3, 50)
        assert summary.follow_ups == 1
        assert summary.by_kind == [("入户走访", 4), ("爱心走访", 1), ("走访小区", 1)]
        assert "3 / 50</span>" in response.text
        assert "户计入季度指标（6%）" in response.text
        assert '<th scope="col">入户走访</th>' in response.text

    def test_it_never_prints_id_numbers_disabilities_or_subsidies(self, client_for, worker_a, quarter):
        text = client_for(worker_a).get(PRINT, Q4).text
        assert ID_NUMBER not in text
        assert ID_NUMBER[-4:] not in text
        assert "肢体残疾" not in text
        assert "临时救助专项资金" not in text

    def test_an_empty_quarter_says_so(self, client_for, worker_a, quarter):
        response = client_for(worker_a).get(PRINT, {"quarter": "2024Q1"})
        assert response.status_code == 200
        assert printed_ids(response) == []
        assert "本季度没有走访记录。" in response.text
        assert response.context["summary"].visits == 0

    @pytest.mark.parametrize("quarter_param", ["", "2025Q5", "garbage", "1999Q1"])
    def test_a_quarter_it_cannot_read_prints_this_quarter(self, client_for, worker_a, quarter_param):
        response = client_for(worker_a).get(PRINT, {"quarter": quarter_param})
        assert response.status_code == 200
        assert response.context["quarter"] == Quarter.current()

    def test_department_staff_print_their_own_diary_under_their_department(self, client_for, staff, places):
        VisitFactory(
            household=None,
            visitor=staff,
            kind=Visit.Kind.ESTATE,
            estate=places.estate_b,
            community=places.community_b,
            visited_on=datetime.date(2025, 11, 20),
        )
        response = client_for(staff).get(PRINT, Q4)
        assert '<span class="wx-print-unit">文新街道 城管科</span>' in response.text
        assert response.context["summary"].visits == 1
        assert response.context["summary"].quota is None
        assert "计入季度指标" not in response.text

    @pytest.mark.parametrize("persona", ["community_leader", "leader"])
    def test_a_reviewer_prints_a_colleagues_diary(self, request, client_for, worker_a, quarter, persona):
        reviewer = request.getfixturevalue(persona)
        response = client_for(reviewer).get(PRINT, {**Q4, "author": worker_a.pk})
        assert response.status_code == 200
        assert response.context["author"] == worker_a
        v = quarter["visits"]
        shown = set(printed_ids(response))
        assert {v["oct"].pk, v["caring"].pk, v["estate"].pk, v["dec"].pk, v["joined"].pk} <= shown
        # As on the diary page, a community leader sees only his community's visits; the street sees them all.
        assert (v["community_b"].pk in shown) is (persona == "leader")
        assert f'href="/visits/diary/?quarter=2025Q4&amp;author={worker_a.pk}"' in response.text

    @pytest.mark.parametrize("persona", ["worker_a2", "worker_b", "other_street_leader", "staff"])
    def test_others_get_404(self, request, client_for, worker_a, quarter, persona):
        response = client_for(request.getfixturevalue(persona)).get(PRINT, {**Q4, "author": worker_a.pk})
        assert response.status_code == 404

    def test_another_communitys_leader_gets_404(self, client_for, places, worker_a, quarter):
        leader_b = UserFactory(role=Role.COMMUNITY_LEADER, street=places.street, community=places.community_b)
        assert client_for(leader_b).get(PRINT, {**Q4, "author": worker_a.pk}).status_code == 404

    @pytest.mark.parametrize("author", ["abc", "999999", "1.5"])
    def test_a_garbage_author_is_404(self, client_for, community_leader, author):
        assert client_for(community_leader).get(PRINT, {"author": author}).status_code == 404

    def test_anonymous_is_sent_to_log_in(self, client, quarter):
        for url in (PRINT, EXPORT):
            response = client.get(url, Q4)
            assert response.status_code == 302
            assert response.url.startswith(reverse("login"))

    @pytest.mark.parametrize("count", [3, 40])
    def test_the_query_count_does_not_grow(
        self, client_for, places, worker_a, community_leader, household_a, count, django_assert_max_num_queries
    ):
        for n in range(count):
            VisitFactory(
                household=household_a,
                visitor=worker_a,
                companions=[community_leader],
                visited_on=datetime.date(2025, 10, 1) + datetime.timedelta(days=n),
            )
        client = client_for(community_leader)
        with django_assert_max_num_queries(13):
            response = client.get(PRINT, {**Q4, "author": worker_a.pk})
        assert len(printed_ids(response)) == count
        assert response.context["summary"].visits == count


# --- the buttons on the diary page ------------------------------------------------------------------------------


def test_the_diary_page_links_to_its_ledger_and_its_export(client_for, community_leader, worker_a, quarter):
    response = client_for(community_leader).get(DIARY, {"author": worker_a.pk, "month": "2025-11", "q": "走访"})
    assert f'href="{PRINT}?quarter=2025Q4&amp;author={worker_a.pk}"' in response.text
    assert "打印台账（2025年第4季度）" in response.text
    assert f'href="{EXPORT}?author={worker_a.pk}&amp;month=2025-11&amp;q=%E8%B5%B0%E8%AE%BF"' in response.text


def test_her_own_diary_page_links_without_an_author(client_for, worker_a, quarter):
    response = client_for(worker_a).get(DIARY, Q4)
    assert f'href="{PRINT}?quarter=2025Q4"' in response.text
    assert f'href="{EXPORT}?quarter=2025Q4"' in response.text


# --- the export ---------------------------------------------------------------------------------------------------

HEADERS = (
    "走访日期",
    "走访类型",
    "走访对象",
    "所属村社",
    "走访人",
    "同行人员",
    "接待人/走访对象",
    "了解情况",
    "困难或诉求",
    "处理情况",
    "需要跟进",
    "跟进期限",
    "已抽查",
)


class TestDiaryExport:
    @pytest.mark.parametrize(
        "params",
        [Q4, {"month": "2025-11"}, {"quarter": "2025Q4", "q": "十二月"}, {"month": "2025-10", "q": "楼道灯"}],
    )
    def test_it_exports_the_rows_the_diary_page_shows(self, client_for, worker_a, quarter, params):
        client = client_for(worker_a)
        page = client.get(DIARY, params).context["page"]
        assert page.paginator.count <= 25  # the whole period is on the page
        response = client.get(EXPORT, params)
        assert response.status_code == 200
        rows = sheet_rows(response)
        assert rows[0] == HEADERS
        assert [row[7] for row in rows[1:]] == [visit.situation for visit in page.object_list]
        assert len(rows) > 1

    def test_its_lines_hold_the_diary_entries(self, client_for, worker_a, quarter):
        rows = sheet_rows(client_for(worker_a).get(EXPORT, Q4))
        by_situation = {row[7]: row for row in rows[1:]}
        oct_row = by_situation["十月：老人独居"]
        assert oct_row[:8] == (
            datetime.date(2025, 10, 8),
            "入户走访",
            "香港城 3幢1单元301室",
            "德加社区",
            "张丽",
            None,
            "王大伯",
            "十月：老人独居",
        )
        assert oct_row[8:] == ("楼道灯坏了", "已报物业维修", "是", datetime.date(2025, 10, 20), "否")
        joined = by_situation["十二月：陪同书记走访"]
        assert (joined[4], joined[5]) == ("李书记", "张丽")
        assert by_situation["十一月：小区走访"][2] == "香港城"
        for row in rows:
            assert ID_NUMBER not in [str(cell) for cell in row]

    def test_cells_that_would_run_as_formulas_are_escaped(self, client_for, worker_a, household_a):
        VisitFactory(
            household=household_a,
            visitor=worker_a,
            visited_on=datetime.date(2025, 11, 3),
            met_whom="@SUM(A1)",
            situation='=HYPERLINK("http://example.com","点我")',
            difficulty="-1+2",
            action_taken="+86 电话回访",
        )
        rows = sheet_rows(client_for(worker_a).get(EXPORT, {"month": "2025-11"}))
        assert rows[1][6:10] == ("'@SUM(A1)", '\'=HYPERLINK("http://example.com","点我")', "'-1+2", "'+86 电话回访")

    def test_it_is_a_download_named_after_the_diary(self, client_for, worker_a, quarter):
        response = client_for(worker_a).get(EXPORT, Q4)
        assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        assert f"filename*=utf-8''{quote('民情日记_张丽_2025Q4.xlsx')}" in response["Content-Disposition"]
        assert load_workbook(io.BytesIO(response.content)).active.title == "2025年第4季度"

    def test_a_reviewer_exports_a_colleagues_diary(self, client_for, community_leader, worker_a, quarter):
        response = client_for(community_leader).get(EXPORT, {**Q4, "author": worker_a.pk})
        assert response.status_code == 200
        assert "十月：老人独居" in [row[7] for row in sheet_rows(response)]

    @pytest.mark.parametrize("persona", ["worker_a2", "worker_b", "other_street_leader"])
    def test_others_get_404(self, request, client_for, worker_a, quarter, persona):
        response = client_for(request.getfixturevalue(persona)).get(EXPORT, {**Q4, "author": worker_a.pk})
        assert response.status_code == 404

    @pytest.mark.parametrize("params", [{"month": "2025-13"}, {"quarter": "Q9"}, {"q": "x" * 500}, {"page": "zz"}])
    def test_input_it_cannot_read_is_no_error(self, client_for, worker_a, params):
        response = client_for(worker_a).get(EXPORT, params)
        assert response.status_code == 200
        assert sheet_rows(response)[0] == HEADERS

    @pytest.mark.parametrize("count", [3, 40])
    def test_the_query_count_does_not_grow(
        self, client_for, worker_a, community_leader, household_a, count, django_assert_max_num_queries
    ):
        for n in range(count):
            VisitFactory(
                household=household_a,
                visitor=worker_a,
                companions=[community_leader],
                visited_on=datetime.date(2025, 10, 1) + datetime.timedelta(days=n),
            )
        client = client_for(worker_a)
        with django_assert_max_num_queries(5):
            response = client.get(EXPORT, Q4)
        assert len(sheet_rows(response)) == count + 1
