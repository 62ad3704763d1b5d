"""The four listenings' meeting pages: the list, recording and correcting a meeting, and its page.

Community A (德加社区) holds its residents' forum; worker_a and the community leader work there, worker_b in
community B. Street-level meetings (the residents' representatives forum, the deputies' forum) are the street's:
everyone of the street reads them, only street staff record them.
"""

from __future__ import annotations

import datetime

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from feedback.models import Meeting, Opinion
from tests.factories import CommunityFactory, MeetingFactory, OpinionFactory, meeting_kind, opinion_category
from wenxin.models import AuditEntry

TODAY = timezone.localdate


@pytest.fixture
def forum_a(places, community_leader):
    return MeetingFactory(
        community=places.community_a,
        held_on=TODAY() - datetime.timedelta(days=3),
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


@pytest.fixture
def forum_b(places):
    return MeetingFactory(community=places.community_b, place="益乐社区活动室")


@pytest.fixture
def street_forum(places, leader):
    return MeetingFactory(
        community=None,
        street=places.street,
        kind=meeting_kind("residents_forum"),
        place="街道大会议室",
        host_unit="街道党工委、办事处",
        recorded_by=leader,
    )


def form_data(**typed) -> dict:
    """A community forum as a community leader would post it."""
    data = {
        "kind": meeting_kind("community_forum").pk,
        "held_on": TODAY().isoformat(),
        "place": "社区会议室",
        "host_unit": "",
        "topic": "停车难",
        "deputies": "1",
        "cppcc_members": "",
        "party_members": "6",
        "retired_employees": "3",
        "united_front": "0",
        "residents": "15",
        "minutes": "议定划线停车",
    }
    data.update(typed)
    return data


def edit_data(meeting: Meeting, **typed) -> dict:
    """The edit form as the page posts it: the values shown (initial-…) and the values typed."""
    shown = {
        "kind": meeting.kind_id,
        "community": meeting.community_id or "",
        "held_on": meeting.held_on.isoformat(),
        "place": meeting.place,
        "host_unit": meeting.host_unit,
        "topic": meeting.topic,
        "minutes": meeting.minutes,
        **{name: getattr(meeting, name) for name in Meeting.ATTENDEE_FIELDS},
    }
    data = {**shown, **{f"initial-{name}": value for name, value in shown.items()}}
    data.update(typed)
    return data


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


LIST = reverse("feedback:meeting_list")
CREATE = reverse("feedback:meeting_create")


def detail_url(meeting) -> str:
    return reverse("feedback:meeting_detail", args=[meeting.pk])


def edit_url(meeting) -> str:
    return reverse("feedback:meeting_edit", args=[meeting.pk])


def listed(response) -> set[int]:
    return {meeting.pk for meeting in response.context["page"]}


# --- Who sees what ----------------------------------------------------------------------------------------------


class TestAccess:
    @pytest.mark.parametrize("persona", ["worker_a", "community_leader", "staff", "leader"])
    def test_a_communitys_meeting_opens_for_its_community_and_the_street(self, persona, request, forum_a, client_for):
        response = client_for(request.getfixturevalue(persona)).get(detail_url(forum_a))
        assert response.status_code == 200
        assert "德加社区二楼会议室" in response.text

    @pytest.mark.parametrize("persona", ["worker_b", "other_street_leader"])
    def test_another_community_or_street_gets_404(self, persona, request, forum_a, client_for):
        client = client_for(request.getfixturevalue(persona))
        assert client.get(detail_url(forum_a)).status_code == 404
        assert client.get(edit_url(forum_a)).status_code == 404
        assert client.post(edit_url(forum_a), edit_data(forum_a, place="改")).status_code == 404
        forum_a.refresh_from_db()
        assert forum_a.place == "德加社区二楼会议室"

    def test_a_missing_meeting_is_404_like_a_stranger(self, places, worker_a, client_for):
        assert client_for(worker_a).get(reverse("feedback:meeting_detail", args=[999999])).status_code == 404

    def test_a_street_meeting_is_read_by_all_of_the_street_but_corrected_by_street_staff(
        self, street_forum, worker_a, staff, client_for
    ):
        worker = client_for(worker_a)
        assert worker.get(detail_url(street_forum)).status_code == 200
        assert edit_url(street_forum) not in worker.get(detail_url(street_forum)).text
        assert worker.get(edit_url(street_forum)).status_code == 403
        assert worker.post(edit_url(street_forum), edit_data(street_forum, place="改")).status_code == 403
        assert client_for(staff).get(edit_url(street_forum)).status_code == 200

    def test_anonymous_is_sent_to_log_in(self, client, forum_a):
        for url in (LIST, CREATE, detail_url(forum_a), edit_url(forum_a)):
            response = client.get(url)
            assert response.status_code == 302
            assert response["Location"].startswith(reverse("login"))
        assert client.post(CREATE, form_data()).status_code == 302
        assert Meeting.objects.count() == 1

    def test_an_administrator_without_a_street_may_read_but_not_record(self, system_admin, forum_a, client_for):
        client = client_for(system_admin)
        assert client.get(detail_url(forum_a)).status_code == 200
        assert "记录会议" not in client.get(LIST).text
        assert client.get(CREATE).status_code == 403
        assert client.post(CREATE, form_data(community=forum_a.community_id)).status_code == 403


# --- The list ---------------------------------------------------------------------------------------------------


class TestList:
    def test_a_worker_sees_her_communitys_and_the_streets_meetings(
        self, places, worker_a, forum_a, forum_b, street_forum, client_for
    ):
        CommunityFactory(street=places.other_street)
        MeetingFactory(community=CommunityFactory(street=places.other_street))
        response = client_for(worker_a).get(LIST)
        assert response.status_code == 200
        assert listed(response) == {forum_a.pk, street_forum.pk}
        assert "益乐社区活动室" not in response.text

    def test_a_leader_sees_the_whole_street_and_a_link_to_record(
        self, leader, forum_a, forum_b, street_forum, client_for
    ):
        response = client_for(leader).get(LIST)
        assert listed(response) == {forum_a.pk, forum_b.pk, street_forum.pk}
        assert CREATE in response.text

    def test_each_meeting_shows_its_attendance_and_the_opinions_it_collected(self, places, forum_a, leader, client_for):
        OpinionFactory(community=places.community_a, meeting=forum_a)
        split = OpinionFactory(community=places.community_a, meeting=forum_a, status=Opinion.Status.SPLIT)
        OpinionFactory(community=places.community_a, meeting=forum_a, parent=split, status=Opinion.Status.SORTED)
        response = client_for(leader).get(LIST)
        meeting = next(iter(response.context["page"]))
        assert meeting.opinion_count == 2  # the part split off one is not collected twice
        assert meeting.attendee_total == 33
        assert "33 人参加" in response.text
        assert "收集意见 2 条" in response.text

    def test_filters_by_kind_community_street_year_and_dates(
        self, places, leader, forum_a, forum_b, street_forum, client_for
    ):
        old = MeetingFactory(community=places.community_a, held_on=datetime.date(2024, 5, 6))
        client = client_for(leader)
        assert listed(client.get(LIST, {"kind": "residents_forum"})) == {street_forum.pk}
        assert listed(client.get(LIST, {"community": places.community_a.pk})) == {forum_a.pk, old.pk}
        assert listed(client.get(LIST, {"community": "street"})) == {street_forum.pk}
        assert listed(client.get(LIST, {"year": "2024"})) == {old.pk}
        dates = {"start": "2024-05-01", "end": "2024-06-30"}
        assert listed(client.get(LIST, dates)) == {old.pk}
        assert 2024 in client.get(LIST).context["filters"].years

    def test_a_filter_outside_the_scope_or_malformed_is_ignored(self, places, worker_a, forum_a, client_for):
        everything = listed(client_for(worker_a).get(LIST))
        for params in (
            {"community": places.community_b.pk},
            {"kind": "nonsense"},
            {"year": "abc"},
            {"start": "2026-13-45"},
            {"page": "x"},
        ):
            response = client_for(worker_a).get(LIST, params)
            assert response.status_code == 200
            assert listed(response) == everything

    def test_it_pages_and_does_not_grow_with_meetings_or_opinions(
        self, places, leader, client_for, django_assert_max_num_queries
    ):
        client = client_for(leader)
        for community in (places.community_a, places.community_b):
            for _ in range(3):
                meeting = MeetingFactory(community=community, recorded_by=leader)
                OpinionFactory(community=community, meeting=meeting)
        with django_assert_max_num_queries(8) as small:
            assert client.get(LIST).status_code == 200
        for _ in range(30):
            community = CommunityFactory(street=places.street)
            meeting = MeetingFactory(community=community, recorded_by=leader)
            OpinionFactory(community=community, meeting=meeting)
            OpinionFactory(community=community, meeting=meeting)
        with django_assert_max_num_queries(8) as large:
            response = client.get(LIST)
        assert len(large.captured_queries) == len(small.captured_queries)
        assert len(response.context["page"].object_list) == 25
        assert response.context["page"].paginator.count == 36
        assert client.get(LIST, {"page": 2}).context["page"].object_list.__len__() == 11


# --- Recording a meeting ----------------------------------------------------------------------------------------


class TestCreate:
    def test_a_community_leader_gets_his_community_chosen_and_only_community_kinds(
        self, places, community_leader, client_for
    ):
        form = client_for(community_leader).get(CREATE).context["form"]
        assert list(form.fields["community"].queryset) == [places.community_a]
        assert form.initial["community"] == places.community_a.pk
        assert form.initial["host_unit"] == "德加社区"
        assert [k.code for k in form.fields["kind"].queryset] == ["community_forum"]
        assert form.initial["held_on"] == TODAY()

    def test_a_community_leader_records_a_forum_and_lands_on_its_page(self, places, community_leader, client_for):
        response = client_for(community_leader).post(
            CREATE, form_data(community=places.community_a.pk, host_unit="德加社区居委会")
        )
        meeting = Meeting.objects.get()
        assert response.status_code == 302
        assert response["Location"] == detail_url(meeting)
        assert (meeting.community, meeting.street, meeting.recorded_by) == (
            places.community_a,
            places.street,
            community_leader,
        )
        assert meeting.host_unit == "德加社区居委会"
        assert (meeting.deputies, meeting.cppcc_members, meeting.party_members, meeting.residents) == (1, 0, 6, 15)
        assert meeting.attendee_total == 25
        assert AuditEntry.objects.filter(action=AuditEntry.Action.CREATE, object_id=str(meeting.pk)).exists()
        assert "已记录会议" in " ".join(messages_of(response))

    def test_a_social_worker_records_her_communitys_forum(self, places, worker_a, client_for):
        response = client_for(worker_a).post(CREATE, form_data(community=places.community_a.pk))
        assert response.status_code == 302
        meeting = Meeting.objects.get()
        assert meeting.host_unit == "德加社区"  # left empty: the community's name

    def test_street_staff_record_a_street_forum_without_a_community(self, places, leader, client_for):
        kind = meeting_kind("residents_forum")
        response = client_for(leader).post(CREATE, form_data(kind=kind.pk, community=""))
        assert response.status_code == 302
        meeting = Meeting.objects.get()
        assert (meeting.kind, meeting.community, meeting.street) == (kind, None, places.street)
        assert meeting.host_unit == "街道党工委、办事处"  # the kind's host

    def test_the_kind_can_be_chosen_from_the_link(self, leader, client_for):
        form = client_for(leader).get(CREATE, {"kind": "deputies_forum"}).context["form"]
        assert form.initial["kind"] == meeting_kind("deputies_forum").pk

    @pytest.mark.parametrize(
        ("typed", "field", "message"),
        [
            ({"residents": "-3"}, "residents", "人数不能为负数。"),
            ({"party_members": "三"}, "party_members", "请填写整数人数。"),
            ({"deputies": "100000"}, "deputies", "人数不能超过 10000，请核对。"),
            ({"held_on": "2999-01-01"}, "held_on", "日期不能晚于今天。"),
            ({"place": ""}, "place", "这个字段是必填项。"),
        ],
    )
    def test_bad_input_is_shown_on_the_form_and_nothing_is_saved(
        self, places, community_leader, client_for, typed, field, message
    ):
        response = client_for(community_leader).post(CREATE, form_data(community=places.community_a.pk, **typed))
        assert response.status_code == 200
        assert Meeting.objects.count() == 0
        assert message in response.context["form"].errors[field]
        assert message in response.text
        assert "停车难" in response.text  # what was typed is kept
        assert "请改正标红的内容后再保存" in response.text

    def test_a_future_date_rejected_by_the_service_keeps_the_form(self, places, community_leader, client_for):
        tomorrow = (TODAY() + datetime.timedelta(days=1)).isoformat()
        response = client_for(community_leader).post(
            CREATE, form_data(community=places.community_a.pk, held_on=tomorrow)
        )
        assert response.status_code == 200
        assert response.context["form"].errors["held_on"] == ["日期不能晚于今天。"]
        assert Meeting.objects.count() == 0

    def test_a_community_out_of_scope_is_refused(self, places, community_leader, leader, client_for):
        other = CommunityFactory(street=places.other_street)
        for user, community in ((community_leader, places.community_b), (leader, other)):
            response = client_for(user).post(CREATE, form_data(community=community.pk))
            assert response.status_code == 200
            assert "该村社不在您的管辖范围内。" in response.text
        assert Meeting.objects.count() == 0

    def test_a_street_level_kind_chosen_by_community_staff_is_refused(self, places, community_leader, client_for):
        street_kind = meeting_kind("deputies_forum")
        response = client_for(community_leader).post(
            CREATE, form_data(kind=street_kind.pk, community=places.community_a.pk)
        )
        assert response.status_code == 200
        assert "街道层面的会议由街道工作人员记录" in response.text
        assert Meeting.objects.count() == 0

    def test_the_unit_must_match_the_kind(self, places, leader, client_for):
        client = client_for(leader)
        no_community = client.post(CREATE, form_data(community=""))
        assert no_community.status_code == 200
        assert "村社召开的会议请选择村社。" in no_community.text
        with_community = client.post(
            CREATE, form_data(kind=meeting_kind("residents_forum").pk, community=places.community_a.pk)
        )
        assert with_community.status_code == 200
        assert "街道层面的会议不填写村社。" in with_community.text
        assert Meeting.objects.count() == 0

    def test_the_form_has_big_number_inputs_for_a_phone(self, community_leader, client_for):
        html = client_for(community_leader).get(CREATE).text
        assert html.count('inputmode="numeric"') == 6
        assert 'min="0"' in html
        assert "form-control-lg" in html


# --- Correcting a meeting ---------------------------------------------------------------------------------------


class TestEdit:
    def test_the_community_leader_corrects_what_he_changed(self, forum_a, community_leader, client_for):
        response = client_for(community_leader).post(edit_url(forum_a), edit_data(forum_a, residents="25"))
        assert response.status_code == 302
        assert response["Location"] == detail_url(forum_a)
        forum_a.refresh_from_db()
        assert forum_a.residents == 25
        entry = AuditEntry.objects.get(action=AuditEntry.Action.UPDATE, object_id=str(forum_a.pk))
        assert "residents" in entry.changes

    def test_a_colleagues_concurrent_change_is_kept(self, forum_a, worker_a, community_leader, client_for):
        shown = edit_data(forum_a, topic="加装电梯和停车")
        Meeting.objects.filter(pk=forum_a.pk).update(place="社区礼堂")  # a colleague, meanwhile
        client_for(worker_a).post(edit_url(forum_a), shown)
        forum_a.refresh_from_db()
        assert (forum_a.topic, forum_a.place) == ("加装电梯和停车", "社区礼堂")

    def test_nothing_changed_says_so(self, forum_a, community_leader, client_for):
        response = client_for(community_leader).post(edit_url(forum_a), edit_data(forum_a))
        assert response.status_code == 302
        assert "没有修改任何内容。" in messages_of(response)

    def test_a_bad_correction_is_shown_and_nothing_saved(self, forum_a, community_leader, client_for):
        response = client_for(community_leader).post(edit_url(forum_a), edit_data(forum_a, deputies="-1", topic="新"))
        assert response.status_code == 200
        assert "人数不能为负数。" in response.text
        forum_a.refresh_from_db()
        assert (forum_a.deputies, forum_a.topic) == (1, "加装电梯")

    def test_the_edit_page_shows_the_recorded_values(self, forum_a, community_leader, client_for):
        response = client_for(community_leader).get(edit_url(forum_a))
        assert response.status_code == 200
        assert response.context["form"]["place"].value() == "德加社区二楼会议室"
        assert "修改会议记录" in response.text


# --- One meeting ------------------------------------------------------------------------------------------------


class TestDetail:
    def test_it_shows_everything_recorded_and_the_attendees_by_group(self, forum_a, worker_a, client_for):
        response = client_for(worker_a).get(detail_url(forum_a))
        html = response.text
        for text in ("加装电梯", "居民反映晾衣难", "德加社区二楼会议室", "每2个月一次", "李书记"):
            assert text in html
        assert response.context["groups"] == [
            ("人大代表", 1),
            ("政协委员", 2),
            ("党员", 5),
            ("企退人员", 4),
            ("统战人员", 1),
            ("居民群众", 20),
        ]
        assert "data-attendee-total>33<" in html

    def test_it_lists_the_opinions_it_collected_with_links_and_status(self, places, forum_a, worker_a, client_for):
        new = OpinionFactory(community=places.community_a, meeting=forum_a, text="香港城需要公共晾衣架")
        sorted_one = OpinionFactory(
            community=places.community_a,
            meeting=forum_a,
            status=Opinion.Status.SORTED,
            category=opinion_category("市容市貌"),
        )
        OpinionFactory(community=places.community_a, text="别的会议上的意见")
        response = client_for(worker_a).get(detail_url(forum_a))
        html = response.text
        assert [o.pk for o in response.context["opinions"]] == [new.pk, sorted_one.pk]
        assert reverse("feedback:detail", args=[new.pk]) in html
        assert "香港城需要公共晾衣架" in html
        assert "别的会议上的意见" not in html
        assert 'data-status="new"' in html and "待梳理" in html
        assert "已分类" in html and "市容市貌" in html
        assert "收集的意见建议（2 条）" in html

    def test_it_offers_to_record_the_opinions_of_this_meeting(self, forum_a, worker_a, client_for):
        html = client_for(worker_a).get(detail_url(forum_a)).text
        assert "记录本次会议收集的意见" in html
        assert f"{reverse('feedback:create')}?meeting={forum_a.pk}" in html

    def test_only_opinions_the_viewer_may_see_are_listed(self, places, street_forum, worker_a, leader, client_for):
        mine = OpinionFactory(community=places.community_a, meeting=street_forum)
        theirs = OpinionFactory(community=places.community_b, meeting=street_forum)
        assert [o.pk for o in client_for(worker_a).get(detail_url(street_forum)).context["opinions"]] == [mine.pk]
        assert [o.pk for o in client_for(leader).get(detail_url(street_forum)).context["opinions"]] == [
            mine.pk,
            theirs.pk,
        ]

    def test_it_marks_an_overdue_opinion(self, places, forum_a, worker_a, community_leader, client_for):
        OpinionFactory(
            community=places.community_a,
            meeting=forum_a,
            status=Opinion.Status.ASSIGNED,
            responsible=worker_a,
            due_on=TODAY() - datetime.timedelta(days=2),
        )
        html = client_for(community_leader).get(detail_url(forum_a)).text
        assert "已逾期" in html
        assert "责任人：张丽" in html

    def test_the_edit_button_shows_to_those_who_may_correct_it(self, forum_a, worker_a, system_admin, client_for):
        assert edit_url(forum_a) in client_for(worker_a).get(detail_url(forum_a)).text
        admin_page = client_for(system_admin).get(detail_url(forum_a)).text
        assert edit_url(forum_a) not in admin_page  # no street: records nothing
        assert f"{reverse('feedback:create')}?meeting={forum_a.pk}" not in admin_page

    def test_it_takes_a_fixed_number_of_queries(
        self, places, forum_a, leader, client_for, django_assert_max_num_queries
    ):
        for _ in range(30):
            OpinionFactory(
                community=places.community_a,
                meeting=forum_a,
                status=Opinion.Status.ASSIGNED,
                responsible=leader,
                category=opinion_category(),
                due_on=TODAY(),
            )
        client = client_for(leader)
        with django_assert_max_num_queries(8):
            response = client.get(detail_url(forum_a))
        assert len(response.context["opinions"]) == 30
