"""The registry in the Django admin: every page, choice, filter and autocomplete answer scoped by visible_to(user).

Places: our street (文新街道) with community A (德加社区: estate 香港城, areas 德加第1/第2网格) and community B
(益乐社区: 益乐新村, 益乐第1网格), and another street (翠苑街道) with its own community, estate and area.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from households.models import Household, HouseholdImport, Resident
from households.services import household_update
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
from wenxin.models import AuditEntry
from wenxin.roles import Role, sync_role_groups
from wenxin.services import user_sync_role


@pytest.fixture(autouse=True)
def role_groups(db):
    # A fresh test database's groups are empty after migrate (see tests/wenxin/test_admin.py); build them the way
    # a second migrate, and so every deployed site, has them.
    sync_role_groups()


@pytest.fixture
def admin_client_for(client_for):
    """A client logged in as the user, with the group (and admin access) of their role."""

    def make(user):
        user_sync_role(user=user)
        return client_for(user)

    return make


@dataclass
class World:
    households: dict[str, Household]
    residents: dict[str, Resident]
    other_community: object
    other_estate: object
    other_area: object


@pytest.fixture
def world(places) -> World:
    """One household with its head in area A, area A2, area B and another street's area; registry entries of both
    streets with names that are not part of one another."""
    other_community = CommunityFactory(street=places.other_street, name="翠苑一社区")
    other_estate = EstateFactory(community=other_community, name="翠苑新村")
    other_area = GridAreaFactory(community=other_community, name="翠苑第1网格")
    households = {
        "a": HouseholdFactory(grid_area=places.area_a, estate=places.estate_a, building="1", room="101"),
        "a2": HouseholdFactory(grid_area=places.area_a2, estate=places.estate_a, building="2", room="202"),
        "b": HouseholdFactory(grid_area=places.area_b, estate=places.estate_b, building="3", room="303"),
        "other": HouseholdFactory(grid_area=other_area, estate=other_estate, building="4", room="404"),
    }
    names = {"a": "甲居民", "a2": "乙居民", "b": "丙居民", "other": "丁居民"}
    residents = {key: ResidentFactory(household=h, name=names[key]) for key, h in households.items()}

    company = PropertyCompanyFactory(street=places.street, name="文新物业")
    places.estate_a.property_company = company
    places.estate_a.save(update_fields=["property_company"])
    PropertyCompanyFactory(street=places.other_street, name="翠苑物业")
    OwnersCommitteeFactory(estate=places.estate_a, name="香港城业委会")
    OwnersCommitteeFactory(estate=other_estate, name="翠苑新村业委会")
    EnterpriseFactory(street=places.street, community=places.community_a, name="文新科技")
    EnterpriseFactory(street=places.other_street, community=other_community, name="翠苑科技")
    PairedVillageFactory(street=places.street, name="淳安结对村")
    PairedVillageFactory(street=places.other_street, name="建德结对村")
    return World(households, residents, other_community, other_estate, other_area)


def changelist(model: str) -> str:
    return reverse(f"admin:households_{model}_changelist")


def change_url(obj) -> str:
    return reverse(f"admin:households_{obj._meta.model_name}_change", args=[obj.pk])


# --- Every changelist: our street's rows, none of another street's ---------------------------------------------

OURS_AND_THEIRS = [
    ("street", "文新街道", "翠苑街道"),
    ("community", "德加社区", "翠苑一社区"),
    ("estate", "香港城", "翠苑新村"),
    ("propertycompany", "文新物业", "翠苑物业"),
    ("ownerscommittee", "香港城业委会", "翠苑新村业委会"),
    ("gridarea", "德加第1网格", "翠苑第1网格"),
    ("enterprise", "文新科技", "翠苑科技"),
    ("pairedvillage", "淳安结对村", "建德结对村"),
    ("household", "香港城", "翠苑新村"),
    ("resident", "甲居民", "丁居民"),
]


@pytest.mark.parametrize(("model", "ours", "theirs"), OURS_AND_THEIRS)
def test_a_street_leader_sees_the_streets_rows_and_none_of_another_streets(
    admin_client_for, leader, world, model, ours, theirs
):
    response = admin_client_for(leader).get(changelist(model))

    assert response.status_code == 200
    assert ours in response.text
    assert theirs not in response.text


@pytest.mark.parametrize(("model", "ours", "theirs"), OURS_AND_THEIRS)
def test_a_leader_of_another_street_sees_none_of_ours(
    admin_client_for, other_street_leader, world, model, ours, theirs
):
    response = admin_client_for(other_street_leader).get(changelist(model))

    assert response.status_code == 200
    assert theirs in response.text
    assert ours not in response.text


def test_the_household_list_links_exactly_the_households_in_scope(admin_client_for, leader, world):
    response = admin_client_for(leader).get(changelist("household"))

    for key in ("a", "a2", "b"):
        assert change_url(world.households[key]) in response.text
    assert change_url(world.households["other"]) not in response.text


@pytest.mark.parametrize(
    ("model", "theirs"),
    [("household", "益乐新村"), ("resident", "丙居民"), ("estate", "益乐新村"), ("gridarea", "益乐第1网格")],
)
def test_a_community_leader_sees_only_the_communitys_rows(admin_client_for, community_leader, world, model, theirs):
    response = admin_client_for(community_leader).get(changelist(model))

    assert response.status_code == 200
    assert theirs not in response.text
    assert "益乐社区" not in response.text  # neither in the rows nor in a list filter
    assert "翠苑" not in response.text


def test_a_community_leader_lists_both_areas_of_the_community(admin_client_for, community_leader, world):
    response = admin_client_for(community_leader).get(changelist("household"))

    assert change_url(world.households["a"]) in response.text
    assert change_url(world.households["a2"]) in response.text
    assert change_url(world.households["b"]) not in response.text


def test_household_categories_are_shared_by_every_street(admin_client_for, leader, other_street_leader, world):
    HouseholdCategoryFactory(name="低保户", is_key=True)

    assert "低保户" in admin_client_for(leader).get(changelist("householdcategory")).text
    assert "低保户" in admin_client_for(other_street_leader).get(changelist("householdcategory")).text


def test_household_imports_list_only_the_users_own(admin_client_for, community_leader, leader, world):
    # No role holds households.view_householdimport yet (see the report); a direct grant shows the scope.
    community_leader.user_permissions.add(Permission.objects.get(codename="view_householdimport"))
    HouseholdImport.objects.create(
        created_by=community_leader, file_name="德加户籍.xlsx", content=b"", status="checked"
    )
    HouseholdImport.objects.create(created_by=leader, file_name="钱书记上传.xlsx", content=b"", status="checked")

    response = admin_client_for(community_leader).get(changelist("householdimport"))

    assert "德加户籍.xlsx" in response.text
    assert "钱书记上传.xlsx" not in response.text
    assert admin_client_for(community_leader).get(reverse("admin:households_householdimport_add")).status_code == 403


# --- List filters -----------------------------------------------------------------------------------------------


def test_the_list_filters_of_a_street_leader_name_no_other_streets_places(admin_client_for, leader, world):
    response = admin_client_for(leader).get(changelist("household"))

    # The filters list our street's communities, estates and areas ...
    assert "德加社区" in response.text
    assert "益乐社区" in response.text
    assert "德加第2网格" in response.text
    # ... and none of another street's.
    assert "翠苑一社区" not in response.text
    assert "翠苑第1网格" not in response.text


def test_a_filter_value_from_another_community_finds_nothing(admin_client_for, community_leader, world):
    url = changelist("household") + f"?grid_area__community__id__exact={world.households['b'].grid_area.community_id}"

    response = admin_client_for(community_leader).get(url)

    assert change_url(world.households["b"]) not in response.text


# --- Change pages of rows out of scope ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "key"), [("community_leader", "b"), ("other_street_leader", "a"), ("leader", "other")]
)
def test_the_change_page_of_an_out_of_scope_household_is_not_served(request, admin_client_for, world, persona, key):
    household = world.households[key]
    client = admin_client_for(request.getfixturevalue(persona))

    response = client.get(change_url(household))

    assert response.status_code == 302
    assert response.url == reverse("admin:index")
    followed = client.get(response.url)
    assert "不存在" in followed.text  # Django's answer for a missing object: "missing" and "not yours" look alike
    assert world.residents[key].name not in followed.text
    assert household.estate.name not in followed.text


def test_the_history_and_resident_pages_of_another_community_are_not_served(admin_client_for, community_leader, world):
    client = admin_client_for(community_leader)
    history = reverse("admin:households_household_history", args=[world.households["b"].pk])

    assert client.get(history).status_code == 302
    assert client.get(change_url(world.residents["b"])).status_code == 302
    assert client.get(change_url(world.other_area)).status_code == 302


def test_a_leader_reads_a_household_of_the_street_without_editing_it(admin_client_for, leader, world):
    client = admin_client_for(leader)
    household = world.households["b"]

    response = client.get(change_url(household))

    assert response.status_code == 200
    assert world.residents["b"].name in response.text
    assert 'name="phone"' not in response.text  # view only: no inputs
    assert client.post(change_url(household), {"phone": "13911112222"}).status_code == 403


# --- Autocomplete --------------------------------------------------------------------------------------------------


def autocomplete(client, source_model: str, field_name: str, term: str = "") -> set[str]:
    response = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "households", "model_name": source_model, "field_name": field_name, "term": term},
    )
    assert response.status_code == 200
    return {result["text"] for result in json.loads(response.content)["results"]}


def test_the_estate_autocomplete_answers_only_estates_in_scope(admin_client_for, community_leader, world):
    client = admin_client_for(community_leader)

    assert autocomplete(client, "household", "estate") == {"香港城"}
    assert autocomplete(client, "household", "estate", term="益乐") == set()


def test_the_grid_area_autocomplete_answers_only_areas_in_scope(admin_client_for, community_leader, world):
    client = admin_client_for(community_leader)

    assert autocomplete(client, "household", "grid_area") == {"德加第1网格", "德加第2网格"}
    assert autocomplete(client, "household", "grid_area", term="翠苑") == set()


def test_the_household_autocomplete_answers_only_households_in_scope(admin_client_for, community_leader, world):
    texts = autocomplete(admin_client_for(community_leader), "resident", "household")

    assert texts == {str(world.households["a"]), str(world.households["a2"])}


def test_the_autocomplete_of_another_streets_leader_answers_only_that_street(
    admin_client_for, other_street_leader, world
):
    client = admin_client_for(other_street_leader)

    assert autocomplete(client, "household", "estate") == {"翠苑新村"}
    assert autocomplete(client, "household", "grid_area") == {"翠苑第1网格"}
    assert autocomplete(client, "resident", "household") == {str(world.households["other"])}


def test_the_form_choices_of_a_household_are_in_scope(admin_client_for, community_leader, world, places):
    response = admin_client_for(community_leader).get(reverse("admin:households_household_add"))

    fields = response.context["adminform"].form.fields
    assert set(fields["estate"].queryset) == {places.estate_a}
    assert set(fields["grid_area"].queryset) == {places.area_a, places.area_a2}


def test_the_household_choice_of_a_new_resident_is_in_scope(admin_client_for, community_leader, world):
    response = admin_client_for(community_leader).get(reverse("admin:households_resident_add"))

    choices = response.context["adminform"].form.fields["household"].queryset
    assert set(choices) == {world.households["a"], world.households["a2"]}


# --- Who may use the admin -------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["worker_a", "staff"])
def test_users_who_do_not_work_in_the_admin_are_sent_to_its_login(request, admin_client_for, world, persona):
    client = admin_client_for(request.getfixturevalue(persona))

    for url in (reverse("admin:index"), changelist("household"), change_url(world.households["a"])):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("admin:login"))


def test_anonymous_users_are_sent_to_the_admin_login(client, world):
    response = client.get(changelist("household"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


# --- Households are archived, never deleted ---------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["community_leader", "leader", "system_admin"])
def test_deleting_a_household_is_refused(request, admin_client_for, world, persona):
    household = world.households["a"]
    client = admin_client_for(request.getfixturevalue(persona))
    delete_url = reverse("admin:households_household_delete", args=[household.pk])

    assert client.get(delete_url).status_code == 403
    assert client.post(delete_url, {"post": "yes"}).status_code == 403
    assert Household.objects.filter(pk=household.pk).exists()


def test_a_superuser_cannot_delete_a_household_or_a_resident_either(admin_client_for, world):
    superuser = UserFactory(username="root", role=Role.SYSTEM_ADMIN, street=None, is_staff=True, is_superuser=True)
    client = admin_client_for(superuser)
    resident = world.residents["a"]

    response = client.post(reverse("admin:households_resident_delete", args=[resident.pk]), {"post": "yes"})

    assert response.status_code == 403
    assert Resident.objects.filter(pk=resident.pk).exists()
    household_delete = reverse("admin:households_household_delete", args=[resident.household_id])
    assert client.post(household_delete, {"post": "yes"}).status_code == 403
    assert "delete_selected" not in client.get(changelist("household")).text
    assert "delete_selected" not in client.get(changelist("resident")).text


def test_the_delete_selected_action_is_not_offered_or_run(admin_client_for, community_leader, world):
    client = admin_client_for(community_leader)
    household = world.households["a"]

    client.post(
        changelist("household"), {"action": "delete_selected", "_selected_action": [household.pk], "post": "yes"}
    )

    assert Household.objects.filter(pk=household.pk).exists()


def test_the_move_out_action_archives_and_writes_the_audit_record(admin_client_for, community_leader, world):
    household = world.households["a"]
    data = {
        "action": "mark_moved_out",
        "_selected_action": [household.pk],
        "moved_out_on": "2025-03-01",
        "moved_out_reason": "搬至外地",
    }

    response = admin_client_for(community_leader).post(changelist("household"), data, follow=True)

    household.refresh_from_db()
    assert household.status == Household.Status.MOVED_OUT
    assert household.moved_out_on == datetime.date(2025, 3, 1)
    assert household.moved_out_reason == "搬至外地"
    entry = AuditEntry.objects.get(action=AuditEntry.Action.ARCHIVE, object_id=str(household.pk))
    assert entry.actor == community_leader
    assert "已将 1 户标记为已迁出" in response.text


def test_the_move_out_action_cannot_reach_another_communitys_household(admin_client_for, community_leader, world):
    household = world.households["b"]
    data = {"action": "mark_moved_out", "_selected_action": [household.pk]}

    admin_client_for(community_leader).post(changelist("household"), data)

    household.refresh_from_db()
    assert household.is_active
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.ARCHIVE).exists()


def test_the_move_out_action_is_not_offered_to_leaders_who_only_read(admin_client_for, leader, world):
    household = world.households["a"]
    client = admin_client_for(leader)

    assert "mark_moved_out" not in client.get(changelist("household")).text
    client.post(changelist("household"), {"action": "mark_moved_out", "_selected_action": [household.pk]})

    household.refresh_from_db()
    assert household.is_active


def test_a_household_already_moved_out_is_skipped_with_a_message(admin_client_for, community_leader, world):
    household = world.households["a"]
    Household.objects.filter(pk=household.pk).update(status=Household.Status.MOVED_OUT)
    data = {"action": "mark_moved_out", "_selected_action": [household.pk]}

    response = admin_client_for(community_leader).post(changelist("household"), data, follow=True)

    assert "1 户未处理" in response.text
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.ARCHIVE).exists()


# --- Edits go through the services -----------------------------------------------------------------------------


def household_form(household: Household, residents: list[Resident], **changes) -> dict:
    """The POST of the household change page as the browser sends it, residents' ID numbers shown masked."""
    data = {
        "estate": household.estate_id,
        "grid_area": household.grid_area_id,
        "building": household.building,
        "unit": household.unit,
        "room": household.room,
        "phone": household.phone,
        "note": household.note,
        "version": household.version,
        "residents-TOTAL_FORMS": str(len(residents)),
        "residents-INITIAL_FORMS": str(len(residents)),
        "residents-MIN_NUM_FORMS": "0",
        "residents-MAX_NUM_FORMS": "1000",
        "_save": "保存",
    }
    for i, resident in enumerate(residents):
        data |= {
            f"residents-{i}-id": resident.pk,
            f"residents-{i}-household": household.pk,
            f"residents-{i}-name": resident.name,
            f"residents-{i}-relation": resident.relation,
            f"residents-{i}-id_number": resident.masked_id_number,
            f"residents-{i}-gender": resident.gender,
            f"residents-{i}-birth_date": resident.birth_date or "",
            f"residents-{i}-phone": resident.phone,
            f"residents-{i}-disability": resident.disability,
            f"residents-{i}-disability_grade": resident.disability_grade or "",
            f"residents-{i}-note": resident.note,
        }
    return data | changes


