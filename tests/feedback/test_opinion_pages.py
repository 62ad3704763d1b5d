"""The staff pages of opinions: the list and its export, my tasks, overdue, recording one, its page and its steps.

Community A (德加社区) held a forum; its opinions are seen by community A's leader and workers, the street
leader, and whoever is responsible for one. worker_b (community B) and another street's leader get 404 on them.
A social worker may record an opinion but not sort, split or assign it (403); she starts, resolves or explains
only the ones she is responsible for.
"""

from __future__ import annotations

import datetime
import io

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from feedback import services
from feedback.models import OPINION_TEXT_MAX, Opinion, OpinionEvent
from tests.factories import (
    EnterpriseFactory,
    HouseholdFactory,
    MeetingFactory,
    OpinionFactory,
    VisitFactory,
    opinion_category,
)
from wenxin.xlsx import XLSX_CONTENT_TYPE

Status = Opinion.Status
TODAY = timezone.localdate


def days(n: int) -> datetime.date:
    return TODAY() + datetime.timedelta(days=n)


def url(name: str, *args) -> str:
    return reverse(f"feedback:{name}", args=args)


def shown_version(opinion: Opinion) -> dict[str, int]:
    """The hidden version a step's page posts: the opinion's stored version, as a page opened now shows it."""
    return {"version": Opinion.objects.values_list("version", flat=True).get(pk=opinion.pk)}


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def forum_a(places, community_leader):
    return MeetingFactory(community=places.community_a, recorded_by=community_leader, place="德加社区会议室")


@pytest.fixture
def new_a(places, forum_a, community_leader):
    """A new opinion of community A's forum: the drying rack at 香港城."""
    return OpinionFactory(
        community=places.community_a,
        estate=places.estate_a,
        meeting=forum_a,
        text="香港城建议增设公共晾衣架",
        raised_by="王阿姨",
        contact="13900001111",
        created_by=community_leader,
    )


@pytest.fixture
def new_b(places):
    return OpinionFactory(community=places.community_b, estate=places.estate_b, text="益乐新村路灯不亮")


@pytest.fixture
def assigned_a(places, forum_a, worker_a, deputy):
    """An opinion assigned to worker_a by the urban-management deputy, due in five days."""
    return OpinionFactory(
        community=places.community_a,
        meeting=forum_a,
        text="文新小学对面增设长椅",
        status=Status.ASSIGNED,
        category=opinion_category("市容市貌"),
        responsible=worker_a,
        leader_in_charge=deputy,
        department=places.department,
        due_on=days(5),
    )


@pytest.fixture
def late_a(places, forum_a, worker_a):
    """In progress with worker_a, three days past its completion date."""
    return OpinionFactory(
        community=places.community_a,
        meeting=forum_a,
        text="小区垃圾清运不及时",
        status=Status.IN_PROGRESS,
        category=opinion_category("环境卫生"),
        responsible=worker_a,
        department=places.department,
        due_on=days(-3),
    )


def listed(response) -> set[int]:
    return {opinion.pk for opinion in response.context["opinions"]}


# --- The list -------------------------------------------------------------------------------------------------


class TestListAccess:
    def test_a_community_leader_sees_her_communitys_opinions(self, client_for, community_leader, new_a, new_b):
        response = client_for(community_leader).get(url("list"))
        assert response.status_code == 200
        assert listed(response) == {new_a.pk}
        assert "香港城建议增设公共晾衣架" in response.text
        assert "益乐新村路灯不亮" not in response.text
        assert url("detail", new_a.pk) in response.text

    def test_a_worker_of_another_community_sees_only_hers(self, client_for, worker_b, new_a, new_b):
        assert listed(client_for(worker_b).get(url("list"))) == {new_b.pk}

    def test_the_street_leader_sees_the_street_and_another_street_none(
        self, client_for, leader, other_street_leader, new_a, new_b
    ):
        assert listed(client_for(leader).get(url("list"))) == {new_a.pk, new_b.pk}
        response = client_for(other_street_leader).get(url("list"))
        assert response.status_code == 200
        assert listed(response) == set()

    def test_department_staff_see_only_what_they_answer_for(self, client_for, staff, new_a, assigned_a):
        assert listed(client_for(staff).get(url("list"))) == set()
        Opinion.objects.filter(pk=assigned_a.pk).update(responsible=staff)
        assert listed(client_for(staff).get(url("list"))) == {assigned_a.pk}

    @pytest.mark.parametrize("name", ["list", "export", "mine", "overdue", "create"])
    def test_anonymous_is_sent_to_log_in(self, client, places, name):
        response = client.get(url(name))
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))


