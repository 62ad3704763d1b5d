"""Who sees which opinions, meetings and topic meetings (issue 5, item 7), and the work lists built on that.

Every persona of tests/conftest.py is asked once, against one street where each opinion is there for one reason:
a community, a department, a leader in charge, a topic meeting, a responsible person, a recorder.
"""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404
from django.utils import timezone

from feedback import selectors
from feedback.models import Meeting, Opinion, TopicMeeting
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

Status = Opinion.Status
PERSONAS = [
    "worker_a",
    "worker_a2",
    "worker_b",
    "community_leader",
    "staff",
    "social_affairs_staff",
    "chief",
    "deputy",
    "cadre",
    "leader",
    "other_street_leader",
    "system_admin",
    "anonymous",
    "inactive",
]


def in_days(days: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=days)


@pytest.fixture
def anonymous() -> AnonymousUser:
    return AnonymousUser()


@pytest.fixture
def inactive(places, worker_a):
    """worker_a after she left: she recorded and is responsible for things, and sees none of them."""
    worker_a.is_active = False
    worker_a.save()
    return worker_a


@pytest.fixture
def everyone(request):
    """Every persona created before the rows, so that created_by and responsible can point at them."""
    return {name: request.getfixturevalue(name) for name in PERSONAS if name not in ("anonymous", "inactive")}


@pytest.fixture
def street_meeting(places) -> Meeting:
    return MeetingFactory(community=None, street=places.street, kind=meeting_kind("deputies_forum"))


@pytest.fixture
def opinions(places, everyone, street_meeting) -> dict[str, Opinion]:
    """One opinion per reason to see it; those at street level belong to no community."""
    p = everyone

    def at_street(**fields) -> Opinion:
        return OpinionFactory(community=None, street=places.street, meeting=street_meeting, **fields)

    assigned = {"status": Status.ASSIGNED, "due_on": in_days(7)}
    return {
        "a": OpinionFactory(community=places.community_a),
        "b": OpinionFactory(community=places.community_b),
        "b_for_worker_a": OpinionFactory(community=places.community_b, responsible=p["worker_a"], **assigned),
        "b_by_worker_a": OpinionFactory(community=places.community_b, created_by=p["worker_a"]),
        "department": at_street(department=places.department),
        "social_affairs": at_street(department=places.social_affairs),
        "deputy_in_charge": at_street(leader_in_charge=p["deputy"]),
        "deputy_topic": at_street(topic_meeting=TopicMeetingFactory(street=places.street, chaired_by=p["deputy"])),
        "leader_topic": at_street(topic_meeting=TopicMeetingFactory(street=places.street, chaired_by=p["leader"])),
        "for_deputy": at_street(responsible=p["deputy"], **assigned),
        "for_staff": at_street(responsible=p["staff"], **assigned),
        "by_cadre": at_street(created_by=p["cadre"]),
        "other_street": OpinionFactory(community=CommunityFactory(street=places.other_street)),
    }


OURS = {
    "a",
    "b",
    "b_for_worker_a",
    "b_by_worker_a",
    "department",
    "social_affairs",
    "deputy_in_charge",
    "deputy_topic",
    "leader_topic",
    "for_deputy",
    "for_staff",
    "by_cadre",
}
SEES_OPINIONS = {
    "worker_a": {"a", "b_for_worker_a", "b_by_worker_a"},  # her community; in B only what she holds or recorded
    "worker_a2": {"a"},
    "worker_b": {"b", "b_for_worker_a", "b_by_worker_a"},
    "community_leader": {"a"},
    "staff": {"for_staff"},
    "social_affairs_staff": set(),
    "chief": {"department"},
    "deputy": {"department", "deputy_in_charge", "deputy_topic", "for_deputy"},
    "cadre": {"by_cadre"},
    "leader": OURS,
    "other_street_leader": {"other_street"},
    "system_admin": OURS | {"other_street"},
    "anonymous": set(),
    "inactive": set(),
}


