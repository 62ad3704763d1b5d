"""The visit pages' Excel exports: the planner, the visit-service day, the places and each place's visits.

Each export holds the rows its page shows (all of them, not one page), for the same people; Chinese headers;
a text that a spreadsheet would run as a formula comes out as plain text.
"""

from __future__ import annotations

import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from tests.factories import (
    EnterpriseFactory,
    EstateFactory,
    HouseholdCategoryFactory,
    HouseholdFactory,
    ResidentFactory,
    ServiceDayMoveFactory,
    UserFactory,
    VisitFactory,
)
from visits.models import Visit
from wenxin.models import AuditEntry
from wenxin.roles import Role
from wenxin.xlsx import XLSX_CONTENT_TYPE

TODAY = datetime.date(2026, 11, 10)  # Q4; the service day's six months are June to November
EVIL = '=HYPERLINK("http://evil.example/","点我")'


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


# --- The planner ------------------------------------------------------------------------------------------------

PLANNER = reverse("visits:planner")
PLANNER_EXPORT = reverse("visits:planner_export")
PLANNER_HEADERS = ("地址", "网格", "户主", "重点户", "上次走访", "本季度已走访")


@pytest.fixture
def key_category(db):
    return HouseholdCategoryFactory(name="低保户", is_key=True)


@pytest.fixture
def planned(places, worker_a, key_category):
    """Area A: a key household never visited, one visited this quarter, a plain one visited last year."""
    never = HouseholdFactory(
        grid_area=places.area_a, estate=places.estate_a, building="1", unit="1", room="101", categories=[key_category]
    )
    ResidentFactory(household=never, name="王大伯")
    lately = HouseholdFactory(
        grid_area=places.area_a, estate=places.estate_a, building="1", unit="1", room="102", categories=[key_category]
    )
    VisitFactory(household=lately, visitor=worker_a, visited_on=datetime.date(2026, 10, 8))
    plain = HouseholdFactory(grid_area=places.area_a, estate=places.estate_a, building="1", unit="1", room="103")
    VisitFactory(household=plain, visitor=worker_a, visited_on=datetime.date(2025, 12, 1))
    HouseholdFactory(grid_area=places.area_b, estate=places.estate_b)  # worker_b's
    return {"never": never, "lately": lately, "plain": plain}


class TestPlannerExport:
    def test_it_lists_her_whole_planner_in_the_pages_order(self, worker_a, planned, client_for):
        client = client_for(worker_a)
        rows = first_sheet(client.get(PLANNER_EXPORT))
        assert rows[0] == PLANNER_HEADERS
        page = list(client.get(PLANNER).context["page"].object_list)
        assert [row[0] for row in rows[1:]] == [household.address for household in page]
        assert rows[1:] == [
            ("香港城 1幢1单元101室", "德加第1网格", "王大伯", "是", None, "否"),
            ("香港城 1幢1单元102室", "德加第1网格", None, "是", datetime.date(2026, 10, 8), "是"),
            ("香港城 1幢1单元103室", "德加第1网格", None, "否", datetime.date(2025, 12, 1), "否"),
        ]

    def test_the_export_is_audited_with_how_many_households(self, worker_a, planned, client_for):
        client_for(worker_a).get(PLANNER_EXPORT)
        entry = AuditEntry.objects.get(action=AuditEntry.Action.EXPORT)
        assert entry.actor == worker_a
        assert entry.changes == {"page": "visits:planner", "filters": {}, "households": 3}

    def test_a_head_request_downloads_nothing_and_records_nothing(self, worker_a, planned, client_for):
        assert client_for(worker_a).head(PLANNER_EXPORT).status_code == 405
        assert not AuditEntry.objects.exists()

    def test_a_worker_of_another_community_gets_her_own_households(self, worker_b, planned, client_for):
        rows = first_sheet(client_for(worker_b).get(PLANNER_EXPORT))
        assert [row[1] for row in rows[1:]] == ["益乐第1网格"]

    @pytest.mark.parametrize("persona", ["community_leader", "chief", "leader"])
    def test_it_is_a_social_workers_export(self, persona, request, planned, client_for):
        assert client_for(request.getfixturevalue(persona)).get(PLANNER_EXPORT).status_code == 403
        assert not AuditEntry.objects.exists()

    def test_anonymous_is_sent_to_log_in(self, client, places):
        assert_login_required(client, PLANNER_EXPORT)

    def test_a_formula_in_a_name_stays_text(self, worker_a, places, client_for):
        household = HouseholdFactory(grid_area=places.area_a, estate=places.estate_a)
        ResidentFactory(household=household, name=EVIL)
        rows = first_sheet(client_for(worker_a).get(PLANNER_EXPORT))
        assert rows[1][2] == "'" + EVIL

    def test_it_does_not_grow_with_households(
        self, worker_a, places, key_category, client_for, django_assert_max_num_queries
    ):
        client = client_for(worker_a)

        def add(count: int) -> None:
            for n in range(count):
                household = HouseholdFactory(
                    grid_area=places.area_a, estate=places.estate_a, categories=[key_category] if n % 2 else []
                )
                ResidentFactory(household=household)
                VisitFactory(household=household, visitor=worker_a, visited_on=datetime.date(2026, 3, 1))

        add(30)
        with django_assert_max_num_queries(8) as small:
            client.get(PLANNER_EXPORT)
        add(60)
        with django_assert_max_num_queries(len(small.captured_queries)):
            rows = first_sheet(client.get(PLANNER_EXPORT))
        assert len(rows) == 1 + 90


