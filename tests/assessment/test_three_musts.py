"""Three musts (三必到): a cadre's linked estate or community, its owners' committee and its property company."""

from __future__ import annotations

import datetime

import pytest

from assessment import selectors
from assessment.models import DEFAULT_THREE_MUSTS_MONTHS, AssessmentRule, CadreLink
from assessment.selectors import Must
from tests.factories import EstateFactory, OwnersCommitteeFactory, PropertyCompanyFactory, UserFactory, VisitFactory
from visits.models import Visit
from visits.periods import Quarter, period_containing
from wenxin.roles import Role

QUARTER = Quarter(2026, 3)
START, END = QUARTER.start, QUARTER.end
MID = datetime.date(2026, 8, 15)


@pytest.fixture
def estate(places):
    """Estate A with an owners' committee and a property company."""
    places.estate_a.property_company = PropertyCompanyFactory(street=places.street, name="绿城物业")
    places.estate_a.save()
    OwnersCommitteeFactory(estate=places.estate_a)
    return places.estate_a


@pytest.fixture
def link(cadre, estate):
    return CadreLink.objects.create(
        cadre=cadre, community=estate.community, estate=estate, starts_on=datetime.date(2026, 1, 1)
    )


def visit(person, kind: str, target, *, on: datetime.date = MID, companions=()) -> Visit:
    field = Visit.TARGET_FIELD[kind]
    return VisitFactory(
        household=None, kind=kind, visitor=person, visited_on=on, companions=list(companions), **{field: target}
    )


def visit_all_three(person, estate, *, on: datetime.date = MID, companions=()) -> None:
    visit(person, Visit.Kind.ESTATE, estate, on=on, companions=companions)
    visit(person, Visit.Kind.OWNERS_COMMITTEE, estate.owners_committees.get(), on=on, companions=companions)
    visit(person, Visit.Kind.PROPERTY_COMPANY, estate.property_company, on=on, companions=companions)


def musts(viewer, *, start=START, end=END, cadre=None) -> dict:
    rows = selectors.three_musts(viewer=viewer, start=start, end=end, cadre=cadre)
    return {row.link.pk: row for row in rows}


def test_nothing_visited_is_three_musts_missing(leader, link):
    row = musts(leader)[link.pk]
    assert row.musts == {Must.PLACE: False, Must.OWNERS_COMMITTEE: False, Must.PROPERTY_COMPANY: False}
    assert row.missing == ["联系村社（小区）", "业委会", "物业"]
    assert (row.met, row.applicable, row.complete) == (0, 3, False)


def test_each_must_is_met_by_a_matching_visit_in_the_period(leader, cadre, estate, link):
    visit(cadre, Visit.Kind.OWNERS_COMMITTEE, estate.owners_committees.get())
    row = musts(leader)[link.pk]
    assert row.musts == {Must.PLACE: False, Must.OWNERS_COMMITTEE: True, Must.PROPERTY_COMPANY: False}
    assert row.missing == ["联系村社（小区）", "物业"]
    visit(cadre, Visit.Kind.ESTATE, estate)
    visit(cadre, Visit.Kind.PROPERTY_COMPANY, estate.property_company)
    row = musts(leader)[link.pk]
    assert row.complete and row.missing == [] and (row.met, row.applicable) == (3, 3)


def test_the_first_and_last_day_of_the_period_count(leader, cadre, estate, link):
    visit(cadre, Visit.Kind.ESTATE, estate, on=START)
    visit(cadre, Visit.Kind.OWNERS_COMMITTEE, estate.owners_committees.get(), on=END)
    visit(cadre, Visit.Kind.PROPERTY_COMPANY, estate.property_company, on=END)
    assert musts(leader)[link.pk].complete


def test_visits_outside_the_period_do_not_count(leader, cadre, estate, link):
    visit_all_three(cadre, estate, on=START - datetime.timedelta(days=1))
    visit_all_three(cadre, estate, on=END + datetime.timedelta(days=1))
    assert musts(leader)[link.pk].met == 0


def test_other_peoples_visits_do_not_count(places, leader, cadre, staff, estate, link):
    other_cadre = UserFactory(username="cadre2", role=Role.CADRE, street=places.street)
    visit_all_three(other_cadre, estate)
    visit_all_three(staff, estate)
    assert musts(leader)[link.pk].met == 0


def test_going_along_as_a_companion_counts(leader, cadre, staff, estate, link):
    visit_all_three(staff, estate, companions=[cadre])
    assert musts(leader)[link.pk].complete


def test_a_companion_visit_of_someone_else_does_not_count(places, leader, cadre, staff, estate, link):
    other = UserFactory(username="cadre2", role=Role.CADRE, street=places.street)
    visit_all_three(staff, estate, companions=[other])
    assert musts(leader)[link.pk].met == 0


def test_another_estates_committee_or_company_does_not_count(places, leader, cadre, link):
    other = EstateFactory(community=places.community_a, name="别的小区")
    other.property_company = PropertyCompanyFactory(street=places.street, name="别的物业")
    other.save()
    visit(cadre, Visit.Kind.ESTATE, other)
    visit(cadre, Visit.Kind.OWNERS_COMMITTEE, OwnersCommitteeFactory(estate=other))
    visit(cadre, Visit.Kind.PROPERTY_COMPANY, other.property_company)
    assert musts(leader)[link.pk].met == 0


