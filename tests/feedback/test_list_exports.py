"""The four listenings' Excel exports: the meetings, the cadence calendar, the topic meetings and the figures.

Each holds the rows its page shows with the page's filters (all of them, not one page), for the same people, under
Chinese headers; a text a spreadsheet would run as a formula comes out as plain text.
"""

from __future__ import annotations

import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from feedback.models import Opinion
from tests.factories import (
    CommunityFactory,
    MeetingFactory,
    OpinionFactory,
    TopicMeetingFactory,
    UserFactory,
    meeting_kind,
    opinion_category,
)
from wenxin.roles import Role
from wenxin.xlsx import XLSX_CONTENT_TYPE

TODAY = datetime.date(2026, 9, 15)
EVIL = '=HYPERLINK("http://evil.example/","点我")'
Status = Opinion.Status


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


def forum(community, held_on: datetime.date, **extra):
    return MeetingFactory(community=community, kind=meeting_kind("community_forum"), held_on=held_on, **extra)


# --- The meetings -----------------------------------------------------------------------------------------------

MEETINGS = reverse("feedback:meeting_list")
MEETINGS_EXPORT = reverse("feedback:meeting_export")
MEETING_HEADERS = (
    "召开日期",
    "会议类型",
    "召开单位",
    "主办单位",
    "主题",
    "地点",
    "人大代表",
    "政协委员",
    "党员",
    "企退人员",
    "统战人员",
    "居民群众",
    "参加人数",
    "收集意见（条）",
    "会议纪要",
)


@pytest.fixture
def meetings(places, community_leader, leader):
    forum_a = forum(
        places.community_a,
        datetime.date(2026, 9, 1),
        place="德加社区二楼会议室",
        topic="加装电梯",
        deputies=1,
        cppcc_members=2,
        party_members=5,
        retired_employees=4,
        united_front=1,
        residents=20,
        minutes="居民反映晾衣难",
        recorded_by=community_leader,
    )
    OpinionFactory(community=places.community_a, meeting=forum_a)
    OpinionFactory(community=places.community_a, meeting=forum_a)
    old_a = forum(places.community_a, datetime.date(2025, 5, 6), place="德加社区活动室")
    forum_b = forum(places.community_b, datetime.date(2026, 8, 1), place="益乐社区活动室")
    street = MeetingFactory(
        community=None,
        street=places.street,
        kind=meeting_kind("residents_forum"),
        held_on=datetime.date(2026, 3, 1),
        place="街道大会议室",
        host_unit="街道党工委、办事处",
        recorded_by=leader,
    )
    return {"forum_a": forum_a, "old_a": old_a, "forum_b": forum_b, "street": street}


def meeting_rows(client, **params) -> tuple[list[tuple], list]:
    """The export's rows (headers first) and all the meetings of the page's list, with the same filters."""
    rows = first_sheet(client.get(MEETINGS_EXPORT, params))
    listed = client.get(MEETINGS, params).context["page"].paginator.object_list
    return rows, list(listed)


