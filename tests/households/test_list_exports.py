"""The assistance pages' Excel exports: the plan work list, the pairs and their caring visits, the initiatives.

Each holds the rows its page shows with the page's filters (all of them, not one page), for the same people, under
Chinese headers; a text a spreadsheet would run as a formula comes out as plain text. The work list and the pairs
name households: their downloads are audited, and carry no ID number, disability or subsidy.
"""

from __future__ import annotations

import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from households import services
from households.models import AssistancePlan, Initiative
from tests.factories import (
    AssistancePairFactory,
    AssistancePlanFactory,
    HouseholdCategoryFactory,
    HouseholdFactory,
    ResidentFactory,
    UserFactory,
    VisitFactory,
)
from visits.models import Visit
from wenxin.models import AuditEntry
from wenxin.roles import Role
from wenxin.xlsx import XLSX_CONTENT_TYPE

TODAY = datetime.date(2026, 9, 15)  # the caring-visit months are April to September
EVIL = '=HYPERLINK("http://evil.example/","点我")'
FIVE = {
    "basic": "三口之家，低保",
    "living": "住房老旧，自理",
    "mind": "情绪稳定",
    "contact": "户主 13911112222",
    "measures": "协助申请临时救助",
}


@pytest.fixture(autouse=True)
def today(monkeypatch):
    real = timezone.localdate

    def localdate(value=None, timezone=None):
        return TODAY if value is None else real(value, timezone)

    monkeypatch.setattr("django.utils.timezone.localdate", localdate)
    return TODAY


def _plain(value):
    return value.date() if isinstance(value, datetime.datetime) else value


def sheets(response) -> dict[str, list[tuple]]:
    """Every sheet of the downloaded workbook by title, its rows as tuples (dates as dates)."""
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX_CONTENT_TYPE
    workbook = load_workbook(io.BytesIO(response.content))
    return {
        ws.title: [tuple(_plain(value) for value in row) for row in ws.iter_rows(values_only=True)]
        for ws in workbook.worksheets
    }


def first_sheet(response) -> list[tuple]:
    return next(iter(sheets(response).values()))