class TestListFilters:
    @pytest.fixture
    def rows(self, new_a, assigned_a, late_a, places, community_leader):
        enterprise = EnterpriseFactory(street=places.street, community=places.community_a, name="文新科技")
        from_enterprise = services.opinion_create(
            actor=community_leader, source=Opinion.Source.ENTERPRISE, enterprise=enterprise, text="企业停车难"
        )
        return {"new": new_a, "assigned": assigned_a, "late": late_a, "enterprise": from_enterprise}

    def get(self, client, **params):
        return listed(client.get(url("list"), params))

    def test_each_filter_narrows_the_rows(self, client_for, community_leader, rows):
        client = client_for(community_leader)
        assert self.get(client, status="new") == {rows["new"].pk, rows["enterprise"].pk}
        assert self.get(client, status="in_progress") == {rows["late"].pk}
        assert self.get(client, category=opinion_category("市容市貌").pk) == {rows["assigned"].pk}
        assert self.get(client, source="enterprise") == {rows["enterprise"].pk}
        assert self.get(client, overdue="1") == {rows["late"].pk}
        assert self.get(client, q="长椅") == {rows["assigned"].pk}
        assert self.get(client, q=f"#{rows['late'].pk}") == {rows["late"].pk}
        assert self.get(client, community=rows["new"].community_id) == {r.pk for r in rows.values()}

    def test_an_unknown_or_foreign_value_is_no_filter_and_no_error(self, client_for, community_leader, places, rows):
        client = client_for(community_leader)
        everything = {r.pk for r in rows.values()}
        for params in (
            {"status": "nonsense"},
            {"category": "99999"},
            {"category": "abc"},
            {"source": "<script>"},
            {"community": places.community_b.pk},
            {"q": "x" * 51},
            {"page": "abc"},
        ):
            response = client.get(url("list"), params)
            assert response.status_code == 200
            assert listed(response) == everything, params

    def test_counts_per_status_source_and_category_link_to_the_filtered_list(self, client_for, community_leader, rows):
        response = client_for(community_leader).get(url("list"))
        counts = response.context["counts"]
        by_status = {value: n for value, _label, n in counts.by_status}
        assert (by_status["new"], by_status["assigned"], by_status["in_progress"]) == (2, 1, 1)
        assert {value: n for value, _label, n in counts.by_source}["enterprise"] == 1
        assert counts.overdue == 1
        html = response.text
        assert f"{url('list')}?status=new" in html
        assert f"{url('list')}?source=enterprise" in html
        assert f"{url('list')}?category={opinion_category('市容市貌').pk}" in html
        assert f"{url('list')}?overdue=1" in html

    def test_an_overdue_row_says_so(self, client_for, community_leader, rows):
        html = client_for(community_leader).get(url("list"), {"overdue": "1"}).text
        assert "超期 3 天" in html

    def test_it_pages_and_does_not_grow_with_rows(
        self, client_for, community_leader, places, forum_a, worker_a, django_assert_max_num_queries
    ):
        client = client_for(community_leader)
        category = opinion_category()

        def add(count):
            for n in range(count):
                OpinionFactory(
                    community=places.community_a,
                    estate=places.estate_a,
                    meeting=forum_a,
                    category=category,
                    status=Status.ASSIGNED,
                    responsible=worker_a,
                    leader_in_charge=None,
                    department=places.department,
                    due_on=days(n - 2),
                )

        add(3)
        # 10: session, user, the filters' two selects, four counts, the page's count and its rows.
        with django_assert_max_num_queries(10) as small:
            assert len(client.get(url("list")).context["opinions"]) == 3
        bound = len(small.captured_queries)
        add(30)
        with django_assert_max_num_queries(bound):
            response = client.get(url("list"))
        assert len(response.context["opinions"]) == 25
        assert response.context["page"].paginator.count == 33
        assert "page=2" in response.text
        assert len(client.get(url("list"), {"page": 2}).context["opinions"]) == 8
        with django_assert_max_num_queries(bound):
            assert client.get(url("export")).status_code == 200


# --- The export -----------------------------------------------------------------------------------------------

EXPORT_HEADERS = [
    "编号",
    "收集日期",
    "来源",
    "来处",
    "反映人",
    "村社",
    "小区",
    "具体位置",
    "意见建议",
    "分类",
    "状态",
    "分管领导",
    "责任科室",
    "责任人",
    "完成期限",
    "是否超期",
    "办结日期",
    "办理结果或解释",
]


def sheet(response) -> list[tuple]:
    return list(load_workbook(io.BytesIO(response.content)).worksheets[0].iter_rows(values_only=True))


class TestExport:
    def test_it_has_chinese_headers_and_the_filtered_rows(self, client_for, community_leader, new_a, late_a, new_b):
        client = client_for(community_leader)
        response = client.get(url("export"))
        assert response.status_code == 200
        assert response["Content-Type"] == XLSX_CONTENT_TYPE
        rows = sheet(response)
        assert list(rows[0]) == EXPORT_HEADERS
        assert {row[0] for row in rows[1:]} == {new_a.pk, late_a.pk}  # not community B's
        (late,) = sheet(client.get(url("export"), {"overdue": "1"}))[1:]
        assert late[0] == late_a.pk
        assert (late[2], late[9], late[10], late[12], late[13], late[15]) == (
            "会议",
            "环境卫生",
            "办理中",
            "城管科",
            "张丽",
            "是",
        )

    def test_it_leaves_out_the_residents_phone(self, client_for, community_leader, new_a):
        rows = sheet(client_for(community_leader).get(url("export")))
        assert "13900001111" not in {cell for row in rows for cell in row}
        assert rows[1][4] == "王阿姨"

    def test_a_text_a_spreadsheet_would_run_is_escaped(self, client_for, community_leader, places, forum_a):
        OpinionFactory(community=places.community_a, meeting=forum_a, text="=cmd|' /C calc'!A0", raised_by="@SUM(1)")
        response = client_for(community_leader).get(url("export"))
        row = sheet(response)[1]
        assert row[8] == "'=cmd|' /C calc'!A0"
        assert row[4] == "'@SUM(1)"
        cells = [cell for r in load_workbook(io.BytesIO(response.content)).worksheets[0].iter_rows() for cell in r]
        assert not [cell for cell in cells if cell.data_type == "f"]

    def test_another_street_exports_nothing_of_ours(self, client_for, other_street_leader, new_a):
        assert sheet(client_for(other_street_leader).get(url("export")))[1:] == []


