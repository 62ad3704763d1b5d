"""Walk every family and every estate: coverage, the planner and the department staff's 20th."""

from __future__ import annotations

import datetime

from tests.factories import (
    HouseholdCategoryFactory,
    HouseholdFactory,
    ServiceDayMoveFactory,
    UserFactory,
    VisitFactory,
)
from visits.models import ServiceDayRule, Visit
from visits.selectors import (
    coverage,
    service_day,
    service_day_compliance,
    service_day_people,
    staff_estate_coverage,
    staff_unvisited_estates,
    visit_planner,
)
from wenxin.roles import Role

TODAY = datetime.date(2026, 11, 24)


def test_coverage_per_grid_area_estate_and_community(places, worker_a, worker_b, leader):
    a = [HouseholdFactory(grid_area=places.area_a, estate=places.estate_a) for _ in range(4)]
    b = [HouseholdFactory(grid_area=places.area_b, estate=places.estate_b) for _ in range(2)]
    VisitFactory(household=a[0], visited_on=datetime.date(2026, 3, 1))  # this year and last 12 months
    VisitFactory(household=a[0], visited_on=datetime.date(2026, 5, 1))  # a second visit counts once
    VisitFactory(household=a[1], visited_on=datetime.date(2025, 12, 1))  # last 12 months, not this year
    VisitFactory(household=a[2], visited_on=datetime.date(2025, 11, 24))  # exactly a year ago: outside
    VisitFactory(household=b[0], visited_on=datetime.date(2026, 1, 1))
    moved = HouseholdFactory(grid_area=places.area_a, estate=places.estate_a, status="moved_out")
    VisitFactory(household=moved, visited_on=datetime.date(2026, 2, 1))  # moved-out households are not counted

    result = coverage(viewer=leader, today=TODAY)
    by_area = {row.name: row for row in result.grid_areas}
    area_a = by_area["德加第1网格"]
    assert (area_a.households, area_a.visited_year, area_a.visited_12_months) == (4, 1, 2)
    assert (area_a.percent_year, area_a.percent_12_months) == (25, 50)
    assert {row.name: (row.households, row.visited_year) for row in result.communities} == {
        "德加社区": (4, 1),
        "益乐社区": (2, 1),
    }
    assert {row.name: row.households for row in result.estates} == {"香港城": 4, "益乐新村": 2}


def test_coverage_is_scoped(places, worker_a, community_leader):
    HouseholdFactory(grid_area=places.area_a)
    HouseholdFactory(grid_area=places.area_b)
    assert [row.name for row in coverage(viewer=community_leader, today=TODAY).communities] == ["德加社区"]
    assert [row.name for row in coverage(viewer=worker_a, today=TODAY).grid_areas] == ["德加第1网格"]


def test_coverage_is_a_fixed_number_of_queries(places, leader, django_assert_max_num_queries):
    for n in range(5):
        VisitFactory(household=HouseholdFactory(grid_area=places.area_a), visited_on=TODAY - datetime.timedelta(n))
    with django_assert_max_num_queries(3):
        coverage(viewer=leader, today=TODAY)
    for n in range(20):
        VisitFactory(household=HouseholdFactory(grid_area=places.area_b), visited_on=TODAY - datetime.timedelta(n))
    with django_assert_max_num_queries(3):
        coverage(viewer=leader, today=TODAY)


def test_street_staff_walk_every_estate(places, staff, chief, leader):
    VisitFactory(
        household=None,
        kind=Visit.Kind.ESTATE,
        estate=places.estate_a,
        visitor=staff,
        street=places.street,
        community=places.community_a,
        visited_on=datetime.date(2026, 4, 20),
    )
    VisitFactory(
        household=None,
        kind=Visit.Kind.ESTATE,
        estate=places.estate_a,
        visitor=staff,
        street=places.street,
        community=places.community_a,
        visited_on=datetime.date(2026, 5, 20),
    )
    VisitFactory(
        household=None,
        kind=Visit.Kind.ESTATE,
        estate=places.estate_b,
        visitor=staff,
        street=places.street,
        community=places.community_b,
        visited_on=datetime.date(2025, 5, 20),
    )
    rows = {row.person: row for row in staff_estate_coverage(viewer=leader, today=TODAY)}
    assert (rows[staff].estates_visited, rows[staff].estates_total) == (1, 2)
    assert rows[chief].estates_visited == 0
    assert list(staff_unvisited_estates(viewer=leader, person=staff, year=2026)) == [places.estate_b]


