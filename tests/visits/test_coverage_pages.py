"""Coverage: "community staff walk every family, street staff walk every estate", per community, estate and area."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import CommunityFactory, EstateFactory, HouseholdFactory, UserFactory, VisitFactory
from visits.models import Visit
from wenxin.roles import Role

TODAY = datetime.date(2026, 8, 15)


@pytest.fixture(autouse=True)
def today(monkeypatch):
    """The office's clock reads TODAY, so "this year" and "the last 12 months" are known."""
    real = timezone.localdate

    def localdate(value=None, timezone=None):
        return TODAY if value is None else real(value, timezone)

    monkeypatch.setattr("django.utils.timezone.localdate", localdate)
    return TODAY


def estate_visit(person, estate, day):
    return VisitFactory(
        visitor=person,
        household=None,
        kind=Visit.Kind.ESTATE,
        estate=estate,
        street=estate.community.street,
        community=estate.community,
        visited_on=day,
    )


@pytest.fixture
def dataset(places, worker_a, worker_a2, worker_b):
    """Area A: 4 households, 1 visited this year, 2 in the last 12 months. Area A2: 2, 1 and 1. Area B: 3, 1, 1."""
    a = [HouseholdFactory(grid_area=places.area_a, estate=places.estate_a) for _ in range(4)]
    a2 = [HouseholdFactory(grid_area=places.area_a2, estate=places.estate_a) for _ in range(2)]
    b = [HouseholdFactory(grid_area=places.area_b, estate=places.estate_b) for _ in range(3)]
    VisitFactory(household=a[0], visited_on=datetime.date(2026, 3, 1))
    VisitFactory(household=a[0], visited_on=datetime.date(2026, 5, 1))  # the same household again
    VisitFactory(household=a[1], visited_on=datetime.date(2025, 12, 1))  # last 12 months, not this year
    VisitFactory(household=a[2], visited_on=datetime.date(2025, 8, 15))  # exactly a year ago: neither
    VisitFactory(household=a2[0], visited_on=datetime.date(2026, 8, 1))
    VisitFactory(household=b[0], visited_on=datetime.date(2026, 1, 1))
    moved = HouseholdFactory(grid_area=places.area_a, estate=places.estate_a, status="moved_out")
    VisitFactory(household=moved, visited_on=datetime.date(2026, 2, 1))  # moved away: not counted
    return {"a": a, "a2": a2, "b": b}


def page(client, **params):
    return client.get(reverse("visits:coverage"), params)


def figures(rows) -> dict[str, tuple[int, int, int, int, int]]:
    return {
        row.name: (row.households, row.visited_year, row.percent_year, row.visited_12_months, row.percent_12_months)
        for row in rows
    }


class TestAccess:
    def test_a_street_leader_sees_every_level(self, leader, dataset, client_for):
        response = page(client_for(leader))
        assert response.status_code == 200
        coverage = response.context["coverage"]
        assert figures(coverage.grid_areas) == {
            "德加第1网格": (4, 1, 25, 2, 50),
            "德加第2网格": (2, 1, 50, 1, 50),
            "益乐第1网格": (3, 1, 33, 1, 33),
        }
        assert figures(coverage.estates) == {"香港城": (6, 2, 33, 3, 50), "益乐新村": (3, 1, 33, 1, 33)}
        assert figures(coverage.communities) == {"德加社区": (6, 2, 33, 3, 50), "益乐社区": (3, 1, 33, 1, 33)}

    def test_a_chief_and_a_cadre_may_look(self, chief, cadre, dataset, client_for):
        assert page(client_for(chief)).status_code == 200
        assert page(client_for(cadre)).status_code == 200

    def test_a_community_leader_sees_only_her_community(self, community_leader, dataset, client_for):
        response = page(client_for(community_leader))
        coverage = response.context["coverage"]
        assert [row.name for row in coverage.communities] == ["德加社区"]
        assert [row.name for row in coverage.estates] == ["香港城"]
        assert {row.name for row in coverage.grid_areas} == {"德加第1网格", "德加第2网格"}
        assert "益乐" not in response.content.decode()

    def test_another_streets_leader_sees_none_of_ours(self, other_street_leader, places, dataset, client_for):
        response = page(client_for(other_street_leader))
        assert response.status_code == 200
        coverage = response.context["coverage"]
        assert coverage.communities == coverage.estates == coverage.grid_areas == []
        assert all(row.person.street_id == places.other_street.pk for row in response.context["staff_rows"])
        assert "德加" not in response.content.decode()

    @pytest.mark.parametrize("persona", ["worker_a", "staff"])
    def test_people_who_do_not_review_are_refused(self, persona, request, client_for):
        assert page(client_for(request.getfixturevalue(persona))).status_code == 403

    def test_anonymous_is_sent_to_log_in(self, client, places):
        response = page(client)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