@pytest.mark.parametrize("persona", PERSONAS)
def test_each_role_sees_exactly_its_opinions(request, opinions, persona):
    viewer = request.getfixturevalue(persona)
    seen = set(Opinion.objects.visible_to(viewer))
    assert {name for name, opinion in opinions.items() if opinion in seen} == SEES_OPINIONS[persona]
    assert len(Opinion.objects.visible_to(viewer)) == len(seen)  # no row twice


def test_the_scope_is_one_query_even_for_a_leader_in_charge(opinions, deputy, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert len(list(Opinion.objects.visible_to(deputy))) == 4


def test_another_section_chief_sees_his_own_department(places, opinions):
    sa_chief = UserFactory(role=Role.SECTION_CHIEF, street=places.street, department=places.social_affairs)
    assert list(Opinion.objects.visible_to(sa_chief)) == [opinions["social_affairs"]]


def test_a_deputy_who_oversees_a_second_department_sees_it_too(places, opinions, deputy):
    deputy.overseen_departments.add(places.social_affairs)
    assert opinions["social_affairs"] in Opinion.objects.visible_to(deputy)


def test_a_stranger_cannot_tell_missing_from_not_theirs(opinions, worker_b):
    with pytest.raises(Http404):
        selectors.get_opinion_for_user(worker_b, opinions["a"].pk)
    with pytest.raises(Http404):
        selectors.get_opinion_for_user(worker_b, 10**9)
    assert selectors.get_opinion_for_user(worker_b, opinions["b"].pk) == opinions["b"]


# --- Meetings and topic meetings --------------------------------------------------------------------------------


@pytest.fixture
def meetings(places, everyone, street_meeting) -> dict[str, Meeting]:
    other_community = CommunityFactory(street=places.other_street)
    return {
        "street": street_meeting,
        "a": MeetingFactory(community=places.community_a),
        "b": MeetingFactory(community=places.community_b),
        "other_street": MeetingFactory(
            community=None, street=places.other_street, kind=meeting_kind("residents_forum")
        ),
        "other_community": MeetingFactory(community=other_community),
    }


STREET_MEETINGS = {"street", "a", "b"}
SEES_MEETINGS = {
    "worker_a": {"street", "a"},  # street meetings concern everyone of the street
    "worker_a2": {"street", "a"},
    "worker_b": {"street", "b"},
    "community_leader": {"street", "a"},
    "staff": STREET_MEETINGS,
    "social_affairs_staff": STREET_MEETINGS,
    "chief": STREET_MEETINGS,
    "deputy": STREET_MEETINGS,
    "cadre": STREET_MEETINGS,
    "leader": STREET_MEETINGS,
    "other_street_leader": {"other_street", "other_community"},
    "system_admin": STREET_MEETINGS | {"other_street", "other_community"},
    "anonymous": set(),
    "inactive": set(),
}


@pytest.mark.parametrize("persona", PERSONAS)
def test_each_role_sees_exactly_its_meetings(request, meetings, persona):
    seen = set(Meeting.objects.visible_to(request.getfixturevalue(persona)))
    assert {name for name, meeting in meetings.items() if meeting in seen} == SEES_MEETINGS[persona]


@pytest.fixture
def topics(places, everyone) -> dict[str, TopicMeeting]:
    on_a = TopicMeetingFactory(street=places.street, chaired_by=everyone["deputy"])
    on_b = TopicMeetingFactory(street=places.street, chaired_by=everyone["leader"])
    elsewhere = TopicMeetingFactory(street=places.other_street, chaired_by=everyone["other_street_leader"])
    # Two opinions of community A on one topic: community staff still see the topic once.
    OpinionFactory.create_batch(2, community=places.community_a, topic_meeting=on_a)
    OpinionFactory(community=places.community_b, topic_meeting=on_b)
    OpinionFactory(community=CommunityFactory(street=places.other_street), topic_meeting=elsewhere)
    return {"a": on_a, "b": on_b, "other_street": elsewhere}


SEES_TOPICS = {
    "worker_a": {"a"},
    "worker_a2": {"a"},
    "worker_b": {"b"},
    "community_leader": {"a"},
    "staff": {"a", "b"},
    "social_affairs_staff": {"a", "b"},
    "chief": {"a", "b"},
    "deputy": {"a", "b"},
    "cadre": {"a", "b"},
    "leader": {"a", "b"},
    "other_street_leader": {"other_street"},
    "system_admin": {"a", "b", "other_street"},
    "anonymous": set(),
    "inactive": set(),
}


@pytest.mark.parametrize("persona", PERSONAS)
def test_each_role_sees_exactly_its_topic_meetings(request, topics, persona):
    seen = list(TopicMeeting.objects.visible_to(request.getfixturevalue(persona)))
    assert len(seen) == len(set(seen))
    assert {name for name, topic in topics.items() if topic in seen} == SEES_TOPICS[persona]


# --- Work lists -------------------------------------------------------------------------------------------------


def test_my_tasks_are_my_open_assignments_nearest_deadline_first(places, worker_a, worker_a2):
    later = OpinionFactory(
        community=places.community_a, status=Status.ASSIGNED, responsible=worker_a, due_on=in_days(5)
    )
    sooner = OpinionFactory(
        community=places.community_a, status=Status.IN_PROGRESS, responsible=worker_a, due_on=in_days(1)
    )
    elsewhere = OpinionFactory(
        community=places.community_b, status=Status.ASSIGNED, responsible=worker_a, due_on=in_days(9)
    )
    OpinionFactory(community=places.community_a, status=Status.RESOLVED, responsible=worker_a, due_on=in_days(0))
    OpinionFactory(community=places.community_a, status=Status.ASSIGNED, responsible=worker_a2, due_on=in_days(0))
    OpinionFactory(community=places.community_a, status=Status.SORTED)
    assert list(selectors.my_tasks(viewer=worker_a)) == [sooner, later, elsewhere]
    assert len(selectors.my_tasks(viewer=worker_a2)) == 1


@pytest.fixture
def overdue_world(places, deputy, staff, leader):
    """Overdue opinions for every reason a deputy might see one, and some that are not overdue."""
    late = {"status": Status.ASSIGNED, "due_on": in_days(-3), "responsible": staff}
    topic = TopicMeetingFactory(street=places.street, chaired_by=deputy)
    return {
        "department": OpinionFactory(community=places.community_b, department=places.department, **late),
        "in_charge": OpinionFactory(community=places.community_b, leader_in_charge=deputy, **late),
        "topic": OpinionFactory(
            community=places.community_b, topic_meeting=topic, **{**late, "status": Status.IN_PROGRESS}
        ),
        # He is responsible for this one (so he sees it), but it is another department's: not his to chase.
        "his_own_elsewhere": OpinionFactory(
            community=places.community_b,
            department=places.social_affairs,
            **{**late, "responsible": deputy, "due_on": in_days(-1)},
        ),
        "community_a": OpinionFactory(community=places.community_a, department=places.social_affairs, **late),
        "due_today": OpinionFactory(
            community=places.community_b, department=places.department, **{**late, "due_on": in_days(0)}
        ),
        "closed": OpinionFactory(
            community=places.community_b, department=places.department, **{**late, "status": Status.RESOLVED}
        ),
    }


def test_a_deputys_overdue_list_is_his_departments_and_topics(overdue_world, deputy):
    found = list(selectors.overdue_opinions(viewer=deputy, today=timezone.localdate()))
    assert set(found) == {overdue_world["department"], overdue_world["in_charge"], overdue_world["topic"]}
    assert [o.due_on for o in found] == sorted(o.due_on for o in found)


def test_the_street_leader_sees_every_overdue_opinion_and_a_community_leader_her_communitys(
    overdue_world, leader, community_leader
):
    today = timezone.localdate()
    expected = {name for name in overdue_world if name not in ("due_today", "closed")}
    found = set(selectors.overdue_opinions(viewer=leader, today=today))
    assert {name for name, o in overdue_world.items() if o in found} == expected
    assert list(selectors.overdue_opinions(viewer=community_leader, today=today)) == [overdue_world["community_a"]]


def test_waiting_for_dispatch_is_new_and_sorted_oldest_first(places, community_leader, worker_a):
    first = OpinionFactory(community=places.community_a)
    second = OpinionFactory(community=places.community_a, status=Status.SORTED, category=opinion_category())
    OpinionFactory(community=places.community_a, status=Status.ASSIGNED, responsible=worker_a, due_on=in_days(3))
    OpinionFactory(community=places.community_a, status=Status.SPLIT)
    OpinionFactory(community=places.community_b)
    assert list(selectors.waiting_for_dispatch(viewer=community_leader)) == [first, second]


def test_opinion_counts_are_four_queries_whatever_the_size(
    places, leader, community_leader, django_assert_max_num_queries
):
    environment, traffic = opinion_category("环境卫生"), opinion_category("交通秩序")
    OpinionFactory.create_batch(12, community=places.community_a)
    OpinionFactory.create_batch(
        8, community=places.community_a, status=Status.SORTED, category=environment, source=Opinion.Source.ONLINE
    )
    OpinionFactory.create_batch(
        5, community=places.community_b, status=Status.ASSIGNED, category=traffic, due_on=in_days(-2)
    )
    OpinionFactory.create_batch(
        3, community=places.community_b, status=Status.IN_PROGRESS, category=traffic, due_on=in_days(0)
    )
    OpinionFactory.create_batch(
        4, community=places.community_b, status=Status.RESOLVED, category=traffic, due_on=in_days(-9)
    )
    OpinionFactory(community=CommunityFactory(street=places.other_street), status=Status.ASSIGNED, due_on=in_days(-2))

    with django_assert_max_num_queries(4):
        counts = selectors.opinion_counts(viewer=leader, today=timezone.localdate())
    by_status = {value: n for value, _label, n in counts.by_status}
    assert by_status == {
        "new": 12,
        "sorted": 8,
        "split": 0,
        "assigned": 5,
        "in_progress": 3,
        "resolved": 4,
        "explained": 0,
    }
    assert counts.overdue == 5  # not the 3 due today, nor the 4 resolved late, nor the other street's
    assert [(c.name if c else None, n) for c, n in counts.by_category] == [
        ("交通秩序", 12),
        ("环境卫生", 8),
        (None, 12),
    ]
    by_source = {value: n for value, _label, n in counts.by_source}
    assert (by_source["meeting"], by_source["online"], by_source["visit"]) == (24, 8, 0)

    mine = selectors.opinion_counts(viewer=community_leader, today=timezone.localdate())
    assert sum(n for _v, _l, n in mine.by_status) == 20 and mine.overdue == 0


@pytest.mark.parametrize("q", ["²", "#99999999999999999999999"])
def test_searching_odd_numbers_answers_instead_of_failing(places, leader, q):
    OpinionFactory(community=places.community_a)
    filters = selectors.OpinionFilters(q=q)
    assert list(selectors.opinion_list(viewer=leader, filters=filters, today=timezone.localdate())) == []


def test_searching_by_number_finds_the_opinion(places, leader):
    opinion = OpinionFactory(community=places.community_a, text="路灯不亮")
    filters = selectors.OpinionFilters(q=f"#{opinion.pk}")
    assert list(selectors.opinion_list(viewer=leader, filters=filters, today=timezone.localdate())) == [opinion]


def test_a_community_leader_names_her_own_staff_and_the_streets_leaders(
    everyone, community_leader, worker_a, worker_a2, deputy, leader
):
    assert set(selectors.assignable_users(viewer=community_leader)) == {community_leader, worker_a, worker_a2}
    assert set(selectors.leaders_in_charge(viewer=community_leader)) == {deputy, leader}
    assert set(selectors.leaders_in_charge(viewer=AnonymousUser())) == set()