class TestMeetingExport:
    def test_it_has_the_lists_meetings_with_attendance_and_opinions(self, leader, meetings, client_for):
        rows, listed = meeting_rows(client_for(leader))
        assert rows[0] == MEETING_HEADERS
        assert [row[0] for row in rows[1:]] == [meeting.held_on for meeting in listed]
        assert rows[1] == (
            datetime.date(2026, 9, 1),
            "民情恳谈会/议事协商会议",
            "德加社区",
            "德加社区",
            "加装电梯",
            "德加社区二楼会议室",
            1,
            2,
            5,
            4,
            1,
            20,
            33,
            2,
            "居民反映晾衣难",
        )
        street = next(row for row in rows if row[5] == "街道大会议室")
        assert street[1:4] == ("居民代表民主恳谈会", "文新街道", "街道党工委、办事处")  # held by the street

    @pytest.mark.parametrize(
        "params", [{"year": "2025"}, {"community": "street"}, {"kind": "community_forum"}, {"start": "2026-08-01"}]
    )
    def test_it_keeps_the_pages_filters(self, params, leader, meetings, client_for):
        rows, listed = meeting_rows(client_for(leader), **params)
        assert [(row[0], row[5]) for row in rows[1:]] == [(meeting.held_on, meeting.place) for meeting in listed]
        assert 0 < len(listed) < 4

    def test_a_worker_of_another_community_gets_her_community_and_the_street(self, worker_b, meetings, client_for):
        rows, _listed = meeting_rows(client_for(worker_b))
        assert [row[5] for row in rows[1:]] == ["益乐社区活动室", "街道大会议室"]

    def test_another_streets_leader_gets_none_of_ours(self, other_street_leader, meetings, client_for):
        assert first_sheet(client_for(other_street_leader).get(MEETINGS_EXPORT)) == [MEETING_HEADERS]

    def test_anonymous_is_sent_to_log_in(self, client, places):
        assert_login_required(client, MEETINGS_EXPORT)

    def test_a_formula_in_a_topic_stays_text(self, leader, places, client_for):
        forum(places.community_a, datetime.date(2026, 9, 2), topic=EVIL, minutes="-1+1")
        row = first_sheet(client_for(leader).get(MEETINGS_EXPORT))[1]
        assert (row[4], row[14]) == ("'" + EVIL, "'-1+1")

    def test_it_does_not_grow_with_meetings(self, leader, places, client_for, django_assert_max_num_queries):
        client = client_for(leader)

        def add(count: int) -> None:
            for n in range(count):
                meeting = forum(places.community_a, datetime.date(2026, 1, 1) + datetime.timedelta(n))
                OpinionFactory(community=places.community_a, meeting=meeting)

        add(30)
        with django_assert_max_num_queries(6) as small:
            client.get(MEETINGS_EXPORT)
        add(60)
        with django_assert_max_num_queries(len(small.captured_queries)):
            assert len(first_sheet(client.get(MEETINGS_EXPORT))) == 1 + 90


# --- The cadence calendar ---------------------------------------------------------------------------------------

CADENCE = reverse("feedback:cadence")
CADENCE_EXPORT = reverse("feedback:cadence_export")
COMMUNITY_FORUM = "民情恳谈会／议事协商会议"  # the sheet title: Excel forbids "/" there


@pytest.fixture
def held(places):
    """Community A held its forum in July–August only; community B never; the street its yearly forum in 2026."""
    forum(places.community_a, datetime.date(2026, 7, 10))
    MeetingFactory(
        community=None, street=places.street, kind=meeting_kind("residents_forum"), held_on=datetime.date(2026, 3, 1)
    )


def page_rows(response, code: str) -> list:
    section = next(s for s in response.context["calendar"].sections if s.kind.code == code)
    return section.rows


