"""Writing the diary: a visit goes to something in the visitor's scope, never in the future, and is audited."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from tests.factories import (
    EnterpriseFactory,
    HouseholdFactory,
    OwnersCommitteeFactory,
    PairedVillageFactory,
    VisitFactory,
)
from visits import services
from visits.models import Visit
from wenxin.models import AuditEntry


@pytest.fixture
def household_a(places, worker_a):
    return HouseholdFactory(grid_area=places.area_a, estate=places.estate_a)


def log(visitor, **fields):
    defaults = {"visitor": visitor, "visited_on": timezone.localdate(), "kind": Visit.Kind.DOOR_TO_DOOR}
    return services.visit_create(**{**defaults, **fields})


def test_a_worker_logs_a_door_to_door_visit_to_her_household(places, worker_a, household_a):
    visit = log(worker_a, household=household_a, situation="老人独居，身体尚可", difficulty="楼道灯坏了")
    assert visit.street == places.street
    assert visit.community == places.community_a
    assert visit.target == household_a
    entry = AuditEntry.objects.get(action=AuditEntry.Action.CREATE)
    assert entry.object_id == str(visit.pk) and entry.actor == worker_a


def test_a_visit_in_the_future_is_refused(worker_a, household_a):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    with pytest.raises(ValidationError) as error:
        log(worker_a, household=household_a, visited_on=tomorrow)
    assert "走访日期不能晚于今天" in str(error.value)
    assert not Visit.objects.exists()


def test_today_is_shanghai_today(worker_a, household_a, monkeypatch):
    # 16:30 UTC on 24 November is 00:30 on 25 November in Hangzhou: the 25th is today, not the future.
    moment = datetime.datetime(2026, 11, 24, 16, 30, tzinfo=datetime.UTC)
    monkeypatch.setattr(timezone, "now", lambda: moment)
    visit = log(worker_a, household=household_a, visited_on=datetime.date(2026, 11, 25))
    assert visit.visited_on == datetime.date(2026, 11, 25)


@pytest.mark.parametrize("other_area", ["area_a2", "area_b"])
def test_a_visit_to_another_areas_household_is_refused(request, places, worker_a, other_area):
    household = HouseholdFactory(grid_area=getattr(places, other_area))
    with pytest.raises(ValidationError) as error:
        log(worker_a, household=household)
    assert "不在您的管辖范围内" in str(error.value)
    assert not Visit.objects.exists()


def test_a_moved_out_household_is_not_visited(worker_a, household_a):
    household_a.status = household_a.Status.MOVED_OUT
    household_a.save()
    with pytest.raises(ValidationError):
        log(worker_a, household=household_a)


def test_each_kind_needs_its_own_target_and_no_other(places, worker_a, household_a):
    with pytest.raises(ValidationError) as error:
        log(worker_a, kind=Visit.Kind.ESTATE)
    assert "estate" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        log(worker_a, kind=Visit.Kind.ESTATE, estate=places.estate_a, household=household_a)
    assert "household" in error.value.message_dict
    assert not Visit.objects.exists()


def test_street_staff_visit_estates_committees_enterprises_and_paired_villages(places, staff):
    committee = OwnersCommitteeFactory(estate=places.estate_b)
    enterprise = EnterpriseFactory(street=places.street, community=places.community_a)
    village = PairedVillageFactory(street=places.street)
    estate_visit = log(staff, kind=Visit.Kind.ESTATE, estate=places.estate_b)
    committee_visit = log(staff, kind=Visit.Kind.OWNERS_COMMITTEE, owners_committee=committee)
    enterprise_visit = log(staff, kind=Visit.Kind.ENTERPRISE, enterprise=enterprise, difficulty="招工难")
    village_visit = log(staff, kind=Visit.Kind.PAIRED_VILLAGE, paired_village=village)
    assert estate_visit.community == places.community_b
    assert committee_visit.community == places.community_b
    assert enterprise_visit.community == places.community_a
    assert (village_visit.street, village_visit.community) == (places.street, None)


def test_a_street_leaders_visit_to_a_community(places, leader):
    visit = log(leader, kind=Visit.Kind.LEADERSHIP, target_community=places.community_b)
    assert visit.community == places.community_b


def test_another_streets_registry_is_out_of_scope(places, staff):
    village = PairedVillageFactory(street=places.other_street)
    with pytest.raises(ValidationError):
        log(staff, kind=Visit.Kind.PAIRED_VILLAGE, paired_village=village)


def test_a_follow_up_needs_a_deadline_not_before_the_visit(worker_a, household_a):
    with pytest.raises(ValidationError) as error:
        log(worker_a, household=household_a, follow_up_needed=True)
    assert "follow_up_by" in error.value.message_dict
    with pytest.raises(ValidationError):
        log(
            worker_a,
            household=household_a,
            follow_up_needed=True,
            follow_up_by=timezone.localdate() - datetime.timedelta(days=3),
        )


def test_companions_come_from_the_visitors_scope(places, worker_a, worker_a2, worker_b, household_a):
    visit = log(worker_a, household=household_a, companions=[worker_a2, worker_a])
    assert list(visit.companions.all()) == [worker_a2]
    with pytest.raises(ValidationError):
        log(worker_a, household=household_a, companions=[worker_b])


def test_the_author_edits_her_visit_and_only_changes_are_recorded(worker_a, household_a):
    visit = log(worker_a, household=household_a, situation="初次走访")
    Visit.objects.filter(pk=visit.pk).update(action_taken="同事补充的处理情况")
    services.visit_update(
        actor=worker_a, visit=visit, data={"situation": "补记：家中有病人", "met_whom": visit.met_whom}
    )
    visit.refresh_from_db()
    assert visit.situation == "补记：家中有病人"
    assert visit.action_taken == "同事补充的处理情况"
    assert AuditEntry.objects.get(action=AuditEntry.Action.UPDATE).changes == {
        "situation": ["初次走访", "补记：家中有病人"]
    }


def test_a_spot_checked_visit_cannot_be_edited_by_its_author(worker_a, household_a):
    visit = log(worker_a, household=household_a)
    Visit.objects.filter(pk=visit.pk).update(spot_checked_at=timezone.now())
    with pytest.raises(ValidationError) as error:
        services.visit_update(actor=worker_a, visit=visit, data={"situation": "改写"})
    assert "已被抽查" in str(error.value)
    visit.refresh_from_db()
    assert visit.situation == ""


def test_nobody_else_edits_a_workers_visit(worker_a, worker_b, leader, household_a):
    visit = log(worker_a, household=household_a)
    for actor in (worker_b, leader):
        with pytest.raises(PermissionDenied):
            services.visit_update(actor=actor, visit=visit, data={"situation": "改写"})


def test_a_workers_own_visits_are_visible_to_her_even_outside_her_households(places, worker_a, worker_a2, leader):
    estate_visit = VisitFactory(
        household=None,
        kind=Visit.Kind.ESTATE,
        estate=places.estate_b,
        visitor=worker_a,
        street=places.street,
        community=places.community_b,
    )
    on_her_household = VisitFactory(household=HouseholdFactory(grid_area=places.area_a), visitor=leader)
    elsewhere = VisitFactory(household=HouseholdFactory(grid_area=places.area_a2), visitor=worker_a2)
    visible = set(Visit.objects.visible_to(worker_a))
    assert {estate_visit, on_her_household} <= visible
    assert elsewhere not in visible
    assert set(Visit.objects.editable_by(worker_a)) == {estate_visit, on_her_household}


def test_a_past_visit_can_be_corrected_after_its_household_moved_out(worker_a, household_a):
    visit = log(worker_a, household=household_a, situation="错别字")
    household_a.status = household_a.Status.MOVED_OUT
    household_a.save()
    services.visit_update(actor=worker_a, visit=visit, data={"situation": "已更正"})
    visit.refresh_from_db()
    assert visit.situation == "已更正"


def test_a_system_administrator_sees_every_visit(places, worker_a, worker_b, system_admin, household_a):
    theirs = [log(worker_a, household=household_a), log(worker_b, household=HouseholdFactory(grid_area=places.area_b))]
    assert set(Visit.objects.visible_to(system_admin)) == set(theirs)