# --- The visit-service day --------------------------------------------------------------------------------------

SERVICE_DAY = reverse("visits:service_day")
SERVICE_DAY_EXPORT = reverse("visits:service_day_export")


def visit_on(person, places, day, **extra):
    return VisitFactory(
        visitor=person,
        household=None,
        kind=Visit.Kind.ESTATE,
        estate=places.estate_a,
        street=places.street,
        community=places.community_a,
        visited_on=day,
        **extra,
    )


@pytest.fixture
def service_days(places, staff, chief, social_affairs_staff):
    """September's day moved to the 18th; staff kept August and October, the chief September."""
    ServiceDayMoveFactory(street=places.street, month=datetime.date(2026, 9, 1), moved_to=datetime.date(2026, 9, 18))
    visit_on(staff, places, datetime.date(2026, 8, 20))
    visit_on(staff, places, datetime.date(2026, 10, 20))
    visit_on(chief, places, datetime.date(2026, 9, 18))
    visit_on(social_affairs_staff, places, datetime.date(2026, 10, 20))


class TestServiceDayExport:
    def test_it_has_the_pages_months_and_rows(self, chief, service_days, client_for):
        client = client_for(chief)
        rows = first_sheet(client.get(SERVICE_DAY_EXPORT))
        assert rows[0] == (
            "姓名",
            "科室",
            "2026-06（6/20）",
            "2026-07（7/20）",
            "2026-08（8/20）",
            "2026-09（调整至9/18）",
            "2026-10（10/20）",
            "2026-11（11/20）",
            "按时走访（次）",
            "已到期（次）",
        )
        table = client.get(SERVICE_DAY).context["table"]
        assert [row[0] for row in rows[1:]] == [row.person.get_full_name() for row, _cells in table]
        by_name = {row[0]: row[1:] for row in rows[1:]}
        assert by_name["赵科员"] == ("城管科", "未走访", "未走访", "已走访", "未走访", "已走访", "未到期", 2, 5)
        assert by_name["周科长"] == ("城管科", "未走访", "未走访", "未走访", "已走访", "未走访", "未到期", 1, 5)

    def test_the_street_leader_gets_everyone_and_another_street_none_of_ours(
        self, leader, other_street_leader, service_days, client_for
    ):
        names = [row[0] for row in first_sheet(client_for(leader).get(SERVICE_DAY_EXPORT))[1:]]
        assert sorted(names) == sorted(["赵科员", "周科长", "孙科员"])
        assert first_sheet(client_for(other_street_leader).get(SERVICE_DAY_EXPORT))[1:] == []

    @pytest.mark.parametrize("persona", ["worker_a", "staff", "community_leader", "cadre"])
    def test_a_role_without_the_page_is_refused(self, persona, request, client_for):
        assert client_for(request.getfixturevalue(persona)).get(SERVICE_DAY_EXPORT).status_code == 403

    def test_anonymous_is_sent_to_log_in(self, client, places):
        assert_login_required(client, SERVICE_DAY_EXPORT)

    def test_a_formula_in_a_name_stays_text(self, leader, places, client_for):
        UserFactory(role=Role.DEPARTMENT_STAFF, street=places.street, department=places.department, full_name=EVIL)
        names = [row[0] for row in first_sheet(client_for(leader).get(SERVICE_DAY_EXPORT))[1:]]
        assert "'" + EVIL in names

    def test_it_does_not_grow_with_staff(self, leader, places, client_for, django_assert_max_num_queries):
        client = client_for(leader)

        def add(count: int) -> None:
            for _ in range(count):
                person = UserFactory(role=Role.DEPARTMENT_STAFF, street=places.street, department=places.department)
                visit_on(person, places, datetime.date(2026, 10, 20))

        add(10)
        with django_assert_max_num_queries(8) as small:
            client.get(SERVICE_DAY_EXPORT)
        add(50)
        with django_assert_max_num_queries(len(small.captured_queries)):
            assert len(first_sheet(client.get(SERVICE_DAY_EXPORT))) == 1 + 60