def test_other_kinds_of_visit_do_not_count(places, leader, cadre, estate, link):
    # A door-to-door visit in the estate is not the visit to the estate the must asks for.
    VisitFactory(visitor=cadre, visited_on=MID, household__grid_area=places.area_a, household__estate=estate)
    assert musts(leader)[link.pk].musts[Must.PLACE] is False


def test_a_must_with_nothing_to_visit_is_not_missing(places, leader, cadre):
    bare = CadreLink.objects.create(
        cadre=cadre, community=places.community_b, estate=places.estate_b, starts_on=datetime.date(2026, 1, 1)
    )
    row = musts(leader)[bare.pk]
    assert row.musts == {Must.PLACE: False, Must.OWNERS_COMMITTEE: None, Must.PROPERTY_COMPANY: None}
    assert row.missing == ["联系村社（小区）"] and row.applicable == 1
    visit(cadre, Visit.Kind.ESTATE, places.estate_b)
    row = musts(leader)[bare.pk]
    assert row.complete and (row.met, row.applicable) == (1, 1)


def test_a_community_link(places, leader, cadre, estate):
    link = CadreLink.objects.create(cadre=cadre, community=places.community_a, starts_on=datetime.date(2026, 1, 1))
    assert musts(leader)[link.pk].musts == {
        Must.PLACE: False,
        Must.OWNERS_COMMITTEE: False,
        Must.PROPERTY_COMPANY: False,
    }
    # The community itself (a leadership visit), any of its committees and any of its estates' companies.
    visit(cadre, Visit.Kind.LEADERSHIP, places.community_a)
    visit(cadre, Visit.Kind.OWNERS_COMMITTEE, estate.owners_committees.get())
    visit(cadre, Visit.Kind.PROPERTY_COMPANY, estate.property_company)
    assert musts(leader)[link.pk].complete


def test_a_community_link_is_met_by_a_visit_to_one_of_its_estates(places, leader, cadre, estate):
    link = CadreLink.objects.create(cadre=cadre, community=places.community_a, starts_on=datetime.date(2026, 1, 1))
    visit(cadre, Visit.Kind.ESTATE, estate)
    assert musts(leader)[link.pk].musts[Must.PLACE] is True
    # Not by another community's.
    other = CadreLink.objects.create(cadre=cadre, community=places.community_b, starts_on=datetime.date(2026, 1, 1))
    assert musts(leader)[other.pk].musts == {
        Must.PLACE: False,
        Must.OWNERS_COMMITTEE: None,
        Must.PROPERTY_COMPANY: None,
    }


def test_links_outside_the_period_are_ignored(places, leader, cadre, estate):
    ended = CadreLink.objects.create(
        cadre=cadre,
        community=places.community_a,
        starts_on=datetime.date(2025, 1, 1),
        ends_on=START - datetime.timedelta(days=1),
    )
    future = CadreLink.objects.create(
        cadre=cadre, community=places.community_a, starts_on=END + datetime.timedelta(days=1)
    )
    ends_inside = CadreLink.objects.create(
        cadre=cadre, community=places.community_b, starts_on=datetime.date(2025, 1, 1), ends_on=START
    )
    starts_inside = CadreLink.objects.create(cadre=cadre, community=places.community_b, starts_on=END)
    rows = musts(leader)
    assert ended.pk not in rows and future.pk not in rows
    assert ends_inside.pk in rows and starts_inside.pk in rows


def test_one_cadre_only(places, leader, cadre, link):
    other = UserFactory(username="cadre2", role=Role.CADRE, street=places.street)
    theirs = CadreLink.objects.create(cadre=other, community=places.community_b, starts_on=datetime.date(2026, 1, 1))
    assert set(musts(leader)) == {link.pk, theirs.pk}
    assert set(musts(leader, cadre=cadre)) == {link.pk}


def test_the_links_are_scoped_to_the_viewer(places, leader, other_street_leader, community_leader, cadre, link):
    CadreLink.objects.create(cadre=cadre, community=places.community_b, starts_on=datetime.date(2026, 1, 1))
    assert len(musts(leader)) == 2
    assert musts(other_street_leader) == {}
    assert set(musts(community_leader)) == {link.pk}


def test_three_musts_read_in_a_fixed_number_of_queries(django_assert_max_num_queries, places, leader, estate):
    for n in range(12):
        cadre = UserFactory(username=f"c{n}", role=Role.CADRE, street=places.street)
        CadreLink.objects.create(cadre=cadre, community=estate.community, estate=estate, starts_on=START)
        visit_all_three(cadre, estate, companions=[leader])
    with django_assert_max_num_queries(4):
        rows = selectors.three_musts(viewer=leader, start=START, end=END)
    assert len(rows) == 12 and all(row.complete for row in rows)