def assert_login_required(client, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def the_export_audit() -> AuditEntry:
    return AuditEntry.objects.get(action=AuditEntry.Action.EXPORT)


@pytest.fixture
def key_category(db):
    return HouseholdCategoryFactory(name="低保户", is_key=True)


# --- The plan work list -----------------------------------------------------------------------------------------

WORKLIST = reverse("households:plan_worklist")
WORKLIST_EXPORT = reverse("households:plan_worklist_export")
HOUSEHOLD_HEADERS = ("村社", "网格", "地址", "户主")
PLAN_HEADERS = ("村社", "网格", "地址", "“五个要”已记录（项）", "复核日期", "已过复核期")


@pytest.fixture
def worklist_data(places, key_category, worker_a):
    """Area A: a key household without a plan (head 王大伯), one with an overdue incomplete plan, one complete;
    area A2 and area B: a key household without a plan each."""
    without = HouseholdFactory(
        grid_area=places.area_a, estate=places.estate_a, building="3", unit="1", room="301", categories=[key_category]
    )
    ResidentFactory(household=without, name="王大伯", id_number="330106194001010015")
    incomplete = HouseholdFactory(
        grid_area=places.area_a, estate=places.estate_a, building="3", unit="1", room="302", categories=[key_category]
    )
    complete = HouseholdFactory(grid_area=places.area_a, estate=places.estate_a, categories=[key_category])
    HouseholdFactory(grid_area=places.area_a2, estate=places.estate_a, categories=[key_category])
    HouseholdFactory(grid_area=places.area_b, estate=places.estate_b, categories=[key_category])
    overdue = services.plan_create(actor=worker_a, household=incomplete, review_on=TODAY)
    AssistancePlan.objects.filter(pk=overdue.pk).update(review_on=datetime.date(2026, 9, 1))
    services.plan_record_sections(actor=worker_a, plan=overdue, sections={"basic": "独居"})
    done = services.plan_create(actor=worker_a, household=complete, review_on=datetime.date(2026, 12, 1))
    services.plan_record_sections(actor=worker_a, plan=done, sections=FIVE)
    AuditEntry.objects.all().delete()  # the plans' own audit entries; the tests read the export's
    return {"without": without, "incomplete": incomplete, "complete": complete}


class TestPlanWorklistExport:
    def test_it_has_the_pages_list_and_counts(self, community_leader, places, worklist_data, client_for):
        client = client_for(community_leader)
        book = sheets(client.get(WORKLIST_EXPORT))
        assert list(book) == ["未建一户一策的重点户", "按网格", "按村社"]
        listed = book["未建一户一策的重点户"]
        assert listed[0] == HOUSEHOLD_HEADERS
        page = client.get(WORKLIST).context
        assert [row[2] for row in listed[1:]] == [h.address for h in page["page"].paginator.object_list]
        assert listed[1] == ("德加社区", "德加第1网格", "香港城 3幢1单元301室", "王大伯")
        assert book["按网格"][0] == ("网格", "村社", "重点户", "未建", "不完整", "过复核期")
        assert book["按网格"][1:] == [("德加第1网格", "德加社区", 3, 1, 1, 1), ("德加第2网格", "德加社区", 1, 1, 0, 0)]
        assert book["按村社"][1:] == [("德加社区", 4, 2, 1, 1)]

    def test_it_never_carries_an_id_number(self, community_leader, worklist_data, client_for):
        content = client_for(community_leader).get(WORKLIST_EXPORT).content
        text = repr(sheets(client_for(community_leader).get(WORKLIST_EXPORT)))
        assert "330106194001010015" not in text and b"330106194001010015" not in content

    def test_it_keeps_the_pages_list_and_place(self, community_leader, places, worklist_data, client_for):
        client = client_for(community_leader)
        params = {"show": "overdue", "grid_area": places.area_a.pk}
        book = sheets(client.get(WORKLIST_EXPORT, params))
        listed = book["已过复核日期"]
        assert listed[0] == PLAN_HEADERS
        page = client.get(WORKLIST, params).context["page"].paginator.object_list
        assert [row[2] for row in listed[1:]] == [plan.household.address for plan in page]
        assert listed[1:] == [("德加社区", "德加第1网格", "香港城 3幢1单元302室", 1, datetime.date(2026, 9, 1), "是")]
        narrowed = sheets(client.get(WORKLIST_EXPORT, {"show": "without", "grid_area": places.area_a2.pk}))
        assert [row[1] for row in narrowed["未建一户一策的重点户"][1:]] == ["德加第2网格"]

    def test_the_export_is_audited_with_its_list_and_households(
        self, community_leader, places, worklist_data, client_for
    ):
        client_for(community_leader).get(WORKLIST_EXPORT, {"show": "without", "community": places.community_a.pk})
        entry = the_export_audit()
        assert entry.actor == community_leader
        assert entry.changes == {
            "page": "households:plan_worklist",
            "filters": {"show": "without", "community": str(places.community_a.pk)},
            "households": 2,
        }

    def test_a_worker_of_another_community_gets_her_area_only(self, worker_b, worklist_data, client_for):
        book = sheets(client_for(worker_b).get(WORKLIST_EXPORT))
        assert [row[:2] for row in book["未建一户一策的重点户"][1:]] == [("益乐社区", "益乐第1网格")]
        assert [row[0] for row in book["按网格"][1:]] == ["益乐第1网格"]
        assert "按村社" not in book  # as on her page: one community, no table of communities

    @pytest.mark.parametrize("persona", ["staff", "chief", "deputy"])
    def test_those_who_may_not_see_plans_are_refused(self, persona, request, worklist_data, client_for):
        assert client_for(request.getfixturevalue(persona)).get(WORKLIST_EXPORT).status_code == 403
        assert not AuditEntry.objects.exists()

    def test_anonymous_is_sent_to_log_in(self, client, places):
        assert_login_required(client, WORKLIST_EXPORT)

    def test_a_formula_in_a_name_stays_text(self, worker_a, places, key_category, client_for):
        household = HouseholdFactory(grid_area=places.area_a, estate=places.estate_a, categories=[key_category])
        ResidentFactory(household=household, name=EVIL)
        listed = sheets(client_for(worker_a).get(WORKLIST_EXPORT))["未建一户一策的重点户"]
        assert listed[1][3] == "'" + EVIL

    @pytest.mark.parametrize("show", ["without", "incomplete", "no_caring"])
    def test_it_does_not_grow_with_households(
        self, show, worker_a, places, key_category, client_for, django_assert_max_num_queries
    ):
        client = client_for(worker_a)

        def add(count: int) -> None:
            for _ in range(count):
                planned = HouseholdFactory(grid_area=places.area_a, estate=places.estate_a, categories=[key_category])
                AssistancePlanFactory(household=planned)
                HouseholdFactory(grid_area=places.area_a, estate=places.estate_a, categories=[key_category])

        add(15)
        with django_assert_max_num_queries(12) as small:
            client.get(WORKLIST_EXPORT, {"show": show})
        add(45)
        with django_assert_max_num_queries(len(small.captured_queries)):
            rows = first_sheet(client.get(WORKLIST_EXPORT, {"show": show}))
        assert len(rows) == 1 + (120 if show == "no_caring" else 60)


# --- The pairs --------------------------------------------------------------------------------------------------

PAIRS = reverse("households:pair_list")
PAIRS_EXPORT = reverse("households:pair_export")
PAIR_HEADERS = (
    "户",
    "网格",
    "结对人",
    "开始日期",
    "结束日期",
    "2026-04",
    "2026-05",
    "2026-06",
    "2026-07",
    "2026-08",
    "2026-09",
    "漏访（月）",
)


def caring(household, visitor, on):
    return VisitFactory(household=household, visitor=visitor, kind=Visit.Kind.CARING, visited_on=on)


@pytest.fixture
def pairs(places, key_category, worker_a, worker_b):
    """worker_a's pair in area A, visited in April and June; worker_b's in area B, visited every month."""
    household_a = HouseholdFactory(
        grid_area=places.area_a, estate=places.estate_a, building="3", unit="1", room="301", categories=[key_category]
    )
    pair_a = AssistancePairFactory(household=household_a, staff=worker_a, starts_on=datetime.date(2026, 3, 1))
    caring(household_a, worker_a, datetime.date(2026, 4, 10))
    caring(household_a, worker_a, datetime.date(2026, 6, 10))
    household_b = HouseholdFactory(grid_area=places.area_b, estate=places.estate_b, categories=[key_category])
    pair_b = AssistancePairFactory(household=household_b, staff=worker_b, starts_on=datetime.date(2026, 1, 1))
    for month in range(4, 9):
        caring(household_b, worker_b, datetime.date(2026, month, 5))
    return {"a": pair_a, "b": pair_b}


class TestPairExport:
    def test_it_has_the_pages_pairs_and_months(self, leader, pairs, client_for):
        client = client_for(leader)
        rows = first_sheet(client.get(PAIRS_EXPORT))
        assert rows[0] == PAIR_HEADERS
        page = client.get(PAIRS).context["page"].paginator.object_list
        assert [row[0] for row in rows[1:]] == [row.pair.household.address for row in page]
        by_address = {row[0]: row[1:] for row in rows[1:]}
        assert by_address["香港城 3幢1单元301室"] == (
            "德加第1网格",
            "张丽",
            datetime.date(2026, 3, 1),
            None,
            "已走访",
            "漏访",
            "已走访",
            "漏访",
            "漏访",
            "未到期",
            3,
        )

    def test_it_keeps_the_missed_filter(self, leader, pairs, client_for):
        rows = first_sheet(client_for(leader).get(PAIRS_EXPORT, {"missed": "1"}))
        assert [row[2] for row in rows[1:]] == ["张丽"]

    def test_the_export_is_audited(self, leader, pairs, client_for):
        client_for(leader).get(PAIRS_EXPORT, {"missed": "1"})
        assert the_export_audit().changes == {
            "page": "households:pair_list",
            "filters": {"missed": "1"},
            "households": 1,
        }

    def test_a_worker_of_another_community_gets_her_pairs_only(self, worker_b, pairs, client_for):
        rows = first_sheet(client_for(worker_b).get(PAIRS_EXPORT))
        assert [row[2] for row in rows[1:]] == ["王芳"]

    def test_staff_who_may_not_see_pairs_get_none_as_on_the_page(self, staff, pairs, client_for):
        # The page has no role gate, its rows are scoped: department staff see only pairs they are in.
        client = client_for(staff)
        assert client.get(PAIRS).context["total"] == 0
        assert first_sheet(client.get(PAIRS_EXPORT)) == [PAIR_HEADERS]

    def test_anonymous_is_sent_to_log_in(self, client, places):
        assert_login_required(client, PAIRS_EXPORT)

    def test_a_formula_in_a_name_stays_text(self, leader, places, key_category, client_for):
        household = HouseholdFactory(grid_area=places.area_b, estate=places.estate_b, categories=[key_category])
        staff = UserFactory(role=Role.SOCIAL_WORKER, street=places.street, full_name=EVIL)
        AssistancePairFactory(household=household, staff=staff, starts_on=datetime.date(2026, 5, 1))
        rows = first_sheet(client_for(leader).get(PAIRS_EXPORT))
        assert rows[1][2] == "'" + EVIL

    def test_it_does_not_grow_with_pairs(
        self, leader, places, key_category, worker_a, client_for, django_assert_max_num_queries
    ):
        client = client_for(leader)

        def add(count: int) -> None:
            for _ in range(count):
                household = HouseholdFactory(grid_area=places.area_a, estate=places.estate_a, categories=[key_category])
                AssistancePairFactory(household=household, staff=worker_a, starts_on=datetime.date(2026, 2, 1))
                caring(household, worker_a, datetime.date(2026, 5, 3))

        add(20)
        with django_assert_max_num_queries(8) as small:
            client.get(PAIRS_EXPORT)
        add(40)
        with django_assert_max_num_queries(len(small.captured_queries)):
            assert len(first_sheet(client.get(PAIRS_EXPORT))) == 1 + 60


# --- The initiatives --------------------------------------------------------------------------------------------

INITIATIVES = reverse("households:initiative_list")
INITIATIVES_EXPORT = reverse("households:initiative_export")
INITIATIVE_HEADERS = ("名称", "状态", "负责人", "村社", "开始日期", "简介", "更新日期")


@pytest.fixture
def initiatives(worker_a, worker_a2, worker_b):
    return {
        "a": Initiative.objects.create(
            owner=worker_a,
            title="香港城晾衣架",
            description="公共晾衣架",
            status="finished",
            started_on=datetime.date(2026, 3, 1),
        ),
        "a2": Initiative.objects.create(owner=worker_a2, title="德加读书会", description="每月一次"),
        "b": Initiative.objects.create(owner=worker_b, title="益乐议事角", description="楼道议事", status="running"),
    }


class TestInitiativeExport:
    def test_it_has_the_pages_initiatives(self, leader, initiatives, client_for):
        client = client_for(leader)
        rows = first_sheet(client.get(INITIATIVES_EXPORT))
        assert rows[0] == INITIATIVE_HEADERS
        page = client.get(INITIATIVES).context["page"].paginator.object_list
        assert [row[0] for row in rows[1:]] == [initiative.title for initiative in page]
        by_title = {row[0]: row[1:] for row in rows[1:]}
        updated = timezone.localtime(initiatives["a"].updated_at).date()
        assert by_title["香港城晾衣架"] == (
            "已结束",
            "张丽",
            "德加社区",
            datetime.date(2026, 3, 1),
            "公共晾衣架",
            updated,
        )

    @pytest.mark.parametrize(
        ("persona", "titles"),
        [
            ("worker_b", {"益乐议事角"}),
            ("community_leader", {"香港城晾衣架", "德加读书会"}),
            ("other_street_leader", set()),
        ],
    )
    def test_each_gets_the_initiatives_of_her_scope(self, persona, titles, request, initiatives, client_for):
        rows = first_sheet(client_for(request.getfixturevalue(persona)).get(INITIATIVES_EXPORT))
        assert {row[0] for row in rows[1:]} == titles

    def test_anonymous_is_sent_to_log_in(self, client, places):
        assert_login_required(client, INITIATIVES_EXPORT)

    def test_a_formula_in_a_description_stays_text(self, leader, worker_a, client_for):
        Initiative.objects.create(owner=worker_a, title="+1", description=EVIL)
        rows = first_sheet(client_for(leader).get(INITIATIVES_EXPORT))
        assert (rows[1][0], rows[1][5]) == ("'+1", "'" + EVIL)

    def test_it_does_not_grow_with_initiatives(self, leader, places, client_for, django_assert_max_num_queries):
        client = client_for(leader)

        def add(count: int) -> None:
            for _ in range(count):
                owner = UserFactory(role=Role.SOCIAL_WORKER, street=places.street, community=places.community_a)
                Initiative.objects.create(owner=owner, title="载体", description="简介")

        add(30)
        with django_assert_max_num_queries(4) as small:
            client.get(INITIATIVES_EXPORT)
        add(60)
        with django_assert_max_num_queries(len(small.captured_queries)):
            assert len(first_sheet(client.get(INITIATIVES_EXPORT))) == 1 + 90


@pytest.mark.parametrize(
    ("page", "export", "params"),
    [
        (WORKLIST, WORKLIST_EXPORT, "?show=overdue"),
        (PAIRS, PAIRS_EXPORT, "?missed=1"),
        (INITIATIVES, INITIATIVES_EXPORT, ""),
    ],
)
def test_each_page_offers_its_export_with_its_filters(page, export, params, community_leader, client_for):
    html = client_for(community_leader).get(page + params).content.decode()
    assert f'href="{export}{params}"' in html