# --- Enterprises and estates ------------------------------------------------------------------------------------

PLACES = reverse("visits:places")
PLACES_EXPORT = reverse("visits:places_export")


def enterprise_visit(person, enterprise, day, **extra):
    return VisitFactory(
        visitor=person,
        household=None,
        kind=Visit.Kind.ENTERPRISE,
        enterprise=enterprise,
        street=enterprise.street,
        community=enterprise.community,
        visited_on=day,
        **extra,
    )


@pytest.fixture
def register(places, staff, leader):
    tech = EnterpriseFactory(street=places.street, community=places.community_a, name="文新科技", industry="软件")
    trade = EnterpriseFactory(street=places.street, community=places.community_b, name="益乐商贸")
    EnterpriseFactory(street=places.other_street, name="翠苑超市")
    parking = enterprise_visit(
        staff,
        tech,
        datetime.date(2026, 5, 20),
        met_whom="王经理",
        difficulty="员工停车难",
        action_taken="协调周边小区夜间车位",
        follow_up_needed=True,
        follow_up_by=datetime.date(2026, 6, 30),
        companions=[leader],
    )
    quiet = enterprise_visit(leader, tech, datetime.date(2026, 6, 20))
    enterprise_visit(staff, trade, datetime.date(2026, 4, 20), difficulty="招工难")
    visit_on(staff, places, datetime.date(2026, 3, 20), difficulty="想要公共晾衣架")
    return {"tech": tech, "trade": trade, "parking": parking, "quiet": quiet}


class TestPlacesExport:
    def test_a_sheet_per_table_with_the_pages_rows(self, leader, register, client_for):
        client = client_for(leader)
        book = sheets(client.get(PLACES_EXPORT))
        assert list(book) == ["辖区企业", "小区"]
        page = client.get(PLACES).context
        enterprises = book["辖区企业"]
        assert enterprises[0] == ("企业", "行业", "走访次数", "最近走访", "提出困难或诉求", "状态")
        assert [row[0] for row in enterprises[1:]] == [e.name for e in page["enterprises"]]
        assert enterprises[1] == ("文新科技", "软件", 2, datetime.date(2026, 6, 20), 1, None)
        estates = book["小区"]
        assert estates[0] == ("小区", "村社", "走访次数", "最近走访", "提出困难或诉求")
        assert [row[0] for row in estates[1:]] == [e.name for e in page["estates"]]
        assert estates[1:] == [
            ("香港城", "德加社区", 1, datetime.date(2026, 3, 20), 1),
            ("益乐新村", "益乐社区", 0, None, 0),
        ]

    def test_a_community_leader_gets_her_communitys_places(self, community_leader, register, client_for):
        book = sheets(client_for(community_leader).get(PLACES_EXPORT))
        assert [row[0] for row in book["辖区企业"][1:]] == ["文新科技"]
        assert [row[0] for row in book["小区"][1:]] == ["香港城"]

    def test_a_social_worker_is_refused(self, worker_a, client_for):
        assert client_for(worker_a).get(PLACES_EXPORT).status_code == 403

    def test_anonymous_is_sent_to_log_in(self, client, places):
        assert_login_required(client, PLACES_EXPORT)

    def test_a_formula_in_a_name_stays_text(self, leader, places, client_for):
        EnterpriseFactory(street=places.street, name=EVIL)
        book = sheets(client_for(leader).get(PLACES_EXPORT))
        assert ("'" + EVIL) in [row[0] for row in book["辖区企业"]]

    def test_it_does_not_grow_with_places(self, leader, staff, places, client_for, django_assert_max_num_queries):
        client = client_for(leader)

        def add(count: int) -> None:
            for _ in range(count):
                enterprise = EnterpriseFactory(street=places.street, community=places.community_a)
                EstateFactory(community=places.community_b)
                enterprise_visit(staff, enterprise, datetime.date(2026, 5, 3), difficulty="困难")

        add(5)
        with django_assert_max_num_queries(6) as small:
            client.get(PLACES_EXPORT)
        add(30)
        with django_assert_max_num_queries(len(small.captured_queries)):
            assert len(sheets(client.get(PLACES_EXPORT))["辖区企业"]) == 1 + 35


