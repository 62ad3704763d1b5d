"""No lost updates on households and plans: a save from a page opened at an older version is refused.

worker_a and the community leader of community A both keep area A's registry. Each opens the same household (or
plan) at version N; the first save makes it N+1; the second, still at N, is refused with who changed it, when
and what (her value beside the stored one), her typed values kept and the new version in the form, so a second
save is deliberate. The same logic under real concurrent transactions: tests/security/test_concurrent_edits.py.
"""

from __future__ import annotations

import datetime
import re

import pytest
from auditlog.models import LogEntry
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from households import services
from households.forms import STALE_PAGE
from households.models import AssistanceMeasure, AssistancePlan, Household, PlanSection, PlanVersion
from tests.factories import HouseholdCategoryFactory, HouseholdFactory
from wenxin.audit import audit_actor
from wenxin.concurrency import EditConflict
from wenxin.models import AuditEntry


def trail_size() -> int:
    """Every record of a change: the services' audit entries and the row-change log."""
    return AuditEntry.objects.count() + LogEntry.objects.count()


TODAY = timezone.localdate


@pytest.fixture
def low_income(db):
    return HouseholdCategoryFactory(name="低保户", is_key=True)


@pytest.fixture
def elderly(db):
    return HouseholdCategoryFactory(name="独居老人")


@pytest.fixture
def household(places, low_income):
    return HouseholdFactory(
        grid_area=places.area_a,
        estate=places.estate_a,
        building="3",
        unit="1",
        room="301",
        phone="13812345678",
        note="",
        categories=[low_income],
    )


def stored(household: Household) -> Household:
    return Household.objects.get(pk=household.pk)


def edit_page_data(household: Household, **typed) -> dict:
    """What the edit page posts when opened now: the values shown (also as initial-…), the version, the typed."""
    household = stored(household)
    shown = {
        "estate": household.estate_id,
        "grid_area": household.grid_area_id,
        "building": household.building,
        "unit": household.unit,
        "room": household.room,
        "phone": household.phone,
        "categories": [c.pk for c in household.categories.all()],
        "note": household.note,
    }
    return {**shown, **typed, **{f"initial-{k}": v for k, v in shown.items()}, "version": household.version}


def edit_url(household: Household) -> str:
    return reverse("households:edit", args=[household.pk])


def reposted(response) -> dict:
    """What the browser would post on saving the form the refusal re-showed, as it stands."""
    data = response.context["form"].data
    return {key: data.getlist(key) for key in data if key != "csrfmiddlewaretoken"}


# --- the service --------------------------------------------------------------------------------------------


