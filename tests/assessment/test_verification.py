"""The community main leader verifies his staff's visits (核实检查); the share verified per worker and quarter."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from assessment import selectors, services
from assessment.models import VisitVerification
from tests.factories import HouseholdFactory, UserFactory, VisitFactory
from visits.models import Visit
from visits.periods import Quarter
from wenxin.models import AuditEntry
from wenxin.roles import Role

QUARTER = Quarter(2026, 3)


def household_visit(worker, area, *, on: datetime.date = QUARTER.start, kind=Visit.Kind.DOOR_TO_DOOR) -> Visit:
    return VisitFactory(household=HouseholdFactory(grid_area=area), visitor=worker, visited_on=on, kind=kind)


@pytest.fixture
def visit_a(places, worker_a):
    return household_visit(worker_a, places.area_a)


def test_the_community_leader_verifies_his_workers_visit(community_leader, visit_a):
    verification = services.visit_verify(
        actor=community_leader, visit=visit_a, status=VisitVerification.Status.VERIFIED
    )
    assert verification.visit == visit_a and verification.verified_by == community_leader
    assert verification.status == VisitVerification.Status.VERIFIED
    entry = AuditEntry.objects.get(content_type__model="visitverification")
    assert entry.action == AuditEntry.Action.CREATE and entry.actor == community_leader
    assert entry.changes["status"] == [None, VisitVerification.Status.VERIFIED]


def test_a_queried_visit_needs_a_note(community_leader, visit_a):
    with pytest.raises(ValidationError) as error:
        services.visit_verify(actor=community_leader, visit=visit_a, status=VisitVerification.Status.QUERIED, note=" ")
    assert "note" in error.value.message_dict
    assert not VisitVerification.objects.exists()
    verification = services.visit_verify(
        actor=community_leader, visit=visit_a, status=VisitVerification.Status.QUERIED, note=" 户主不在家 "
    )
    assert verification.note == "户主不在家"


def test_an_unknown_status_is_refused(community_leader, visit_a):
    with pytest.raises(ValidationError):
        services.visit_verify(actor=community_leader, visit=visit_a, status="fine")
    assert not VisitVerification.objects.exists()


def test_verifying_again_updates_the_one_row(community_leader, visit_a):
    services.visit_verify(actor=community_leader, visit=visit_a, status=VisitVerification.Status.QUERIED, note="存疑")
    services.visit_verify(actor=community_leader, visit=visit_a, status=VisitVerification.Status.VERIFIED)
    verification = VisitVerification.objects.get()
    assert verification.status == VisitVerification.Status.VERIFIED and verification.note == ""
    entries = AuditEntry.objects.filter(content_type__model="visitverification").order_by("pk")
    assert [e.action for e in entries] == [AuditEntry.Action.CREATE, AuditEntry.Action.UPDATE]
    assert entries[1].changes["status"] == [VisitVerification.Status.QUERIED, VisitVerification.Status.VERIFIED]


def test_a_leader_of_another_community_may_not_verify(places, worker_b, visit_a):
    leader_b = UserFactory(role=Role.COMMUNITY_LEADER, street=places.street, community=places.community_b)
    with pytest.raises(PermissionDenied):
        services.visit_verify(actor=leader_b, visit=visit_a, status=VisitVerification.Status.VERIFIED)
    assert not VisitVerification.objects.exists()


@pytest.mark.parametrize(
    "persona", ["leader", "social_affairs_staff", "worker_a2", "worker_a", "chief", "system_admin"]
)
def test_nobody_but_the_community_leader_verifies(request, visit_a, persona):
    with pytest.raises(PermissionDenied):
        services.visit_verify(actor=request.getfixturevalue(persona), visit=visit_a, status="verified")
    assert not VisitVerification.objects.exists()


def test_the_leader_does_not_verify_his_own_visits(places, community_leader):
    own = VisitFactory(household=None, kind=Visit.Kind.ESTATE, estate=places.estate_a, visitor=community_leader)
    with pytest.raises(PermissionDenied):
        services.visit_verify(actor=community_leader, visit=own, status=VisitVerification.Status.VERIFIED)


def test_the_verifiable_visits_are_his_communitys_workers(places, community_leader, worker_a, worker_a2, worker_b):
    mine = {household_visit(worker_a, places.area_a).pk, household_visit(worker_a2, places.area_a2).pk}
    household_visit(worker_b, places.area_b)
    VisitFactory(household=None, kind=Visit.Kind.ESTATE, estate=places.estate_a, visitor=community_leader)
    assert set(services.verifiable_visits(community_leader).values_list("pk", flat=True)) == mine


def test_verification_shares_per_worker_and_quarter(places, community_leader, worker_a, worker_a2, worker_b):
    visits = [household_visit(worker_a, places.area_a, on=QUARTER.start + datetime.timedelta(days=n)) for n in range(4)]
    services.visit_verify(actor=community_leader, visit=visits[0], status=VisitVerification.Status.VERIFIED)
    services.visit_verify(actor=community_leader, visit=visits[1], status=VisitVerification.Status.VERIFIED)
    services.visit_verify(actor=community_leader, visit=visits[2], status=VisitVerification.Status.QUERIED, note="?")
    # A verified visit of the quarter before does not count in this one.
    earlier = household_visit(worker_a, places.area_a, on=QUARTER.start - datetime.timedelta(days=1))
    services.visit_verify(actor=community_leader, visit=earlier, status=VisitVerification.Status.VERIFIED)
    household_visit(worker_a2, places.area_a2)
    shares = selectors.verification_shares(
        workers=[worker_a, worker_a2, worker_b], start=QUARTER.start, end=QUARTER.end
    )
    assert (shares[worker_a.pk].visits, shares[worker_a.pk].verified, shares[worker_a.pk].queried) == (4, 2, 1)
    assert shares[worker_a.pk].percent == 50
    assert (shares[worker_a2.pk].visits, shares[worker_a2.pk].verified, shares[worker_a2.pk].percent) == (1, 0, 0)
    # No visits: no share rather than a zero.
    assert shares[worker_b.pk].visits == 0 and shares[worker_b.pk].percent is None


def test_the_verified_percent_rounds_half_up(places, community_leader, worker_a):
    visits = [household_visit(worker_a, places.area_a, on=QUARTER.start + datetime.timedelta(days=n)) for n in range(8)]
    services.visit_verify(actor=community_leader, visit=visits[0], status=VisitVerification.Status.VERIFIED)
    shares = selectors.verification_shares(workers=[worker_a], start=QUARTER.start, end=QUARTER.end)
    # 1 of 8 is 12.5 %: 13, like every other rounding of the scorecard, not Python's banker's 12.
    assert shares[worker_a.pk].percent == 13


def test_verification_shares_take_one_query(django_assert_num_queries, places, worker_a, worker_a2):
    for n in range(3):
        household_visit(worker_a, places.area_a, on=QUARTER.start + datetime.timedelta(days=n))
    with django_assert_num_queries(1):
        selectors.verification_shares(workers=[worker_a, worker_a2], start=QUARTER.start, end=QUARTER.end)
