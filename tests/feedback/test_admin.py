"""Meetings, opinions, topic meetings, the kinds of meeting and the opinion categories in the Django admin.

Places (tests/conftest.py): our street (文新街道) with community A (德加社区) and community B (益乐社区), and another
street (翠苑街道). Each community held a forum that collected one opinion; the street held a deputies' forum; the
other street held one too. Records are read here (written on the product pages); the office's data is edited.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from feedback import services
from feedback.models import Meeting, MeetingKind, Opinion, OpinionCategory, TopicMeeting
from tests.factories import (
    CommunityFactory,
    MeetingFactory,
    OpinionFactory,
    TopicMeetingFactory,
    UserFactory,
    meeting_kind,
    opinion_category,
)
from wenxin.models import User
from wenxin.roles import Role, group_name, sync_role_groups
from wenxin.services import user_sync_role


@pytest.fixture(autouse=True)
def role_groups(db):
    """The role groups exactly as migrate builds them from wenxin.roles."""
    sync_role_groups()


@pytest.fixture
def admin_client_for(client_for):
    """A client logged in as the user, with the group (and admin access) of their role."""

    def make(user):
        user_sync_role(user=user)
        return client_for(user)

    return make


@pytest.fixture
def superuser(places) -> User:
    return UserFactory(username="root", full_name="超级管理员", role=Role.SYSTEM_ADMIN, street=None, is_superuser=True)


def changelist(model: str) -> str:
    return reverse(f"admin:feedback_{model}_changelist")


def change_url(obj) -> str:
    return reverse(f"admin:feedback_{obj._meta.model_name}_change", args=[obj.pk])


@dataclass
class World:
    meetings: dict[str, Meeting]
    opinions: dict[str, Opinion]
    topic: TopicMeeting


@pytest.fixture
def world(places, leader, deputy, worker_a) -> World:
    other_community = CommunityFactory(street=places.other_street, name="翠苑一社区")
    meetings = {
        "a": MeetingFactory(community=places.community_a, place="德加社区议事厅", topic="晾衣架选址"),
        "b": MeetingFactory(community=places.community_b, place="益乐社区活动室", topic="停车难"),
        "street": MeetingFactory(
            community=None,
            street=places.street,
            kind=meeting_kind("deputies_forum"),
            place="街道三楼会议室",
            topic="第三季度社情民意",
        ),
        "other": MeetingFactory(community=other_community, place="翠苑会议室", topic="翠苑的议题"),
    }
    opinions = {
        "a": OpinionFactory(community=places.community_a, meeting=meetings["a"], text="香港城需要公共晾衣架"),
        "b": OpinionFactory(community=places.community_b, meeting=meetings["b"], text="益乐新村停车位不足"),
        "street_a": OpinionFactory(community=places.community_a, meeting=meetings["street"], text="德加路口加装信号灯"),
        "street_b": OpinionFactory(community=places.community_b, meeting=meetings["street"], text="益乐路人行道破损"),
        "other": OpinionFactory(community=other_community, meeting=meetings["other"], text="翠苑小区路灯不亮"),
    }
    topic = TopicMeetingFactory(street=places.street, chaired_by=deputy, title="晾衣架专题会")
    Opinion.objects.filter(pk__in=[opinions["a"].pk, opinions["street_a"].pk]).update(topic_meeting=topic)
    return World(meetings, opinions, topic)


# --- Permissions of the roles ---------------------------------------------------------------------------------------


def test_admin_roles_read_every_feedback_model_and_only_leaders_keep_the_vocabulary(role_groups):
    def perms(role: str) -> set[str]:
        group = Group.objects.get(name=group_name(role))
        return set(group.permissions.filter(content_type__app_label="feedback").values_list("codename", flat=True))

    readable = {f"view_{model}" for model in ("meetingkind", "meeting", "opinioncategory", "opinion", "opinionevent")}
    readable.add("view_topicmeeting")
    vocabulary = {"add_opinioncategory", "change_opinioncategory", "add_meetingkind", "change_meetingkind"}
    for role in (Role.SYSTEM_ADMIN, Role.STREET_LEADER):
        assert perms(role) == readable | vocabulary, role
    for role in (Role.LEADER_IN_CHARGE, Role.CADRE, Role.SECTION_CHIEF, Role.COMMUNITY_LEADER):
        assert perms(role) == readable, role
    for role in (Role.DEPARTMENT_STAFF, Role.SOCIAL_WORKER):  # they do not use the admin
        assert perms(role) == set(), role


# --- Meetings ---------------------------------------------------------------------------------------------------


def test_a_street_leader_lists_the_streets_meetings_and_none_of_another_streets(admin_client_for, leader, world):
    response = admin_client_for(leader).get(changelist("meeting"))

    assert response.status_code == 200
    for key in ("a", "b", "street"):
        assert change_url(world.meetings[key]) in response.text
    assert change_url(world.meetings["other"]) not in response.text
    assert "翠苑" not in response.text  # not even in the filters


def test_a_community_leader_lists_his_communitys_meetings_and_the_streets(admin_client_for, community_leader, world):
    response = admin_client_for(community_leader).get(changelist("meeting"))

    assert response.status_code == 200
    assert change_url(world.meetings["a"]) in response.text
    assert change_url(world.meetings["street"]) in response.text
    assert change_url(world.meetings["b"]) not in response.text
    assert "益乐社区" not in response.text  # nor in the community filter


def test_the_leader_of_another_street_sees_none_of_our_meetings(admin_client_for, other_street_leader, world):
    response = admin_client_for(other_street_leader).get(changelist("meeting"))

    assert change_url(world.meetings["other"]) in response.text
    for key in ("a", "b", "street"):
        assert change_url(world.meetings[key]) not in response.text


def test_meetings_are_filtered_by_kind_and_found_by_place_or_topic(admin_client_for, leader, world):
    client = admin_client_for(leader)

    by_kind = client.get(changelist("meeting"), {"kind__id__exact": meeting_kind("deputies_forum").pk})
    by_place = client.get(changelist("meeting"), {"q": "议事厅"})
    by_topic = client.get(changelist("meeting"), {"q": "停车难"})

    assert [m.pk for m in by_kind.context["cl"].result_list] == [world.meetings["street"].pk]
    assert [m.pk for m in by_place.context["cl"].result_list] == [world.meetings["a"].pk]
    assert [m.pk for m in by_topic.context["cl"].result_list] == [world.meetings["b"].pk]


def test_a_meetings_page_shows_only_the_opinions_the_reader_may_see(admin_client_for, community_leader, world):
    response = admin_client_for(community_leader).get(change_url(world.meetings["street"]))

    assert response.status_code == 200
    assert "德加路口加装信号灯" in response.text
    assert "益乐路人行道破损" not in response.text
    assert reverse("feedback:meeting_detail", args=[world.meetings["street"].pk]) in response.text


def test_a_meeting_out_of_scope_answers_like_a_missing_one(admin_client_for, community_leader, world):
    client = admin_client_for(community_leader)

    theirs = client.get(change_url(world.meetings["b"]))
    missing = client.get(reverse("admin:feedback_meeting_change", args=[999999]))

    assert theirs.status_code == missing.status_code == 302
    assert theirs.url == missing.url == reverse("admin:index")


def test_meetings_are_not_added_changed_or_deleted_here(admin_client_for, system_admin, world):
    client = admin_client_for(system_admin)
    meeting = world.meetings["a"]

    assert client.get(reverse("admin:feedback_meeting_add")).status_code == 403
    assert client.post(change_url(meeting), {"place": "别处"}).status_code == 403
    assert client.post(reverse("admin:feedback_meeting_delete", args=[meeting.pk]), {"post": "yes"}).status_code == 403
    meeting.refresh_from_db()
    assert meeting.place == "德加社区议事厅"


# --- Opinions ---------------------------------------------------------------------------------------------------


def test_a_community_leader_lists_only_his_communitys_opinions(admin_client_for, community_leader, world):
    response = admin_client_for(community_leader).get(changelist("opinion"))

    assert response.status_code == 200
    shown = {o.pk for o in response.context["cl"].result_list}
    assert shown == {world.opinions["a"].pk, world.opinions["street_a"].pk}
    assert "益乐" not in response.text


def test_a_street_leader_lists_the_streets_opinions(admin_client_for, leader, world):
    response = admin_client_for(leader).get(changelist("opinion"))

    shown = {o.pk for o in response.context["cl"].result_list}
    assert shown == {world.opinions[key].pk for key in ("a", "b", "street_a", "street_b")}
    assert "翠苑" not in response.text


def test_the_leader_of_another_street_sees_none_of_our_opinions(admin_client_for, other_street_leader, world):
    client = admin_client_for(other_street_leader)

    response = client.get(changelist("opinion"))

    assert {o.pk for o in response.context["cl"].result_list} == {world.opinions["other"].pk}
    assert client.get(change_url(world.opinions["a"])).url == reverse("admin:index")


def test_an_opinion_out_of_scope_answers_like_a_missing_one(admin_client_for, community_leader, world):
    client = admin_client_for(community_leader)

    theirs = client.get(change_url(world.opinions["b"]))
    missing = client.get(reverse("admin:feedback_opinion_change", args=[999999]))
    history = client.get(reverse("admin:feedback_opinion_history", args=[world.opinions["b"].pk]))

    assert theirs.status_code == missing.status_code == 302
    assert theirs.url == missing.url == reverse("admin:index")
    assert history.status_code in (302, 403, 404)
    assert "益乐新村停车位不足" not in getattr(history, "text", "")


def test_opinions_are_filtered_by_status_source_category_and_overdue(admin_client_for, leader, world, places):
    opinion = world.opinions["b"]
    Opinion.objects.filter(pk=opinion.pk).update(
        status=Opinion.Status.ASSIGNED, category=opinion_category("交通秩序"), due_on="2020-01-01"
    )
    client = admin_client_for(leader)

    def shown(**params) -> set[int]:
        return {o.pk for o in client.get(changelist("opinion"), params).context["cl"].result_list}

    assert shown(status__exact="assigned") == {opinion.pk}
    assert shown(category__id__exact=opinion_category("交通秩序").pk) == {opinion.pk}
    assert shown(overdue="yes") == {opinion.pk}
    assert shown(source__exact="online") == set()
    assert shown(community__id__exact=places.community_b.pk) == {opinion.pk, world.opinions["street_b"].pk}
    assert shown(q="晾衣架") == {world.opinions["a"].pk}


def test_an_opinions_page_shows_its_history_and_links_to_where_it_is_handled(admin_client_for, leader, deputy, world):
    # The deputy chairs the topic meeting that took it up, so he may sort it.
    opinion = services.opinion_sort(actor=deputy, opinion=world.opinions["a"], category=opinion_category("市容市貌"))

    response = admin_client_for(leader).get(change_url(opinion))

    assert response.status_code == 200
    assert reverse("feedback:detail", args=[opinion.pk]) in response.text
    assert "吴副主任" in response.text  # who sorted it, in the history
    assert "已分类" in response.text
    assert 'name="text"' not in response.text  # read, not edited


@pytest.mark.parametrize("persona", ["system_admin", "superuser", "leader"])
def test_nobody_adds_changes_or_deletes_an_opinion_here(request, admin_client_for, world, persona):
    client = admin_client_for(request.getfixturevalue(persona))
    opinion = world.opinions["a"]

    assert client.get(change_url(opinion)).status_code == 200
    assert client.get(reverse("admin:feedback_opinion_add")).status_code == 403
    assert client.post(change_url(opinion), {"text": "改写", "status": "resolved"}).status_code == 403
    delete_url = reverse("admin:feedback_opinion_delete", args=[opinion.pk])
    assert client.post(delete_url, {"post": "yes"}).status_code == 403
    bulk = {"action": "delete_selected", "_selected_action": [opinion.pk], "post": "yes"}
    client.post(changelist("opinion"), bulk)
    opinion.refresh_from_db()
    assert (opinion.text, opinion.status) == ("香港城需要公共晾衣架", Opinion.Status.NEW)


@pytest.mark.parametrize("count", [30, 130])
def test_the_opinion_list_runs_a_bounded_number_of_queries(
    admin_client_for, leader, places, count, django_assert_max_num_queries
):
    meeting = MeetingFactory(community=places.community_a)
    categories = list(OpinionCategory.objects.all()[:4])
    for n in range(count):
        OpinionFactory(
            community=places.community_a if n % 2 else places.community_b,
            meeting=meeting,
            status=Opinion.Status.ASSIGNED,
            category=categories[n % 4],
            responsible=leader,
            due_on="2020-01-01",
        )
    client = admin_client_for(leader)

    with django_assert_max_num_queries(12):
        response = client.get(changelist("opinion"))

    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == min(count, 100)


def test_the_meeting_list_runs_a_bounded_number_of_queries(
    admin_client_for, leader, places, django_assert_max_num_queries
):
    for n in range(120):
        meeting = MeetingFactory(community=places.community_a if n % 2 else places.community_b)
        OpinionFactory(community=meeting.community, meeting=meeting)
    for _ in range(40):
        OpinionFactory(community=meeting.community, meeting=meeting, category=opinion_category("环境卫生"))
    client = admin_client_for(leader)

    with django_assert_max_num_queries(14):
        response = client.get(changelist("meeting"))
    with django_assert_max_num_queries(14):
        page = client.get(change_url(meeting))

    assert response.status_code == 200
    assert response.context["cl"].result_list[0].opinions_collected in (1, 41)
    assert page.status_code == 200
    assert page.text.count("环境卫生") >= 40


# --- Topic meetings ---------------------------------------------------------------------------------------------


def test_topic_meetings_are_read_with_the_opinions_they_took_up(admin_client_for, leader, community_leader, world):
    listing = admin_client_for(leader).get(changelist("topicmeeting"))
    page = admin_client_for(community_leader).get(change_url(world.topic))

    assert listing.status_code == 200
    assert listing.context["cl"].result_list[0].opinions_taken_up == 2
    assert page.status_code == 200
    assert "香港城需要公共晾衣架" in page.text
    assert reverse("feedback:topic_detail", args=[world.topic.pk]) in page.text
    assert admin_client_for(leader).post(change_url(world.topic), {"title": "改名"}).status_code == 403


def test_a_topic_meeting_of_another_street_is_not_served(admin_client_for, other_street_leader, world):
    response = admin_client_for(other_street_leader).get(change_url(world.topic))

    assert response.status_code == 302
    assert response.url == reverse("admin:index")


# --- The office's data: categories and kinds of meeting -------------------------------------------------------


def category_form(category: OpinionCategory, **changes) -> dict:
    data = {"name": category.name, "group": category.group, "sort_order": category.sort_order}
    if category.is_active:
        data["is_active"] = "on"
    return {**data, **changes}


@pytest.mark.parametrize("persona", ["system_admin", "leader"])
def test_a_system_admin_or_street_leader_edits_and_adds_categories(request, admin_client_for, places, persona):
    client = admin_client_for(request.getfixturevalue(persona))
    category = opinion_category("精神文明")

    changed = client.post(change_url(category), category_form(category, name="文明实践", is_active=""))
    added = client.post(
        reverse("admin:feedback_opinioncategory_add"),
        {"name": "安全生产", "group": "enterprise", "sort_order": 40, "is_active": "on"},
    )

    assert changed.status_code == 302
    assert added.status_code == 302
    category.refresh_from_db()
    assert (category.name, category.is_active) == ("文明实践", False)
    assert OpinionCategory.objects.get(name="安全生产").group == OpinionCategory.Group.ENTERPRISE


@pytest.mark.parametrize("persona", ["deputy", "cadre", "chief", "community_leader"])
def test_other_admin_roles_read_the_categories_without_editing(request, admin_client_for, places, persona):
    client = admin_client_for(request.getfixturevalue(persona))
    category = opinion_category("精神文明")

    assert client.get(changelist("opinioncategory")).status_code == 200
    assert client.get(change_url(category)).status_code == 200
    assert client.post(change_url(category), category_form(category, name="改名")).status_code == 403
    assert client.get(reverse("admin:feedback_opinioncategory_add")).status_code == 403
    category.refresh_from_db()
    assert category.name == "精神文明"


def test_a_category_in_use_is_retired_not_deleted(admin_client_for, system_admin, world):
    category = opinion_category("环境卫生")
    response = admin_client_for(system_admin).post(
        reverse("admin:feedback_opinioncategory_delete", args=[category.pk]), {"post": "yes"}
    )

    assert response.status_code == 403
    assert OpinionCategory.objects.filter(pk=category.pk).exists()


def kind_form(kind: MeetingKind, **changes) -> dict:
    data = {
        "name": kind.name,
        "held_by": kind.held_by,
        "host": kind.host,
        "cadence_months": kind.cadence_months or "",
        "sort_order": kind.sort_order,
        "is_active": "on",
    }
    return {**data, **changes}


def test_a_system_admin_changes_a_cadence_and_the_models_rule_applies(admin_client_for, system_admin, places):
    client = admin_client_for(system_admin)
    kind = meeting_kind("community_forum")

    refused = client.post(change_url(kind), kind_form(kind, cadence_months=5))
    accepted = client.post(change_url(kind), kind_form(kind, cadence_months=3, code="renamed"))

    assert refused.status_code == 200
    assert "cadence_months" in refused.context["adminform"].form.errors
    assert accepted.status_code == 302
    kind.refresh_from_db()
    assert (kind.cadence_months, kind.code) == (3, "community_forum")  # the code is kept


def test_the_kinds_of_meeting_are_read_by_a_deputy_and_not_edited(admin_client_for, deputy, places):
    client = admin_client_for(deputy)
    kind = meeting_kind("deputies_forum")

    listing = client.get(changelist("meetingkind"))

    assert listing.status_code == 200
    assert "每3个月" in listing.text
    assert client.post(change_url(kind), kind_form(kind, cadence_months=6)).status_code == 403


@pytest.mark.parametrize("persona", ["worker_a", "staff"])
def test_roles_outside_the_admin_are_sent_to_its_login(request, admin_client_for, world, persona):
    client = admin_client_for(request.getfixturevalue(persona))

    for url in (changelist("opinion"), changelist("meeting"), changelist("opinioncategory")):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("admin:login"))


@pytest.mark.parametrize("persona", ["superuser", "system_admin", "leader", "deputy", "community_leader"])
def test_every_feedback_admin_page_renders(request, admin_client_for, world, persona):
    client = admin_client_for(request.getfixturevalue(persona))
    rows = [
        world.meetings["a"],
        world.opinions["a"],
        world.topic,
        opinion_category("环境卫生"),
        meeting_kind("community_forum"),
    ]
    for obj in rows:
        model = obj._meta.model_name
        for url in (changelist(model), reverse(f"admin:feedback_{model}_add"), change_url(obj)):
            assert client.get(url).status_code in (200, 403), url
        assert client.get(changelist(model)).status_code == 200, model