class TestHouseholdUpdate:
    def test_a_save_at_the_stored_version_succeeds_and_raises_it_by_one(self, worker_a, household):
        services.household_update(
            actor=worker_a, household=household, data={"phone": "13600000000"}, expected_version=1
        )
        assert (stored(household).phone, stored(household).version) == ("13600000000", 2)

    def test_a_save_at_an_older_version_is_refused_and_writes_nothing(self, worker_a, community_leader, household):
        with audit_actor(community_leader):  # as his request would: the trail names who saved
            services.household_update(
                actor=community_leader, household=stored(household), data={"phone": "13600000000"}, expected_version=1
            )
        trail = trail_size()
        with pytest.raises(EditConflict) as refused:
            services.household_update(
                actor=worker_a, household=stored(household), data={"phone": "13511112222"}, expected_version=1
            )
        after = stored(household)
        assert (after.phone, after.version) == ("13600000000", 2)
        assert trail_size() == trail  # the refused save left no trace but the refusal
        message = "".join(refused.value.messages)
        assert "李书记" in message  # who saved first, from the audit trail
        assert "第 1 版" in message and "第 2 版" in message
        assert "家庭电话：现为「13600000000」，您填写的是「13511112222」" in message
        assert "对方所做的修改：家庭电话" in message

    def test_the_conflict_names_when_the_other_save_happened(self, worker_a, community_leader, household):
        services.household_update(
            actor=community_leader, household=stored(household), data={"note": "已核实"}, expected_version=1
        )
        with pytest.raises(EditConflict) as refused:
            services.household_update(actor=worker_a, household=stored(household), data={}, expected_version=1)
        saved_at = refused.value.changed_at
        assert abs(saved_at - stored(household).updated_at) < datetime.timedelta(seconds=5)
        assert f"{timezone.localtime(saved_at):%Y-%m-%d %H:%M}" in refused.value.messages[0]

    def test_a_category_change_raises_the_version_too(self, worker_a, household, elderly):
        services.household_update(
            actor=worker_a, household=stored(household), data={}, categories=[elderly], expected_version=1
        )
        assert stored(household).version == 2
        with pytest.raises(EditConflict) as refused:
            services.household_update(
                actor=worker_a, household=stored(household), data={}, categories=[], expected_version=1
            )
        assert "户类别：现为「独居老人」，您填写的是「（空）」" in "".join(refused.value.messages)
        assert list(stored(household).categories.all()) == [elderly]

    def test_no_expected_version_checks_nothing_but_still_counts(self, worker_a, household):
        """Imports, the admin and the demo change households without a page: None means "no check"."""
        services.household_update(actor=worker_a, household=stored(household), data={"note": "甲"})
        services.household_update(
            actor=worker_a, household=household, data={"note": "乙"}, expected_version=None
        )  # a stale copy
        assert (stored(household).note, stored(household).version) == ("乙", 3)

    def test_a_save_that_changes_nothing_keeps_the_version(self, worker_a, household):
        services.household_update(
            actor=worker_a, household=stored(household), data={"phone": "13812345678"}, expected_version=1
        )
        assert stored(household).version == 1

    def test_a_move_out_raises_the_version(self, worker_a, household):
        services.household_archive(actor=worker_a, household=stored(household), moved_out_on=TODAY(), reason="搬至外区")
        assert stored(household).version == 2
        with pytest.raises(EditConflict) as refused:
            services.household_update(
                actor=worker_a, household=stored(household), data={"note": "x"}, expected_version=1
            )
        assert "对方所做的修改：状态、迁出日期、迁出原因" in "".join(refused.value.messages)


# --- the edit page ------------------------------------------------------------------------------------------


class TestHouseholdEditPage:
    def test_the_page_carries_the_version_it_shows(self, client_for, worker_a, household):
        services.household_update(actor=worker_a, household=stored(household), data={"note": "已核实"})
        page = client_for(worker_a).get(edit_url(household))
        assert re.search(r'<input type="hidden" name="version" value="2"', page.text)

    def test_the_second_of_two_editors_is_refused_and_keeps_what_she_typed(
        self, client_for, worker_a, community_leader, household
    ):
        hers = edit_page_data(household, phone="13511112222", note="独居，需每周电话")  # opened at version 1
        his = edit_page_data(household, phone="13600000000")  # opened at version 1 too
        first = client_for(community_leader).post(edit_url(household), his)
        assert first.status_code == 302

        second = client_for(worker_a).post(edit_url(household), hers)
        assert second.status_code == 200
        text = second.content.decode()
        assert "保存未成功" in text and "李书记" in text
        assert "家庭电话：现为「13600000000」，您填写的是「13511112222」" in text
        after = stored(household)
        assert (after.phone, after.note, after.version) == ("13600000000", "", 2)  # nothing of hers written
        form = second.context["form"]
        assert form["phone"].value() == "13511112222" and form["note"].value() == "独居，需每周电话"
        assert form["version"].value() == "2"
        assert 'name="version" value="2"' in text

        again = client_for(worker_a).post(edit_url(household), reposted(second))  # she saves again, deliberately
        assert again.status_code == 302
        after = stored(household)
        assert (after.phone, after.note, after.version) == ("13511112222", "独居，需每周电话", 3)

    def test_a_field_only_the_colleague_changed_is_shown_with_his_value_and_kept(
        self, client_for, worker_a, community_leader, household, elderly
    ):
        hers = edit_page_data(household, note="需每周电话")
        client_for(community_leader).post(
            edit_url(household), edit_page_data(household, room="302", categories=[elderly.pk])
        )
        refused = client_for(worker_a).post(edit_url(household), hers)
        text = refused.content.decode()
        assert "室号：现为「302」（您没有改动这一项）" in text
        assert "户类别：现为「独居老人」（您没有改动这一项）" in text
        form = refused.context["form"]
        assert form["room"].value() == "302"  # the stored value is what the form shows now
        assert form["note"].value() == "需每周电话"  # hers stays

        client_for(worker_a).post(edit_url(household), reposted(refused))
        after = stored(household)
        assert (after.room, after.note, after.version) == ("302", "需每周电话", 3)
        assert list(after.categories.all()) == [elderly]

    def test_a_post_without_the_version_is_refused_as_an_outdated_page(self, client_for, worker_a, household):
        data = edit_page_data(household, phone="13511112222")
        del data["version"]
        response = client_for(worker_a).post(edit_url(household), data)
        assert response.status_code == 200
        assert str(STALE_PAGE) in response.content.decode()
        assert stored(household).phone == "13812345678"

    @pytest.mark.parametrize("version", ["abc", "-1", "1.5"])
    def test_a_made_up_version_is_refused_without_an_error_page(self, client_for, worker_a, household, version):
        data = {**edit_page_data(household, phone="13511112222"), "version": version}
        response = client_for(worker_a).post(edit_url(household), data)
        assert response.status_code == 200
        assert str(STALE_PAGE) in response.content.decode()
        assert stored(household).phone == "13812345678"