class TestCadenceExport:
    def test_a_sheet_per_kind_with_the_calendars_rows(self, leader, held, client_for):
        client = client_for(leader)
        book = sheets(client.get(CADENCE_EXPORT))
        assert list(book) == ["居民代表民主恳谈会", "人大代表、政协委员社情民意座谈会", COMMUNITY_FORUM]
        forums = book[COMMUNITY_FORUM]
        assert forums[0][:4] == ("单位", "本期状态", "本期剩余天数", "上次召开")
        assert forums[0][-2:] == ("2026年7–8月", "2026年9–10月")
        assert len(forums[0]) == 4 + 12  # two years of two-month periods
        page = page_rows(client.get(CADENCE), "community_forum")
        assert [row[0] for row in forums[1:]] == [row.unit_name for row in page]
        by_unit = {row[0]: row for row in forums[1:]}
        assert by_unit["德加社区"][1:4] == ("本期待召开", 47, datetime.date(2026, 7, 10))
        assert by_unit["德加社区"][-3:] == ("未召开", 1, "待召开")
        assert by_unit["益乐社区"][1:4] == ("已逾期", 47, "从未召开")
        residents = book["居民代表民主恳谈会"]
        assert residents[1][:2] == ("文新街道", "本期已召开")

    def test_it_keeps_the_pages_filters(self, leader, held, client_for):
        client = client_for(leader)
        params = {"kind": "community_forum", "status": "overdue", "year": "2025"}
        book = sheets(client.get(CADENCE_EXPORT, params))
        assert list(book) == [COMMUNITY_FORUM]
        assert [row[0] for row in book[COMMUNITY_FORUM][1:]] == ["益乐社区"]
        assert book[COMMUNITY_FORUM][0][4:] == (
            "2025年1–2月",
            "2025年3–4月",
            "2025年5–6月",
            "2025年7–8月",
            "2025年9–10月",
            "2025年11–12月",
        )
        assert [r.unit_name for r in page_rows(client.get(CADENCE, params), "community_forum")] == ["益乐社区"]

    def test_a_community_leader_gets_his_community_only(self, community_leader, held, client_for):
        book = sheets(client_for(community_leader).get(CADENCE_EXPORT))
        assert [row[0] for row in book[COMMUNITY_FORUM][1:]] == ["德加社区"]

    @pytest.mark.parametrize("persona", ["worker_a", "staff", "chief"])
    def test_a_role_without_the_calendar_is_refused(self, persona, request, client_for):
        assert client_for(request.getfixturevalue(persona)).get(CADENCE_EXPORT).status_code == 403

    def test_anonymous_is_sent_to_log_in(self, client, places):
        assert_login_required(client, CADENCE_EXPORT)

    def test_a_formula_in_a_units_name_stays_text(self, leader, places, client_for):
        places.community_b.name = EVIL
        places.community_b.save()
        units = [row[0] for row in sheets(client_for(leader).get(CADENCE_EXPORT))[COMMUNITY_FORUM][1:]]
        assert "'" + EVIL in units

    def test_it_does_not_grow_with_units_or_meetings(self, leader, places, client_for, django_assert_max_num_queries):
        client = client_for(leader)

        def add(count: int) -> None:
            for n in range(count):
                community = CommunityFactory(street=places.street)
                forum(community, datetime.date(2025, 1, 5) + datetime.timedelta(days=40 * n))

        add(5)
        with django_assert_max_num_queries(8) as small:
            client.get(CADENCE_EXPORT)
        add(25)
        with django_assert_max_num_queries(len(small.captured_queries)):
            assert len(sheets(client.get(CADENCE_EXPORT))[COMMUNITY_FORUM]) == 1 + 32


# --- The topic meetings -----------------------------------------------------------------------------------------

TOPICS = reverse("feedback:topic_list")
TOPICS_EXPORT = reverse("feedback:topic_export")
TOPIC_HEADERS = ("召开日期", "议题", "主持人", "参会人员", "研究意见（条）", "会议决定")


@pytest.fixture
def topics(places, deputy):
    rack = TopicMeetingFactory(
        street=places.street,
        title="香港城晾衣架",
        held_on=datetime.date(2026, 9, 1),
        chaired_by=deputy,
        recorded_by=deputy,
        attendees="城管科、德加社区",
        decisions="在香港城南门建公共晾衣架",
    )
    for _ in range(2):
        OpinionFactory(community=places.community_a, status=Status.ASSIGNED, topic_meeting=rack)
    quiet = TopicMeetingFactory(street=places.street, title="停车难", held_on=datetime.date(2026, 8, 1))
    TopicMeetingFactory(street=places.other_street, title="翠苑的议题")
    return {"rack": rack, "quiet": quiet}


