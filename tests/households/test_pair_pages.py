"""The pairs page and its monthly caring visits; creating and ending a pairing, for every role."""

from __future__ import annotations

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from households.models import AssistancePair
from tests.factories import AssistancePairFactory, HouseholdCategoryFactory, HouseholdFactory, UserFactory, VisitFactory
from visits.models import Visit
from visits.periods import months_back
from wenxin.roles import Role

PAIRS = reverse("households:pair_list")


def months():
    return months_back(timezone.localdate(), 6)


def day_in(month: datetime.date, day: int = 10) -> datetime.date:
    return month.replace(day=day)


@pytest.fixture
def key_household(places, worker_a):
    return HouseholdFactory(
        grid_area=places.area_a,
        estate=places.estate_a,
        categories=[HouseholdCategoryFactory(name="低保户", is_key=True)],
    )


@pytest.fixture
def pair(worker_a, key_household):
    return AssistancePairFactory(household=key_household, staff=worker_a, starts_on=months()[0])


def cells(response, pair) -> list[str]:
    """The data-kept values of the pair's row, oldest month first."""
    row = re.search(rf'<tr data-pair="{pair.pk}">(.*?)</tr>', response.content.decode(), re.S)
    assert row, "the pair has no row"
    return re.findall(r'data-kept="(\w+)"', row.group(1))


def caring(household, visitor, on, companions=None):
    return VisitFactory(
        household=household, visitor=visitor, kind=Visit.Kind.CARING, visited_on=on, companions=companions
    )


# --- pair_list: what the months show -------------------------------------------------------------------------


def test_kept_and_missed_months_show_as_such(client_for, worker_a, worker_a2, pair, key_household):
    m = months()
    caring(key_household, worker_a, day_in(m[1]))  # kept by the paired worker
    caring(key_household, worker_a2, day_in(m[2]))  # someone else's visit does not count
    # month 3: nothing at all: missed
    caring(key_household, worker_a2, day_in(m[4]), companions=[worker_a])  # she went along: kept
    response = client_for(worker_a).get(PAIRS)
    assert response.status_code == 200
    # month 0: the pairing started that month and nothing was recorded: missed; the current month is not due yet
    assert cells(response, pair) == ["no", "yes", "no", "no", "yes", "none"]
    assert re.search(rf'<tr data-pair="{pair.pk}">.*?data-missed="3"', response.content.decode(), re.S)


def test_a_door_to_door_visit_is_not_a_caring_visit(client_for, worker_a, pair, key_household):
    m = months()
    VisitFactory(household=key_household, visitor=worker_a, kind=Visit.Kind.DOOR_TO_DOOR, visited_on=day_in(m[1]))
    assert cells(client_for(worker_a).get(PAIRS), pair)[1] == "no"


def test_a_caring_visit_this_month_shows_as_kept(client_for, worker_a, pair, key_household):
    caring(key_household, worker_a, timezone.localdate())
    assert cells(client_for(worker_a).get(PAIRS), pair)[-1] == "yes"


def test_months_before_and_after_the_pairing_are_not_due(client_for, places, worker_a):
    m = months()
    late = AssistancePairFactory(
        household=HouseholdFactory(grid_area=places.area_a, estate=places.estate_a), staff=worker_a, starts_on=m[3]
    )
    ended = AssistancePairFactory(
        household=HouseholdFactory(grid_area=places.area_a, estate=places.estate_a),
        staff=worker_a,
        starts_on=m[0],
        ends_on=day_in(m[1], 20),
    )
    response = client_for(worker_a).get(PAIRS)
    assert cells(response, late)[:3] == ["none", "none", "none"]
    assert cells(response, late)[3:5] == ["no", "no"]
    assert cells(response, ended)[2:] == ["none", "none", "none", "none"]


def test_a_visit_before_the_pairing_began_does_not_make_that_month_due(client_for, places, worker_a):
    m = months()
    household = HouseholdFactory(grid_area=places.area_a, estate=places.estate_a)
    late = AssistancePairFactory(household=household, staff=worker_a, starts_on=m[3])
    caring(household, worker_a, day_in(m[1]))
    assert cells(client_for(worker_a).get(PAIRS), late)[1] == "none"


def test_the_filter_keeps_only_pairs_with_a_missed_month(client_for, places, worker_a, pair, key_household):
    m = months()
    kept_all = AssistancePairFactory(
        household=HouseholdFactory(grid_area=places.area_a, estate=places.estate_a), staff=worker_a, starts_on=m[5]
    )
    response = client_for(worker_a).get(PAIRS, {"missed": "1"})
    assert f'data-pair="{pair.pk}"' in response.content.decode()
    assert f'data-pair="{kept_all.pk}"' not in response.content.decode()


# --- pair_list: who sees which pairs ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "sees"),
    [
        ("worker_a", True),
        ("worker_a2", False),
        ("worker_b", False),
        ("community_leader", True),
        ("social_affairs_staff", True),
        ("leader", True),
        ("staff", False),
        ("chief", False),
        ("deputy", False),
        ("other_street_leader", False),
    ],
)
def test_each_role_sees_the_pairs_of_its_scope(request, client_for, pair, persona, sees):
    response = client_for(request.getfixturevalue(persona)).get(PAIRS)
    assert response.status_code == 200
    assert (f'data-pair="{pair.pk}"' in response.content.decode()) is sees


