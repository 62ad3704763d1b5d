"""Topic meetings (专题会议): the list, recording one on a group of open opinions, and its page.

Street leaders and leaders in charge hold them (others get 403 on the form). A topic meeting is seen by the
street's staff, by its chair, and by community staff whose opinions it took up; worker_b, whose community had
none on the table, and another street's leader get 404.
"""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from feedback import services
from feedback.models import Opinion, OpinionEvent, TopicMeeting
from tests.factories import MeetingFactory, OpinionFactory, TopicMeetingFactory, UserFactory, opinion_category
from wenxin.roles import Role

Status = Opinion.Status
TODAY = timezone.localdate


def url(name: str, *args) -> str:
    return reverse(f"feedback:{name}", args=args)


@pytest.fixture
def forum_a(places, community_leader):
    return MeetingFactory(community=places.community_a, recorded_by=community_leader)


@pytest.fixture
def rack(places, forum_a):
    return OpinionFactory(
        community=places.community_a, meeting=forum_a, text="香港城建公共晾衣架", category=opinion_category("实事工程")
    )


@pytest.fixture
def litter(places, forum_a):
    return OpinionFactory(
        community=places.community_a,
        meeting=forum_a,
        text="楼道堆放杂物",
        status=Status.SORTED,
        category=opinion_category("环境卫生"),
    )


@pytest.fixture
def closed(places, forum_a):
    return OpinionFactory(community=places.community_a, meeting=forum_a, text="已办结的事", status=Status.RESOLVED)


@pytest.fixture
def topic(leader, deputy, rack):
    return services.topic_meeting_create(
        actor=leader,
        title="晾衣架建设专题会",
        held_on=TODAY(),
        chaired_by=deputy,
        opinions=[rack],
        attendees="城管科、德加社区",
        decisions="城管科两周内出方案",
    )


def form_data(**typed) -> dict:
    data = {"title": "环境整治专题会", "held_on": TODAY().isoformat(), "attendees": "城管科", "decisions": "限期清理"}
    data.update(typed)
    return data


# --- The list -------------------------------------------------------------------------------------------------


class TestTopicList:
    def test_street_staff_and_the_community_whose_opinions_it_took_up_see_it(
        self, client_for, leader, staff, community_leader, worker_a, topic
    ):
        for user in (leader, staff, community_leader, worker_a):
            response = client_for(user).get(url("topic_list"))
            assert response.status_code == 200
            assert [t.pk for t in response.context["page"].object_list] == [topic.pk], user
            assert "晾衣架建设专题会" in response.text
            assert url("topic_detail", topic.pk) in response.text
        assert client_for(leader).get(url("topic_list")).context["page"].object_list[0].opinion_count == 1

    def test_another_community_and_another_street_do_not(self, client_for, worker_b, other_street_leader, topic):
        for user in (worker_b, other_street_leader):
            response = client_for(user).get(url("topic_list"))
            assert response.status_code == 200
            assert list(response.context["page"].object_list) == []
            assert "晾衣架建设专题会" not in response.text

    def test_only_those_who_hold_topic_meetings_are_offered_to_record_one(
        self, client_for, deputy, community_leader, places
    ):
        assert url("topic_create") in client_for(deputy).get(url("topic_list")).text
        assert url("topic_create") not in client_for(community_leader).get(url("topic_list")).text

    def test_anonymous_is_sent_to_log_in(self, client, places):
        for name in ("topic_list", "topic_create"):
            response = client.get(url(name))
            assert response.status_code == 302
            assert response.url.startswith(reverse("login"))

    def test_it_pages_and_does_not_grow_with_meetings(
        self, client_for, leader, places, rack, django_assert_max_num_queries
    ):
        client = client_for(leader)

        def add(count):
            for n in range(count):
                chair = UserFactory(role=Role.LEADER_IN_CHARGE, street=places.street)
                meeting = TopicMeetingFactory(street=places.street, chaired_by=chair, title=f"专题{n}")
                OpinionFactory(community=places.community_a, meeting=rack.meeting, topic_meeting=meeting)

        add(2)
        # 4: session, user, the page's count and rows (with the chair and the count of opinions).
        with django_assert_max_num_queries(4) as small:
            assert len(client.get(url("topic_list")).context["page"].object_list) == 2
        bound = len(small.captured_queries)
        add(30)
        with django_assert_max_num_queries(bound):
            response = client.get(url("topic_list"))
        assert len(response.context["page"].object_list) == 25
        assert response.context["page"].paginator.count == 32
        assert all(t.opinion_count == 1 for t in response.context["page"].object_list)


# --- Recording one --------------------------------------------------------------------------------------------