class TestCoverage:
    def test_the_page_shows_count_and_percentage(self, leader, dataset, client_for):
        html = page(client_for(leader)).content.decode()
        assert "1 · 25%" in html  # area A this year
        assert "2 · 50%" in html  # area A in the last 12 months

    def test_each_households_figure_links_to_the_registry(self, leader, places, dataset, client_for):
        html = page(client_for(leader)).content.decode()
        households = reverse("households:list")
        assert f'href="{households}?grid_area={places.area_a.pk}"' in html
        assert f'href="{households}?estate={places.estate_a.pk}"' in html
        assert f'href="{households}?community={places.community_b.pk}"' in html

    def test_the_community_filter_narrows_every_level(self, leader, places, dataset, client_for):
        response = page(client_for(leader), community=places.community_b.pk)
        coverage = response.context["coverage"]
        assert [row.name for row in coverage.communities] == ["益乐社区"]
        assert [row.name for row in coverage.estates] == ["益乐新村"]
        assert [row.name for row in coverage.grid_areas] == ["益乐第1网格"]

    def test_a_community_outside_the_viewers_scope_is_ignored(self, community_leader, places, dataset, client_for):
        for value in (places.community_b.pk, CommunityFactory(street=places.other_street).pk, "x"):
            response = page(client_for(community_leader), community=value)
            assert response.status_code == 200
            assert response.context["community"] is None
            assert [row.name for row in response.context["coverage"].communities] == ["德加社区"]

    def test_it_does_not_grow_with_households_visits_or_staff(
        self, leader, places, client_for, django_assert_max_num_queries
    ):
        client = client_for(leader)

        def add(households, staff):
            for n in range(households):
                area = (places.area_a, places.area_b)[n % 2]
                VisitFactory(household=HouseholdFactory(grid_area=area), visited_on=TODAY - datetime.timedelta(n))
            for _ in range(staff):
                person = UserFactory(role=Role.DEPARTMENT_STAFF, street=places.street, department=places.department)
                estate_visit(person, places.estate_a, TODAY)

        add(20, 3)
        with django_assert_max_num_queries(8) as small:
            page(client)
        add(60, 9)
        with django_assert_max_num_queries(len(small.captured_queries)):
            response = page(client)
        assert response.context["coverage"].communities[0].households >= 40
        assert len(response.context["staff_rows"]) >= 12


class TestWalkEveryEstate:
    def test_each_member_of_street_staff_and_the_estates_visited_this_year(
        self, leader, staff, chief, places, client_for
    ):
        estate_visit(staff, places.estate_a, datetime.date(2026, 4, 20))
        estate_visit(staff, places.estate_a, datetime.date(2026, 5, 20))  # the same estate again
        estate_visit(staff, places.estate_b, datetime.date(2025, 5, 20))  # last year
        response = page(client_for(leader))
        rows = {row.person: row for row in response.context["staff_rows"]}
        assert (rows[staff].estates_visited, rows[staff].estates_total) == (1, 2)
        assert rows[chief].estates_visited == 0
        html = response.content.decode()
        assert reverse("visits:staff_estates", args=[staff.pk]) in html
        assert "1 / 2" in html

    def test_a_community_leader_reviews_no_street_staff(self, community_leader, staff, client_for):
        assert page(client_for(community_leader)).context["staff_rows"] == []


def unvisited(client, person):
    return client.get(reverse("visits:staff_estates", args=[person.pk]))


class TestUnvisitedEstates:
    def test_it_lists_the_estates_not_yet_visited_this_year(self, chief, staff, places, client_for):
        estate_visit(staff, places.estate_a, datetime.date(2026, 4, 20))
        estate_visit(staff, places.estate_b, datetime.date(2025, 4, 20))
        third = EstateFactory(community=places.community_b, name="文新公寓")
        response = unvisited(client_for(chief), staff)
        assert response.status_code == 200
        assert set(response.context["estates"]) == {places.estate_b, third}
        html = response.content.decode()
        assert reverse("visits:estate_visits", args=[places.estate_b.pk]) in html
        assert "香港城" not in html

    def test_all_estates_visited(self, leader, staff, places, client_for):
        estate_visit(staff, places.estate_a, TODAY)
        estate_visit(staff, places.estate_b, TODAY)
        response = unvisited(client_for(leader), staff)
        assert response.context["estates"] == []
        assert "今年已走遍所有小区" in response.content.decode()

    def test_a_person_outside_the_viewers_scope_is_not_found(
        self, community_leader, other_street_leader, staff, client_for
    ):
        assert unvisited(client_for(community_leader), staff).status_code == 404
        assert unvisited(client_for(other_street_leader), staff).status_code == 404

    @pytest.mark.parametrize("persona", ["worker_a", "social_affairs_staff"])
    def test_people_who_do_not_review_are_refused(self, persona, request, staff, client_for):
        assert unvisited(client_for(request.getfixturevalue(persona)), staff).status_code == 403

    def test_anonymous_is_sent_to_log_in(self, client, staff):
        assert unvisited(client, staff).status_code == 302
