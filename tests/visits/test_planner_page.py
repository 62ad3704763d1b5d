"""The visit planner (走访计划): her households never visited or longest unvisited, key households first."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from households.models import Household
from tests.factories import HouseholdCategoryFactory, HouseholdFactory, ResidentFactory, VisitFactory

PLANNER = reverse("visits:planner")


@pytest.fixture
def key_category(db):
    return HouseholdCategoryFactory(name="低保户", is_key=True)


@pytest.fixture
def area_a(places, worker_a, key_category):
    """Four households of area A: key and plain, each once never visited and once visited."""

    def household(room: str, *, key: bool, last_visit: datetime.date | None) -> Household:
        made = HouseholdFactory(
            grid_area=places.area_a,
            estate=places.estate_a,
            building="1",
            unit="1",
            room=room,
            categories=[key_category] if key else [],
        )
        ResidentFactory(household=made, name=f"户主{room}")
        if last_visit:
            VisitFactory(household=made, visitor=worker_a, visited_on=last_visit - datetime.timedelta(days=200))
            VisitFactory(household=made, visitor=worker_a, visited_on=last_visit)
        return made

    return {
        "plain_visited": household("101", key=False, last_visit=datetime.date(2025, 3, 1)),
        "key_visited_lately": household("102", key=True, last_visit=datetime.date(2026, 5, 1)),
        "key_visited_long_ago": household("103", key=True, last_visit=datetime.date(2025, 1, 1)),
        "plain_never": household("104", key=False, last_visit=None),
        "key_never": household("105", key=True, last_visit=None),
    }


def listed(response) -> list[Household]:
    return list(response.context["page"].object_list)


def test_it_puts_key_households_first_and_never_visited_first_within_them(client_for, worker_a, area_a):
    response = client_for(worker_a).get(PLANNER)
    assert response.status_code == 200
    assert listed(response) == [
        area_a["key_never"],
        area_a["key_visited_long_ago"],
        area_a["key_visited_lately"],
        area_a["plain_never"],
        area_a["plain_visited"],
    ]


def test_each_row_shows_the_last_visit_and_a_log_button(client_for, worker_a, area_a):
    response = client_for(worker_a).get(PLANNER)
    assert "上次走访 2026-05-01" in response.text
    assert "从未走访" in response.text
    assert "户主105" in response.text
    assert f'href="{reverse("visits:log")}?household={area_a["key_never"].pk}"' in response.text
    assert response.text.count(">记录走访</a>") >= 5


def test_a_household_visited_this_quarter_is_marked(client_for, worker_a, area_a):
    assert "本季度已走访</span>" not in client_for(worker_a).get(PLANNER).text
    VisitFactory(household=area_a["plain_never"], visitor=worker_a, visited_on=timezone.localdate())
    response = client_for(worker_a).get(PLANNER)
    assert response.text.count("本季度已走访</span>") == 1
    assert listed(response)[-1] == area_a["plain_never"]  # now the most recently visited plain household


def test_it_shows_only_her_own_active_households(client_for, worker_a, area_a, places):
    HouseholdFactory(grid_area=places.area_a2, estate=places.estate_a, room="999")
    HouseholdFactory(grid_area=places.area_b, estate=places.estate_b, room="998")
    Household.objects.filter(pk=area_a["plain_never"].pk).update(status=Household.Status.MOVED_OUT)
    households = listed(client_for(worker_a).get(PLANNER))
    assert len(households) == 4
    assert all(h.grid_area_id == places.area_a.pk for h in households)


def test_another_worker_sees_her_own_plan_not_area_as(client_for, worker_a2, area_a):
    response = client_for(worker_a2).get(PLANNER)
    assert response.status_code == 200
    assert listed(response) == []
    assert "户主105" not in response.text


def test_visits_by_others_count_as_visited(client_for, worker_a, community_leader, area_a):
    VisitFactory(household=area_a["key_never"], visitor=community_leader, visited_on=datetime.date(2026, 6, 1))
    assert listed(client_for(worker_a).get(PLANNER))[0] == area_a["key_visited_long_ago"]


@pytest.mark.parametrize("persona", ["community_leader", "staff", "chief", "leader", "system_admin"])
def test_it_is_a_social_workers_page(request, client_for, area_a, persona):
    response = client_for(request.getfixturevalue(persona)).get(PLANNER)
    assert response.status_code == 403
    assert "走访计划是社工的工作页面" in response.text
    assert "户主105" not in response.text


def test_it_redirects_anonymous_users_to_login(client):
    response = client.get(PLANNER)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("count", [30, 90])
def test_it_pages_25_at_a_time_in_a_fixed_number_of_queries(
    client_for, worker_a, places, key_category, count, django_assert_max_num_queries
):
    for n, household in enumerate(
        HouseholdFactory.create_batch(count, grid_area=places.area_a, estate=places.estate_a)
    ):
        ResidentFactory(household=household)
        if n % 3 == 0:
            household.categories.add(key_category)
        if n % 2 == 0:
            VisitFactory(household=household, visitor=worker_a)
    client = client_for(worker_a)
    with django_assert_max_num_queries(9):
        response = client.get(PLANNER)
    assert len(listed(response)) == 25
    assert response.context["page"].paginator.count == count