def test_a_paired_member_of_street_staff_sees_her_own_pair(client_for, staff, key_household):
    own = AssistancePairFactory(household=key_household, staff=staff, starts_on=months()[0])
    response = client_for(staff).get(PAIRS)
    assert f'data-pair="{own.pk}"' in response.content.decode()
    assert "结束结对" not in response.content.decode()  # she sees it, but only the area's staff end it


def test_anonymous_is_sent_to_log_in(client, pair):
    assert client.get(PAIRS).status_code == 302


def test_the_pairs_page_costs_the_same_queries_for_many_pairs(
    client_for, places, worker_a, community_leader, django_assert_max_num_queries
):
    m = months()

    def add(count):
        for _i in range(count):
            household = HouseholdFactory(grid_area=places.area_a, estate=places.estate_a)
            AssistancePairFactory(household=household, staff=worker_a, starts_on=m[0])
            caring(household, worker_a, day_in(m[2]), companions=[community_leader])

    client = client_for(community_leader)
    add(2)
    with django_assert_max_num_queries(10):
        assert client.get(PAIRS).status_code == 200
    add(40)
    with django_assert_max_num_queries(10):
        response = client.get(PAIRS)
    assert response.content.decode().count("data-pair=") == 42


# --- pair_create -------------------------------------------------------------------------------------------------


def create_url(household):
    return reverse("households:pair_create", args=[household.pk])


def test_a_worker_pairs_herself_with_her_household(client_for, worker_a, key_household):
    client = client_for(worker_a)
    assert client.get(create_url(key_household)).status_code == 200
    response = client.post(create_url(key_household), {"staff": worker_a.pk, "starts_on": "2026-03-01"})
    assert response.status_code == 302
    pair = AssistancePair.objects.get(household=key_household)
    assert (pair.staff, pair.starts_on, pair.ends_on) == (worker_a, datetime.date(2026, 3, 1), None)


def test_the_community_leader_pairs_a_colleague(client_for, community_leader, worker_a2, key_household):
    response = client_for(community_leader).post(
        create_url(key_household), {"staff": worker_a2.pk, "starts_on": "2026-03-01", "ends_on": "2026-12-31"}
    )
    assert response.status_code == 302
    assert AssistancePair.objects.get(household=key_household).staff == worker_a2


def test_staff_of_another_street_cannot_be_chosen(client_for, places, worker_a, key_household):
    stranger = UserFactory(role=Role.SOCIAL_WORKER, street=places.other_street)
    response = client_for(worker_a).post(create_url(key_household), {"staff": stranger.pk, "starts_on": "2026-03-01"})
    assert response.status_code == 200
    assert "staff" in response.context["form"].errors
    assert not AssistancePair.objects.exists()


def test_an_end_before_the_start_is_refused_and_the_typing_kept(client_for, worker_a, key_household):
    response = client_for(worker_a).post(
        create_url(key_household), {"staff": worker_a.pk, "starts_on": "2026-03-01", "ends_on": "2026-02-01"}
    )
    assert response.status_code == 200
    assert "结束日期不能早于开始日期" in response.content.decode()
    assert 'value="2026-03-01"' in response.content.decode()
    assert not AssistancePair.objects.exists()


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("worker_a2", 404),
        ("worker_b", 404),
        ("other_street_leader", 404),
        ("social_affairs_staff", 403),
        ("leader", 403),
        ("staff", 403),
        ("chief", 403),
        ("deputy", 403),
    ],
)
def test_others_cannot_pair(request, client_for, key_household, persona, status):
    user = request.getfixturevalue(persona)
    client = client_for(user)
    assert client.get(create_url(key_household)).status_code == status
    assert client.post(create_url(key_household), {"staff": user.pk, "starts_on": "2026-03-01"}).status_code == status
    assert not AssistancePair.objects.exists()


def test_anonymous_cannot_pair(client, key_household):
    assert client.get(create_url(key_household)).status_code == 302


# --- pair_end ----------------------------------------------------------------------------------------------------


def end_url(pair):
    return reverse("households:pair_end", args=[pair.pk])


@pytest.mark.parametrize("persona", ["worker_a", "community_leader"])
def test_the_area_ends_a_pairing(request, client_for, pair, persona):
    client = client_for(request.getfixturevalue(persona))
    assert client.get(end_url(pair)).status_code == 200
    ends_on = timezone.localdate()
    assert client.post(end_url(pair), {"ends_on": ends_on.isoformat()}).status_code == 302
    pair.refresh_from_db()
    assert pair.ends_on == ends_on


def test_an_end_before_the_start_is_refused(client_for, worker_a, pair):
    before = pair.starts_on - datetime.timedelta(days=1)
    response = client_for(worker_a).post(end_url(pair), {"ends_on": before.isoformat()})
    assert response.status_code == 200
    assert "结束日期不能早于开始日期" in response.content.decode()
    pair.refresh_from_db()
    assert pair.ends_on is None


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("worker_a2", 404),
        ("worker_b", 404),
        ("staff", 404),
        ("chief", 404),
        ("deputy", 404),
        ("other_street_leader", 404),
        ("leader", 403),
        ("social_affairs_staff", 403),
    ],
)
def test_others_cannot_end_a_pairing(request, client_for, pair, persona, status):
    client = client_for(request.getfixturevalue(persona))
    assert client.post(end_url(pair), {"ends_on": timezone.localdate().isoformat()}).status_code == status
    pair.refresh_from_db()
    assert pair.ends_on is None


def test_anonymous_cannot_end_a_pairing(client, pair):
    assert client.post(end_url(pair), {"ends_on": "2026-06-01"}).status_code == 302