# --- My tasks -------------------------------------------------------------------------------------------------


class TestMyTasks:
    def test_the_responsible_person_sees_her_open_opinions_nearest_deadline_first(
        self, client_for, worker_a, assigned_a, late_a, new_a
    ):
        response = client_for(worker_a).get(url("mine"))
        assert response.status_code == 200
        assert [o.pk for o in response.context["opinions"]] == [late_a.pk, assigned_a.pk]
        assert response.context["overdue_count"] == 1
        html = response.text
        assert "还剩 5 天" in html
        assert "超期 3 天" in html
        assert "其中 1 条已超期" in html
        assert url("start", assigned_a.pk) in html  # assigned: one tap to start
        assert f"{url('resolve', late_a.pk)}?next=mine" in html  # in progress: resolve or explain
        assert f"{url('explain', late_a.pk)}?next=mine" in html
        assert url("resolve", assigned_a.pk) not in html

    def test_a_closed_one_leaves_the_list(self, client_for, worker_a, late_a):
        services.opinion_resolve(actor=worker_a, opinion=late_a, resolution="已清运")
        response = client_for(worker_a).get(url("mine"))
        assert response.context["opinions"] == []
        assert "没有交办给您的待办意见" in response.text

    def test_others_see_only_their_own_tasks(self, client_for, worker_a2, community_leader, assigned_a):
        assert client_for(worker_a2).get(url("mine")).context["opinions"] == []
        assert client_for(community_leader).get(url("mine")).context["opinions"] == []

    def test_one_tap_start_returns_to_the_list(self, client_for, worker_a, assigned_a):
        response = client_for(worker_a).post(url("start", assigned_a.pk), {"next": "mine", **shown_version(assigned_a)})
        assert response.status_code == 302
        assert response.url == url("mine")
        assigned_a.refresh_from_db()
        assert assigned_a.status == Status.IN_PROGRESS

    def test_it_does_not_grow_with_tasks(self, client_for, worker_a, places, forum_a, django_assert_max_num_queries):
        client = client_for(worker_a)

        def add(count):
            for n in range(count):
                OpinionFactory(
                    community=places.community_a,
                    estate=places.estate_a,
                    meeting=forum_a,
                    category=opinion_category(),
                    status=Status.ASSIGNED if n % 2 else Status.IN_PROGRESS,
                    responsible=worker_a,
                    department=places.department,
                    due_on=days(n - 3),
                )

        add(2)
        # 5: session, user, the page's count and rows, the overdue count.
        with django_assert_max_num_queries(5) as small:
            assert len(client.get(url("mine")).context["opinions"]) == 2
        bound = len(small.captured_queries)
        add(30)
        with django_assert_max_num_queries(bound):
            response = client.get(url("mine"))
        assert len(response.context["opinions"]) == 25
        assert response.context["page"].paginator.count == 32


# --- Overdue --------------------------------------------------------------------------------------------------


class TestOverdue:
    def test_the_deputy_sees_those_of_his_departments(self, client_for, deputy, places, late_a, assigned_a):
        response = client_for(deputy).get(url("overdue"))
        assert response.status_code == 200
        assert listed(response) == {late_a.pk}
        assert "超期 3 天" in response.text

    def test_not_those_of_a_department_he_does_not_oversee(self, client_for, deputy, places, late_a):
        Opinion.objects.filter(pk=late_a.pk).update(department=places.social_affairs)
        assert listed(client_for(deputy).get(url("overdue"))) == set()

    def test_leaders_and_community_leaders_see_theirs(
        self, client_for, leader, community_leader, cadre, places, late_a
    ):
        late_b = OpinionFactory(community=places.community_b, status=Status.ASSIGNED, responsible=None, due_on=days(-1))
        assert listed(client_for(leader).get(url("overdue"))) == {late_a.pk, late_b.pk}
        assert listed(client_for(community_leader).get(url("overdue"))) == {late_a.pk}
        assert client_for(cadre).get(url("overdue")).status_code == 200

    @pytest.mark.parametrize("persona", ["worker_a", "staff", "social_affairs_staff"])
    def test_workers_and_staff_have_no_overdue_page_but_their_list_filter(self, request, client_for, persona, late_a):
        client = client_for(request.getfixturevalue(persona))
        assert client.get(url("overdue")).status_code == 403
        assert client.get(url("list"), {"overdue": "1"}).status_code == 200
        assert url("overdue") not in client.get(url("list")).text

    def test_the_responsible_worker_finds_hers_with_the_list_filter(self, client_for, worker_a, late_a, assigned_a):
        assert listed(client_for(worker_a).get(url("list"), {"overdue": "1"})) == {late_a.pk}

    def test_it_does_not_grow_with_rows(self, client_for, deputy, places, forum_a, django_assert_max_num_queries):
        client = client_for(deputy)

        def add(count):
            for n in range(count):
                OpinionFactory(
                    community=places.community_a,
                    meeting=forum_a,
                    category=opinion_category(),
                    status=Status.ASSIGNED,
                    responsible=deputy,
                    department=places.department,
                    due_on=days(-1 - n),
                )

        add(2)
        # 4: session, user, the page's count and rows.
        with django_assert_max_num_queries(4) as small:
            assert len(client.get(url("overdue")).context["opinions"]) == 2
        bound = len(small.captured_queries)
        add(30)
        with django_assert_max_num_queries(bound):
            response = client.get(url("overdue"))
        assert len(response.context["opinions"]) == 25
        assert response.context["page"].paginator.count == 32


# --- Recording an opinion -------------------------------------------------------------------------------------