# --- one household, one plan --------------------------------------------------------------------------------


@pytest.fixture
def plan(worker_a, household):
    return services.plan_create(actor=worker_a, household=household, review_on=TODAY() + datetime.timedelta(days=90))


def stored_plan(plan: AssistancePlan) -> AssistancePlan:
    return AssistancePlan.objects.get(pk=plan.pk)


def plan_page_data(plan: AssistancePlan, **typed) -> dict:
    """What the plan's edit page posts when opened now: texts and date shown, the version, what was typed."""
    plan = stored_plan(plan)
    sections = dict(PlanSection.objects.filter(plan=plan).values_list("must", "text"))
    shown = {"review_on": plan.review_on.isoformat(), **{f"must_{m}": sections.get(m, "") for m in PlanSection.Must}}
    return {**shown, **typed, **{f"initial-{k}": v for k, v in shown.items()}, "version": plan.version}


def plan_edit_url(plan: AssistancePlan) -> str:
    return reverse("households:plan_edit", args=[plan.household_id])


class TestPlanServices:
    def test_sections_saved_at_an_older_version_are_refused_with_the_plans_history(
        self, worker_a, community_leader, plan
    ):
        services.plan_record_sections(
            actor=community_leader, plan=stored_plan(plan), sections={"basic": "三口之家"}, expected_version=1
        )
        with pytest.raises(EditConflict) as refused:
            services.plan_record_sections(
                actor=worker_a, plan=stored_plan(plan), sections={"basic": "独居"}, expected_version=1
            )
        message = "".join(refused.value.messages)
        assert "李书记" in message and "更新：基本情况" in message
        saved = PlanVersion.objects.get(plan=plan, number=2)
        assert f"{timezone.localtime(saved.saved_at):%Y-%m-%d %H:%M}" in message
        assert PlanSection.objects.get(plan=plan).text == "三口之家"
        assert (stored_plan(plan).version, PlanVersion.objects.filter(plan=plan).count()) == (2, 2)

    def test_a_review_date_saved_at_an_older_version_is_refused(self, worker_a, plan):
        services.plan_set_review(actor=worker_a, plan=stored_plan(plan), review_on=TODAY(), expected_version=1)
        with pytest.raises(EditConflict):
            services.plan_set_review(
                actor=worker_a,
                plan=stored_plan(plan),
                review_on=TODAY() + datetime.timedelta(days=1),
                expected_version=1,
            )
        assert stored_plan(plan).review_on == TODAY()

    def test_a_measure_moved_from_an_older_page_is_refused(self, worker_a, community_leader, plan):
        measure = services.measure_add(
            actor=worker_a, plan=stored_plan(plan), description="修水管", responsible=worker_a, due_on=TODAY()
        )
        services.measure_set_status(
            actor=community_leader, measure=measure, status=AssistanceMeasure.Status.CANCELLED, expected_version=2
        )
        with pytest.raises(EditConflict) as refused:
            services.measure_set_status(
                actor=worker_a,
                measure=AssistanceMeasure.objects.get(pk=measure.pk),
                status=AssistanceMeasure.Status.IN_PROGRESS,
                expected_version=2,
            )
        assert "修水管：已取消" in "".join(refused.value.messages)
        assert AssistanceMeasure.objects.get(pk=measure.pk).status == AssistanceMeasure.Status.CANCELLED

    def test_internal_callers_without_a_version_are_not_checked(self, worker_a, plan):
        services.plan_record_sections(actor=worker_a, plan=plan, sections={"basic": "甲"})
        services.plan_record_sections(actor=worker_a, plan=plan, sections={"mind": "乙"}, expected_version=None)
        assert stored_plan(plan).version == 3