class TestTopicExport:
    def test_it_has_the_lists_topic_meetings(self, leader, topics, client_for):
        client = client_for(leader)
        rows = first_sheet(client.get(TOPICS_EXPORT))
        assert rows[0] == TOPIC_HEADERS
        listed = client.get(TOPICS).context["page"].paginator.object_list
        assert [row[1] for row in rows[1:]] == [topic.title for topic in listed]
        assert rows[1] == (
            datetime.date(2026, 9, 1),
            "香港城晾衣架",
            "吴副主任",
            "城管科、德加社区",
            2,
            "在香港城南门建公共晾衣架",
        )

    def test_community_staff_get_only_those_that_took_up_their_opinions(self, worker_a, worker_b, topics, client_for):
        assert [row[1] for row in first_sheet(client_for(worker_a).get(TOPICS_EXPORT))[1:]] == ["香港城晾衣架"]
        assert first_sheet(client_for(worker_b).get(TOPICS_EXPORT)) == [TOPIC_HEADERS]

    def test_another_streets_leader_gets_his_own(self, other_street_leader, topics, client_for):
        assert [row[1] for row in first_sheet(client_for(other_street_leader).get(TOPICS_EXPORT))[1:]] == ["翠苑的议题"]

    def test_anonymous_is_sent_to_log_in(self, client, places):
        assert_login_required(client, TOPICS_EXPORT)

    def test_a_formula_in_a_decision_stays_text(self, leader, places, client_for):
        TopicMeetingFactory(street=places.street, title=EVIL, decisions="@SUM(A1)")
        row = first_sheet(client_for(leader).get(TOPICS_EXPORT))[1]
        assert (row[1], row[5]) == ("'" + EVIL, "'@SUM(A1)")

    def test_it_does_not_grow_with_topics(self, leader, places, client_for, django_assert_max_num_queries):
        client = client_for(leader)
        chair = UserFactory(role=Role.LEADER_IN_CHARGE, street=places.street)

        def add(count: int) -> None:
            for _ in range(count):
                topic = TopicMeetingFactory(street=places.street, chaired_by=chair, recorded_by=chair)
                OpinionFactory(community=places.community_a, status=Status.ASSIGNED, topic_meeting=topic)

        add(30)
        with django_assert_max_num_queries(4) as small:
            client.get(TOPICS_EXPORT)
        add(60)
        with django_assert_max_num_queries(len(small.captured_queries)):
            assert len(first_sheet(client.get(TOPICS_EXPORT))) == 1 + 90


# --- The figures ------------------------------------------------------------------------------------------------

FIGURES = reverse("feedback:figures")
FIGURES_EXPORT = reverse("feedback:figures_export")


def opinion(community, *, created: datetime.datetime, source: str, status: str = Status.NEW, category=None, **extra):
    made = OpinionFactory(
        community=community,
        source=source,
        meeting=None,
        status=status,
        category=opinion_category(category) if category else None,
        **extra,
    )
    closed = created + datetime.timedelta(days=4) if status in Opinion.CLOSED_STATUSES else None
    Opinion.objects.filter(pk=made.pk).update(created_at=created, closed_at=closed)
    return made


def local(*args: int) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=timezone.get_default_timezone())


@pytest.fixture
def heard(places):
    """Community A: two resident problems solved, one enterprise problem explained; community B: one new online."""
    a, b = places.community_a, places.community_b
    opinion(a, created=local(2026, 3, 2, 9), source=Opinion.Source.VISIT, status=Status.RESOLVED, category="环境卫生")
    opinion(a, created=local(2026, 5, 2, 9), source=Opinion.Source.MEETING, status=Status.RESOLVED, category="交通秩序")
    opinion(
        a, created=local(2026, 6, 2, 9), source=Opinion.Source.ENTERPRISE, status=Status.EXPLAINED, category="营商环境"
    )
    opinion(b, created=local(2026, 7, 2, 9), source=Opinion.Source.ONLINE, category=None)


def summary(book) -> dict[str, object]:
    return dict(book["汇总"][1:])