def test_editing_a_household_writes_the_audit_record(admin_client_for, community_leader, world):
    household, resident = world.households["a"], world.residents["a"]

    response = admin_client_for(community_leader).post(
        change_url(household), household_form(household, [resident], phone="13911112222")
    )

    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    household.refresh_from_db()
    assert household.phone == "13911112222"
    entry = AuditEntry.objects.get(action=AuditEntry.Action.UPDATE, object_id=str(household.pk))
    assert entry.changes["phone"] == ["13800000000", "13911112222"]
    assert entry.actor == community_leader


def test_a_household_page_opened_before_a_colleagues_save_is_refused_keeping_what_was_typed(
    admin_client_for, community_leader, worker_a, world
):
    household, resident = world.households["a"], world.residents["a"]
    opened = household_form(household, [resident], note="三楼东户，门铃坏了")
    household_update(actor=worker_a, household=household, data={"phone": "13955556666"})

    response = admin_client_for(community_leader).post(change_url(household), opened)

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert "该户的信息" in " ".join(form.non_field_errors())
    assert "三楼东户，门铃坏了" in response.text
    household.refresh_from_db()
    assert household.phone == "13955556666"
    assert household.note != "三楼东户，门铃坏了"


def test_after_a_refused_save_saving_again_keeps_the_colleagues_change(
    admin_client_for, community_leader, worker_a, world
):
    household, resident = world.households["a"], world.residents["a"]
    client = admin_client_for(community_leader)
    opened = household_form(household, [resident], note="三楼东户")
    household_update(actor=worker_a, household=household, data={"note": "同事的备注"})
    refused = client.post(change_url(household), opened)
    again = {**opened, "version": refused.context["adminform"].form.data["version"]}

    response = client.post(change_url(household), again)

    assert response.status_code == 302
    household.refresh_from_db()
    assert household.note == "三楼东户"
    assert household.version == opened["version"] + 2  # the colleague's save, then this one