def test_the_planner_puts_key_and_never_visited_households_first(places, worker_a):
    key = HouseholdCategoryFactory(name="低保户", is_key=True)
    recent = HouseholdFactory(grid_area=places.area_a)
    old = HouseholdFactory(grid_area=places.area_a)
    never = HouseholdFactory(grid_area=places.area_a)
    key_visited = HouseholdFactory(grid_area=places.area_a, categories=[key])
    key_never = HouseholdFactory(grid_area=places.area_a, categories=[key])
    HouseholdFactory(grid_area=places.area_a2)  # a colleague's
    VisitFactory(household=recent, visited_on=datetime.date(2026, 11, 1))
    VisitFactory(household=old, visited_on=datetime.date(2025, 6, 1))
    VisitFactory(household=key_visited, visited_on=datetime.date(2026, 10, 1))
    planned = list(visit_planner(worker=worker_a))
    assert planned == [key_never, key_visited, never, old, recent]
    assert planned[3].last_visited_on == datetime.date(2025, 6, 1)


def test_the_service_day_is_the_20th_unless_the_office_moves_it(places):
    assert service_day(places.street, datetime.date(2026, 10, 1)) == datetime.date(2026, 10, 20)
    ServiceDayRule.objects.create(street=places.street, day_of_month=18)
    assert service_day(places.street, datetime.date(2026, 10, 1)) == datetime.date(2026, 10, 18)
    ServiceDayMoveFactory(street=places.street, month=datetime.date(2026, 9, 1), moved_to=datetime.date(2026, 9, 21))
    assert service_day(places.street, datetime.date(2026, 9, 1)) == datetime.date(2026, 9, 21)


def test_service_day_compliance_per_person_and_month(places, staff, chief, leader):
    ServiceDayMoveFactory(street=places.street, month=datetime.date(2026, 9, 1), moved_to=datetime.date(2026, 9, 18))
    estate_visit = {
        "household": None,
        "kind": Visit.Kind.ESTATE,
        "estate": places.estate_a,
        "street": places.street,
        "community": places.community_a,
    }
    VisitFactory(visitor=staff, visited_on=datetime.date(2026, 8, 20), **estate_visit)
    VisitFactory(visitor=staff, visited_on=datetime.date(2026, 9, 20), **estate_visit)  # the day was moved
    VisitFactory(visitor=staff, visited_on=datetime.date(2026, 10, 20), **estate_visit)
    VisitFactory(visitor=chief, visited_on=datetime.date(2026, 9, 18), **estate_visit)
    months = [
        datetime.date(2026, 8, 1),
        datetime.date(2026, 9, 1),
        datetime.date(2026, 10, 1),
        datetime.date(2026, 11, 1),
        datetime.date(2026, 12, 1),
    ]
    rows = service_day_compliance(viewer=leader, months=months, today=TODAY).rows
    kept = {row.person: row.kept for row in rows}
    assert kept[staff] == [True, False, True, False, None]
    assert kept[chief] == [False, True, False, False, None]
    assert (rows[0].due_count, sum(r.kept_count for r in rows)) == (4, 3)


def test_who_reviews_whose_service_day(places, staff, social_affairs_staff, chief, deputy, leader, worker_a):
    other_chief = UserFactory(role=Role.SECTION_CHIEF, street=places.street, department=places.social_affairs)
    assert set(service_day_people(viewer=chief)) == {staff, chief}  # his department
    assert set(service_day_people(viewer=deputy)) == {staff, chief}  # the departments he oversees
    assert set(service_day_people(viewer=leader)) == {staff, chief, social_affairs_staff, other_chief}
    assert not service_day_people(viewer=worker_a).exists()


def test_service_day_compliance_is_a_fixed_number_of_queries(places, leader, django_assert_max_num_queries):
    months = [datetime.date(2026, m, 1) for m in range(5, 11)]
    for _ in range(3):
        UserFactory(role=Role.DEPARTMENT_STAFF, street=places.street, department=places.department)
    with django_assert_max_num_queries(4) as small:
        service_day_compliance(viewer=leader, months=months, today=TODAY)
    for _ in range(12):
        UserFactory(role=Role.DEPARTMENT_STAFF, street=places.street, department=places.department)
    with django_assert_max_num_queries(len(small.captured_queries)):
        service_day_compliance(viewer=leader, months=months, today=TODAY)


def test_the_service_day_is_not_missed_while_it_is_still_today(places, staff, leader):
    months = [datetime.date(2026, 11, 1)]
    rows = service_day_compliance(viewer=leader, months=months, today=datetime.date(2026, 11, 20)).rows
    assert {row.person: row.kept for row in rows}[staff] == [None]
    rows = service_day_compliance(viewer=leader, months=months, today=datetime.date(2026, 11, 21)).rows
    assert {row.person: row.kept for row in rows}[staff] == [False]


def test_a_system_administrators_list_of_unvisited_estates_is_the_persons_street(places, staff, system_admin):
    from tests.factories import CommunityFactory, EstateFactory

    EstateFactory(community=CommunityFactory(street=places.other_street))
    unvisited = set(staff_unvisited_estates(viewer=system_admin, person=staff, year=2026))
    assert unvisited == {places.estate_a, places.estate_b}
