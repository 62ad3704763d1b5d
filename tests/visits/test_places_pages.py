"""Into communities and enterprises: the visits to each enterprise and estate, and the problems raised there."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from tests.factories import EnterpriseFactory, EstateFactory, UserFactory, VisitFactory
from visits.models import Visit
from wenxin.roles import Role


def enterprise_visit(person, enterprise, day, **extra):
    return VisitFactory(
        visitor=person,
        household=None,
        kind=Visit.Kind.ENTERPRISE,
        enterprise=enterprise,
        street=enterprise.street,
        community=enterprise.community,
        visited_on=day,
        **extra,
    )


def estate_visit(person, estate, day, **extra):
    return VisitFactory(
        visitor=person,
        household=None,
        kind=Visit.Kind.ESTATE,
        estate=estate,
        street=estate.community.street,
        community=estate.community,
        visited_on=day,
        **extra,
    )


@pytest.fixture
def register(places, staff, leader):
    """Enterprises in community A and B, one of the street itself never visited, one of another street."""
    tech = EnterpriseFactory(street=places.street, community=places.community_a, name="文新科技", industry="软件")
    trade = EnterpriseFactory(street=places.street, community=places.community_b, name="益乐商贸")
    logistics = EnterpriseFactory(street=places.street, community=None, name="西湖物流")
    foreign = EnterpriseFactory(street=places.other_street, name="翠苑超市")
    visits = {
        "parking": enterprise_visit(
            staff,
            tech,
            datetime.date(2026, 5, 20),
            met_whom="王经理",
            difficulty="员工停车难",
            action_taken="协调周边小区夜间车位",
            companions=[leader],
        ),
        "quiet": enterprise_visit(leader, tech, datetime.date(2026, 6, 20), difficulty=""),
        "trade": enterprise_visit(staff, trade, datetime.date(2026, 4, 20), difficulty="招工难"),
        "drying_rack": estate_visit(
            staff, places.estate_a, datetime.date(2026, 3, 20), difficulty="想要公共晾衣架", action_taken=""
        ),
        "estate_a": estate_visit(staff, places.estate_a, datetime.date(2026, 6, 20)),
        "estate_b": estate_visit(staff, places.estate_b, datetime.date(2026, 2, 20)),
    }
    return {"tech": tech, "trade": trade, "logistics": logistics, "foreign": foreign, "visits": visits}


def page(client):
    return client.get(reverse("visits:places"))


def enterprise_figures(response) -> dict[str, tuple]:
    return {e.name: (e.visit_count, e.last_visited_on, e.problem_count) for e in response.context["enterprises"]}


def estate_figures(response) -> dict[str, tuple]:
    return {e.name: (e.visit_count, e.last_visited_on, e.problem_count) for e in response.context["estates"]}


class TestPlacesAccess:
    @pytest.mark.parametrize("persona", ["leader", "chief", "staff", "cadre", "system_admin"])
    def test_street_staff_and_administrators_see_the_street(self, persona, request, register, client_for):
        response = page(client_for(request.getfixturevalue(persona)))
        assert response.status_code == 200
        assert {"文新科技", "益乐商贸", "西湖物流"} <= set(enterprise_figures(response))

    def test_a_community_leader_sees_her_communitys_enterprises_and_estates(
        self, community_leader, register, client_for
    ):
        response = page(client_for(community_leader))
        assert response.status_code == 200
        assert set(enterprise_figures(response)) == {"文新科技"}
        assert set(estate_figures(response)) == {"香港城"}
        html = response.content.decode()
        assert "益乐商贸" not in html and "益乐新村" not in html

    def test_another_streets_leader_sees_none_of_ours(self, other_street_leader, register, client_for):
        response = page(client_for(other_street_leader))
        assert set(enterprise_figures(response)) == {"翠苑超市"}
        assert estate_figures(response) == {}
        assert "文新科技" not in response.content.decode()

    def test_a_social_worker_is_refused(self, worker_a, client_for):
        assert page(client_for(worker_a)).status_code == 403

    def test_anonymous_is_sent_to_log_in(self, client, places):
        response = page(client)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


class TestPlaces:
    def test_visits_last_visit_and_problems_per_enterprise(self, leader, register, client_for):
        figures = enterprise_figures(page(client_for(leader)))
        assert figures["文新科技"] == (2, datetime.date(2026, 6, 20), 1)
        assert figures["益乐商贸"] == (1, datetime.date(2026, 4, 20), 1)
        assert figures["西湖物流"] == (0, None, 0)

    def test_visits_last_visit_and_problems_per_estate(self, leader, register, client_for):
        assert estate_figures(page(client_for(leader))) == {
            "香港城": (2, datetime.date(2026, 6, 20), 1),
            "益乐新村": (1, datetime.date(2026, 2, 20), 0),
        }

    def test_each_row_links_to_its_visits(self, leader, register, places, client_for):
        html = page(client_for(leader)).content.decode()
        assert reverse("visits:enterprise_visits", args=[register["tech"].pk]) in html
        assert reverse("visits:estate_visits", args=[places.estate_a.pk]) in html
        assert "从未走访" in html  # 西湖物流

    def test_it_does_not_grow_with_places_or_visits(
        self, leader, staff, places, client_for, django_assert_max_num_queries
    ):
        client = client_for(leader)

        def add(count):
            for _ in range(count):
                enterprise = EnterpriseFactory(street=places.street, community=places.community_a)
                estate = EstateFactory(community=places.community_b)
                for day in (3, 20):
                    enterprise_visit(staff, enterprise, datetime.date(2026, 5, day), difficulty="困难")
                    estate_visit(staff, estate, datetime.date(2026, 5, day))

        add(5)  # 20 visits
        with django_assert_max_num_queries(4) as small:
            page(client)
        add(15)  # 80 visits
        with django_assert_max_num_queries(len(small.captured_queries)):
            response = page(client)
        assert len(response.context["enterprises"]) == 20


def enterprise_page(client, enterprise):
    return client.get(reverse("visits:enterprise_visits", args=[enterprise.pk]))


def estate_page(client, estate):
    return client.get(reverse("visits:estate_visits", args=[estate.pk]))


class TestPlaceVisits:
    def test_an_enterprises_visits_with_the_difficulty_and_what_was_done(self, chief, register, client_for):
        response = enterprise_page(client_for(chief), register["tech"])
        assert response.status_code == 200
        visits = register["visits"]
        assert list(response.context["page"].object_list) == [visits["quiet"], visits["parking"]]
        assert response.context["problems"] == 1
        html = response.content.decode()
        assert "员工停车难" in html and "协调周边小区夜间车位" in html
        assert "钱书记" in html  # the companion
        assert reverse("visits:detail", args=[visits["parking"].pk]) in html

    def test_an_estates_visits_and_an_unanswered_difficulty(self, staff, places, register, client_for):
        response = estate_page(client_for(staff), places.estate_a)
        assert response.status_code == 200
        assert set(response.context["page"].object_list) == {
            register["visits"]["drying_rack"],
            register["visits"]["estate_a"],
        }
        html = response.content.decode()
        assert "想要公共晾衣架" in html and "尚未记录处理情况" in html

    def test_a_community_leader_sees_only_her_communitys_places(self, community_leader, places, register, client_for):
        client = client_for(community_leader)
        assert enterprise_page(client, register["tech"]).status_code == 200
        assert estate_page(client, places.estate_a).status_code == 200
        assert enterprise_page(client, register["trade"]).status_code == 404
        assert enterprise_page(client, register["logistics"]).status_code == 404
        assert estate_page(client, places.estate_b).status_code == 404

    def test_another_streets_places_are_not_found(self, other_street_leader, leader, places, register, client_for):
        assert enterprise_page(client_for(other_street_leader), register["tech"]).status_code == 404
        assert estate_page(client_for(other_street_leader), places.estate_a).status_code == 404
        assert enterprise_page(client_for(leader), register["foreign"]).status_code == 404

    def test_a_social_worker_is_refused(self, worker_a, places, register, client_for):
        assert enterprise_page(client_for(worker_a), register["tech"]).status_code == 403
        assert estate_page(client_for(worker_a), places.estate_a).status_code == 403

    def test_anonymous_is_sent_to_log_in(self, client, places, register):
        assert enterprise_page(client, register["tech"]).status_code == 302
        assert estate_page(client, places.estate_a).status_code == 302

    def test_it_does_not_grow_with_visits(self, leader, staff, places, client_for, django_assert_max_num_queries):
        client = client_for(leader)
        enterprise = EnterpriseFactory(street=places.street, community=places.community_a)
        colleague = UserFactory(role=Role.DEPARTMENT_STAFF, street=places.street, department=places.department)

        def add(count):
            for n in range(count):
                enterprise_visit(
                    staff, enterprise, datetime.date(2026, 1, 1) + datetime.timedelta(n), companions=[colleague]
                )

        add(5)
        with django_assert_max_num_queries(7) as small:
            enterprise_page(client, enterprise)
        add(35)
        with django_assert_max_num_queries(len(small.captured_queries)):
            assert len(enterprise_page(client, enterprise).context["page"].object_list) == 40