def test_a_colleagues_save_landing_during_the_save_is_refused_without_an_error_page(
    admin_client_for, community_leader, worker_a, world, monkeypatch
):
    household, resident = world.households["a"], world.residents["a"]
    data = household_form(household, [resident], note="我的备注", **{"residents-0-phone": "13722223333"})

    def colleague_first(**kwargs):
        # The colleague's save commits after this form was checked and before this save locks the row.
        stored = Household.objects.get(pk=household.pk)
        household_update(actor=worker_a, household=stored, data={"phone": "13955556666"})
        return household_update(**kwargs)

    monkeypatch.setattr("households.admin.household_update", colleague_first)
    response = admin_client_for(community_leader).post(change_url(household), data, follow=True)

    assert response.status_code == 200
    assert "该户的信息" in response.text
    household.refresh_from_db()
    resident.refresh_from_db()
    assert household.note != "我的备注"
    assert resident.phone != "13722223333"  # the whole save was rolled back, the residents' inline too


def test_a_household_post_without_its_version_changes_nothing(admin_client_for, community_leader, world):
    household, resident = world.households["a"], world.residents["a"]
    data = household_form(household, [resident], phone="13911112222")
    del data["version"]

    response = admin_client_for(community_leader).post(change_url(household), data)

    assert response.status_code == 200
    household.refresh_from_db()
    assert household.phone != "13911112222"