class TestFiguresExport:
    def test_its_sheets_hold_the_pages_figures(self, leader, heard, client_for):
        client = client_for(leader)
        book = sheets(client.get(FIGURES_EXPORT))
        page = client.get(FIGURES).context
        assert list(book)[:3] == ["汇总", "按来源", "按分类"]
        assert len(book) == 3 + len(page["charts"])
        figures = summary(book)
        assert figures["统计期间"] == "2026年"
        assert figures["收集意见建议（条）"] == page["figures"].collected == 4
        solved = ("解决居民问题（个）", "解决结对村问题（个）", "解决企业问题（个）")
        assert [figures[label] for label in solved] == [2, 0, 0]
        assert (figures["已作解释（条）"], figures["本期办结（条）"], figures["办结用时中位数（天）"]) == (1, 3, 4)
        assert figures["当前未办结（条）"] == 1
        sources = book["按来源"]
        assert sources[0] == ("来源分组", "来源", "收集", "已解决", "已解释")
        assert sources[1] == ("居民", None, 3, 2, 0)
        assert ("企业", None, 1, 0, 1) in sources
        categories = {row[0]: row[1:] for row in book["按分类"][1:]}
        assert book["按分类"][0] == ("分类", "收集", "已解决", "已解释", "当前未办结")
        assert [row[0] for row in book["按分类"][1:]] == [
            row.category.name if row.category else "尚未分类" for row in page["figures"].by_category
        ]
        assert categories["环境卫生"] == (1, 1, 0, 0)
        assert categories["尚未分类"] == (1, 0, 0, 1)

    def test_it_keeps_the_pages_period(self, leader, heard, client_for):
        client = client_for(leader)
        figures = summary(sheets(client.get(FIGURES_EXPORT, {"quarter": "2026Q2"})))
        assert figures["统计期间"] == "2026年第2季度"
        assert (figures["开始日期"], figures["结束日期"]) == (datetime.date(2026, 4, 1), datetime.date(2026, 6, 30))
        assert figures["收集意见建议（条）"] == 2
        ranged = summary(sheets(client.get(FIGURES_EXPORT, {"start": "2026-03-01", "end": "2026-03-31"})))
        assert ranged["收集意见建议（条）"] == 1
        # An unreadable period is this year, as the page shows it.
        assert summary(sheets(client.get(FIGURES_EXPORT, {"quarter": "nonsense"})))["统计期间"] == "2026年"

    def test_a_community_leader_gets_his_communitys_figures(self, community_leader, heard, client_for):
        figures = summary(sheets(client_for(community_leader).get(FIGURES_EXPORT)))
        assert figures["收集意见建议（条）"] == 3

    @pytest.mark.parametrize("persona", ["worker_a", "staff", "chief"])
    def test_a_role_without_the_figures_is_refused(self, persona, request, client_for):
        assert client_for(request.getfixturevalue(persona)).get(FIGURES_EXPORT).status_code == 403

    def test_anonymous_is_sent_to_log_in(self, client, places):
        assert_login_required(client, FIGURES_EXPORT)

    def test_a_formula_in_a_category_name_stays_text(self, leader, places, client_for):
        category = opinion_category("环境卫生")
        category.name = EVIL
        category.save()
        opinion(places.community_a, created=local(2026, 4, 2, 9), source=Opinion.Source.VISIT, category=EVIL)
        book = sheets(client_for(leader).get(FIGURES_EXPORT))
        assert "'" + EVIL in [row[0] for row in book["按分类"]]
        # The charts' tables head a column with each category's name: a heading is escaped like a cell.
        headings = [
            cell for title, rows in book.items() if title not in ("汇总", "按来源", "按分类") for cell in rows[0]
        ]
        assert "'" + EVIL in headings
        assert EVIL not in headings

    def test_it_does_not_grow_with_opinions(self, leader, places, client_for, django_assert_max_num_queries):
        client = client_for(leader)

        def add(count: int) -> None:
            for n in range(count):
                opinion(
                    places.community_a,
                    created=local(2026, 1 + n % 8, 3, 9),
                    source=Opinion.Source.VISIT,
                    status=Status.RESOLVED if n % 2 else Status.NEW,
                    category="环境卫生" if n % 3 else "交通秩序",
                )

        add(10)
        with django_assert_max_num_queries(8) as small:
            client.get(FIGURES_EXPORT)
        add(50)
        with django_assert_max_num_queries(len(small.captured_queries)):
            assert summary(sheets(client.get(FIGURES_EXPORT)))["收集意见建议（条）"] == 60


@pytest.mark.parametrize(
    ("page", "export", "params"),
    [
        (MEETINGS, MEETINGS_EXPORT, "?year=2025&kind=community_forum"),
        (CADENCE, CADENCE_EXPORT, "?status=overdue"),
        (TOPICS, TOPICS_EXPORT, ""),
    ],
)
def test_each_page_offers_its_export_with_its_filters(page, export, params, leader, client_for):
    html = client_for(leader).get(page + params).content.decode()
    assert f'href="{export}{params.replace("&", "&amp;")}"' in html
    assert "导出 Excel" in html
