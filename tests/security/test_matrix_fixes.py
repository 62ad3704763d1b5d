"""The leaks and wrong answers the permission matrix found, each pinned by a focused test of its fix."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from households.models import AssistancePair
from tests.factories import (
    AssistancePairFactory,
    HouseholdCategoryFactory,
    HouseholdFactory,
    ResidentFactory,
    make_id_number,
)
from wenxin.models import BackgroundJob
from wenxin.roles import sync_role_groups
from wenxin.services import user_sync_role
from wenxin.validators import mask_id_number


@pytest.fixture
def pair(places, worker_a):
    household = HouseholdFactory(
        grid_area=places.area_a,
        estate=places.estate_a,
        categories=[HouseholdCategoryFactory(name="低保户", is_key=True)],
    )
    return AssistancePairFactory(household=household, staff=worker_a)


# --- A system administrator saw no pairing at all: Q() (everything) OR-ed with "her own" became "her own" ----------


def test_a_system_administrator_sees_every_pair(system_admin, pair):
    assert list(AssistancePair.objects.visible_to(system_admin)) == [pair]


def test_a_system_administrator_opens_the_page_that_ends_a_pair(client_for, system_admin, pair):
    response = client_for(system_admin).get(reverse("households:pair_end", args=[pair.pk]))

    assert response.status_code == 200


def test_the_pair_still_stays_out_of_other_areas_and_of_departments_without_sensitive_data(
    worker_a, worker_b, staff, pair
):
    assert list(AssistancePair.objects.visible_to(worker_a)) == [pair]
    assert not AssistancePair.objects.visible_to(worker_b).exists()
    assert not AssistancePair.objects.visible_to(staff).exists()


def test_a_paired_member_of_street_staff_still_sees_her_own_pair(places, staff):
    household = HouseholdFactory(grid_area=places.area_b, estate=places.estate_b)
    own = AssistancePairFactory(household=household, staff=staff)

    assert list(AssistancePair.objects.visible_to(staff)) == [own]


# --- A full ID number found out through the household search, four digits at a time beyond the mask -----------------

HIDDEN_BIRTH_DATE_ID = make_id_number(17_321_045)  # born 1987-06-04: the digits its mask hides


@pytest.fixture
def head(places):
    household = HouseholdFactory(grid_area=places.area_a, estate=places.estate_a, building="7", room="707")
    return ResidentFactory(household=household, name="钱秘密", id_number=HIDDEN_BIRTH_DATE_ID)


def household_search_count(client, q: str) -> int:
    return client.get(reverse("households:list"), {"q": q}).context["page"].paginator.count


@pytest.mark.parametrize("persona", ["staff", "chief", "deputy", "cadre"])
def test_a_longer_id_tail_than_the_mask_shows_finds_nothing_for_those_who_may_not_see_full_numbers(
    request, client_for, head, persona
):
    client = client_for(request.getfixturevalue(persona))

    assert household_search_count(client, HIDDEN_BIRTH_DATE_ID[-4:]) == 1  # what every list shows
    assert household_search_count(client, HIDDEN_BIRTH_DATE_ID[-5:]) == 0
    assert household_search_count(client, HIDDEN_BIRTH_DATE_ID) == 0


def test_the_visit_log_search_of_a_member_of_staff_stops_at_the_shown_digits_too(client_for, staff, head):
    search = reverse("visits:household_search")
    client = client_for(staff)

    assert client.get(search, {"q": HIDDEN_BIRTH_DATE_ID[-4:]}).context["results"] == [head.household]
    assert client.get(search, {"q": HIDDEN_BIRTH_DATE_ID[-8:]}).context["results"] == []


@pytest.mark.parametrize("persona", ["worker_a", "community_leader", "social_affairs_staff", "leader"])
def test_those_who_may_see_full_numbers_still_find_a_household_by_a_longer_tail(request, client_for, head, persona):
    client = client_for(request.getfixturevalue(persona))

    assert household_search_count(client, HIDDEN_BIRTH_DATE_ID[-8:]) == 1
    assert household_search_count(client, HIDDEN_BIRTH_DATE_ID) == 1


# --- The admin's resident list: a filter in the address bar, and the birth date beside the masked number -----------


@pytest.fixture
def admin_client_for(db, client_for):
    sync_role_groups()

    def make(user):
        user_sync_role(user=user)
        return client_for(user)

    return make


RESIDENTS = reverse("admin:households_resident_changelist")


@pytest.mark.parametrize("persona", ["chief", "deputy", "cadre", "community_leader", "leader"])
@pytest.mark.parametrize(
    "lookup",
    [
        f"id_number__startswith={HIDDEN_BIRTH_DATE_ID[:10]}",
        f"id_number={HIDDEN_BIRTH_DATE_ID}",
        "id_number__regex=^3301",
    ],
)
def test_nobody_filters_residents_by_an_id_number_typed_in_the_address_bar(
    request, admin_client_for, head, persona, lookup
):
    response = admin_client_for(request.getfixturevalue(persona)).get(f"{RESIDENTS}?{lookup}")

    assert response.status_code == 400
    assert "钱秘密" not in response.text


@pytest.mark.parametrize("persona", ["chief", "deputy", "cadre"])
@pytest.mark.parametrize("lookup", ["disability__isnull=False", "disability_grade=一级", "birth_date__year=1987"])
def test_those_who_may_not_see_them_do_not_filter_by_disability_or_birth_date(
    request, admin_client_for, head, persona, lookup
):
    response = admin_client_for(request.getfixturevalue(persona)).get(f"{RESIDENTS}?{lookup}")

    assert response.status_code == 400


def test_a_street_leader_still_filters_by_the_fields_she_may_see(admin_client_for, leader, head):
    head.disability = "视力残疾"
    head.save(update_fields=["disability"])

    response = admin_client_for(leader).get(f"{RESIDENTS}?disability__isnull=False&birth_date__year=1987")

    assert response.status_code == 200
    assert "钱秘密" in response.text


@pytest.mark.parametrize("persona", ["chief", "deputy", "cadre"])
def test_the_birth_date_is_not_shown_beside_the_masked_number_to_those_who_may_not_see_full_numbers(
    request, admin_client_for, head, persona
):
    client = admin_client_for(request.getfixturevalue(persona))
    pages = [
        client.get(RESIDENTS),
        client.get(reverse("admin:households_resident_change", args=[head.pk])),
        client.get(reverse("admin:households_household_change", args=[head.household_id])),
    ]

    for response in pages:
        assert response.status_code == 200
        assert mask_id_number(HIDDEN_BIRTH_DATE_ID) in response.text  # the mask is there; what it hides is not
        assert "1987" not in response.text, response.request["PATH_INFO"]


def test_a_community_leader_still_sees_the_birth_date(admin_client_for, community_leader, head):
    response = admin_client_for(community_leader).get(RESIDENTS)

    assert "1987" in response.text


# --- The admin's "view on site" redirect told any member of staff that another user's job exists ------------------


@pytest.fixture
def leaders_job(leader):
    return BackgroundJob.objects.create(user=leader, kind=BackgroundJob.Kind.HOUSEHOLD_EXPORT)


def view_on_site(obj) -> str:
    return reverse("admin_view_on_site", args=[ContentType.objects.get_for_model(obj).pk, obj.pk])


def test_another_users_job_answers_as_a_missing_one(admin_client_for, chief, leaders_job):
    client = admin_client_for(chief)

    assert client.get(view_on_site(leaders_job)).status_code == 404
    missing = reverse("admin_view_on_site", args=[ContentType.objects.get_for_model(leaders_job).pk, 987654])
    assert client.get(missing).status_code == 404


def test_the_owner_and_an_administrator_are_sent_to_the_jobs_page(admin_client_for, leader, system_admin, leaders_job):
    for user in (leader, system_admin):
        response = admin_client_for(user).get(view_on_site(leaders_job))

        assert response.status_code == 302
        assert response["Location"].endswith(reverse("jobs:detail", args=[leaders_job.pk]))


@pytest.mark.parametrize("path", ["/admin/r/x/1/", "/admin/r/999999/1/", "/admin/r/{household_type}/not-a-number/"])
def test_a_malformed_or_unknown_target_answers_404(admin_client_for, leader, path):
    household_type = ContentType.objects.get(app_label="households", model="household").pk

    assert admin_client_for(leader).get(path.format(household_type=household_type)).status_code == 404


def test_the_redirect_still_needs_the_admin(client_for, worker_a, leaders_job):
    response = client_for(worker_a).get(view_on_site(leaders_job))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
