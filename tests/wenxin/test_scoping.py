"""Who sees what: every model's visible_to(user), for every role, decided by wenxin.scoping.scope_q."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from households.models import (
    Community,
    Enterprise,
    Estate,
    GridArea,
    Household,
    HouseholdCategory,
    OwnersCommittee,
    PairedVillage,
    PropertyCompany,
    Resident,
    Street,
)
from tests.factories import (
    CommunityFactory,
    EnterpriseFactory,
    EstateFactory,
    GridAreaFactory,
    HouseholdCategoryFactory,
    HouseholdFactory,
    OwnersCommitteeFactory,
    PairedVillageFactory,
    PropertyCompanyFactory,
    ResidentFactory,
    UserFactory,
)
from wenxin.models import AuditEntry, Department, User
from wenxin.roles import Role


@pytest.fixture
def world(places):
    """One household (with a resident) in each of area A, area A2, area B and another street's area."""
    other_community = CommunityFactory(street=places.other_street, name="翠苑一社区")
    other_area = GridAreaFactory(community=other_community)
    households = {
        "a": HouseholdFactory(grid_area=places.area_a, estate=places.estate_a),
        "a2": HouseholdFactory(grid_area=places.area_a2, estate=places.estate_a),
        "b": HouseholdFactory(grid_area=places.area_b, estate=places.estate_b),
        "other": HouseholdFactory(grid_area=other_area),
    }
    residents = {key: ResidentFactory(household=household) for key, household in households.items()}
    return households, residents, other_community


def visible_keys(objects: dict, model, user) -> set[str]:
    visible = set(model.objects.visible_to(user).values_list("pk", flat=True))
    return {key for key, obj in objects.items() if obj.pk in visible}


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("worker_a", {"a"}),
        ("worker_a2", {"a2"}),
        ("worker_b", {"b"}),
        ("community_leader", {"a", "a2"}),
        ("staff", {"a", "a2", "b"}),
        ("social_affairs_staff", {"a", "a2", "b"}),
        ("chief", {"a", "a2", "b"}),
        ("deputy", {"a", "a2", "b"}),
        ("cadre", {"a", "a2", "b"}),
        ("leader", {"a", "a2", "b"}),
        ("other_street_leader", {"other"}),
        ("system_admin", {"a", "a2", "b", "other"}),
    ],
)
def test_households_and_residents_are_scoped_by_role(request, world, persona, expected):
    households, residents, _ = world
    user = request.getfixturevalue(persona)
    assert visible_keys(households, Household, user) == expected
    assert visible_keys(residents, Resident, user) == expected


def test_a_social_worker_with_two_grid_areas_sees_both(places, world, worker_a):
    households, _, _ = world
    places.area_a2.workers.add(worker_a)
    assert visible_keys(households, Household, worker_a) == {"a", "a2"}


def test_a_social_worker_whose_area_is_handed_over_stops_seeing_it(places, world, worker_a):
    households, _, _ = world
    places.area_a.workers.remove(worker_a)
    assert visible_keys(households, Household, worker_a) == set()


def test_nobody_without_a_session_or_a_place_sees_anything(places, world):
    households, _, _ = world
    placeless = UserFactory(username="placeless", role=Role.STREET_LEADER, street=None)
    inactive = UserFactory(username="inactive", role=Role.STREET_LEADER, street=places.street, is_active=False)
    for user in (AnonymousUser(), placeless, inactive):
        assert not Household.objects.visible_to(user).exists()
        assert not Estate.objects.visible_to(user).exists()
        assert not User.objects.visible_to(user).exists()


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("worker_a", {"a"}),
        ("community_leader", {"a"}),
        ("leader", {"a", "b"}),
        ("other_street_leader", {"other"}),
        ("system_admin", {"a", "b", "other"}),
    ],
)
def test_places_are_scoped_to_the_community_or_the_street(request, places, world, persona, expected):
    _, _, other_community = world
    user = request.getfixturevalue(persona)
    other_estate = EstateFactory(community=other_community)
    assert (
        visible_keys({"a": places.community_a, "b": places.community_b, "other": other_community}, Community, user)
        == expected
    )
    assert visible_keys({"a": places.estate_a, "b": places.estate_b, "other": other_estate}, Estate, user) == expected
    committees = {
        "a": OwnersCommitteeFactory(estate=places.estate_a),
        "b": OwnersCommitteeFactory(estate=places.estate_b),
        "other": OwnersCommitteeFactory(estate=other_estate),
    }
    assert visible_keys(committees, OwnersCommittee, user) == expected
    enterprises = {
        "a": EnterpriseFactory(street=places.street, community=places.community_a),
        "b": EnterpriseFactory(street=places.street, community=places.community_b),
        "other": EnterpriseFactory(street=places.other_street, community=other_community),
    }
    assert visible_keys(enterprises, Enterprise, user) == expected