class TestCreate:
    def test_from_a_meeting_the_source_and_link_are_fixed(self, client_for, community_leader, places, forum_a):
        client = client_for(community_leader)
        page = client.get(url("create"), {"meeting": forum_a.pk})
        assert page.status_code == 200
        assert "source" not in page.context["form"].fields
        assert url("meeting_detail", forum_a.pk) in page.text
        assert page.context["form"].initial["community"] == places.community_a.pk
        response = client.post(
            f"{url('create')}?meeting={forum_a.pk}",
            {"text": "建议增设晾衣架", "estate": places.estate_a.pk, "raised_by": "王阿姨"},
        )
        opinion = Opinion.objects.get(text="建议增设晾衣架")
        assert response.status_code == 302
        assert response.url == url("detail", opinion.pk)
        assert (opinion.source, opinion.meeting, opinion.community, opinion.estate) == (
            Opinion.Source.MEETING,
            forum_a,
            places.community_a,
            places.estate_a,
        )
        assert (opinion.status, opinion.created_by) == (Status.NEW, community_leader)
        assert opinion.events.get().actor == community_leader

    def test_save_and_record_another_returns_to_the_same_meeting(self, client_for, community_leader, forum_a):
        response = client_for(community_leader).post(
            f"{url('create')}?meeting={forum_a.pk}", {"text": "第一条", "another": "1"}
        )
        assert response.status_code == 302
        assert response.url == f"{url('create')}?meeting={forum_a.pk}"
        assert Opinion.objects.filter(meeting=forum_a, text="第一条").exists()

    def test_from_a_visit_the_difficulty_is_prefilled(self, client_for, worker_a, places):
        household = HouseholdFactory(grid_area=places.area_a, estate=places.estate_a)
        visit = VisitFactory(visitor=worker_a, household=household, difficulty="楼道灯坏了", met_whom="户主王大伯")
        client = client_for(worker_a)
        page = client.get(url("create"), {"visit": visit.pk})
        assert page.status_code == 200
        form = page.context["form"]
        assert form.initial["text"] == "楼道灯坏了"
        assert form.initial["estate"] == places.estate_a.pk
        assert reverse("visits:detail", args=[visit.pk]) in page.text
        client.post(f"{url('create')}?visit={visit.pk}", {"text": "楼道灯坏了，请物业修理"})
        opinion = Opinion.objects.get(visit=visit)
        assert (opinion.source, opinion.community, opinion.created_by) == (
            Opinion.Source.VISIT,
            places.community_a,
            worker_a,
        )

    def test_the_visit_page_offers_to_record_its_difficulty(self, client_for, worker_a, places):
        visit = VisitFactory(visitor=worker_a, household=HouseholdFactory(grid_area=places.area_a), difficulty="漏水")
        html = client_for(worker_a).get(reverse("visits:detail", args=[visit.pk])).text
        assert f"{url('create')}?visit={visit.pk}" in html
        assert "记为意见建议" in html

    def test_a_visit_or_meeting_out_of_scope_or_made_up_is_not_found(self, client_for, worker_b, places, forum_a):
        visit = VisitFactory(household=HouseholdFactory(grid_area=places.area_a))
        client = client_for(worker_b)
        for name, value in (("meeting", forum_a.pk), ("visit", visit.pk), ("meeting", "abc"), ("visit", "999999")):
            assert client.get(url("create"), {name: value}).status_code == 404, name
            assert client.post(f"{url('create')}?{name}={value}", {"text": "x"}).status_code == 404, name
        assert not Opinion.objects.exists()

    def test_without_a_link_she_picks_the_source_and_what_it_came_from(self, client_for, community_leader, places):
        enterprise = EnterpriseFactory(street=places.street, community=places.community_a)
        client = client_for(community_leader)
        page = client.get(url("create"))
        choices = [value for value, _label in page.context["form"].fields["source"].choices]
        assert choices == ["meeting", "enterprise", "paired_village"]  # online only from the public page
        response = client.post(
            url("create"), {"source": "enterprise", "enterprise": enterprise.pk, "text": "企业用工难"}
        )
        assert response.status_code == 302
        opinion = Opinion.objects.get(text="企业用工难")
        assert (opinion.enterprise, opinion.community) == (enterprise, places.community_a)

    def test_a_source_without_its_link_is_refused_with_the_typed_text_kept(self, client_for, community_leader):
        response = client_for(community_leader).post(url("create"), {"source": "meeting", "text": "保留这段话"})
        assert response.status_code == 200
        assert "请选择意见的来处。" in response.text
        assert "保留这段话" in response.text
        assert not Opinion.objects.exists()

    @pytest.mark.parametrize(
        ("typed", "message"),
        [
            ({"text": "x" * (OPINION_TEXT_MAX + 1)}, "意见建议不能超过 2000 个字"),
            ({"text": ""}, "请填写意见建议的内容。"),
            ({"text": "好", "community": "99999"}, "所选项不存在，或不在您的管辖范围内。"),
            ({"text": "好", "estate": "abc"}, "所选项不存在，或不在您的管辖范围内。"),
            ({"text": "好", "raised_by": "名" * 51}, "不能超过 50 个字"),
            ({"text": "好", "contact": "abc"}, "电话"),
        ],
    )
    def test_bad_input_is_refused_in_chinese(self, client_for, community_leader, forum_a, typed, message):
        response = client_for(community_leader).post(f"{url('create')}?meeting={forum_a.pk}", typed)
        assert response.status_code == 200
        assert message in response.text
        assert not Opinion.objects.exists()

    def test_a_community_outside_her_scope_is_refused(self, client_for, community_leader, places, forum_a):
        response = client_for(community_leader).post(
            f"{url('create')}?meeting={forum_a.pk}", {"text": "好", "community": places.community_b.pk}
        )
        assert response.status_code == 200
        assert not Opinion.objects.exists()

    def test_an_estate_of_another_community_than_the_one_chosen_is_refused(self, client_for, leader, places, forum_a):
        response = client_for(leader).post(
            f"{url('create')}?meeting={forum_a.pk}",
            {"text": "好", "community": places.community_a.pk, "estate": places.estate_b.pk},
        )
        assert response.status_code == 200
        assert "小区不在所选村社内。" in response.text
        assert not Opinion.objects.exists()

    def test_an_administrator_without_a_street_may_not_record(self, client_for, system_admin):
        assert client_for(system_admin).get(url("create")).status_code == 403


