"""No lost updates on opinions: every step checks the version its page was opened at.

Community A's leader (李书记) and the street leader both dispatch community A's opinions. Two dispatchers who
assign (or reassign) the same opinion from pages opened at the same version: the first assignment stands, the
second is refused with who assigned it, when, and the responsible person and date beside hers. The same under
real concurrent transactions: tests/security/test_concurrent_edits.py.
"""

from __future__ import annotations

import datetime
import re

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from feedback import services
from feedback.models import Opinion, OpinionEvent
from households.forms import STALE_PAGE
from tests.factories import MeetingFactory, OpinionFactory, opinion_category
from wenxin.concurrency import EditConflict

Status = Opinion.Status


def days(n: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=n)


def stored(opinion: Opinion) -> Opinion:
    return Opinion.objects.get(pk=opinion.pk)


def url(name: str, opinion: Opinion) -> str:
    return reverse(f"feedback:{name}", args=[opinion.pk])


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def new_a(places, community_leader):
    forum = MeetingFactory(community=places.community_a, recorded_by=community_leader)
    return OpinionFactory(community=places.community_a, meeting=forum, text="香港城建议增设公共晾衣架")


@pytest.fixture
def sorted_a(new_a, community_leader):
    return services.opinion_sort(actor=community_leader, opinion=new_a, category=opinion_category("实事工程"))


@pytest.fixture
def assigned_a(sorted_a, community_leader, worker_a):
    return services.opinion_assign(actor=community_leader, opinion=sorted_a, responsible=worker_a, due_on=days(10))


class TestSteps:
    def test_each_step_raises_the_version_by_one(self, new_a, community_leader, worker_a):
        assert stored(new_a).version == 1
        services.opinion_sort(actor=community_leader, opinion=new_a, category=opinion_category(), expected_version=1)
        services.opinion_assign(
            actor=community_leader, opinion=new_a, responsible=worker_a, due_on=days(5), expected_version=2
        )
        services.opinion_start(actor=worker_a, opinion=new_a, expected_version=3)
        services.opinion_resolve(actor=worker_a, opinion=new_a, resolution="已安装", expected_version=4)
        assert (stored(new_a).status, stored(new_a).version) == (Status.RESOLVED, 5)

    def test_two_dispatchers_assigning_at_once_the_second_is_refused(
        self, sorted_a, community_leader, leader, worker_a, worker_a2
    ):
        opened_at = stored(sorted_a).version  # both pages opened now
        services.opinion_assign(
            actor=community_leader, opinion=stored(sorted_a), responsible=worker_a, due_on=days(10),
            expected_version=opened_at,
        )  # fmt: skip
        with pytest.raises(EditConflict) as refused:
            services.opinion_assign(
                actor=leader, opinion=stored(sorted_a), responsible=worker_a2, due_on=days(3),
                expected_version=opened_at,
            )  # fmt: skip
        message = "".join(refused.value.messages)
        assert "李书记" in message and "已分类 → 已交办" in message
        event = OpinionEvent.objects.filter(opinion=sorted_a).latest("pk")
        assert f"{timezone.localtime(event.at):%Y-%m-%d %H:%M}" in message
        assert "责任人：现为「张丽」，您填写的是「陈静」" in message
        assert f"完成期限：现为「{days(10).isoformat()}」，您填写的是「{days(3).isoformat()}」" in message
        after = stored(sorted_a)
        assert (after.responsible, after.due_on, after.version) == (worker_a, days(10), opened_at + 1)
        assert OpinionEvent.objects.filter(opinion=sorted_a, to_status=Status.ASSIGNED).count() == 1

    def test_a_reassignment_is_checked_too(self, assigned_a, community_leader, leader, worker_a2, worker_b):
        opened_at = stored(assigned_a).version
        services.opinion_assign(
            actor=leader, opinion=stored(assigned_a), responsible=worker_a2, due_on=days(4), expected_version=opened_at
        )
        with pytest.raises(EditConflict) as refused:
            services.opinion_assign(
                actor=community_leader,
                opinion=stored(assigned_a),
                responsible=worker_a2,
                due_on=days(20),
                expected_version=opened_at,
            )
        assert "完成期限：现为" in "".join(refused.value.messages)
        assert stored(assigned_a).due_on == days(4)

    def test_starting_from_a_page_opened_before_a_reassignment_is_refused(self, assigned_a, community_leader, worker_a):
        opened_at = stored(assigned_a).version
        services.opinion_assign(
            actor=community_leader, opinion=stored(assigned_a), responsible=worker_a, due_on=days(2)
        )  # the date moved: she should see it before taking it in hand
        with pytest.raises(EditConflict):
            services.opinion_start(actor=worker_a, opinion=stored(assigned_a), expected_version=opened_at)
        assert stored(assigned_a).status == Status.ASSIGNED

    @pytest.mark.parametrize("step", ["resolve", "explain"])
    def test_closing_from_an_outdated_page_is_refused(self, assigned_a, community_leader, worker_a, step):
        services.opinion_start(actor=worker_a, opinion=stored(assigned_a))
        opened_at = stored(assigned_a).version
        services.opinion_assign(
            actor=community_leader, opinion=stored(assigned_a), responsible=worker_a, due_on=days(1)
        )
        close = services.opinion_resolve if step == "resolve" else services.opinion_explain
        text = {"resolution": "已办"} if step == "resolve" else {"explanation": "规划不允许"}
        with pytest.raises(EditConflict):
            close(actor=worker_a, opinion=stored(assigned_a), expected_version=opened_at, **text)
        assert stored(assigned_a).closed_at is None

    def test_a_split_from_an_outdated_page_is_refused(self, new_a, community_leader):
        opened_at = stored(new_a).version
        services.opinion_sort(actor=community_leader, opinion=stored(new_a), category=opinion_category())
        with pytest.raises(EditConflict):
            services.opinion_split(
                actor=community_leader,
                opinion=stored(new_a),
                parts=[("甲", opinion_category()), ("乙", opinion_category())],
                expected_version=opened_at,
            )
        assert not stored(new_a).parts.exists()

    def test_internal_callers_without_a_version_are_not_checked(self, sorted_a, community_leader, worker_a):
        stale = Opinion.objects.get(pk=sorted_a.pk)
        services.opinion_assign(actor=community_leader, opinion=sorted_a, responsible=worker_a, due_on=days(3))
        services.opinion_assign(actor=community_leader, opinion=stale, responsible=worker_a, due_on=days(4))
        assert (stored(sorted_a).due_on, stored(sorted_a).version) == (days(4), 4)

    def test_a_topic_meeting_taking_it_up_raises_the_version(self, assigned_a, leader):
        before = stored(assigned_a).version
        services.topic_meeting_create(
            actor=leader, title="晾衣架建设", held_on=days(0), chaired_by=leader, opinions=[assigned_a]
        )
        assert stored(assigned_a).version == before + 1