class TestPlanEditPage:
    def test_the_second_of_two_editors_is_refused_and_may_save_again(
        self, client_for, worker_a, community_leader, plan
    ):
        hers = plan_page_data(plan, must_basic="独居老人，女儿在外地", must_mind="情绪低落")
        his = plan_page_data(plan, must_basic="三口之家")
        assert client_for(community_leader).post(plan_edit_url(plan), his).status_code == 302

        refused = client_for(worker_a).post(plan_edit_url(plan), hers)
        assert refused.status_code == 200
        text = refused.content.decode()
        assert "李书记" in text and "更新：基本情况" in text
        assert "基本情况：现为「三口之家」，您填写的是「独居老人，女儿在外地」" in text
        assert dict(PlanSection.objects.filter(plan=plan).values_list("must", "text")) == {"basic": "三口之家"}
        assert refused.context["form"]["must_mind"].value() == "情绪低落"
        assert 'name="version" value="2"' in text

        assert client_for(worker_a).post(plan_edit_url(plan), reposted(refused)).status_code == 302
        sections = dict(PlanSection.objects.filter(plan=plan).values_list("must", "text"))
        assert sections == {"basic": "独居老人，女儿在外地", "mind": "情绪低落"}
        assert stored_plan(plan).version == 3

    def test_texts_and_date_saved_together_check_the_version_once(self, client_for, worker_a, plan):
        data = plan_page_data(plan, must_basic="三口之家", review_on=TODAY().isoformat())
        assert client_for(worker_a).post(plan_edit_url(plan), data).status_code == 302
        assert stored_plan(plan).version == 3  # one version per service, as before

    def test_the_measure_buttons_carry_the_plans_version(self, client_for, worker_a, plan):
        measure = services.measure_add(
            actor=worker_a, plan=stored_plan(plan), description="修水管", responsible=worker_a, due_on=TODAY()
        )
        page = client_for(worker_a).get(reverse("households:plan_detail", args=[plan.household_id]))
        assert page.content.decode().count('name="version" value="2"') == 3
        url = reverse("households:measure_status", args=[measure.pk])
        refused = client_for(worker_a).post(url, {"status": "in_progress", "version": "1"})
        assert refused.status_code == 302
        assert any("保存未成功" in str(m) for m in get_messages(refused.wsgi_request))
        assert AssistanceMeasure.objects.get(pk=measure.pk).status == AssistanceMeasure.Status.PLANNED
        client_for(worker_a).post(url, {"status": "in_progress", "version": "2"})
        assert AssistanceMeasure.objects.get(pk=measure.pk).status == AssistanceMeasure.Status.IN_PROGRESS