# --- An opinion's page ----------------------------------------------------------------------------------------


class TestDetail:
    def test_it_shows_the_opinion_its_source_and_history(self, client_for, community_leader, new_a, forum_a):
        response = client_for(community_leader).get(url("detail", new_a.pk))
        assert response.status_code == 200
        html = response.text
        for text in ("香港城建议增设公共晾衣架", "王阿姨", "13900001111", "德加社区", "香港城", "待梳理"):
            assert text in html
        assert url("meeting_detail", forum_a.pk) in html

    @pytest.mark.parametrize("persona", ["worker_b", "other_street_leader", "staff", "deputy"])
    def test_out_of_scope_it_is_not_found(self, request, client_for, new_a, persona):
        assert client_for(request.getfixturevalue(persona)).get(url("detail", new_a.pk)).status_code == 404

    def test_a_made_up_number_is_not_found(self, client_for, leader, places):
        assert client_for(leader).get(url("detail", 999999)).status_code == 404
        assert client_for(leader).get("/feedback/abc/").status_code == 404

    def test_anonymous_is_sent_to_log_in(self, client, new_a):
        assert client.get(url("detail", new_a.pk)).url.startswith(reverse("login"))

    def test_a_dispatcher_is_offered_sort_and_split_on_a_new_opinion(self, client_for, community_leader, new_a):
        response = client_for(community_leader).get(url("detail", new_a.pk))
        assert response.context["actions"] == {
            "sort": True,
            "split": True,
            "assign": False,
            "start": False,
            "resolve": False,
            "explain": False,
        }
        assert f'action="{url("sort", new_a.pk)}"' in response.text
        assert url("split", new_a.pk) in response.text

    def test_a_worker_is_offered_nothing_on_a_new_one(self, client_for, worker_a, new_a):
        response = client_for(worker_a).get(url("detail", new_a.pk))
        assert not any(response.context["actions"].values())
        assert url("sort", new_a.pk) not in response.text

    def test_the_responsible_worker_is_offered_start_then_resolve_and_explain(
        self, client_for, worker_a, worker_a2, assigned_a
    ):
        client = client_for(worker_a)
        html = client.get(url("detail", assigned_a.pk)).text
        assert f'action="{url("start", assigned_a.pk)}"' in html
        assert url("assign", assigned_a.pk) not in html
        services.opinion_start(actor=worker_a, opinion=assigned_a)
        html = client.get(url("detail", assigned_a.pk)).text
        assert f'action="{url("resolve", assigned_a.pk)}"' in html
        assert f'action="{url("explain", assigned_a.pk)}"' in html
        # A colleague of the same community sees it, but it is not hers to carry.
        other = client_for(worker_a2).get(url("detail", assigned_a.pk))
        assert other.status_code == 200
        assert not any(other.context["actions"].values())

    def test_it_shows_the_assignment_the_result_and_who_did_what(
        self, client_for, community_leader, worker_a, assigned_a
    ):
        services.opinion_start(actor=worker_a, opinion=assigned_a, note="已到现场查看")
        services.opinion_explain(actor=worker_a, opinion=assigned_a, explanation="人行道宽度不足，已向居民说明")
        html = client_for(community_leader).get(url("detail", assigned_a.pk)).text
        for text in ("吴副主任", "城管科", "张丽", "已到现场查看", "人行道宽度不足，已向居民说明", "按期办结"):
            assert text in html

    def test_a_split_opinion_lists_its_parts_and_a_part_its_origin(self, client_for, community_leader, new_a):
        parts = services.opinion_split(
            actor=community_leader,
            opinion=new_a,
            parts=[("晾衣架", opinion_category("实事工程")), ("绿化", opinion_category("环境卫生"))],
        )
        client = client_for(community_leader)
        html = client.get(url("detail", new_a.pk)).text
        assert url("detail", parts[0].pk) in html and url("detail", parts[1].pk) in html
        assert url("detail", new_a.pk) in client.get(url("detail", parts[0].pk)).text

    def test_it_does_not_grow_with_history_or_parts(
        self, client_for, leader, community_leader, worker_a, new_a, django_assert_max_num_queries
    ):
        client = client_for(leader)
        # 9: session, user, the opinion, its parts, who recorded it, its meeting's scope, history, and the sort
        # form's categories and departments.
        with django_assert_max_num_queries(9) as small:
            assert client.get(url("detail", new_a.pk)).status_code == 200
        bound = len(small.captured_queries)
        parts = services.opinion_split(
            actor=community_leader,
            opinion=new_a,
            parts=[(f"第{n}件事", opinion_category()) for n in range(5)],
        )
        for n in range(30):
            OpinionEvent.objects.create(
                opinion=new_a, from_status="split", to_status="split", actor=worker_a, note=f"第{n}次督办"
            )
        with django_assert_max_num_queries(bound):
            response = client.get(url("detail", new_a.pk))
        assert len(response.context["parts"]) == len(parts)
        assert len(response.context["history"]) == 31  # the split and thirty notes (the factory wrote no event)