def test_a_masked_id_number_left_as_shown_keeps_the_number(admin_client_for, community_leader, world):
    household, resident = world.households["a"], world.residents["a"]
    full_number = resident.id_number

    response = admin_client_for(community_leader).post(change_url(household), household_form(household, [resident]))

    assert response.status_code == 302
    resident.refresh_from_db()
    assert resident.id_number == full_number
    assert not AuditEntry.objects.filter(object_id=str(resident.pk), action=AuditEntry.Action.UPDATE).exists()


def test_editing_a_resident_in_the_household_page_goes_through_the_service(admin_client_for, community_leader, world):
    household, resident = world.households["a"], world.residents["a"]
    data = household_form(household, [resident], **{"residents-0-phone": "13722223333"})

    response = admin_client_for(community_leader).post(change_url(household), data)

    assert response.status_code == 302
    resident.refresh_from_db()
    assert resident.phone == "13722223333"
    entry = AuditEntry.objects.get(action=AuditEntry.Action.UPDATE, object_id=str(resident.pk))
    assert entry.changes == {"phone": ["13900000000", "13722223333"]}


def test_a_second_head_of_household_is_refused_before_anything_is_written(admin_client_for, community_leader, world):
    household, resident = world.households["a"], world.residents["a"]
    data = household_form(household, [resident], phone="13911112222")
    data |= {
        "residents-TOTAL_FORMS": "2",
        "residents-1-household": household.pk,
        "residents-1-name": "新户主",
        "residents-1-relation": "head",
    }

    response = admin_client_for(community_leader).post(change_url(household), data)

    assert response.status_code == 200
    assert "一户只能有一位户主" in response.text
    household.refresh_from_db()
    assert household.phone == "13800000000"


