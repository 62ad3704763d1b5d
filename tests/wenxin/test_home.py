"""The home page: what each person must do next, in their own part of the street."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from households.models import Household
from tests.factories import HouseholdCategoryFactory, HouseholdFactory, ResidentFactory, UserFactory, VisitFactory
from visits.models import Visit
from wenxin.roles import Role

HOME = reverse("home")
LIST = reverse("households:list")


@pytest.fixture
def key_category(db):
    return HouseholdCategoryFactory(name="低保户", is_key=True)


@pytest.fixture
def registry(places, key_category):
    """Area A: two complete households and one without a head; a key household without a phone in area A2."""
    complete = HouseholdFactory.create_batch(2, grid_area=places.area_a, estate=places.estate_a)
    for household in complete:
        ResidentFactory(household=household)
    complete[0].categories.add(key_category)
    HouseholdFactory(grid_area=places.area_a, estate=places.estate_a)  # no head yet
    far = HouseholdFactory(grid_area=places.area_a2, estate=places.estate_a, phone="", categories=[key_category])
    ResidentFactory(household=far)
    other_community = HouseholdFactory(grid_area=places.area_b, estate=places.estate_b)
    ResidentFactory(household=other_community)


def test_it_redirects_anonymous_users_to_login(client):
    response = client.get(HOME)
    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next=/"


def test_it_shows_a_social_worker_her_grid_area_as_a_card_to_its_households(client_for, worker_a, places, registry):
    response = client_for(worker_a).get(HOME)
    assert response.status_code == 200
    assert "我的网格" in response.text
    assert f'href="{LIST}?grid_area={places.area_a.pk}"' in response.text
    assert "德加第1网格" in response.text
    assert "德加第2网格" not in response.text
    [area] = response.context["summary"].grid_areas
    assert area.household_count == 3


def test_it_shows_a_social_worker_the_gaps_in_her_own_area_only(client_for, worker_a, registry):
    response = client_for(worker_a).get(HOME)
    summary = response.context["summary"]
    assert summary.households == 3
    assert summary.households_without_head == 1
    assert summary.key_households_without_phone == 0  # that one is in area A2
    assert "户未登记户主" in response.text
    assert "重点户缺少联系电话" not in response.text
    assert f'href="{reverse("households:create")}"' in response.text
    assert reverse("households:import") not in response.text


def test_it_tells_a_worker_whose_registry_is_complete(client_for, worker_a, places):
    ResidentFactory(household=HouseholdFactory(grid_area=places.area_a, estate=places.estate_a))
    response = client_for(worker_a).get(HOME)
    assert "户籍档案没有缺项" in response.text


def test_it_shows_a_community_leader_her_whole_community_and_the_import(client_for, community_leader, registry):
    response = client_for(community_leader).get(HOME)
    summary = response.context["summary"]
    assert summary.households == 4
    assert summary.key_households == 2
    assert summary.key_households_without_phone == 1
    assert "本村社概况" in response.text
    assert "重点户缺少联系电话" in response.text
    assert f'href="{LIST}?key_only=on"' in response.text
    assert reverse("households:import") in response.text
    assert "我的网格" not in response.text


def test_it_shows_a_street_leader_the_street_without_registry_chores(client_for, leader, registry):
    response = client_for(leader).get(HOME)
    summary = response.context["summary"]
    assert summary.households == 5
    assert summary.communities == 2
    assert "全街道概况" in response.text
    assert "待完善的户籍档案" not in response.text
    assert reverse("households:create") not in response.text
    assert reverse("households:import") not in response.text


def test_another_street_sees_none_of_these_households(client_for, other_street_leader, registry):
    summary = client_for(other_street_leader).get(HOME).context["summary"]
    assert summary.households == 0
    assert summary.residents == 0


def test_it_links_to_the_admin_only_for_admin_site_roles(client_for, worker_a, staff, community_leader, leader):
    admin = reverse("admin:index")
    assert admin not in client_for(worker_a).get(HOME).text
    assert admin not in client_for(staff).get(HOME).text
    assert admin in client_for(community_leader).get(HOME).text
    assert admin in client_for(leader).get(HOME).text


def test_it_tells_a_user_without_a_place_to_ask_for_one(client_for, places):
    nobody = UserFactory(username="nobody", role=Role.DEPARTMENT_STAFF, street=None)
    response = client_for(nobody).get(HOME)
    assert response.status_code == 200
    assert "还没有分配到街道或村社" in response.text


def test_moved_out_households_are_not_counted(client_for, worker_a, places):
    ResidentFactory(household=HouseholdFactory(grid_area=places.area_a, estate=places.estate_a))
    Household.objects.update(status=Household.Status.MOVED_OUT)
    summary = client_for(worker_a).get(HOME).context["summary"]
    assert summary.households == 0
    assert summary.residents == 0


@pytest.mark.parametrize("count", [5, 60])
def test_its_query_count_does_not_grow_with_the_households(
    client_for, community_leader, places, key_category, count, django_assert_max_num_queries
):
    for household in HouseholdFactory.create_batch(count, grid_area=places.area_a, estate=places.estate_a):
        household.categories.add(key_category)
        ResidentFactory(household=household)
    client = client_for(community_leader)
    # 13: the one-household-one-plan card adds three counts, whatever the number of households.
    with django_assert_max_num_queries(13):
        response = client.get(HOME)
    assert response.context["summary"].households == count


# --- visits: the quota card and the ways into the diary --------------------------------------------------


def log_visit(client, household) -> None:
    data = {"visited_on": timezone.localdate().isoformat(), "kind": Visit.Kind.DOOR_TO_DOOR, "household": household.pk}
    assert client.post(reverse("visits:log"), data).status_code == 302


def test_a_social_workers_quota_card_moves_once_per_household(client_for, worker_a, places):
    household, other = HouseholdFactory.create_batch(2, grid_area=places.area_a, estate=places.estate_a)
    client = client_for(worker_a)
    before = client.get(HOME)
    assert (before.context["quota"].visited, before.context["quota"].target) == (0, 50)
    assert "本季度入户走访" in before.text
    assert '<progress class="wx-progress' in before.text
    log_visit(client, household)
    assert client.get(HOME).context["quota"].visited == 1
    log_visit(client, household)  # the same household again this quarter
    assert client.get(HOME).context["quota"].visited == 1
    log_visit(client, other)
    after = client.get(HOME)
    assert after.context["quota"].visited == 2
    assert "2<span" in after.text
    assert "/ 50 户" in after.text


def test_the_quota_card_has_the_pace_and_the_daily_buttons(client_for, worker_a, places):
    response = client_for(worker_a).get(HOME)
    quota = response.context["quota"]
    assert f"本季度还剩 {quota.days_left} 天" in response.text
    assert "还差 50 户" in response.text
    assert str(quota.status.label) in response.text
    assert f'href="{reverse("visits:log")}"' in response.text
    assert f'href="{reverse("visits:planner")}"' in response.text


@pytest.mark.parametrize("persona", ["community_leader", "staff", "chief", "leader"])
def test_others_get_no_quota_card(request, client_for, persona):
    response = client_for(request.getfixturevalue(persona)).get(HOME)
    assert response.context["quota"] is None
    assert "本季度入户走访" not in response.text


@pytest.mark.parametrize("persona", ["worker_a", "community_leader", "staff", "chief", "leader"])
def test_everyone_signed_in_gets_the_diary_and_the_log_in_page_and_navbar(request, client_for, persona):
    text = client_for(request.getfixturevalue(persona)).get(HOME).text
    assert text.count(f'href="{reverse("visits:diary")}"') >= 2  # the navbar and the page
    assert f'href="{reverse("visits:log")}"' in text
    assert "走访日记" in text


@pytest.mark.parametrize(
    ("persona", "quota", "service_day"),
    [
        ("worker_a", False, False),
        ("staff", False, False),
        ("community_leader", True, False),
        ("chief", True, True),
        ("deputy", True, True),
        ("leader", True, True),
    ],
)
def test_review_links_follow_the_role(request, client_for, persona, quota, service_day):
    text = client_for(request.getfixturevalue(persona)).get(HOME).text
    assert (f'href="{reverse("visits:quota")}"' in text) is quota
    assert (f'href="{reverse("visits:coverage")}"' in text) is quota
    assert (f'href="{reverse("visits:service_day")}"' in text) is service_day


def test_only_social_workers_get_the_planner_link(client_for, worker_a, community_leader):
    assert f'href="{reverse("visits:planner")}"' in client_for(worker_a).get(HOME).text
    assert f'href="{reverse("visits:planner")}"' not in client_for(community_leader).get(HOME).text


@pytest.mark.parametrize("count", [30, 90])
def test_a_workers_home_query_count_does_not_grow_with_her_visits(
    client_for, worker_a, worker_a2, places, key_category, count, django_assert_max_num_queries
):
    households = HouseholdFactory.create_batch(count, grid_area=places.area_a, estate=places.estate_a)
    for household in households:
        household.categories.add(key_category)
        ResidentFactory(household=household)
        VisitFactory(household=household, visitor=worker_a, visited_on=timezone.localdate(), companions=[worker_a2])
    client = client_for(worker_a)
    # 15: the one-household-one-plan card adds three counts, whatever the number of visits.
    with django_assert_max_num_queries(15):
        response = client.get(HOME)
    assert response.context["quota"].visited == count


# --- one household, one plan as work to do ---------------------------------------------------------------


def test_a_worker_sees_her_plan_work_linking_to_the_work_list(client_for, worker_a, places, key_category):
    import datetime

    from households.services import plan_create

    HouseholdFactory(grid_area=places.area_a, estate=places.estate_a, categories=[key_category])  # without a plan
    with_plan = HouseholdFactory(grid_area=places.area_a, estate=places.estate_a, categories=[key_category])
    plan = plan_create(actor=worker_a, household=with_plan, review_on=timezone.localdate())
    type(plan).objects.filter(pk=plan.pk).update(review_on=timezone.localdate() - datetime.timedelta(days=1))
    VisitFactory(household=with_plan, visitor=worker_a, kind=Visit.Kind.CARING, visited_on=timezone.localdate())
    HouseholdFactory(grid_area=places.area_a2, estate=places.estate_a, categories=[key_category])  # not hers
    response = client_for(worker_a).get(HOME)
    assert response.context["plan_todo"] == {"without_plan": 1, "overdue": 1, "without_caring_visit": 1}
    worklist = reverse("households:plan_worklist")
    for show in ("without", "overdue", "no_caring"):
        assert f'href="{worklist}?show={show}#list"' in response.text


def test_a_worker_with_no_plan_work_is_told_so(client_for, worker_a):
    response = client_for(worker_a).get(HOME)
    assert "一户一策没有待办" in response.text


@pytest.mark.parametrize("persona", ["staff", "chief", "leader", "social_affairs_staff"])
def test_others_get_no_plan_card(request, client_for, persona, registry):
    response = client_for(request.getfixturevalue(persona)).get(HOME)
    assert response.context["plan_todo"] is None


def test_each_card_shows_only_its_own_hint(client_for, worker_a, places, key_category):
    # A key household without a phone brings up the phone card, whose hint once leaked into the cards after it.
    HouseholdFactory(grid_area=places.area_a, estate=places.estate_a, phone="", categories=[key_category])
    page = client_for(worker_a).get(reverse("home")).content.decode()
    assert "重点户缺少联系电话" in page
    assert page.count("请补上家庭电话") == 1
