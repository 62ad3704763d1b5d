"""The quarterly quota: distinct households of her own grid areas, counted in the database."""

from __future__ import annotations

import datetime

import pytest

from tests.factories import HouseholdFactory, QuotaRuleFactory, UserFactory, VisitFactory
from visits.models import QuotaRule, Visit
from visits.periods import Quarter
from visits.selectors import QuotaStatus, quota_progress, quota_targets, worker_quota
from wenxin.roles import Role

Q3 = Quarter(2026, 3)


def visit(worker, household, day, **extra):
    return VisitFactory(visitor=worker, household=household, visited_on=day, **extra)


def test_the_default_quota_is_fifty_households_for_social_workers(worker_a, staff):
    assert QuotaRule.objects.get(role=Role.SOCIAL_WORKER, user=None).households_per_quarter == 50
    assert quota_targets([worker_a, staff]) == {worker_a.pk: 50, staff.pk: 0}


def test_a_persons_rule_overrides_the_roles(worker_a, worker_a2):
    QuotaRuleFactory(user=worker_a, households_per_quarter=30)
    QuotaRule.objects.filter(role=Role.SOCIAL_WORKER).update(households_per_quarter=60)
    assert quota_targets([worker_a, worker_a2]) == {worker_a.pk: 30, worker_a2.pk: 60}


def test_it_counts_distinct_households_once_per_quarter(places, worker_a):
    first, second = (HouseholdFactory(grid_area=places.area_a) for _ in range(2))
    visit(worker_a, first, datetime.date(2026, 7, 3))
    visit(worker_a, first, datetime.date(2026, 8, 9), kind=Visit.Kind.CARING)  # same household again
    visit(worker_a, second, datetime.date(2026, 9, 30))
    row = worker_quota(worker=worker_a, quarter=Q3, today=datetime.date(2026, 9, 30))
    assert (row.visited, row.target) == (2, 50)


def test_it_respects_the_quarter_boundaries(places, worker_a):
    household = HouseholdFactory(grid_area=places.area_a)
    visit(worker_a, household, datetime.date(2026, 6, 30))  # Q2
    visit(worker_a, HouseholdFactory(grid_area=places.area_a), datetime.date(2026, 10, 1))  # Q4
    assert worker_quota(worker=worker_a, quarter=Q3, today=datetime.date(2026, 10, 2)).visited == 0
    assert worker_quota(worker=worker_a, quarter=Quarter(2026, 2), today=datetime.date(2026, 10, 2)).visited == 1
    assert worker_quota(worker=worker_a, quarter=Quarter(2026, 4), today=datetime.date(2026, 10, 2)).visited == 1


def test_households_outside_her_areas_do_not_count(places, worker_a, leader):
    # A visit recorded to another area's household (e.g. before an area was handed over) is not hers to count.
    visit(worker_a, HouseholdFactory(grid_area=places.area_a2), datetime.date(2026, 7, 5))
    visit(worker_a, HouseholdFactory(grid_area=places.area_b), datetime.date(2026, 7, 5))
    # Nor do estate visits, which are no household visits.
    VisitFactory(
        visitor=worker_a,
        household=None,
        kind=Visit.Kind.ESTATE,
        estate=places.estate_a,
        visited_on=datetime.date(2026, 7, 6),
        street=places.street,
        community=places.community_a,
    )
    assert worker_quota(worker=worker_a, quarter=Q3, today=datetime.date(2026, 9, 1)).visited == 0


def test_going_along_as_a_companion_counts_for_her(places, worker_a, community_leader):
    household = HouseholdFactory(grid_area=places.area_a)
    visit(community_leader, household, datetime.date(2026, 7, 5), companions=[worker_a])
    visit(worker_a, household, datetime.date(2026, 7, 9))  # and again herself: still one household
    assert worker_quota(worker=worker_a, quarter=Q3, today=datetime.date(2026, 9, 1)).visited == 1


@pytest.mark.parametrize(
    ("visited", "today", "status"),
    [
        (50, datetime.date(2026, 8, 1), QuotaStatus.MET),
        (30, datetime.date(2026, 8, 15), QuotaStatus.ON_TRACK),  # 46 of 92 days gone, 25 expected
        (20, datetime.date(2026, 8, 15), QuotaStatus.BEHIND),
        (5, datetime.date(2026, 9, 10), QuotaStatus.AT_RISK),  # 45 left in 21 days
        (49, datetime.date(2026, 10, 5), QuotaStatus.MISSED),  # the quarter is over
    ],
)
def test_status_follows_the_pace(places, worker_a, visited, today, status):
    for n in range(visited):
        visit(
            worker_a, HouseholdFactory(grid_area=places.area_a), datetime.date(2026, 7, 1) + datetime.timedelta(n % 30)
        )
    row = worker_quota(worker=worker_a, quarter=Q3, today=today)
    assert row.status is status


def test_pace_and_days_left(places, worker_a):
    for _ in range(8):
        visit(worker_a, HouseholdFactory(grid_area=places.area_a), datetime.date(2026, 7, 2))
    row = worker_quota(worker=worker_a, quarter=Q3, today=datetime.date(2026, 9, 17))
    assert row.days_left == 14
    assert row.remaining == 42
    assert row.per_week_needed == 21.0
    assert row.percent == 16


def test_the_dashboard_shows_the_workers_in_the_viewers_scope(
    places, worker_a, worker_a2, worker_b, chief, community_leader, other_street_leader
):
    today = datetime.date(2026, 9, 1)
    assert {r.worker for r in quota_progress(viewer=chief, quarter=Q3, today=today)} == {worker_a, worker_a2, worker_b}
    assert {r.worker for r in quota_progress(viewer=community_leader, quarter=Q3, today=today)} == {worker_a, worker_a2}
    assert quota_progress(viewer=other_street_leader, quarter=Q3, today=today) == []
    only_b = quota_progress(viewer=chief, quarter=Q3, community=places.community_b, today=today)
    assert [r.worker for r in only_b] == [worker_b]


def test_sorting_by_progress(places, worker_a, worker_a2, chief):
    for _ in range(3):
        visit(worker_a2, HouseholdFactory(grid_area=places.area_a2), datetime.date(2026, 7, 2))
    rows = quota_progress(viewer=chief, quarter=Q3, sort="-percent", today=datetime.date(2026, 9, 1))
    assert [r.worker for r in rows] == [worker_a2, worker_a]


def test_the_dashboard_is_a_fixed_number_of_queries(places, chief, django_assert_max_num_queries):
    def add_worker(n):
        worker = UserFactory(role=Role.SOCIAL_WORKER, street=places.street, community=places.community_a)
        places.area_a.workers.add(worker)
        for _ in range(n):
            visit(worker, HouseholdFactory(grid_area=places.area_a), datetime.date(2026, 7, 9))

    for _ in range(3):
        add_worker(2)
    with django_assert_max_num_queries(4) as small:
        quota_progress(viewer=chief, quarter=Q3, today=datetime.date(2026, 9, 1))
    for _ in range(9):
        add_worker(4)
    with django_assert_max_num_queries(len(small.captured_queries)):
        rows = quota_progress(viewer=chief, quarter=Q3, today=datetime.date(2026, 9, 1))
    assert len(rows) == 12