class TestStepPages:
    def test_the_step_pages_and_buttons_carry_the_version(self, client_for, community_leader, worker_a, assigned_a):
        version = stored(assigned_a).version
        hidden = f'<input type="hidden" name="version" value="{version}"'
        assert hidden in client_for(community_leader).get(url("assign", assigned_a)).content.decode()
        assert hidden in client_for(worker_a).get(url("detail", assigned_a)).content.decode()  # the start button
        assert hidden in client_for(worker_a).get(reverse("feedback:mine")).content.decode()
        assert hidden in client_for(worker_a).get(url("start", assigned_a)).content.decode()

    def test_the_sort_and_split_pages_carry_the_version(self, client_for, community_leader, new_a):
        client = client_for(community_leader)
        hidden = '<input type="hidden" name="version" value="1"'
        assert hidden in client.get(url("detail", new_a)).content.decode()  # the sort form on the page
        assert hidden in client.get(url("split", new_a)).content.decode()

    def test_the_second_dispatcher_sees_who_assigned_it_and_keeps_her_choice(
        self, client_for, community_leader, leader, worker_a, worker_a2, sorted_a
    ):
        opened_at = stored(sorted_a).version
        his = {"responsible": worker_a.pk, "due_on": days(10).isoformat(), "version": opened_at}
        hers = {"responsible": worker_a2.pk, "due_on": days(3).isoformat(), "note": "请尽快", "version": opened_at}
        assert client_for(community_leader).post(url("assign", sorted_a), his).status_code == 302

        refused = client_for(leader).post(url("assign", sorted_a), hers)
        assert refused.status_code == 200
        text = refused.content.decode()
        assert "保存未成功：意见建议" in text and "李书记" in text
        assert "责任人：现为「张丽」，您填写的是「陈静」" in text
        assert re.search(rf'name="version" value="{opened_at + 1}"', text)
        form = refused.context["form"]
        assert (form["note"].value(), str(form["responsible"].value())) == ("请尽快", str(worker_a2.pk))
        assert stored(sorted_a).responsible == worker_a

        again = {**hers, "version": opened_at + 1}  # she reassigns deliberately, now that she has seen his
        assert client_for(leader).post(url("assign", sorted_a), again).status_code == 302
        assert (stored(sorted_a).responsible, stored(sorted_a).version) == (worker_a2, opened_at + 2)

    def test_a_second_sort_is_sent_back_with_who_sorted_it(self, client_for, community_leader, leader, new_a):
        data = {"category": opinion_category("实事工程").pk, "version": 1}
        client_for(community_leader).post(url("sort", new_a), data)
        response = client_for(leader).post(url("sort", new_a), {**data, "category": opinion_category().pk})
        assert response.status_code == 302
        said = " ".join(messages_of(response))
        assert "李书记" in said and "待梳理 → 已分类" in said
        assert stored(new_a).category == opinion_category("实事工程")

    def test_a_step_without_the_version_is_refused_as_an_outdated_page(self, client_for, worker_a, assigned_a):
        response = client_for(worker_a).post(url("start", assigned_a), {"note": "已到现场"})
        assert response.status_code == 200
        assert str(STALE_PAGE) in response.content.decode()
        assert stored(assigned_a).status == Status.ASSIGNED