def test_grid_areas_a_worker_sees_are_her_own(places, worker_a, community_leader):
    areas = {"a": places.area_a, "a2": places.area_a2, "b": places.area_b}
    assert visible_keys(areas, GridArea, worker_a) == {"a"}
    assert visible_keys(areas, GridArea, community_leader) == {"a", "a2"}


@pytest.mark.parametrize("persona", ["worker_a", "community_leader", "staff", "leader"])
def test_street_level_registries_are_shared_within_the_street(request, places, persona):
    user = request.getfixturevalue(persona)
    ours = {
        "village": PairedVillageFactory(street=places.street),
        "company": PropertyCompanyFactory(street=places.street),
    }
    theirs = {
        "village": PairedVillageFactory(street=places.other_street),
        "company": PropertyCompanyFactory(street=places.other_street),
    }
    for model, key in ((PairedVillage, "village"), (PropertyCompany, "company")):
        visible = set(model.objects.visible_to(user))
        assert ours[key] in visible
        assert theirs[key] not in visible
    assert set(Street.objects.visible_to(user)) == {places.street}
    assert set(Department.objects.visible_to(user)) == {places.department, places.social_affairs}


def test_categories_are_shared_vocabulary_for_signed_in_staff(places, worker_a):
    category = HouseholdCategoryFactory(name="测试类别")
    assert category in HouseholdCategory.objects.visible_to(worker_a)
    assert not HouseholdCategory.objects.visible_to(AnonymousUser()).exists()


def test_colleagues_are_visible_within_the_scope(places, worker_a, worker_a2, worker_b, community_leader, leader):
    assert set(User.objects.visible_to(worker_a)) >= {worker_a, worker_a2, community_leader}
    assert worker_b not in User.objects.visible_to(worker_a)
    assert worker_b in User.objects.visible_to(leader)


def test_only_editors_of_the_area_may_edit_households(world, worker_a, worker_b, community_leader, leader, staff):
    households, _, _ = world
    assert set(Household.objects.editable_by(worker_a)) == {households["a"]}
    assert set(Household.objects.editable_by(community_leader)) == {households["a"], households["a2"]}
    assert not Household.objects.editable_by(leader).exists()
    assert not Household.objects.editable_by(staff).exists()
    assert set(Household.objects.editable_by(worker_b)) == {households["b"]}


def test_the_audit_trail_is_read_by_street_leaders_only(places, worker_a, leader, other_street_leader, world):
    households, _, _ = world
    from wenxin.services import audit_record

    entry = audit_record(actor=worker_a, action=AuditEntry.Action.UPDATE, obj=households["a"])
    assert entry in AuditEntry.objects.visible_to(leader)
    assert entry not in AuditEntry.objects.visible_to(worker_a)
    assert entry not in AuditEntry.objects.visible_to(other_street_leader)


def test_the_scope_is_one_query_whatever_the_number_of_grid_areas(places, worker_a, django_assert_num_queries):
    for _ in range(5):
        places.area_a.community.grid_areas.create(name=f"扩展网格{_}").workers.add(worker_a)
    with django_assert_num_queries(1):
        list(Household.objects.visible_to(worker_a))