# --- The steps ------------------------------------------------------------------------------------------------


class TestSort:
    def test_a_dispatcher_sorts_a_new_opinion(self, client_for, community_leader, new_a):
        client = client_for(community_leader)
        assert client.get(url("sort", new_a.pk)).status_code == 200
        category = opinion_category("实事工程")
        response = client.post(
            url("sort", new_a.pk), {"category": category.pk, "note": "属实事工程", **shown_version(new_a)}
        )
        assert response.status_code == 302
        assert response.url == url("detail", new_a.pk)
        new_a.refresh_from_db()
        assert (new_a.status, new_a.category) == (Status.SORTED, category)
        event = new_a.events.latest("pk")
        assert (event.from_status, event.to_status, event.actor, event.note) == (
            "new",
            "sorted",
            community_leader,
            "属实事工程",
        )
        assert "已分类：实事工程。" in messages_of(response)

    def test_sorting_may_route_it_to_a_department(self, client_for, community_leader, places, new_a):
        response = client_for(community_leader).post(
            url("sort", new_a.pk),
            {"category": opinion_category().pk, "department": places.department.pk, **shown_version(new_a)},
        )
        assert response.status_code == 302
        new_a.refresh_from_db()
        assert (new_a.status, new_a.department) == (Status.SORTED, places.department)

    @pytest.mark.parametrize("department", ["99999", "abc"])
    def test_an_unknown_department_is_refused_in_chinese(self, client_for, community_leader, new_a, department):
        response = client_for(community_leader).post(
            url("sort", new_a.pk), {"category": opinion_category().pk, "department": department, **shown_version(new_a)}
        )
        assert response.status_code == 200
        assert "所选项不存在，或不在您的管辖范围内。" in response.text
        new_a.refresh_from_db()
        assert (new_a.status, new_a.department) == (Status.NEW, None)

    @pytest.mark.parametrize("category", ["99999", "abc", ""])
    def test_an_unknown_category_is_refused_in_chinese(self, client_for, community_leader, new_a, category):
        response = client_for(community_leader).post(
            url("sort", new_a.pk), {"category": category, "note": "保留", **shown_version(new_a)}
        )
        assert response.status_code == 200
        assert "分类" in response.context["form"].errors["category"][0]
        assert "保留" in response.text
        new_a.refresh_from_db()
        assert new_a.status == Status.NEW

    def test_a_retired_category_is_not_offered(self, client_for, community_leader, new_a):
        retired = opinion_category("精神文明")
        retired.is_active = False
        retired.save()
        response = client_for(community_leader).post(
            url("sort", new_a.pk), {"category": retired.pk, **shown_version(new_a)}
        )
        assert response.status_code == 200
        new_a.refresh_from_db()
        assert new_a.status == Status.NEW

    def test_a_worker_may_not_sort(self, client_for, worker_a, new_a):
        client = client_for(worker_a)
        assert client.get(url("sort", new_a.pk)).status_code == 403
        assert client.post(url("sort", new_a.pk), {"category": opinion_category().pk}).status_code == 403
        new_a.refresh_from_db()
        assert new_a.status == Status.NEW

    def test_a_dispatcher_of_another_community_does_not_find_it(self, client_for, places, new_b, community_leader):
        assert client_for(community_leader).get(url("sort", new_b.pk)).status_code == 404

    def test_an_opinion_already_sorted_goes_back_to_its_page(self, client_for, community_leader, assigned_a):
        response = client_for(community_leader).post(url("sort", assigned_a.pk), {"category": opinion_category().pk})
        assert response.status_code == 302
        assert response.url == url("detail", assigned_a.pk)
        assert "这条意见目前是“已交办”，不能进行这一步。" in messages_of(response)

    def test_anonymous_is_sent_to_log_in(self, client, new_a):
        for name in ("sort", "split", "assign", "start", "resolve", "explain"):
            response = client.post(url(name, new_a.pk))
            assert response.status_code == 302
            assert response.url.startswith(reverse("login"))
        new_a.refresh_from_db()
        assert new_a.status == Status.NEW


