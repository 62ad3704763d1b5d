"""Who may spot-check whom (DOMAIN "3 + 3"), and recording what a check found."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from assessment import services
from assessment.models import SpotCheck, SpotCheckItem
from tests.factories import CommunityFactory, DepartmentFactory, HouseholdFactory, UserFactory, VisitFactory
from visits import services as visit_services
from visits.models import Visit
from wenxin.models import AuditEntry
from wenxin.roles import Role

START, END = datetime.date(2026, 7, 1), datetime.date(2026, 9, 30)
LEVELS = [SpotCheck.Level.CADRE, SpotCheck.Level.DEPARTMENT, SpotCheck.Level.COMMUNITY]


def create(checker, **fields):
    defaults = {"level": SpotCheck.Level.CADRE, "period_start": START, "period_end": END, "sample_value": 5}
    return services.spot_check_create(checker=checker, **{**defaults, **fields})


def refused(checker, **fields) -> ValidationError | PermissionDenied:
    with pytest.raises((ValidationError, PermissionDenied)) as error:
        create(checker, **fields)
    assert not SpotCheck.objects.exists()
    return error.value


# --- Who may check whom -------------------------------------------------------------------------------------------


def test_the_street_leader_checks_the_cadres(places, leader):
    spot_check = create(leader)
    assert spot_check.street == places.street
    assert spot_check.checker == leader and spot_check.level == SpotCheck.Level.CADRE
    assert not spot_check.is_drawn
    entry = AuditEntry.objects.get(action=AuditEntry.Action.CREATE)
    assert entry.actor == leader and entry.object_id == str(spot_check.pk)


def test_the_street_leader_may_check_every_level(places, leader):
    create(leader, level=SpotCheck.Level.DEPARTMENT, department=places.department)
    create(leader, level=SpotCheck.Level.COMMUNITY, community=places.community_b)
    assert SpotCheck.objects.count() == 2


@pytest.mark.parametrize("persona", ["deputy", "social_affairs_staff", "community_leader", "cadre", "chief", "staff"])
def test_only_the_street_leader_checks_the_cadres(request, persona):
    error = refused(request.getfixturevalue(persona), level=SpotCheck.Level.CADRE)
    assert "街道主要领导" in str(error)


def test_a_deputy_checks_the_departments_he_oversees(places, deputy):
    spot_check = create(deputy, level=SpotCheck.Level.DEPARTMENT, department=places.department)
    assert spot_check.department == places.department
    # No department chosen: every department he oversees.
    assert create(deputy, level=SpotCheck.Level.DEPARTMENT).department is None


def test_a_deputy_does_not_check_a_department_he_does_not_oversee(places, deputy):
    error = refused(deputy, level=SpotCheck.Level.DEPARTMENT, department=places.social_affairs)
    assert "分管科室" in str(error)


def test_a_deputy_does_not_check_community_staff(places, deputy):
    refused(deputy, level=SpotCheck.Level.COMMUNITY, community=places.community_a)


def test_social_affairs_checks_the_community_staff(places, social_affairs_staff):
    assert create(social_affairs_staff, level=SpotCheck.Level.COMMUNITY).community is None
    assert create(social_affairs_staff, level=SpotCheck.Level.COMMUNITY, community=places.community_b).community == (
        places.community_b
    )


def test_the_social_affairs_chief_checks_the_community_staff_too(places):
    sa_chief = UserFactory(role=Role.SECTION_CHIEF, street=places.street, department=places.social_affairs)
    assert create(sa_chief, level=SpotCheck.Level.COMMUNITY).checker == sa_chief


def test_social_affairs_does_not_check_departments(places, social_affairs_staff):
    refused(social_affairs_staff, level=SpotCheck.Level.DEPARTMENT, department=places.department)


def test_a_community_leader_checks_his_own_community(places, community_leader):
    spot_check = create(community_leader, level=SpotCheck.Level.COMMUNITY, community=places.community_a)
    assert spot_check.community == places.community_a and spot_check.street == places.street


def test_a_community_leader_cannot_check_another_community(places, community_leader):
    error = refused(community_leader, level=SpotCheck.Level.COMMUNITY, community=places.community_b)
    assert "本村社" in str(error)


def test_a_community_leader_must_name_his_community(community_leader):
    # Without a community the check would cover every community of the street.
    refused(community_leader, level=SpotCheck.Level.COMMUNITY)


@pytest.mark.parametrize("level", [SpotCheck.Level.CADRE, SpotCheck.Level.DEPARTMENT])
def test_a_community_leader_checks_no_other_level(community_leader, level):
    refused(community_leader, level=level)


@pytest.mark.parametrize("persona", ["worker_a", "staff", "chief", "cadre"])
@pytest.mark.parametrize("level", LEVELS)
def test_workers_staff_chiefs_and_cadres_check_nobody(request, places, persona, level):
    user = request.getfixturevalue(persona)
    extra = {"department": places.department} if level == SpotCheck.Level.DEPARTMENT else {}
    if level == SpotCheck.Level.COMMUNITY:
        extra = {"community": places.community_a}
    refused(user, level=level, **extra)


def test_a_worker_cannot_check_herself_even_naming_her_community(places, worker_a):
    refused(worker_a, level=SpotCheck.Level.COMMUNITY, community=places.community_a)
    with pytest.raises(ValidationError):
        services.check_may_spot_check(worker_a, level=SpotCheck.Level.COMMUNITY, community=places.community_a)


def test_another_streets_department_or_community_is_refused(places, leader, deputy, social_affairs_staff):
    far_department = DepartmentFactory(street=places.other_street, name="远方科")
    far_community = CommunityFactory(street=places.other_street)
    deputy.overseen_departments.add(far_department)
    error = refused(leader, level=SpotCheck.Level.DEPARTMENT, department=far_department)
    assert "不在您的街道" in str(error)
    refused(deputy, level=SpotCheck.Level.DEPARTMENT, department=far_department)
    error = refused(social_affairs_staff, level=SpotCheck.Level.COMMUNITY, community=far_community)
    assert "不在您的街道" in str(error)


def test_the_other_streets_leader_cannot_check_this_streets_units(places, other_street_leader):
    refused(other_street_leader, level=SpotCheck.Level.COMMUNITY, community=places.community_a)
    # His own street's cadres he does check, and the check belongs to his street.
    assert create(other_street_leader).street == places.other_street


def test_an_unknown_level_is_refused(leader):
    refused(leader, level="everyone")


def test_an_inactive_or_anonymous_checker_is_refused(leader):
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(PermissionDenied):
        services.check_may_spot_check(AnonymousUser(), level=SpotCheck.Level.CADRE)
    leader.is_active = False
    refused(leader)


def test_a_unit_of_the_wrong_level_is_refused(places, leader):
    refused(leader, level=SpotCheck.Level.CADRE, community=places.community_a)
    refused(leader, level=SpotCheck.Level.COMMUNITY, department=places.department)


def test_a_period_ending_before_it_starts_or_an_empty_sample_is_refused(leader):
    refused(leader, period_start=END, period_end=START)
    refused(leader, sample_value=0)
    refused(leader, sample_mode=SpotCheck.SampleMode.PERCENT, sample_value=101)


# --- Recording the results ----------------------------------------------------------------------------------------


@pytest.fixture
def drawn(places, leader, cadre):
    """The leader's drawn spot-check of the cadre's two estate visits in the third quarter."""
    for day in (START, START + datetime.timedelta(days=30)):
        VisitFactory(household=None, kind=Visit.Kind.ESTATE, estate=places.estate_a, visitor=cadre, visited_on=day)
    spot_check = create(leader, sample_value=2)
    services.spot_check_draw(actor=leader, spot_check=spot_check)
    return spot_check


def first_item(spot_check) -> SpotCheckItem:
    return spot_check.items.select_related("visit").first()


def test_the_checker_records_a_confirmed_visit(leader, drawn):
    item = first_item(drawn)
    services.spot_check_record(
        actor=leader, item=item, method=SpotCheckItem.Method.PHONE, result=SpotCheckItem.Result.CONFIRMED
    )
    item.refresh_from_db()
    assert item.is_checked and item.result == SpotCheckItem.Result.CONFIRMED
    assert item.method == SpotCheckItem.Method.PHONE
    assert item.checked_by == leader and item.checked_at is not None
    entry = AuditEntry.objects.get(object_id=str(item.pk), content_type__model="spotcheckitem")
    assert entry.actor == leader and entry.action == AuditEntry.Action.UPDATE
    assert entry.changes["result"] == ["", SpotCheckItem.Result.CONFIRMED]


@pytest.mark.parametrize("result", [SpotCheckItem.Result.NOT_CONFIRMED, SpotCheckItem.Result.DISCREPANCY])
def test_not_confirmed_or_a_discrepancy_needs_a_note(leader, drawn, result):
    item = first_item(drawn)
    with pytest.raises(ValidationError) as error:
        services.spot_check_record(
            actor=leader, item=item, method=SpotCheckItem.Method.ON_SITE, result=result, note=" "
        )
    assert "note" in error.value.message_dict
    item.refresh_from_db()
    assert not item.is_checked and item.visit.spot_checked_at is not None  # locked since the draw
    services.spot_check_record(
        actor=leader, item=item, method=SpotCheckItem.Method.ON_SITE, result=result, note="  户主说没人来过  "
    )
    item.refresh_from_db()
    assert item.result == result and item.note == "户主说没人来过"


def test_a_method_and_a_result_are_required(leader, drawn):
    item = first_item(drawn)
    with pytest.raises(ValidationError) as error:
        services.spot_check_record(actor=leader, item=item, method="", result="maybe")
    assert set(error.value.message_dict) == {"method", "result"}
    assert not AuditEntry.objects.filter(content_type__model="spotcheckitem").exists()


def test_recording_again_updates_the_item_and_audits_the_change(leader, drawn):
    item = first_item(drawn)
    services.spot_check_record(
        actor=leader, item=item, method=SpotCheckItem.Method.PHONE, result=SpotCheckItem.Result.CONFIRMED
    )
    services.spot_check_record(
        actor=leader,
        item=item,
        method=SpotCheckItem.Method.ON_SITE,
        result=SpotCheckItem.Result.DISCREPANCY,
        note="走访日期不符",
    )
    item.refresh_from_db()
    assert item.result == SpotCheckItem.Result.DISCREPANCY and item.method == SpotCheckItem.Method.ON_SITE
    entries = AuditEntry.objects.filter(content_type__model="spotcheckitem", object_id=str(item.pk)).order_by("pk")
    assert [e.changes.get("result") for e in entries] == [
        ["", SpotCheckItem.Result.CONFIRMED],
        [SpotCheckItem.Result.CONFIRMED, SpotCheckItem.Result.DISCREPANCY],
    ]


@pytest.mark.parametrize("persona", ["cadre", "deputy", "community_leader", "other_street_leader"])
def test_only_the_checker_records(request, places, drawn, persona):
    item = first_item(drawn)
    with pytest.raises(ValidationError):
        services.spot_check_record(
            actor=request.getfixturevalue(persona),
            item=item,
            method=SpotCheckItem.Method.PHONE,
            result=SpotCheckItem.Result.CONFIRMED,
        )
    item.refresh_from_db()
    assert not item.is_checked


def test_nobody_records_a_check_of_a_visit_he_went_along_on(places, leader, cadre, drawn):
    item = first_item(drawn)
    item.visit.companions.add(leader)
    with pytest.raises(ValidationError) as error:
        services.spot_check_record(
            actor=leader, item=item, method=SpotCheckItem.Method.PHONE, result=SpotCheckItem.Result.CONFIRMED
        )
    assert "自己的走访" in str(error.value)


def test_nobody_records_a_check_of_his_own_visit(places, cadre):
    # Set up by hand: a spot-check whose sample holds the checker's own visit.
    visit = VisitFactory(household=None, kind=Visit.Kind.ESTATE, estate=places.estate_a, visitor=cadre)
    spot_check = SpotCheck.objects.create(
        street=places.street,
        level=SpotCheck.Level.CADRE,
        period_start=START,
        period_end=END,
        sample_value=1,
        checker=cadre,
    )
    item = SpotCheckItem.objects.create(spot_check=spot_check, visit=visit)
    with pytest.raises(ValidationError) as error:
        services.spot_check_record(
            actor=cadre, item=item, method=SpotCheckItem.Method.PHONE, result=SpotCheckItem.Result.CONFIRMED
        )
    assert "自己的走访" in str(error.value)


def test_a_checked_visit_can_no_longer_be_edited_by_its_author(places, social_affairs_staff, worker_a):
    household = HouseholdFactory(grid_area=places.area_a, estate=places.estate_a)
    visit = visit_services.visit_create(
        visitor=worker_a, visited_on=timezone.localdate(), kind=Visit.Kind.DOOR_TO_DOOR, household=household
    )
    spot_check = create(
        social_affairs_staff,
        level=SpotCheck.Level.COMMUNITY,
        period_start=timezone.localdate(),
        period_end=timezone.localdate(),
        sample_value=1,
    )
    (item,) = services.spot_check_draw(actor=social_affairs_staff, spot_check=spot_check)
    services.spot_check_record(
        actor=social_affairs_staff,
        item=item,
        method=SpotCheckItem.Method.PHONE,
        result=SpotCheckItem.Result.DISCREPANCY,
        note="户主说只聊了两句",
    )
    visit.refresh_from_db()
    assert visit.is_spot_checked
    with pytest.raises(ValidationError) as error:
        visit_services.visit_update(actor=worker_a, visit=visit, data={"situation": "改过的情况"})
    assert "已被抽查" in str(error.value)
    visit.refresh_from_db()
    assert visit.situation == ""


def test_a_sampled_visit_is_locked_from_the_draw_not_only_once_recorded(places, leader, cadre):
    # Street-wide staff can read the spot-checks: a cadre must not polish a sampled visit before the call-back.
    visit = visit_services.visit_create(
        visitor=cadre, visited_on=timezone.localdate(), kind=Visit.Kind.ESTATE, estate=places.estate_a
    )
    spot_check = create(leader, period_start=timezone.localdate(), period_end=timezone.localdate(), sample_value=1)
    services.spot_check_draw(actor=leader, spot_check=spot_check)
    visit.refresh_from_db()
    assert visit.is_spot_checked
    with pytest.raises(ValidationError):
        visit_services.visit_update(actor=cadre, visit=visit, data={"situation": "补写的情况"})


def test_a_visit_not_sampled_stays_editable(places, leader, cadre):
    visit = visit_services.visit_create(
        visitor=cadre, visited_on=timezone.localdate(), kind=Visit.Kind.ESTATE, estate=places.estate_a
    )
    create(leader, period_start=timezone.localdate(), period_end=timezone.localdate(), sample_value=1)
    visit_services.visit_update(actor=cadre, visit=visit, data={"situation": "补写的情况"})
    visit.refresh_from_db()
    assert visit.situation == "补写的情况" and not visit.is_spot_checked
