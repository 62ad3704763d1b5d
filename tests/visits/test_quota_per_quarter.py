"""The quota of several quarters read at once (the work report's year): the same numbers as one quarter at a
time, in a fixed number of queries however many quarters."""

from __future__ import annotations

import datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import HouseholdFactory, VisitFactory
from visits.periods import Quarter
from visits.selectors import (
    households_visited,
    households_visited_per_period,
    quota_progress,
    quota_progress_per_quarter,
)

YEAR = [Quarter(2026, n) for n in (1, 2, 3, 4)]
TODAY = datetime.date(2026, 12, 1)


def _visits(places, worker_a, worker_a2) -> None:
    mine = [HouseholdFactory(grid_area=places.area_a) for _ in range(3)]
    hers = HouseholdFactory(grid_area=places.area_a2)
    VisitFactory(visitor=worker_a, household=mine[0], visited_on=datetime.date(2026, 3, 31))  # Q1
    VisitFactory(visitor=worker_a, household=mine[0], visited_on=datetime.date(2026, 4, 1))  # Q2, same household
    VisitFactory(visitor=worker_a, household=mine[1], visited_on=datetime.date(2026, 4, 2))  # Q2
    VisitFactory(visitor=worker_a, household=mine[1], visited_on=datetime.date(2026, 5, 2))  # Q2 again: once
    VisitFactory(visitor=worker_a, household=hers, visited_on=datetime.date(2026, 8, 1))  # not her area
    # worker_a2's visit with worker_a along: counts for worker_a2 (her area), not for worker_a.
    VisitFactory(visitor=worker_a2, household=hers, visited_on=datetime.date(2026, 9, 30), companions=[worker_a])
    # worker_a along on worker_a2's visit to worker_a's household: counts for worker_a (Q4).
    VisitFactory(visitor=worker_a2, household=mine[2], visited_on=datetime.date(2026, 10, 1), companions=[worker_a])


def test_each_period_counts_as_households_visited_does(places, worker_a, worker_a2):
    _visits(places, worker_a, worker_a2)
    workers = [worker_a, worker_a2]

    per_period = households_visited_per_period(workers=workers, periods=[(q.start, q.end) for q in YEAR])

    assert per_period == [households_visited(workers=workers, start=q.start, end=q.end) for q in YEAR]
    assert [counts[worker_a.pk] for counts in per_period] == [1, 2, 0, 1]
    assert [counts[worker_a2.pk] for counts in per_period] == [0, 0, 1, 0]


def test_the_years_quota_rows_are_those_of_each_quarter(places, leader, worker_a, worker_a2):
    _visits(places, worker_a, worker_a2)

    year = quota_progress_per_quarter(viewer=leader, quarters=YEAR, today=TODAY)

    for quarter in YEAR:
        one = quota_progress(viewer=leader, quarter=quarter, today=TODAY)
        assert [(r.worker, r.visited, r.target, r.days_left) for r in year[quarter]] == [
            (r.worker, r.visited, r.target, r.days_left) for r in one
        ]


def test_a_year_costs_the_queries_of_one_quarter(places, leader, worker_a, worker_a2):
    _visits(places, worker_a, worker_a2)

    with CaptureQueriesContext(connection) as one:
        quota_progress_per_quarter(viewer=leader, quarters=YEAR[:1], today=TODAY)
    with CaptureQueriesContext(connection) as four:
        quota_progress_per_quarter(viewer=leader, quarters=YEAR, today=TODAY)

    assert len(four) == len(one) == 4