class TestSplit:
    def test_a_dispatcher_splits_into_rows_each_with_a_category(self, client_for, community_leader, new_a):
        client = client_for(community_leader)
        assert client.get(url("split", new_a.pk)).status_code == 200
        response = client.post(
            url("split", new_a.pk),
            {
                "text_1": "增设晾衣架",
                "category_1": opinion_category("实事工程").pk,
                "text_2": "清理楼道杂物",
                "category_2": opinion_category("环境卫生").pk,
                **shown_version(new_a),
            },
        )
        assert response.status_code == 302
        new_a.refresh_from_db()
        assert new_a.status == Status.SPLIT
        parts = list(new_a.parts.order_by("pk"))
        assert [(p.text, p.category.name, p.status) for p in parts] == [
            ("增设晾衣架", "实事工程", Status.SORTED),
            ("清理楼道杂物", "环境卫生", Status.SORTED),
        ]

    @pytest.mark.parametrize(
        ("typed", "message"),
        [
            ({"text_1": "只有一条", "category_1": "CATEGORY"}, "分解至少需要两条内容。"),
            ({"text_1": "甲", "category_1": "CATEGORY", "text_2": "乙"}, "请为这一条选择分类。"),
            ({"text_1": "甲", "category_1": "CATEGORY", "category_2": "CATEGORY"}, "请填写这一条的内容。"),
            (
                {"text_1": "甲", "category_1": "CATEGORY", "text_2": "乙", "category_2": "99999"},
                "所选分类不存在或已停用。",
            ),
            (
                {"text_1": "甲" * 2001, "category_1": "CATEGORY", "text_2": "乙", "category_2": "CATEGORY"},
                "意见建议不能超过 2000 个字",
            ),
        ],
    )
    def test_bad_rows_are_refused_in_chinese_and_kept(self, client_for, community_leader, new_a, typed, message):
        category = str(opinion_category().pk)
        data = {name: category if value == "CATEGORY" else value for name, value in typed.items()}
        response = client_for(community_leader).post(url("split", new_a.pk), {**data, **shown_version(new_a)})
        assert response.status_code == 200
        assert message in response.text
        assert data["text_1"][:50] in response.text
        new_a.refresh_from_db()
        assert new_a.status == Status.NEW
        assert not new_a.parts.exists()

    def test_a_worker_may_not_split(self, client_for, worker_a, new_a):
        assert client_for(worker_a).get(url("split", new_a.pk)).status_code == 403


class TestAssign:
    @pytest.fixture
    def sorted_a(self, new_a, community_leader):
        return services.opinion_sort(actor=community_leader, opinion=new_a, category=opinion_category("实事工程"))

    def post(self, client, opinion, **typed):
        return client.post(url("assign", opinion.pk), {**typed, **shown_version(opinion)})

    def test_a_dispatcher_assigns_a_responsible_person_and_a_date(
        self, client_for, community_leader, deputy, worker_a, sorted_a
    ):
        client = client_for(community_leader)
        page = client.get(url("assign", sorted_a.pk))
        assert page.status_code == 200
        assert deputy in page.context["form"].fields["leader_in_charge"].queryset
        response = self.post(
            client,
            sorted_a,
            responsible=worker_a.pk,
            due_on=days(10).isoformat(),
            leader_in_charge=deputy.pk,
            note="两周内拿出方案",
        )
        assert response.status_code == 302
        sorted_a.refresh_from_db()
        assert (sorted_a.status, sorted_a.responsible, sorted_a.due_on, sorted_a.leader_in_charge) == (
            Status.ASSIGNED,
            worker_a,
            days(10),
            deputy,
        )
        assert f"已交办给张丽，完成期限 {days(10):%Y-%m-%d}。" in messages_of(response)

    @pytest.mark.parametrize(
        ("typed", "message"),
        [
            ({"due_on": "PAST"}, "完成期限不能早于今天。"),
            ({"due_on": ""}, "请填写完成期限。"),
            ({"due_on": "2026-13-45"}, "请填写有效的日期。"),
            ({"responsible": ""}, "请指定责任人。"),
            ({"responsible": "abc"}, "责任人不在您的管辖范围内。"),
            ({"responsible": "WORKER_B"}, "责任人不在您的管辖范围内。"),
            ({"department": "99999"}, "所选项不存在，或不在您的管辖范围内。"),
            ({"note": "长" * 501}, "不能超过 500 个字"),
        ],
    )
    def test_bad_input_is_refused_in_chinese_and_nothing_changes(
        self, client_for, community_leader, worker_a, worker_b, sorted_a, typed, message
    ):
        data = {
            "responsible": worker_a.pk,
            "due_on": days(10).isoformat(),
            "note": "保留的说明",
            **shown_version(sorted_a),
        }
        data.update(typed)
        if data["due_on"] == "PAST":
            data["due_on"] = days(-1).isoformat()
        if data["responsible"] == "WORKER_B":
            data["responsible"] = worker_b.pk
        response = client_for(community_leader).post(url("assign", sorted_a.pk), data)
        assert response.status_code == 200
        assert message in response.text
        if "note" not in typed:
            assert "保留的说明" in response.text
        sorted_a.refresh_from_db()
        assert (sorted_a.status, sorted_a.responsible) == (Status.SORTED, None)

    def test_an_assigned_one_is_reassigned(self, client_for, community_leader, worker_a2, assigned_a):
        client = client_for(community_leader)
        page = client.get(url("assign", assigned_a.pk))
        assert "改派" in page.text
        assert page.context["form"].initial["responsible"] == assigned_a.responsible_id
        self.post(client, assigned_a, responsible=worker_a2.pk, due_on=days(3).isoformat())
        assigned_a.refresh_from_db()
        assert (assigned_a.responsible, assigned_a.due_on) == (worker_a2, days(3))

    def test_a_new_one_must_be_sorted_first(self, client_for, community_leader, worker_a, new_a):
        response = self.post(client_for(community_leader), new_a, responsible=worker_a.pk, due_on=days(3).isoformat())
        assert response.status_code == 302
        new_a.refresh_from_db()
        assert new_a.status == Status.NEW

    @pytest.mark.parametrize("persona", ["worker_a", "worker_a2"])
    def test_workers_may_not_assign(self, request, client_for, persona, assigned_a):
        client = client_for(request.getfixturevalue(persona))
        assert client.get(url("assign", assigned_a.pk)).status_code == 403

    def test_another_street_does_not_find_it(self, client_for, other_street_leader, assigned_a):
        assert client_for(other_street_leader).get(url("assign", assigned_a.pk)).status_code == 404


