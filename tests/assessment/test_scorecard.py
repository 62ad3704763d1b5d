"""The quarterly scorecard: each part out of 100 from known data, the weighted total, units, bounded queries."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assessment import selectors, services
from assessment.models import AssessmentRule, CadreLink, Evaluation, SpotCheck, SpotCheckItem, VisitVerification
from tests.factories import (
    GridAreaFactory,
    HouseholdFactory,
    OwnersCommitteeFactory,
    PropertyCompanyFactory,
    UserFactory,
    VisitFactory,
)
from visits.models import QuotaRule, Visit
from visits.periods import Quarter
from wenxin.models import AuditEntry
from wenxin.roles import Role

QUARTER = Quarter(2026, 3)
DAY = datetime.date(2026, 8, 10)
D = Decimal


def household_visits(worker, area, count: int, *, on: datetime.date = DAY) -> list[Visit]:
    return [
        VisitFactory(household=HouseholdFactory(grid_area=area), visitor=worker, visited_on=on) for _ in range(count)
    ]


def spot_checked(visits: list[Visit], results: list[str], *, checker) -> None:
    """Items of one spot-check with the given results, as if drawn and recorded."""
    spot_check = SpotCheck.objects.create(
        street=checker.street,
        level=SpotCheck.Level.COMMUNITY,
        period_start=QUARTER.start,
        period_end=QUARTER.end,
        sample_value=len(visits),
        checker=checker,
    )
    for visit, result in zip(visits, results, strict=True):
        SpotCheckItem.objects.create(
            spot_check=spot_check, visit=visit, method=SpotCheckItem.Method.PHONE, result=result, note="核查"
        )


def evaluate(actor, kind, score, **subject) -> Evaluation:
    return services.evaluation_record(
        actor=actor, kind=kind, year=QUARTER.year, quarter=QUARTER.number, score=score, **subject
    )


def row_of(rows, subject):
    return next(row for row in rows if row.subject == subject)


@pytest.fixture
def quarter_of_worker_a(places, leader, community_leader, social_affairs_staff, worker_a, worker_a2):
    """worker_a: 3 of 4 households, 2 of 3 visits verified, 2 confirmed and 1 discrepancy, rated 80 and 91, 90."""
    QuotaRule.objects.filter(role=Role.SOCIAL_WORKER, user=None).update(households_per_quarter=4)
    visits = household_visits(worker_a, places.area_a, 3)
    for visit in visits[:2]:
        services.visit_verify(actor=community_leader, visit=visit, status=VisitVerification.Status.VERIFIED)
    services.visit_verify(actor=community_leader, visit=visits[2], status=VisitVerification.Status.QUERIED, note="?")
    spot_checked(
        visits,
        [SpotCheckItem.Result.CONFIRMED, SpotCheckItem.Result.CONFIRMED, SpotCheckItem.Result.DISCREPANCY],
        checker=social_affairs_staff,
    )
    evaluate(leader, Evaluation.Kind.PUBLIC_RATING, 80, person=worker_a, respondents=30)
    evaluate(leader, Evaluation.Kind.PUBLIC_RATING, 91, person=worker_a, respondents=20)
    evaluate(leader, Evaluation.Kind.PERFORMANCE, 90, person=worker_a)
    # worker_a2 visits six households against four: the quota part stops at 100.
    household_visits(worker_a2, places.area_a2, 6)
    # A visit of the quarter before counts nowhere.
    household_visits(worker_a, places.area_a, 2, on=QUARTER.start - datetime.timedelta(days=1))
    return visits


def test_a_workers_parts_from_known_data(leader, worker_a, worker_a2, quarter_of_worker_a):
    people, _units = selectors.scorecard(viewer=leader, quarter=QUARTER)
    row = row_of(people, worker_a)
    assert row.kind == "person"
    assert row.parts == {
        "quota": D("75.0"),  # 3 of 4
        "three_musts": None,  # not a cadre
        "spot_checks": D("83.3"),  # (2 + ½) of 3
        "verification": D("66.7"),  # 2 of 3; the queried one does not count
        "public_rating": D("85.5"),  # mean of 80 and 91
        "mutual": None,  # between units only
        "performance": D("90.0"),
    }
    # Default weights 25, 15, 10, 15, 10 over the five parts that apply (75 in all):
    # (75·25 + 83.3·15 + 66.7·10 + 85.5·15 + 90·10) / 75 = 79.653… → 79.7
    assert row.total == D("79.7")
    assert row_of(people, worker_a2).parts["quota"] == D("100.0")


def test_the_weights_come_from_the_streets_rule(places, leader, worker_a, quarter_of_worker_a):
    AssessmentRule.objects.create(
        street=places.street,
        weight_quota=50,
        weight_three_musts=0,
        weight_spot_checks=0,
        weight_verification=0,
        weight_public_rating=0,
        weight_mutual=0,
        weight_performance=50,
    )
    people, _units = selectors.scorecard(viewer=leader, quarter=QUARTER)
    # (75 + 90) / 2
    assert row_of(people, worker_a).total == D("82.5")


def test_a_person_with_nothing_to_score_has_no_total(leader, staff):
    people, _units = selectors.scorecard(viewer=leader, quarter=QUARTER)
    row = row_of(people, staff)
    assert set(row.parts.values()) == {None} and row.total is None


def test_a_cadres_parts(places, leader, cadre):
    places.estate_a.property_company = PropertyCompanyFactory(street=places.street)
    places.estate_a.save()
    OwnersCommitteeFactory(estate=places.estate_a)
    CadreLink.objects.create(cadre=cadre, community=places.community_a, estate=places.estate_a, starts_on=QUARTER.start)
    CadreLink.objects.create(cadre=cadre, community=places.community_b, estate=places.estate_b, starts_on=QUARTER.start)
    estate_visit = VisitFactory(
        household=None, kind=Visit.Kind.ESTATE, estate=places.estate_a, visitor=cadre, visited_on=DAY
    )
    VisitFactory(
        household=None,
        kind=Visit.Kind.PROPERTY_COMPANY,
        property_company=places.estate_a.property_company,
        visitor=cadre,
        visited_on=DAY,
    )
    spot_checked([estate_visit], [SpotCheckItem.Result.NOT_CONFIRMED], checker=leader)
    evaluate(leader, Evaluation.Kind.PERFORMANCE, D("70.5"), person=cadre)
    people, _units = selectors.scorecard(viewer=leader, quarter=QUARTER)
    row = row_of(people, cadre)
    # Estate A: 2 of 3; estate B has neither committee nor company: 0 of 1 → 2 of 4.
    assert row.parts["three_musts"] == D("50.0")
    assert row.parts["spot_checks"] == D("0.0")
    assert row.parts["quota"] is None and row.parts["verification"] is None
    # (50·15 + 0·15 + 70.5·10) / 40 = 36.375 → 36.4
    assert row.total == D("36.4")


def test_spot_check_score_confirmed_full_discrepancy_half_not_confirmed_nothing():
    tally = selectors.SpotCheckTally(confirmed=1, not_confirmed=1, discrepancy=1)
    assert tally.checked == 3 and tally.score == D("50.0")
    assert selectors.SpotCheckTally(discrepancy=1).score == D("50.0")
    assert selectors.SpotCheckTally(confirmed=2, discrepancy=1).score == D("83.3")
    assert selectors.SpotCheckTally().score is None


def test_unchecked_items_and_other_quarters_do_not_count(places, social_affairs_staff, worker_a):
    visits = household_visits(worker_a, places.area_a, 2)
    earlier = household_visits(worker_a, places.area_a, 1, on=QUARTER.start - datetime.timedelta(days=1))
    spot_checked(
        visits + earlier,
        ["", SpotCheckItem.Result.CONFIRMED, SpotCheckItem.Result.NOT_CONFIRMED],
        checker=social_affairs_staff,
    )
    tallies = selectors.spot_check_tallies(people=[worker_a], start=QUARTER.start, end=QUARTER.end)
    assert (tallies[worker_a.pk].confirmed, tallies[worker_a.pk].checked) == (1, 1)


# --- weighted_total -----------------------------------------------------------------------------------------------


def test_the_weighted_total_renormalises_over_the_parts_that_apply():
    rule = AssessmentRule()  # the default weights
    assert selectors.weighted_total({"quota": D(80)}, rule) == D("80.0")
    # 25 and 10: (80·25 + 50·10) / 35 = 71.428… → 71.4
    assert selectors.weighted_total({"quota": D(80), "verification": D(50), "mutual": None}, rule) == D("71.4")
    assert selectors.weighted_total({}, rule) is None
    assert selectors.weighted_total(dict.fromkeys(("quota", "mutual")), rule) is None


def test_the_weighted_total_rounds_half_up_to_a_tenth():
    rule = AssessmentRule()
    assert selectors.weighted_total({"quota": D("80.25")}, rule) == D("80.3")
    assert selectors.weighted_total({"quota": D("80.35")}, rule) == D("80.4")
    assert selectors.weighted_total({"quota": D("80.24")}, rule) == D("80.2")


def test_a_part_with_no_weight_is_left_out():
    rule = AssessmentRule(weight_quota=0)
    assert selectors.weighted_total({"quota": D(0), "performance": D(90)}, rule) == D("90.0")
    assert selectors.weighted_total({"quota": D(0)}, rule) is None


# --- Units ------------------------------------------------------------------------------------------------------


def test_a_community_aggregates_its_workers(
    places, leader, community_leader, social_affairs_staff, worker_a, worker_a2, worker_b, quarter_of_worker_a
):
    # worker_a2's six visits: one verified, one spot-checked not confirmed.
    a2_visits = list(Visit.objects.filter(visitor=worker_a2).order_by("pk"))
    services.visit_verify(actor=community_leader, visit=a2_visits[0], status=VisitVerification.Status.VERIFIED)
    spot_checked(a2_visits[:1], [SpotCheckItem.Result.NOT_CONFIRMED], checker=social_affairs_staff)
    evaluate(leader, Evaluation.Kind.PUBLIC_RATING, 88, community=places.community_a, respondents=100)
    evaluate(leader, Evaluation.Kind.MUTUAL, 80, community=places.community_a, by_department=places.department)
    evaluate(leader, Evaluation.Kind.MUTUAL, 91, community=places.community_a, by_department=places.social_affairs)
    evaluate(leader, Evaluation.Kind.PERFORMANCE, 75, community=places.community_a)
    # A community's rating of a department is the department's, not the community's.
    evaluate(leader, Evaluation.Kind.MUTUAL, 60, department=places.department, by_community=places.community_a)
    _people, units = selectors.scorecard(viewer=leader, quarter=QUARTER)
    row = row_of(units, places.community_a)
    assert row.kind == "community"
    assert row.parts == {
        "quota": D("87.5"),  # mean of 75 and 100
        "three_musts": None,
        "spot_checks": D("62.5"),  # 2 confirmed, 1 discrepancy, 1 not confirmed: 2.5 of 4
        "verification": D("33.3"),  # 3 of 9 household visits
        "public_rating": D("88.0"),
        "mutual": D("85.5"),
        "performance": D("75.0"),
    }
    # (87.5·25 + 62.5·15 + 33.3·10 + 88·15 + 85.5·10 + 75·10) / 85 = 75.094… → 75.1
    assert row.total == D("75.1")
    # Community B: worker_b did nothing, nobody rated it.
    row_b = row_of(units, places.community_b)
    assert row_b.parts["quota"] == D("0.0") and row_b.parts["verification"] is None
    assert row_b.total == D("0.0")


def test_a_department_row(places, leader, deputy, staff, chief, social_affairs_staff):
    visits = [
        VisitFactory(household=None, kind=Visit.Kind.ESTATE, estate=places.estate_a, visitor=person, visited_on=DAY)
        for person in (staff, chief, social_affairs_staff)
    ]
    spot_check = SpotCheck.objects.create(
        street=places.street,
        level=SpotCheck.Level.DEPARTMENT,
        period_start=QUARTER.start,
        period_end=QUARTER.end,
        sample_value=3,
        checker=deputy,
    )
    for visit, result in zip(
        visits,
        [SpotCheckItem.Result.CONFIRMED, SpotCheckItem.Result.DISCREPANCY, SpotCheckItem.Result.NOT_CONFIRMED],
        strict=True,
    ):
        SpotCheckItem.objects.create(spot_check=spot_check, visit=visit, result=result, method="phone", note="x")
    evaluate(leader, Evaluation.Kind.MUTUAL, 70, department=places.department, by_community=places.community_a)
    evaluate(leader, Evaluation.Kind.MUTUAL, 81, department=places.department, by_community=places.community_b)
    evaluate(leader, Evaluation.Kind.PERFORMANCE, 95, department=places.department)
    _people, units = selectors.scorecard(viewer=leader, quarter=QUARTER)
    row = row_of(units, places.department)
    assert row.kind == "department"
    assert row.parts["spot_checks"] == D("75.0")  # staff confirmed, the chief half; Social Affairs is not his
    assert row.parts["mutual"] == D("75.5") and row.parts["performance"] == D("95.0")
    assert row.parts["quota"] is None and row.parts["public_rating"] is None
    # (75·15 + 75.5·10 + 95·10) / 35 = 80.857… → 80.9
    assert row.total == D("80.9")
    assert row_of(units, places.social_affairs).parts["spot_checks"] == D("0.0")


def test_other_quarters_evaluations_do_not_count(places, leader, worker_a):
    services.evaluation_record(
        actor=leader, kind=Evaluation.Kind.PERFORMANCE, year=2026, quarter=2, score=10, person=worker_a
    )
    people, _units = selectors.scorecard(viewer=leader, quarter=QUARTER)
    assert row_of(people, worker_a).parts["performance"] is None


# --- The evaluations that feed it ---------------------------------------------------------------------------------


def test_a_leader_records_an_evaluation_with_its_street_and_an_audit_entry(places, leader, worker_a):
    evaluation = evaluate(leader, Evaluation.Kind.PUBLIC_RATING, "86.5", person=worker_a, respondents=40)
    assert evaluation.street == places.street and evaluation.score == D("86.5")
    assert evaluation.recorded_by == leader
    entry = AuditEntry.objects.get(content_type__model="evaluation")
    assert entry.action == AuditEntry.Action.CREATE and entry.object_id == str(evaluation.pk)


def test_a_community_leader_records_only_the_mutual_evaluation_his_community_gives(places, community_leader):
    evaluate(
        community_leader, Evaluation.Kind.MUTUAL, 85, department=places.department, by_community=places.community_a
    )
    with pytest.raises(PermissionDenied):
        evaluate(
            community_leader, Evaluation.Kind.MUTUAL, 85, department=places.department, by_community=places.community_b
        )
    with pytest.raises(PermissionDenied):
        evaluate(community_leader, Evaluation.Kind.PERFORMANCE, 85, community=places.community_a)
    assert Evaluation.objects.count() == 1


@pytest.mark.parametrize("persona", ["worker_a", "staff", "chief", "cadre", "social_affairs_staff"])
def test_other_roles_record_no_evaluation(request, places, persona, worker_b):
    with pytest.raises(PermissionDenied):
        evaluate(request.getfixturevalue(persona), Evaluation.Kind.PERFORMANCE, 85, person=worker_b)
    assert not Evaluation.objects.exists()


def test_another_streets_leader_cannot_evaluate_this_streets_people(other_street_leader, worker_a):
    with pytest.raises(ValidationError):
        evaluate(other_street_leader, Evaluation.Kind.PERFORMANCE, 85, person=worker_a)
    assert not Evaluation.objects.exists()


@pytest.mark.parametrize("score", [-1, "100.5", "abc", "nan", "Infinity", "", "85.555"])
def test_a_score_outside_0_to_100_or_no_number_is_refused(leader, worker_a, score):
    with pytest.raises(ValidationError) as error:
        evaluate(leader, Evaluation.Kind.PERFORMANCE, score, person=worker_a)
    assert "score" in error.value.message_dict
    assert not Evaluation.objects.exists()


def test_the_kinds_evaluate_the_right_subjects(places, leader, worker_a):
    with pytest.raises(ValidationError):  # mutual is between units
        evaluate(leader, Evaluation.Kind.MUTUAL, 80, person=worker_a, by_community=places.community_a)
    with pytest.raises(ValidationError):  # a community does not rate a community
        evaluate(leader, Evaluation.Kind.MUTUAL, 80, community=places.community_b, by_community=places.community_a)
    with pytest.raises(ValidationError):  # residents rate staff and communities
        evaluate(leader, Evaluation.Kind.PUBLIC_RATING, 80, department=places.department)
    with pytest.raises(ValidationError):  # one subject
        evaluate(leader, Evaluation.Kind.PERFORMANCE, 80, person=worker_a, community=places.community_a)
    with pytest.raises(ValidationError):  # only mutual names who gave it
        evaluate(leader, Evaluation.Kind.PERFORMANCE, 80, person=worker_a, by_community=places.community_a)
    assert not Evaluation.objects.exists()


# --- Scope and queries ------------------------------------------------------------------------------------------


def test_the_scorecard_is_scoped_to_the_viewer(
    places, leader, community_leader, other_street_leader, worker_a, worker_b, cadre, quarter_of_worker_a
):
    people, units = selectors.scorecard(viewer=leader, quarter=QUARTER)
    assert {worker_a, worker_b, cadre} <= {row.subject for row in people}
    people, units = selectors.scorecard(viewer=community_leader, quarter=QUARTER)
    assert worker_a in {row.subject for row in people}
    assert worker_b not in {row.subject for row in people} and cadre not in {row.subject for row in people}
    assert places.community_b not in {row.subject for row in units}
    people, units = selectors.scorecard(viewer=other_street_leader, quarter=QUARTER)
    assert people == [] and places.community_a not in {row.subject for row in units}


def populate(places, leader, social_affairs_staff, community_leader, *, size: int) -> None:
    """size more workers with two households each (one verified, one spot-checked) and size more cadres with a
    link and a visit; an evaluation of every one of them."""
    for n in range(size):
        worker = UserFactory(role=Role.SOCIAL_WORKER, street=places.street, community=places.community_a)
        area = GridAreaFactory(community=places.community_a, workers=[worker])
        visits = household_visits(worker, area, 2)
        services.visit_verify(actor=community_leader, visit=visits[0], status=VisitVerification.Status.VERIFIED)
        spot_checked(visits[1:], [SpotCheckItem.Result.CONFIRMED], checker=social_affairs_staff)
        evaluate(leader, Evaluation.Kind.PUBLIC_RATING, 80 + n % 20, person=worker)
        cadre = UserFactory(role=Role.CADRE, street=places.street)
        CadreLink.objects.create(
            cadre=cadre, community=places.community_a, estate=places.estate_a, starts_on=QUARTER.start
        )
        VisitFactory(household=None, kind=Visit.Kind.ESTATE, estate=places.estate_a, visitor=cadre, visited_on=DAY)
        evaluate(leader, Evaluation.Kind.PERFORMANCE, 90, person=cadre)


# The rule, the people, quota targets, households visited (2), verification, spot-checks, the three musts (4),
# evaluations, communities, departments.
SCORECARD_QUERIES = 14


@pytest.mark.parametrize("months", [3, 1])
def test_the_scorecard_takes_the_same_queries_for_few_and_many(
    django_assert_max_num_queries, places, leader, social_affairs_staff, community_leader, months
):
    AssessmentRule.objects.create(street=places.street, three_musts_months=months)
    QuotaRule.objects.filter(role=Role.SOCIAL_WORKER, user=None).update(households_per_quarter=4)
    places.estate_a.property_company = PropertyCompanyFactory(street=places.street)
    places.estate_a.save()
    OwnersCommitteeFactory(estate=places.estate_a)
    populate(places, leader, social_affairs_staff, community_leader, size=2)
    with CaptureQueriesContext(connection) as few:
        selectors.scorecard(viewer=leader, quarter=QUARTER)
    populate(places, leader, social_affairs_staff, community_leader, size=25)
    with django_assert_max_num_queries(len(few)):
        people, _units = selectors.scorecard(viewer=leader, quarter=QUARTER)
    # A monthly rule reads the three musts once a month: three times, never more.
    assert len(few) <= SCORECARD_QUERIES + (8 if months == 1 else 0)
    assert len([row for row in people if row.subject.role == Role.SOCIAL_WORKER]) == 27
    assert all(row.total is not None for row in people if row.subject.role in (Role.SOCIAL_WORKER, Role.CADRE))
