"""Registry writes: they stay in scope, validate, and leave an audit record in the same transaction."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from households import services
from households.models import Household, Resident
from tests.factories import EstateFactory, HouseholdCategoryFactory, HouseholdFactory, ResidentFactory, make_id_number
from wenxin.models import AuditEntry


def create(actor, places, **overrides):
    fields = {
        "actor": actor,
        "estate": places.estate_a,
        "grid_area": places.area_a,
        "building": "3",
        "unit": "1",
        "room": "301",
        "phone": "13812345678",
    }
    return services.household_create(**{**fields, **overrides})


def test_a_worker_registers_a_household_with_its_head(places, worker_a):
    key = HouseholdCategoryFactory(name="低保户", is_key=True)
    household = create(worker_a, places, categories=[key], head={"name": "张三", "id_number": "11010519491231002x"})
    head = household.residents.get()
    assert head.relation == Resident.Relation.HEAD
    assert head.id_number == "11010519491231002X"
    assert head.birth_date == datetime.date(1949, 12, 31)
    assert head.gender == Resident.Gender.FEMALE
    assert list(household.categories.all()) == [key]
    assert household.address == "香港城 3幢1单元301室"
    assert AuditEntry.objects.filter(object_id=str(household.pk), action=AuditEntry.Action.CREATE).exists()


def test_a_worker_cannot_register_into_another_workers_area(places, worker_a):
    with pytest.raises(ValidationError) as error:
        create(worker_a, places, grid_area=places.area_a2)
    assert "grid_area" in error.value.message_dict
    assert not Household.objects.exists()


def test_estate_and_grid_area_must_share_a_community(places, community_leader):
    with pytest.raises(ValidationError):
        create(community_leader, places, estate=EstateFactory(community=places.community_b))
    assert not Household.objects.exists()


def test_roles_that_do_not_keep_the_registry_cannot_write_it(places, leader, staff):
    for actor in (leader, staff):
        with pytest.raises(PermissionDenied):
            create(actor, places)
    assert not Household.objects.exists()


def test_a_bad_head_id_number_rolls_back_the_whole_household(places, worker_a):
    with pytest.raises(ValidationError):
        create(worker_a, places, head={"name": "张三", "id_number": "110105194912310021"})
    assert not Household.objects.exists()
    assert not AuditEntry.objects.exists()


def test_one_active_household_per_address(places, worker_a):
    create(worker_a, places)
    with pytest.raises(ValidationError):
        create(worker_a, places)
    assert Household.objects.count() == 1


def test_a_moved_out_address_can_be_registered_again(places, worker_a):
    first = create(worker_a, places)
    services.household_archive(actor=worker_a, household=first, moved_out_on=datetime.date(2026, 1, 5), reason="搬迁")
    second = create(worker_a, places)
    assert second.pk != first.pk
    assert Household.objects.get(pk=first.pk).status == Household.Status.MOVED_OUT


def test_archiving_is_recorded_and_happens_once(places, worker_a):
    household = create(worker_a, places)
    services.household_archive(
        actor=worker_a, household=household, moved_out_on=datetime.date(2026, 1, 5), reason="搬迁"
    )
    entry = AuditEntry.objects.get(action=AuditEntry.Action.ARCHIVE)
    assert entry.actor == worker_a
    assert entry.changes["reason"] == "搬迁"
    with pytest.raises(ValidationError):
        services.household_archive(
            actor=worker_a, household=household, moved_out_on=datetime.date(2026, 1, 6), reason=""
        )


def test_an_update_writes_only_the_changed_fields_and_records_them(places, worker_a):
    household = HouseholdFactory(grid_area=places.area_a, estate=places.estate_a, phone="13800000000")
    # A colleague changed the note meanwhile; updating the phone must not overwrite it with the stale value.
    Household.objects.filter(pk=household.pk).update(note="同事刚写的备注")
    services.household_update(
        actor=worker_a, household=household, data={"phone": "13911112222", "room": household.room}
    )
    household.refresh_from_db()
    assert household.phone == "13911112222"
    assert household.note == "同事刚写的备注"
    entry = AuditEntry.objects.get(action=AuditEntry.Action.UPDATE)
    assert entry.changes == {"phone": ["13800000000", "13911112222"]}


def test_an_update_with_no_change_records_nothing(places, worker_a):
    household = HouseholdFactory(grid_area=places.area_a, estate=places.estate_a)
    services.household_update(actor=worker_a, household=household, data={"phone": household.phone}, categories=[])
    assert not AuditEntry.objects.exists()


def test_category_changes_are_recorded(places, worker_a):
    household = HouseholdFactory(grid_area=places.area_a, estate=places.estate_a)
    key = HouseholdCategoryFactory(name="重点优抚对象", is_key=True)
    services.household_update(actor=worker_a, household=household, data={}, categories=[key])
    assert AuditEntry.objects.get().changes == {"categories": [[], ["重点优抚对象"]]}


def test_a_worker_cannot_update_another_areas_household(places, worker_a):
    household = HouseholdFactory(grid_area=places.area_b, estate=places.estate_b)
    with pytest.raises(PermissionDenied):
        services.household_update(actor=worker_a, household=household, data={"phone": "13911112222"})


def test_a_duplicate_id_number_is_refused(places, worker_a):
    existing = ResidentFactory(household=HouseholdFactory(grid_area=places.area_b, estate=places.estate_b))
    household = HouseholdFactory(grid_area=places.area_a, estate=places.estate_a)
    with pytest.raises(ValidationError) as error:
        services.resident_create(
            actor=worker_a, household=household, name="李四", relation="spouse", id_number=existing.id_number
        )
    assert "已登记" in str(error.value)


def test_a_second_head_is_refused(places, worker_a):
    household = HouseholdFactory(grid_area=places.area_a, estate=places.estate_a)
    ResidentFactory(household=household, relation=Resident.Relation.HEAD)
    with pytest.raises(ValidationError):
        services.resident_create(actor=worker_a, household=household, name="李四", relation=Resident.Relation.HEAD)


def test_id_number_and_disability_changes_are_audited_masked(places, worker_a):
    resident = ResidentFactory(household=HouseholdFactory(grid_area=places.area_a, estate=places.estate_a))
    old = resident.id_number
    new = make_id_number(999_001)
    services.resident_update(actor=worker_a, resident=resident, data={"id_number": new, "disability": "physical"})
    resident.refresh_from_db()
    assert resident.id_number == new
    entry = AuditEntry.objects.get(action=AuditEntry.Action.UPDATE)
    assert entry.changes["id_number"] == [f"{old[:6]}********{old[-4:]}", f"{new[:6]}********{new[-4:]}"]
    assert entry.changes["disability"] == ["", "physical"]
    assert new not in str(entry.changes)


@pytest.mark.parametrize("persona", ["worker_a", "community_leader", "leader", "social_affairs_staff", "system_admin"])
def test_people_who_need_it_may_reveal_an_id_number_and_it_is_recorded(request, places, persona):
    actor = request.getfixturevalue(persona)
    resident = ResidentFactory(household=HouseholdFactory(grid_area=places.area_a, estate=places.estate_a))
    assert services.id_number_reveal(actor=actor, resident=resident) == resident.id_number
    entry = AuditEntry.objects.get(action=AuditEntry.Action.REVEAL)
    assert entry.actor == actor
    assert entry.object_id == str(resident.pk)


@pytest.mark.parametrize("persona", ["staff", "chief", "deputy", "cadre", "worker_a2", "worker_b"])
def test_others_may_not_reveal_an_id_number(request, places, persona):
    actor = request.getfixturevalue(persona)
    resident = ResidentFactory(household=HouseholdFactory(grid_area=places.area_a, estate=places.estate_a))
    with pytest.raises(PermissionDenied):
        services.id_number_reveal(actor=actor, resident=resident)
    assert not AuditEntry.objects.exists()