class TestHandling:
    def test_the_responsible_worker_starts_then_resolves(self, client_for, worker_a, assigned_a):
        client = client_for(worker_a)
        assert client.get(url("start", assigned_a.pk)).status_code == 200
        client.post(url("start", assigned_a.pk), {"note": "已到现场", **shown_version(assigned_a)})
        page = client.get(url("resolve", assigned_a.pk), {"next": "mine"})
        assert 'name="next" value="mine"' in page.text
        response = client.post(
            url("resolve", assigned_a.pk), {"resolution": "已安装长椅两张", "next": "mine", **shown_version(assigned_a)}
        )
        assert response.url == url("mine")
        assigned_a.refresh_from_db()
        assert (assigned_a.status, assigned_a.resolution) == (Status.RESOLVED, "已安装长椅两张")
        assert assigned_a.closed_at is not None
        steps = [(e.from_status, e.to_status, e.actor) for e in assigned_a.events.order_by("pk")]
        assert steps == [("assigned", "in_progress", worker_a), ("in_progress", "resolved", worker_a)]

    @pytest.mark.parametrize(
        ("name", "typed", "message"),
        [
            ("explain", {"explanation": ""}, "请写明向居民所作的解释。"),
            ("explain", {"explanation": "   "}, "请写明向居民所作的解释。"),
            ("resolve", {"resolution": ""}, "请写明办理结果。"),
            ("resolve", {"resolution": "长" * (OPINION_TEXT_MAX + 1)}, "不能超过 2000 个字"),
        ],
    )
    def test_closing_without_saying_how_is_refused(self, client_for, worker_a, late_a, name, typed, message):
        response = client_for(worker_a).post(url(name, late_a.pk), {**typed, **shown_version(late_a)})
        assert response.status_code == 200
        assert message in response.text
        late_a.refresh_from_db()
        assert (late_a.status, late_a.closed_at) == (Status.IN_PROGRESS, None)

    def test_a_dispatcher_may_explain_for_the_responsible_person(self, client_for, community_leader, late_a):
        response = client_for(community_leader).post(
            url("explain", late_a.pk), {"explanation": "规划不允许", **shown_version(late_a)}
        )
        assert response.status_code == 302
        late_a.refresh_from_db()
        assert (late_a.status, late_a.explanation) == (Status.EXPLAINED, "规划不允许")

    def test_a_colleague_who_is_not_responsible_may_not(self, client_for, worker_a2, late_a, assigned_a):
        client = client_for(worker_a2)
        assert client.get(url("resolve", late_a.pk)).status_code == 403
        assert client.post(url("explain", late_a.pk), {"explanation": "x"}).status_code == 403
        assert client.post(url("start", assigned_a.pk)).status_code == 403
        late_a.refresh_from_db()
        assert late_a.status == Status.IN_PROGRESS

    def test_a_worker_of_another_community_does_not_find_it(self, client_for, worker_b, late_a):
        assert client_for(worker_b).post(url("resolve", late_a.pk), {"resolution": "x"}).status_code == 404

    def test_no_step_is_skipped(self, client_for, worker_a, assigned_a):
        response = client_for(worker_a).post(url("resolve", assigned_a.pk), {"resolution": "已办"})
        assert response.status_code == 302
        assert response.url == url("detail", assigned_a.pk)
        assigned_a.refresh_from_db()
        assert assigned_a.status == Status.ASSIGNED


# --- Done when ------------------------------------------------------------------------------------------------


def test_a_forum_opinion_is_assigned_by_the_deputy_and_seen_overdue(
    client_for, community_leader, deputy, worker_a, places, forum_a
):
    """The community leader records what the forum heard, sorts it and routes it to 城管科; the deputy over
    城管科 assigns it with a deadline; once the deadline passes it is on his overdue list and her task card."""
    community = client_for(community_leader)
    community.post(
        f"{url('create')}?meeting={forum_a.pk}", {"text": "香港城居民希望建公共晾衣架", "estate": places.estate_a.pk}
    )
    opinion = Opinion.objects.get(meeting=forum_a)
    deputy_client = client_for(deputy)
    assert deputy_client.get(url("detail", opinion.pk)).status_code == 404  # not yet his department's

    community.post(
        url("sort", opinion.pk),
        {"category": opinion_category("实事工程").pk, "department": places.department.pk, **shown_version(opinion)},
    )
    page = deputy_client.get(url("detail", opinion.pk))
    assert page.status_code == 200
    assert page.context["actions"]["assign"]

    response = deputy_client.post(
        url("assign", opinion.pk),
        {
            "responsible": worker_a.pk,
            "due_on": days(14).isoformat(),
            "leader_in_charge": deputy.pk,
            **shown_version(opinion),
        },
    )
    assert response.status_code == 302
    opinion.refresh_from_db()
    assert (opinion.status, opinion.responsible, opinion.due_on, opinion.department) == (
        Status.ASSIGNED,
        worker_a,
        days(14),
        places.department,
    )
    assert listed(deputy_client.get(url("overdue"))) == set()
    assert opinion.pk in {o.pk for o in client_for(worker_a).get(url("mine")).context["opinions"]}

    # The completion date passes without the opinion being closed.
    Opinion.objects.filter(pk=opinion.pk).update(due_on=days(-1))
    response = deputy_client.get(url("overdue"))
    assert listed(response) == {opinion.pk}
    assert "超期 1 天" in response.text
    assert "超期 1 天" in client_for(worker_a).get(url("mine")).text
    history = [(e.from_status, e.to_status, e.actor) for e in opinion.events.order_by("pk")]
    assert history == [
        ("", "new", community_leader),
        ("new", "sorted", community_leader),
        ("sorted", "assigned", deputy),
    ]
