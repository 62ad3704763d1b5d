"""The home page's opinion card: what is routed to me, and for those who dispatch, what waits and what is late."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from feedback.models import Opinion
from tests.factories import OpinionFactory, opinion_category

pytestmark = pytest.mark.django_db


def _assigned(places, *, responsible, due_in_days: int, department=None, community=None, status=None) -> Opinion:
    return OpinionFactory(
        community=community or places.community_a,
        status=status or Opinion.Status.ASSIGNED,
        category=opinion_category(),
        responsible=responsible,
        due_on=timezone.localdate() + datetime.timedelta(days=due_in_days),
        department=department,
    )


def test_a_worker_sees_her_open_tasks_and_how_many_are_late(client_for, places, worker_a, worker_b):
    _assigned(places, responsible=worker_a, due_in_days=5)
    _assigned(places, responsible=worker_a, due_in_days=-2, status=Opinion.Status.IN_PROGRESS)
    _assigned(places, responsible=worker_b, due_in_days=-2, community=places.community_b)
    OpinionFactory(community=places.community_a, status=Opinion.Status.RESOLVED, responsible=worker_a)

    response = client_for(worker_a).get(reverse("home"))

    todo = response.context["opinion_todo"]
    assert (todo.mine, todo.mine_overdue) == (2, 1)
    # A social worker does not dispatch: no waiting or overdue-in-charge cards.
    assert todo.waiting is None and todo.overdue is None
    assert "其中 1 条已超期" in response.content.decode()
    assert reverse("feedback:mine") in response.content.decode()


def test_a_deputy_counts_as_late_only_what_is_in_his_charge(client_for, places, deputy, staff, social_affairs_staff):
    _assigned(places, responsible=staff, due_in_days=-1, department=places.department)
    _assigned(places, responsible=social_affairs_staff, due_in_days=-1, department=places.social_affairs)
    OpinionFactory(community=places.community_a)  # new, but not his to see

    todo = client_for(deputy).get(reverse("home")).context["opinion_todo"]

    assert todo.overdue == 1
    assert todo.waiting == 0


def test_a_community_leader_sees_what_waits_for_sorting_in_his_community(client_for, places, community_leader):
    OpinionFactory(community=places.community_a)
    OpinionFactory(community=places.community_a, status=Opinion.Status.SORTED, category=opinion_category())
    OpinionFactory(community=places.community_b)

    todo = client_for(community_leader).get(reverse("home")).context["opinion_todo"]

    assert todo.waiting == 2
    assert todo.mine == 0


def test_an_administrator_without_a_street_has_no_opinion_card(client_for, system_admin):
    response = client_for(system_admin).get(reverse("home"))
    assert response.context["opinion_todo"] is None
