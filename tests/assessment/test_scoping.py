"""Who sees which assessment rows: every visible_to of assessment/models.py for every persona."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import AnonymousUser

from assessment.models import (
    AssessmentRule,
    CadreLink,
    Evaluation,
    SpotCheck,
    SpotCheckItem,
    VisitVerification,
)
from tests.factories import (
    CommunityFactory,
    DepartmentFactory,
    GridAreaFactory,
    HouseholdFactory,
    UserFactory,
    VisitFactory,
)
from visits.models import Visit
from wenxin.roles import Role

START, END = datetime.date(2026, 7, 1), datetime.date(2026, 9, 30)
PERSONAS = [
    "worker_a",
    "worker_a2",
    "worker_b",
    "community_leader",
    "staff",
    "social_affairs_staff",
    "chief",
    "deputy",
    "cadre",
    "leader",
    "other_street_leader",
    "system_admin",
]
STREET_WIDE = ["staff", "social_affairs_staff", "chief", "deputy", "cadre", "leader"]


@dataclass
class World:
    """Named rows of every assessment model in both streets; the tests compare sets of names."""

    rows: dict[str, object]

    def names(self, queryset) -> set[str]:
        pks = set(queryset.values_list("pk", flat=True))
        model = queryset.model
        return {name for name, row in self.rows.items() if isinstance(row, model) and row.pk in pks}


@pytest.fixture
def world(
    places,
    worker_a,
    worker_a2,
    worker_b,
    community_leader,
    staff,
    social_affairs_staff,
    chief,
    deputy,
    cadre,
    leader,
    other_street_leader,
) -> World:
    far_community = CommunityFactory(street=places.other_street, name="远方社区")
    far_department = DepartmentFactory(street=places.other_street, name="远方科")
    far_worker = UserFactory(role=Role.SOCIAL_WORKER, street=places.other_street, community=far_community)
    far_cadre = UserFactory(role=Role.CADRE, street=places.other_street)
    leader_b = UserFactory(role=Role.COMMUNITY_LEADER, street=places.street, community=places.community_b)
    rows: dict[str, object] = {}

    rows["rule"] = AssessmentRule.objects.create(street=places.street)
    rows["far_rule"] = AssessmentRule.objects.create(street=places.other_street)

    rows["link_a"] = CadreLink.objects.create(
        cadre=cadre, community=places.community_a, estate=places.estate_a, starts_on=START
    )
    rows["link_b"] = CadreLink.objects.create(cadre=cadre, community=places.community_b, starts_on=START)
    rows["far_link"] = CadreLink.objects.create(cadre=far_cadre, community=far_community, starts_on=START)

    def visit(person, area=None, **fields) -> Visit:
        if area is not None:
            return VisitFactory(household=HouseholdFactory(grid_area=area), visitor=person, visited_on=START)
        return VisitFactory(household=None, visitor=person, visited_on=START, **fields)

    visit_a = visit(worker_a, places.area_a)
    visit_b = visit(worker_b, places.area_b)
    cadre_visit = visit(cadre, kind=Visit.Kind.ESTATE, estate=places.estate_a)
    staff_visit = visit(staff, kind=Visit.Kind.ESTATE, estate=places.estate_b)
    far_visit = visit(far_worker, GridAreaFactory(community=far_community))

    def spot_check(name, checker, level, item_visit, **unit) -> None:
        rows[name] = SpotCheck.objects.create(
            street=checker.street,
            level=level,
            period_start=START,
            period_end=END,
            sample_value=1,
            checker=checker,
            **unit,
        )
        rows[f"{name}_item"] = SpotCheckItem.objects.create(spot_check=rows[name], visit=item_visit)

    spot_check("check_cadres", leader, SpotCheck.Level.CADRE, cadre_visit)
    spot_check("check_department", deputy, SpotCheck.Level.DEPARTMENT, staff_visit, department=places.department)
    spot_check("check_a", community_leader, SpotCheck.Level.COMMUNITY, visit_a, community=places.community_a)
    spot_check("check_b", social_affairs_staff, SpotCheck.Level.COMMUNITY, visit_b, community=places.community_b)
    spot_check("check_all", social_affairs_staff, SpotCheck.Level.COMMUNITY, visit_b)
    spot_check("far_check", other_street_leader, SpotCheck.Level.COMMUNITY, far_visit, community=far_community)

    rows["verified_a"] = VisitVerification.objects.create(
        visit=visit_a, status="verified", verified_by=community_leader
    )
    rows["verified_b"] = VisitVerification.objects.create(visit=visit_b, status="verified", verified_by=leader_b)
    rows["far_verified"] = VisitVerification.objects.create(visit=far_visit, status="verified", verified_by=far_worker)

    def evaluation(name, street, kind=Evaluation.Kind.PERFORMANCE, **subject) -> None:
        rows[name] = Evaluation.objects.create(
            street=street, kind=kind, year=2026, quarter=3, score=80, recorded_by=leader, **subject
        )

    evaluation("of_worker_a", places.street, person=worker_a)
    evaluation("of_worker_a2", places.street, person=worker_a2)
    evaluation("of_worker_b", places.street, person=worker_b)
    evaluation("of_staff", places.street, person=staff)
    evaluation("of_cadre", places.street, person=cadre)
    evaluation("of_community_a", places.street, Evaluation.Kind.PUBLIC_RATING, community=places.community_a)
    evaluation("of_community_b", places.street, community=places.community_b)
    evaluation("of_department", places.street, department=places.department)
    evaluation(
        "a_rates_department",
        places.street,
        Evaluation.Kind.MUTUAL,
        department=places.department,
        by_community=places.community_a,
    )
    evaluation(
        "b_rates_department",
        places.street,
        Evaluation.Kind.MUTUAL,
        department=places.department,
        by_community=places.community_b,
    )
    evaluation("far_evaluation", places.other_street, department=far_department)
    return World(rows)


def expect(world: World, model, persona_sets: dict[str, set[str]], request) -> None:
    for persona in PERSONAS:
        user = request.getfixturevalue(persona)
        assert world.names(model.objects.visible_to(user)) == persona_sets[persona], persona
    assert world.names(model.objects.visible_to(AnonymousUser())) == set()
    inactive = request.getfixturevalue("leader")
    inactive.is_active = False
    assert world.names(model.objects.visible_to(inactive)) == set()
    inactive.is_active = True


def test_assessment_rules(world, request):
    mine, far = {"rule"}, {"far_rule"}
    sets = dict.fromkeys(PERSONAS, mine)
    sets.update(other_street_leader=far, system_admin=mine | far)
    expect(world, AssessmentRule, sets, request)


def test_cadre_links(world, request):
    street = {"link_a", "link_b"}
    sets = dict.fromkeys(STREET_WIDE, street)
    sets.update(
        worker_a={"link_a"},
        worker_a2={"link_a"},
        worker_b={"link_b"},
        community_leader={"link_a"},
        other_street_leader={"far_link"},
        system_admin=street | {"far_link"},
    )
    expect(world, CadreLink, sets, request)


def test_spot_checks_and_their_items(world, request):
    street = {"check_cadres", "check_department", "check_a", "check_b", "check_all"}
    sets = dict.fromkeys(STREET_WIDE, street)
    sets.update(
        worker_a=set(),
        worker_a2=set(),
        worker_b=set(),
        # His own community's community-level checks only; not the street-wide one that also holds community B.
        community_leader={"check_a"},
        other_street_leader={"far_check"},
        system_admin=street | {"far_check"},
    )
    expect(world, SpotCheck, sets, request)
    items = {persona: {f"{name}_item" for name in names} for persona, names in sets.items()}
    expect(world, SpotCheckItem, items, request)


def test_verifications(world, request):
    street = {"verified_a", "verified_b"}
    sets = dict.fromkeys(STREET_WIDE, street)
    sets.update(
        worker_a={"verified_a"},
        worker_a2=set(),  # another grid area's household
        worker_b={"verified_b"},
        community_leader={"verified_a"},
        other_street_leader={"far_verified"},
        system_admin=street | {"far_verified"},
    )
    expect(world, VisitVerification, sets, request)


def test_evaluations(world, request):
    street = {name for name in world.rows if name.startswith(("of_", "a_rates", "b_rates"))}
    sets = dict.fromkeys(["leader", "deputy", "chief"], street)
    sets.update(
        # Everyone else only their own.
        worker_a={"of_worker_a"},
        worker_a2={"of_worker_a2"},
        worker_b={"of_worker_b"},
        staff={"of_staff"},
        cadre={"of_cadre"},
        social_affairs_staff=set(),
        # His community, its people, and the mutual evaluation his community gave (he records it).
        community_leader={"of_worker_a", "of_worker_a2", "of_community_a", "a_rates_department"},
        other_street_leader={"far_evaluation"},
        system_admin=street | {"far_evaluation"},
    )
    expect(world, Evaluation, sets, request)