def test_adding_a_household_with_its_head_writes_both_audit_records(admin_client_for, community_leader, world, places):
    data = household_form(
        Household(estate=places.estate_a, grid_area=places.area_a, building="9", unit="", room="901"), []
    )
    data |= {
        "residents-TOTAL_FORMS": "1",
        "residents-0-name": "新居民",
        "residents-0-relation": "head",
        "residents-0-id_number": "",
    }
    data.pop("residents-0-id", None)

    response = admin_client_for(community_leader).post(reverse("admin:households_household_add"), data)

    assert response.status_code == 302
    household = Household.objects.get(building="9", room="901")
    assert AuditEntry.objects.filter(action=AuditEntry.Action.CREATE, object_id=str(household.pk)).exists()
    resident = household.residents.get()
    assert resident.name == "新居民"
    assert AuditEntry.objects.filter(action=AuditEntry.Action.CREATE, object_id=str(resident.pk)).exists()


def test_a_household_cannot_be_moved_to_another_community(admin_client_for, community_leader, world, places):
    household, resident = world.households["a"], world.residents["a"]
    data = household_form(household, [resident], estate=places.estate_b.pk, grid_area=places.area_b.pk)

    response = admin_client_for(community_leader).post(change_url(household), data)

    assert response.status_code == 200
    assert set(response.context["adminform"].form.errors) == {"estate", "grid_area"}  # not valid choices
    household.refresh_from_db()
    assert household.estate == places.estate_a


