"""One household, one plan; pairing and the monthly caring visit; hardship subsidies; their privacy."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from households import selectors, services
from households.models import AssistancePlan, PlanSection, PlanVersion, Subsidy
from tests.factories import (
    AssistancePairFactory,
    AssistancePlanFactory,
    HouseholdCategoryFactory,
    HouseholdFactory,
    SubsidyFactory,
    VisitFactory,
)
from visits import services as visit_services
from visits.models import Visit
from wenxin.models import AuditEntry

Must = PlanSection.Must
ALL_MUSTS = {
    Must.BASIC: "户主68岁，患慢性病",
    Must.LIVING: "依靠低保金生活",
    Must.MIND: "情绪稳定",
    Must.CONTACT: "13812345678，女儿 13912345678",
    Must.MEASURES: "每月上门一次，协助申请医疗救助",
}


@pytest.fixture
def key_household(places, worker_a):
    return HouseholdFactory(
        grid_area=places.area_a,
        estate=places.estate_a,
        categories=[HouseholdCategoryFactory(name="低保户", is_key=True)],
    )


def plan_of(viewer, household):
    return selectors.plan_queryset(viewer=viewer).get(household=household)


def test_a_worker_opens_a_plan_for_her_key_household(worker_a, key_household):
    plan = services.plan_create(actor=worker_a, household=key_household, review_on=datetime.date(2027, 2, 1))
    assert plan.version == 1
    assert PlanVersion.objects.get(plan=plan).saved_by == worker_a
    assert AuditEntry.objects.filter(action=AuditEntry.Action.CREATE, object_id=str(plan.pk)).exists()


def test_only_key_households_get_a_plan_and_only_one(places, worker_a, key_household):
    ordinary = HouseholdFactory(grid_area=places.area_a, estate=places.estate_a)
    with pytest.raises(ValidationError) as error:
        services.plan_create(actor=worker_a, household=ordinary, review_on=datetime.date(2027, 2, 1))
    assert "重点户" in str(error.value)
    services.plan_create(actor=worker_a, household=key_household, review_on=datetime.date(2027, 2, 1))
    with pytest.raises(ValidationError):
        services.plan_create(actor=worker_a, household=key_household, review_on=datetime.date(2027, 2, 1))
    assert AssistancePlan.objects.count() == 1


def test_the_plan_is_complete_only_with_all_five_musts(worker_a, key_household):
    plan = services.plan_create(actor=worker_a, household=key_household, review_on=datetime.date(2027, 2, 1))
    assert (plan_of(worker_a, key_household).musts_recorded, plan_of(worker_a, key_household).is_complete) == (0, False)
    four = {must: text for must, text in ALL_MUSTS.items() if must != Must.MEASURES}
    services.plan_record_sections(actor=worker_a, plan=plan, sections=four)
    assert (plan_of(worker_a, key_household).musts_recorded, plan_of(worker_a, key_household).is_complete) == (4, False)
    # A measure item counts for the fifth must, as a written measures section would.
    services.measure_add(
        actor=worker_a,
        plan=plan,
        description="协助申请医疗救助",
        responsible=worker_a,
        due_on=datetime.date(2027, 1, 15),
    )
    assert (plan_of(worker_a, key_household).musts_recorded, plan_of(worker_a, key_household).is_complete) == (5, True)
    plan.refresh_from_db()
    assert selectors.missing_musts(plan) == []


def test_every_change_is_a_version_with_who_made_it(worker_a, community_leader, key_household):
    plan = services.plan_create(actor=worker_a, household=key_household, review_on=datetime.date(2027, 2, 1))
    services.plan_record_sections(actor=worker_a, plan=plan, sections={Must.BASIC: "初稿"})
    services.plan_record_sections(actor=community_leader, plan=plan, sections={Must.BASIC: "修订稿", Must.MIND: ""})
    services.plan_record_sections(actor=worker_a, plan=plan, sections={Must.BASIC: "修订稿"})  # no change
    versions = list(PlanVersion.objects.filter(plan=plan).order_by("number"))
    assert [(v.number, v.saved_by) for v in versions] == [(1, worker_a), (2, worker_a), (3, community_leader)]
    assert versions[1].snapshot["sections"] == {"basic": "初稿"}
    assert versions[2].snapshot["sections"] == {"basic": "修订稿"}
    section = plan.sections.get(must=Must.BASIC)
    assert (section.recorded_by, section.text) == (community_leader, "修订稿")


def test_a_measure_done_needs_its_date(worker_a, key_household):
    plan = services.plan_create(actor=worker_a, household=key_household, review_on=datetime.date(2027, 2, 1))
    measure = services.measure_add(
        actor=worker_a, plan=plan, description="送米面油", responsible=worker_a, due_on=datetime.date(2026, 12, 1)
    )
    with pytest.raises(ValidationError):
        services.measure_set_status(actor=worker_a, measure=measure, status="done")
    measure.refresh_from_db()
    assert measure.status == "planned"
    services.measure_set_status(actor=worker_a, measure=measure, status="done", done_on=timezone.localdate())
    measure.refresh_from_db()
    assert measure.status == "done"


def test_a_visit_updates_the_plan_in_the_same_step(worker_a, key_household):
    plan = services.plan_create(actor=worker_a, household=key_household, review_on=datetime.date(2027, 2, 1))
    visit = visit_services.visit_create(
        visitor=worker_a,
        visited_on=timezone.localdate(),
        kind=Visit.Kind.CARING,
        household=key_household,
        living_conditions="冬季取暖有困难",
        state_of_mind="对帮扶表示感谢",
        update_plan=True,
    )
    sections = {s.must: s for s in plan.sections.all()}
    assert sections[Must.LIVING].text == "冬季取暖有困难"
    assert sections[Must.MIND].source_visit == visit


def test_a_visit_cannot_update_a_plan_that_does_not_exist(worker_a, key_household):
    with pytest.raises(ValidationError):
        visit_services.visit_create(
            visitor=worker_a,
            visited_on=timezone.localdate(),
            kind=Visit.Kind.CARING,
            household=key_household,
            living_conditions="x",
            update_plan=True,
        )
    assert not Visit.objects.exists()  # the whole visit rolls back


@pytest.mark.parametrize(
    ("persona", "sees"),
    [
        ("worker_a", True),
        ("community_leader", True),
        ("social_affairs_staff", True),
        ("leader", True),
        ("system_admin", True),
        ("worker_a2", False),
        ("worker_b", False),
        ("staff", False),
        ("chief", False),
        ("deputy", False),
        ("cadre", False),
        ("other_street_leader", False),
    ],
)
def test_plans_and_subsidies_are_private(request, places, key_household, persona, sees):
    viewer = request.getfixturevalue(persona)
    plan = AssistancePlanFactory(household=key_household)
    subsidy = SubsidyFactory(household=key_household)
    assert (plan in AssistancePlan.objects.visible_to(viewer)) is sees
    assert (subsidy in Subsidy.objects.visible_to(viewer)) is sees


def test_plan_work_counts_per_grid_area(places, worker_a, key_household):
    key = key_household.categories.get()
    without = HouseholdFactory(grid_area=places.area_a, estate=places.estate_a, categories=[key])
    overdue = HouseholdFactory(grid_area=places.area_a, estate=places.estate_a, categories=[key])
    AssistancePlanFactory(household=overdue, review_on=datetime.date(2026, 1, 1))
    AssistancePlanFactory(household=key_household)
    HouseholdFactory(grid_area=places.area_a, estate=places.estate_a)  # not key
    [row] = selectors.plan_work(viewer=worker_a, today=datetime.date(2026, 11, 24))
    assert (row.key_households, row.without_plan, row.incomplete, row.overdue) == (3, 1, 2, 1)
    assert list(selectors.key_households_without_plan(viewer=worker_a)) == [without]


def test_missed_and_kept_caring_months(places, worker_a, leader, key_household):
    pair = AssistancePairFactory(household=key_household, staff=worker_a, starts_on=datetime.date(2026, 8, 15))
    VisitFactory(
        household=key_household, visitor=worker_a, kind=Visit.Kind.CARING, visited_on=datetime.date(2026, 8, 20)
    )
    VisitFactory(household=key_household, visitor=leader, kind=Visit.Kind.CARING, visited_on=datetime.date(2026, 9, 20))
    VisitFactory(
        household=key_household,
        visitor=leader,
        kind=Visit.Kind.CARING,
        visited_on=datetime.date(2026, 10, 3),
        companions=[worker_a],
    )
    months = [datetime.date(2026, m, 1) for m in (7, 8, 9, 10, 11, 12)]
    [row] = selectors.caring_visit_compliance(viewer=worker_a, months=months, today=datetime.date(2026, 11, 24))
    # July: before the pairing; September: a caring visit by someone else does not count; November: not over yet.
    assert row.pair == pair
    assert row.kept == [None, True, False, True, None, None]
    assert row.missed == 1


def test_subsidy_totals_are_exact_to_the_fen(places, worker_a, leader, key_household):
    for amount in ("0.10", "0.20", "122600.00", "122600.00", "122599.70"):
        SubsidyFactory(household=key_household, amount=Decimal(amount), paid_on=datetime.date(2026, 5, 8))
    SubsidyFactory(household=key_household, amount=Decimal("999.99"), paid_on=datetime.date(2025, 12, 31))
    VisitFactory(household=key_household, visited_on=datetime.date(2026, 3, 1))
    totals = selectors.subsidy_totals(viewer=leader, start=datetime.date(2026, 1, 1), end=datetime.date(2026, 12, 31))
    assert totals.total == Decimal("367800.00")
    assert (totals.payments, totals.households_paid, totals.hardship_households_visited) == (5, 1, 1)
    assert [(row["kind"], row["total"]) for row in totals.by_kind] == [("temporary", Decimal("367800.00"))]


@pytest.mark.parametrize(
    ("amount", "paid_on", "field"),
    [
        (Decimal("12.345"), datetime.date(2026, 5, 1), "amount"),
        (Decimal("0"), datetime.date(2026, 5, 1), "amount"),
        (Decimal("-5.00"), datetime.date(2026, 5, 1), "amount"),
        (Decimal("100.00"), "tomorrow", "paid_on"),
    ],
)
def test_bad_amounts_and_dates_are_refused(worker_a, key_household, amount, paid_on, field):
    if paid_on == "tomorrow":
        paid_on = timezone.localdate() + datetime.timedelta(days=1)
    with pytest.raises(ValidationError) as error:
        services.subsidy_record(
            actor=worker_a,
            household=key_household,
            kind="temporary",
            amount=amount,
            paid_on=paid_on,
            source="街道财政",
            approved_by="钱书记",
        )
    assert field in error.value.message_dict
    assert not Subsidy.objects.exists()


@pytest.mark.parametrize("persona", ["leader", "staff", "worker_b"])
def test_who_may_not_record_subsidies(request, key_household, persona):
    with pytest.raises(PermissionDenied):
        services.subsidy_record(
            actor=request.getfixturevalue(persona),
            household=key_household,
            kind="temporary",
            amount=Decimal("10.00"),
            paid_on=datetime.date(2026, 5, 1),
            source="街道财政",
            approved_by="钱书记",
        )


def test_a_moved_out_household_gets_no_new_plan(worker_a, key_household):
    key_household.status = key_household.Status.MOVED_OUT
    key_household.save()
    with pytest.raises(ValidationError):
        services.plan_create(actor=worker_a, household=key_household, review_on=datetime.date(2027, 2, 1))


def test_a_stale_copy_of_the_plan_still_gets_the_next_version_number(worker_a, community_leader, key_household):
    plan = services.plan_create(actor=worker_a, household=key_household, review_on=datetime.date(2027, 2, 1))
    stale = AssistancePlan.objects.get(pk=plan.pk)  # opened by a colleague before the next save
    services.plan_record_sections(actor=worker_a, plan=plan, sections={Must.BASIC: "甲"})
    services.plan_record_sections(actor=community_leader, plan=stale, sections={Must.MIND: "乙"})
    assert list(PlanVersion.objects.filter(plan=plan).order_by("number").values_list("number", flat=True)) == [1, 2, 3]