# --- The period -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        ("2026-08-15", 3, ("2026-07-01", "2026-09-30")),
        ("2026-01-01", 3, ("2026-01-01", "2026-03-31")),
        ("2026-12-31", 3, ("2026-10-01", "2026-12-31")),
        ("2026-08-15", 12, ("2026-01-01", "2026-12-31")),
        ("2026-02-28", 2, ("2026-01-01", "2026-02-28")),
        ("2026-03-01", 2, ("2026-03-01", "2026-04-30")),
        ("2026-12-05", 2, ("2026-11-01", "2026-12-31")),
        ("2024-02-10", 1, ("2024-02-01", "2024-02-29")),
        ("2026-05-01", 4, ("2026-05-01", "2026-08-31")),
        ("2026-09-01", 4, ("2026-09-01", "2026-12-31")),
        ("2026-06-30", 6, ("2026-01-01", "2026-06-30")),
        ("2026-07-01", 6, ("2026-07-01", "2026-12-31")),
    ],
)
def test_the_three_musts_period_of_a_day(day, months, expected):
    period = period_containing(datetime.date.fromisoformat(day), months)
    assert (period.start.isoformat(), period.end.isoformat()) == expected


def test_the_periods_of_a_year_tile_it_for_every_allowed_length():
    for months in (1, 2, 3, 4, 6, 12):
        day, periods = datetime.date(2026, 1, 1), []
        while day.year == 2026:
            period = period_containing(day, months)
            assert period.start <= day <= period.end
            periods.append(period)
            day = period.end + datetime.timedelta(days=1)
        assert len(periods) == 12 // months
        assert periods[0].start == datetime.date(2026, 1, 1) and periods[-1].end == datetime.date(2026, 12, 31)


@pytest.mark.parametrize(
    ("quarter", "months", "expected"),
    [
        (Quarter(2026, 3), 3, [("2026-07-01", "2026-09-30")]),
        (
            Quarter(2026, 3),
            1,
            [("2026-07-01", "2026-07-31"), ("2026-08-01", "2026-08-31"), ("2026-09-01", "2026-09-30")],
        ),
        (Quarter(2026, 1), 2, [("2026-01-01", "2026-02-28"), ("2026-03-01", "2026-04-30")]),
        (Quarter(2026, 2), 4, [("2026-01-01", "2026-04-30"), ("2026-05-01", "2026-08-31")]),
        (Quarter(2026, 4), 6, [("2026-07-01", "2026-12-31")]),
        (Quarter(2026, 1), 12, [("2026-01-01", "2026-12-31")]),
    ],
)
def test_the_periods_touching_a_quarter(quarter, months, expected):
    periods = selectors.periods_touching(quarter.start, quarter.end, months)
    assert [(start.isoformat(), end.isoformat()) for start, end in periods] == expected


def test_rule_for_gives_the_defaults_without_a_rule(places):
    rule = selectors.rule_for(places.street.pk)
    assert rule.pk is None and rule.three_musts_months == DEFAULT_THREE_MUSTS_MONTHS == 3
    assert rule.weight_quota == 25
    assert selectors.rule_for(None).three_musts_months == 3


def test_rule_for_gives_the_streets_rule(places):
    AssessmentRule.objects.create(street=places.street, three_musts_months=12, weight_quota=40)
    rule = selectors.rule_for(places.street.pk)
    assert rule.three_musts_months == 12 and rule.weight_quota == 40
    assert selectors.rule_for(places.other_street.pk).three_musts_months == 3


# --- The rule's period in the scorecard ---------------------------------------------------------------------------


def three_musts_part(leader, cadre, quarter=QUARTER):
    people, _units = selectors.scorecard(viewer=leader, quarter=quarter)
    return next(row for row in people if row.subject == cadre).parts["three_musts"]


def test_the_scorecard_counts_the_quarter_by_default(leader, cadre, estate, link):
    visit_all_three(cadre, estate, on=START - datetime.timedelta(days=10))
    assert three_musts_part(leader, cadre) == 0
    visit(cadre, Visit.Kind.ESTATE, estate)
    assert str(three_musts_part(leader, cadre)) == "33.3"


def test_the_scorecard_follows_a_yearly_three_musts_period(places, leader, cadre, estate, link):
    # Once a year is the street's rule: visits in the spring meet the musts of the year, seen in the third quarter.
    AssessmentRule.objects.create(street=places.street, three_musts_months=12)
    visit_all_three(cadre, estate, on=datetime.date(2026, 4, 20))
    assert three_musts_part(leader, cadre) == 100


def test_the_scorecard_asks_every_month_of_a_monthly_period(places, leader, cadre, estate, link):
    # Monthly: the quarter holds three periods of three musts each; visiting only in August meets a third.
    AssessmentRule.objects.create(street=places.street, three_musts_months=1)
    visit_all_three(cadre, estate, on=MID)
    assert str(three_musts_part(leader, cadre)) == "33.3"
    visit_all_three(cadre, estate, on=datetime.date(2026, 7, 3))
    visit_all_three(cadre, estate, on=datetime.date(2026, 9, 30))
    assert three_musts_part(leader, cadre) == 100