def test_editing_a_resident_in_the_resident_page_goes_through_the_service(admin_client_for, community_leader, world):
    resident = world.residents["a"]
    data = {
        "name": "甲居民改",
        "relation": resident.relation,
        "id_number": resident.masked_id_number,
        "gender": resident.gender,
        "birth_date": resident.birth_date or "",
        "phone": resident.phone,
        "disability": "",
        "disability_grade": "",
        "note": "",
    }

    response = admin_client_for(community_leader).post(change_url(resident), data)

    assert response.status_code == 302
    resident.refresh_from_db()
    assert resident.name == "甲居民改"
    assert AuditEntry.objects.filter(action=AuditEntry.Action.UPDATE, object_id=str(resident.pk)).exists()


# --- ID numbers and disabilities --------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["leader", "community_leader"])
def test_id_numbers_are_masked_in_lists_and_pages(request, admin_client_for, world, persona):
    resident = world.residents["a"]
    client = admin_client_for(request.getfixturevalue(persona))

    for url in (changelist("resident"), changelist("household"), change_url(resident), change_url(resident.household)):
        response = client.get(url)
        assert response.status_code == 200
        assert resident.id_number not in response.text
        assert resident.masked_id_number in response.text


def test_disabilities_are_hidden_from_leaders_without_sensitive_access(admin_client_for, cadre, leader, world):
    resident = world.residents["a"]
    Resident.objects.filter(pk=resident.pk).update(disability=Resident.Disability.VISUAL, disability_grade=2)

    assert "残疾类别" not in admin_client_for(cadre).get(change_url(resident)).text
    assert "视力残疾" in admin_client_for(leader).get(change_url(resident)).text