class TestTopicCreate:
    def test_a_leader_records_one_on_ticked_open_opinions(self, client_for, leader, deputy, rack, litter, closed):
        client = client_for(leader)
        page = client.get(url("topic_create"))
        assert page.status_code == 200
        assert {o.pk for o in page.context["candidates"]} == {rack.pk, litter.pk}  # not the closed one
        assert page.context["form"].initial["chaired_by"] == leader.pk
        response = client.post(url("topic_create"), form_data(chaired_by=deputy.pk, opinions=[rack.pk, litter.pk]))
        topic = TopicMeeting.objects.get()
        assert response.status_code == 302
        assert response.url == url("topic_detail", topic.pk)
        assert (topic.title, topic.chaired_by, topic.recorded_by, topic.decisions) == (
            "环境整治专题会",
            deputy,
            leader,
            "限期清理",
        )
        assert set(topic.opinions.all()) == {rack, litter}
        assert OpinionEvent.objects.filter(opinion__in=[rack, litter], note__contains="环境整治专题会").count() == 2

    def test_the_category_filter_narrows_the_candidates_and_keeps_what_is_ticked(
        self, client_for, leader, rack, litter
    ):
        client = client_for(leader)
        category = opinion_category("环境卫生")
        page = client.get(url("topic_create"), {"category": category.pk})
        assert [o.pk for o in page.context["candidates"]] == [litter.pk]
        assert f"?category={category.pk}" in page.text  # the form posts back to the same narrowed list
        # A refused save shows the ticked opinion even when the filter would hide it.
        response = client.post(f"{url('topic_create')}?category={category.pk}", form_data(title="", opinions=[rack.pk]))
        assert response.status_code == 200
        assert {o.pk for o in response.context["candidates"]} == {rack.pk, litter.pk}
        assert f'value="{rack.pk}" checked' in response.text
        for garbage in ("abc", "99999"):
            assert client.get(url("topic_create"), {"category": garbage}).status_code == 200

    @pytest.mark.parametrize(
        ("typed", "message"),
        [
            ({"opinions": []}, "请选择会议研究的意见建议。"),
            ({"opinions": ["abc"]}, "“abc”不是有效的意见编号。"),
            ({"opinions": ["99999"]}, "只能选择您可以查看的、尚未办结的意见建议。"),
            ({"opinions": ["CLOSED"]}, "只能选择您可以查看的、尚未办结的意见建议。"),
            ({"title": ""}, "请填写议题。"),
            ({"title": "题" * 201}, "不能超过 200 个字"),
            ({"held_on": "FUTURE"}, "日期不能晚于今天。"),
            ({"held_on": "昨天"}, "请填写有效的日期。"),
            ({"chaired_by": "WORKER"}, "主持人须为本街道的领导。"),
            ({"chaired_by": "abc"}, "主持人须为本街道的领导。"),
        ],
    )
    def test_bad_input_is_refused_in_chinese_and_nothing_is_saved(
        self, client_for, leader, deputy, worker_a, rack, closed, typed, message
    ):
        data = form_data(chaired_by=deputy.pk, opinions=[rack.pk], decisions="保留的决定")
        data.update(typed)
        if data["opinions"] == ["CLOSED"]:
            data["opinions"] = [closed.pk]
        if data["held_on"] == "FUTURE":
            data["held_on"] = (TODAY() + datetime.timedelta(days=1)).isoformat()
        if data["chaired_by"] == "WORKER":
            data["chaired_by"] = worker_a.pk
        response = client_for(leader).post(url("topic_create"), data)
        assert response.status_code == 200
        assert message in response.text
        assert "保留的决定" in response.text
        assert not TopicMeeting.objects.exists()
        rack.refresh_from_db()
        assert rack.topic_meeting is None

    def test_an_opinion_the_deputy_does_not_see_cannot_be_taken_up(self, client_for, deputy, rack):
        response = client_for(deputy).post(url("topic_create"), form_data(chaired_by=deputy.pk, opinions=[rack.pk]))
        assert response.status_code == 200
        assert "只能选择您可以查看的、尚未办结的意见建议。" in response.text
        assert not TopicMeeting.objects.exists()

    @pytest.mark.parametrize("persona", ["community_leader", "chief", "worker_a", "staff", "system_admin"])
    def test_others_may_not_hold_one(self, request, client_for, persona, rack, deputy):
        client = client_for(request.getfixturevalue(persona))
        assert client.get(url("topic_create")).status_code == 403
        assert client.post(url("topic_create"), form_data(chaired_by=deputy.pk, opinions=[rack.pk])).status_code == 403
        assert not TopicMeeting.objects.exists()


# --- Its page -------------------------------------------------------------------------------------------------


class TestTopicDetail:
    def test_it_shows_the_decisions_and_the_opinions_it_took_up(self, client_for, deputy, topic, rack):
        response = client_for(deputy).get(url("topic_detail", topic.pk))
        assert response.status_code == 200
        for text in ("晾衣架建设专题会", "吴副主任", "城管科、德加社区", "城管科两周内出方案", "香港城建公共晾衣架"):
            assert text in response.text
        assert url("detail", rack.pk) in response.text

    def test_the_opinion_page_links_back_to_it(self, client_for, deputy, topic, rack):
        assert url("topic_detail", topic.pk) in client_for(deputy).get(url("detail", rack.pk)).text

    @pytest.mark.parametrize("persona", ["worker_b", "other_street_leader"])
    def test_out_of_scope_it_is_not_found(self, request, client_for, persona, topic):
        assert client_for(request.getfixturevalue(persona)).get(url("topic_detail", topic.pk)).status_code == 404

    def test_anonymous_is_sent_to_log_in(self, client, topic):
        assert client.get(url("topic_detail", topic.pk)).url.startswith(reverse("login"))