PLACE_VISIT_HEADERS = (
    "走访日期",
    "走访人",
    "同行人员",
    "走访类型",
    "接待人",
    "了解情况",
    "困难或诉求",
    "处理情况",
    "需要跟进",
    "跟进期限",
)


def enterprise_export(enterprise):
    return reverse("visits:enterprise_visits_export", args=[enterprise.pk])


def estate_export(estate):
    return reverse("visits:estate_visits_export", args=[estate.pk])


class TestPlaceVisitsExport:
    def test_an_enterprises_visits_as_on_its_page(self, chief, register, client_for):
        client = client_for(chief)
        rows = first_sheet(client.get(enterprise_export(register["tech"])))
        assert rows[0] == PLACE_VISIT_HEADERS
        page = client.get(reverse("visits:enterprise_visits", args=[register["tech"].pk]))
        assert [row[0] for row in rows[1:]] == [visit.visited_on for visit in page.context["page"].object_list]
        assert rows[2] == (
            datetime.date(2026, 5, 20),
            "赵科员",
            "钱书记",
            "走访企业",
            "王经理",
            "家中一切正常",
            "员工停车难",
            "协调周边小区夜间车位",
            "是",
            datetime.date(2026, 6, 30),
        )

    def test_an_estates_visits(self, staff, places, register, client_for):
        rows = first_sheet(client_for(staff).get(estate_export(places.estate_a)))
        assert [(row[0], row[6]) for row in rows[1:]] == [(datetime.date(2026, 3, 20), "想要公共晾衣架")]

    def test_another_communitys_or_streets_place_is_not_found(
        self, community_leader, other_street_leader, places, register, client_for
    ):
        assert client_for(community_leader).get(enterprise_export(register["trade"])).status_code == 404
        assert client_for(community_leader).get(estate_export(places.estate_b)).status_code == 404
        assert client_for(other_street_leader).get(enterprise_export(register["tech"])).status_code == 404
        assert client_for(community_leader).get(enterprise_export(register["tech"])).status_code == 200

    def test_a_social_worker_is_refused(self, worker_a, places, register, client_for):
        assert client_for(worker_a).get(enterprise_export(register["tech"])).status_code == 403
        assert client_for(worker_a).get(estate_export(places.estate_a)).status_code == 403

    def test_anonymous_is_sent_to_log_in(self, client, places, register):
        assert_login_required(client, enterprise_export(register["tech"]))
        assert_login_required(client, estate_export(places.estate_a))

    def test_a_formula_in_a_difficulty_stays_text(self, leader, staff, register, client_for):
        enterprise_visit(
            staff, register["trade"], datetime.date(2026, 7, 1), difficulty=EVIL, met_whom="+8613900000000"
        )
        rows = first_sheet(client_for(leader).get(enterprise_export(register["trade"])))
        assert rows[1][6] == "'" + EVIL
        assert rows[1][4] == "'+8613900000000"

    def test_it_does_not_grow_with_visits(self, leader, staff, places, client_for, django_assert_max_num_queries):
        client = client_for(leader)
        enterprise = EnterpriseFactory(street=places.street, community=places.community_a)
        colleague = UserFactory(role=Role.DEPARTMENT_STAFF, street=places.street, department=places.department)

        def add(count: int) -> None:
            for n in range(count):
                day = datetime.date(2026, 1, 1) + datetime.timedelta(n)
                enterprise_visit(staff, enterprise, day, companions=[colleague])

        add(10)
        with django_assert_max_num_queries(6) as small:
            client.get(enterprise_export(enterprise))
        add(50)
        with django_assert_max_num_queries(len(small.captured_queries)):
            assert len(first_sheet(client.get(enterprise_export(enterprise)))) == 1 + 60


def test_each_page_offers_its_export(worker_a, leader, register, places, client_for):
    assert f'href="{PLANNER_EXPORT}"' in client_for(worker_a).get(PLANNER).content.decode()
    client = client_for(leader)
    assert f'href="{SERVICE_DAY_EXPORT}"' in client.get(SERVICE_DAY).content.decode()
    assert f'href="{PLACES_EXPORT}"' in client.get(PLACES).content.decode()
    enterprise_page = client.get(reverse("visits:enterprise_visits", args=[register["tech"].pk])).content.decode()
    assert f'href="{enterprise_export(register["tech"])}"' in enterprise_page
    estate_page = client.get(reverse("visits:estate_visits", args=[places.estate_a.pk])).content.decode()
    assert f'href="{estate_export(places.estate_a)}"' in estate_page