# --- Grid areas -----------------------------------------------------------------------------------------------


def test_grid_area_workers_are_social_workers_of_its_community(
    admin_client_for, system_admin, places, worker_a, worker_b, staff, world
):
    response = admin_client_for(system_admin).get(change_url(places.area_a))

    assert response.status_code == 200
    workers = response.context["adminform"].form.fields["workers"].queryset
    assert set(workers) == {worker_a}


def test_a_worker_of_another_community_is_refused_for_a_grid_area(admin_client_for, system_admin, places, worker_b):
    data = {"community": places.community_a.pk, "name": "德加第3网格", "workers": [worker_b.pk]}

    response = admin_client_for(system_admin).post(reverse("admin:households_gridarea_add"), data)

    assert response.status_code == 200
    assert "责任社工必须是本村社的社工" in response.text


# --- Bounded queries --------------------------------------------------------------------------------------------


def make_households(places, count: int) -> None:
    category = HouseholdCategoryFactory(name="低保户", is_key=True)
    for n in range(count):
        household = HouseholdFactory(
            grid_area=places.area_a if n % 2 else places.area_b,
            estate=places.estate_a if n % 2 else places.estate_b,
            building=str(n // 10 + 1),
            room=str(100 + n),
            categories=[category],
        )
        ResidentFactory(household=household)


@pytest.mark.parametrize("count", [30, 120])
def test_the_household_list_runs_a_bounded_number_of_queries(
    admin_client_for, leader, places, count, django_assert_max_num_queries
):
    make_households(places, count)
    client = admin_client_for(leader)

    with django_assert_max_num_queries(15):
        response = client.get(changelist("household"))

    assert response.status_code == 200


@pytest.mark.parametrize("count", [30, 120])
def test_the_resident_list_runs_a_bounded_number_of_queries(
    admin_client_for, leader, places, count, django_assert_max_num_queries
):
    make_households(places, count)
    client = admin_client_for(leader)

    with django_assert_max_num_queries(12):
        response = client.get(changelist("resident"))

    assert response.status_code == 200


# --- Every page renders ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["superuser", "system_admin", "community_leader", "leader"])
def test_every_registry_page_renders_for_the_roles_that_use_the_admin(request, admin_client_for, world, persona):
    if persona == "superuser":
        user = UserFactory(username="root", role=Role.SYSTEM_ADMIN, street=None, is_staff=True, is_superuser=True)
    else:
        user = request.getfixturevalue(persona)
    HouseholdImport.objects.create(created_by=user, file_name="户籍.xlsx", content=b"", status="rejected")
    client = admin_client_for(user)
    household = world.households["a"]
    rows = [
        household.estate.community.street,
        household.estate.community,
        household.estate,
        household.estate.property_company,
        household.estate.owners_committees.get(),
        household.grid_area,
        household,
        world.residents["a"],
        HouseholdImport.objects.get(created_by=user),
        HouseholdCategoryFactory(name="低保户"),
    ]
    for obj in rows:
        model = obj._meta.model_name
        for url in (changelist(model), reverse(f"admin:households_{model}_add"), change_url(obj)):
            assert client.get(url).status_code in (200, 403), url
