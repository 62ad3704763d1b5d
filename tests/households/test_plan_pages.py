"""One household, one plan on the phone: the plan page, its edit and history, measures, and the work list.

Area A (worker_a) holds the key household 香港城 3幢1单元301室. Plans are private records: worker_a2 (other area),
worker_b (other community), and department staff, chiefs and deputies outside Social Affairs get 404 even where
they can see the household. Social Affairs staff and street leaders read plans but may not change them (403).
"""

from __future__ import annotations

import datetime

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from households import services
from households.models import AssistanceMeasure, AssistancePlan, PlanSection, PlanVersion
from tests.factories import (
    AssistancePlanFactory,
    HouseholdCategoryFactory,
    HouseholdFactory,
    ResidentFactory,
    VisitFactory,
)
from visits.models import Visit

TODAY = timezone.localdate

FIVE = {
    "basic": "三口之家，低保",
    "living": "住房老旧，自理",
    "mind": "情绪稳定",
    "contact": "户主 13911112222",
    "measures": "协助申请临时救助",
}


@pytest.fixture
def key_category(db):
    return HouseholdCategoryFactory(name="低保户", is_key=True)


@pytest.fixture
def household_a(places, key_category):
    household = HouseholdFactory(
        grid_area=places.area_a, estate=places.estate_a, building="3", unit="1", room="301", categories=[key_category]
    )
    ResidentFactory(household=household, name="王大伯")
    return household


@pytest.fixture
def plan_a(household_a, worker_a):
    return services.plan_create(actor=worker_a, household=household_a, review_on=TODAY() + datetime.timedelta(days=90))


def url(name: str, household) -> str:
    return reverse(f"households:{name}", args=[household.pk])


def stored_version(plan: AssistancePlan) -> int:
    """The plan's version as a page opened now shows it (the hidden field every plan form posts)."""
    return AssistancePlan.objects.values_list("version", flat=True).get(pk=plan.pk)


def edit_data(plan: AssistancePlan, **typed) -> dict:
    """The edit form as the page would post it: the values shown (initial-…), the values typed, the version."""
    sections = {s.must: s.text for s in plan.sections.all()}
    data = {
        "review_on": plan.review_on.isoformat(),
        "initial-review_on": plan.review_on.isoformat(),
        "version": stored_version(plan),
    }
    for must in PlanSection.Must.values:
        data[f"must_{must}"] = sections.get(must, "")
        data[f"initial-must_{must}"] = sections.get(must, "")
    data.update(typed)
    return data


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- who may see and change a plan ------------------------------------------------------------------------


PAGES = ["plan_detail", "plan_history"]


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("persona", ["worker_a", "community_leader", "social_affairs_staff", "leader"])
def test_plan_pages_open_for_the_area_its_community_social_affairs_and_leaders(
    request, client_for, plan_a, household_a, page, persona
):
    response = client_for(request.getfixturevalue(persona)).get(url(page, household_a))
    assert response.status_code == 200
    assert household_a.address in response.text


@pytest.mark.parametrize("page", [*PAGES, "plan_edit", "measure_add", "plan_create"])
@pytest.mark.parametrize("persona", ["worker_a2", "worker_b", "staff", "chief", "deputy"])
def test_plan_pages_answer_404_to_other_areas_and_to_staff_outside_social_affairs(
    request, client_for, plan_a, household_a, page, persona
):
    assert client_for(request.getfixturevalue(persona)).get(url(page, household_a)).status_code == 404


def test_department_staff_see_the_household_but_not_its_plan(client_for, staff, plan_a, household_a):
    client = client_for(staff)
    assert client.get(url("detail", household_a)).status_code == 200
    assert client.get(url("plan_detail", household_a)).status_code == 404
    assert "一户一策" not in client.get(url("detail", household_a)).text


@pytest.mark.parametrize("page", ["plan_edit", "measure_add"])
@pytest.mark.parametrize("persona", ["social_affairs_staff", "leader"])
def test_readers_of_plans_may_not_change_them(request, client_for, plan_a, household_a, page, persona):
    client = client_for(request.getfixturevalue(persona))
    assert client.get(url(page, household_a)).status_code == 403
    assert client.post(url(page, household_a), edit_data(plan_a, must_basic="改")).status_code == 403
    assert "编辑一户一策" not in client.get(url("plan_detail", household_a)).text


@pytest.mark.parametrize("page", [*PAGES, "plan_edit", "measure_add", "plan_create"])
def test_anonymous_users_are_sent_to_log_in(client, plan_a, household_a, page):
    response = client.get(url(page, household_a))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_a_community_leader_edits_plans_of_her_community(client_for, community_leader, plan_a, household_a):
    response = client_for(community_leader).post(url("plan_edit", household_a), edit_data(plan_a, must_basic="两口"))
    assert response.status_code == 302
    assert plan_a.sections.get(must="basic").recorded_by == community_leader


# --- the plan page ----------------------------------------------------------------------------------------


def test_it_shows_the_five_musts_in_order_with_what_is_missing(client_for, worker_a, plan_a, household_a):
    services.plan_record_sections(actor=worker_a, plan=plan_a, sections={"contact": "13911112222"})
    response = client_for(worker_a).get(url("plan_detail", household_a))
    text = response.text
    positions = [text.index(f'id="must-{must}"') for must in PlanSection.Must.values]
    assert positions == sorted(positions)
    assert "已记录 1/5" in text
    assert "13911112222" in text
    assert "张丽 记录于" in text
    assert text.count("wx-must-missing") == 4
    assert "完整" not in text


def test_it_counts_the_musts_from_zero_to_five_and_measures_count_for_the_fifth(
    client_for, worker_a, plan_a, household_a
):
    client = client_for(worker_a)
    assert "已记录 0/5" in client.get(url("plan_detail", household_a)).text
    four = {k: v for k, v in FIVE.items() if k != "measures"}
    client.post(url("plan_edit", household_a), edit_data(plan_a, **{f"must_{k}": v for k, v in four.items()}))
    assert "已记录 4/5" in client.get(url("plan_detail", household_a)).text
    client.post(
        url("measure_add", household_a),
        {"description": "申请临时救助", "responsible": worker_a.pk, "due_on": (TODAY() + datetime.timedelta(days=30))},
    )
    response = client.get(url("plan_detail", household_a))
    assert response.context["plan"].is_complete
    assert "完整 5/5" in response.text
    assert "申请临时救助" in response.text


def test_it_marks_a_past_review_date_and_an_overdue_measure(client_for, worker_a, household_a):
    plan = AssistancePlanFactory(household=household_a, review_on=TODAY() - datetime.timedelta(days=1))
    AssistanceMeasure.objects.create(
        plan=plan, description="修水管", responsible=worker_a, due_on=TODAY() - datetime.timedelta(days=3)
    )
    response = client_for(worker_a).get(url("plan_detail", household_a))
    assert response.context["review_overdue"]
    assert "已过复核日期" in response.text
    assert "已逾期" in response.text


def test_a_key_household_without_a_plan_offers_to_create_one(client_for, worker_a, household_a):
    response = client_for(worker_a).get(url("plan_detail", household_a))
    assert response.status_code == 200
    assert url("plan_create", household_a) in response.text


def test_a_reader_sees_no_create_button(client_for, social_affairs_staff, household_a):
    response = client_for(social_affairs_staff).get(url("plan_detail", household_a))
    assert response.status_code == 200
    assert url("plan_create", household_a) not in response.text


# --- creating a plan ----------------------------------------------------------------------------------------


def test_a_worker_creates_a_plan_with_a_review_date_three_months_ahead(client_for, worker_a, household_a):
    client = client_for(worker_a)
    form = client.get(url("plan_create", household_a)).context["form"]
    default = form.initial["review_on"]
    assert 89 <= (default - TODAY()).days <= 92
    response = client.post(url("plan_create", household_a), {"review_on": default.isoformat()})
    assert response.status_code == 302
    assert response.url == url("plan_edit", household_a)
    plan = AssistancePlan.objects.get(household=household_a)
    assert plan.review_on == default
    assert plan.versions.get().saved_by == worker_a


def test_a_non_key_household_cannot_get_a_plan(client_for, worker_a, places):
    ordinary = HouseholdFactory(grid_area=places.area_a, estate=places.estate_a)
    client = client_for(worker_a)
    assert "只有重点户" in client.get(url("plan_create", ordinary)).text
    response = client.post(url("plan_create", ordinary), {"review_on": TODAY().isoformat()})
    assert response.status_code == 200
    assert "只有重点户" in response.text
    assert not AssistancePlan.objects.exists()


def test_creating_a_second_plan_goes_to_the_first(client_for, worker_a, plan_a, household_a):
    response = client_for(worker_a).post(url("plan_create", household_a), {"review_on": TODAY().isoformat()})
    assert response.url == url("plan_detail", household_a)
    assert AssistancePlan.objects.count() == 1


def test_social_affairs_may_not_create_a_plan(client_for, social_affairs_staff, household_a):
    assert client_for(social_affairs_staff).post(url("plan_create", household_a), {}).status_code == 403


# --- editing ------------------------------------------------------------------------------------------------


def test_only_changed_sections_reach_the_service_and_each_change_is_a_version(
    client_for, worker_a, community_leader, plan_a, household_a
):
    client = client_for(worker_a)
    client.post(url("plan_edit", household_a), edit_data(plan_a, must_basic="三口之家", must_mind="乐观"))
    basic = plan_a.sections.get(must="basic")
    # The leader changes the mind section; her form shows basic as it was, so basic is not touched.
    client_for(community_leader).post(url("plan_edit", household_a), edit_data(plan_a, must_mind="有顾虑"))
    basic.refresh_from_db()
    assert basic.recorded_by == worker_a
    assert plan_a.sections.get(must="mind").recorded_by == community_leader
    versions = list(PlanVersion.objects.filter(plan=plan_a).order_by("number"))
    assert [v.saved_by for v in versions] == [worker_a, worker_a, community_leader]
    assert "思想动态" in versions[-1].change


def test_a_new_review_date_is_a_version(client_for, worker_a, plan_a, household_a):
    new = TODAY() + datetime.timedelta(days=30)
    client_for(worker_a).post(url("plan_edit", household_a), edit_data(plan_a, review_on=new.isoformat()))
    plan_a.refresh_from_db()
    assert plan_a.review_on == new
    assert plan_a.versions.count() == 2


def test_saving_nothing_changes_nothing(client_for, worker_a, plan_a, household_a):
    response = client_for(worker_a).post(url("plan_edit", household_a), edit_data(plan_a))
    assert response.status_code == 302
    assert "没有修改任何内容。" in messages_of(response)
    assert plan_a.versions.count() == 1


def test_a_bad_date_keeps_everything_typed(client_for, worker_a, plan_a, household_a):
    response = client_for(worker_a).post(
        url("plan_edit", household_a), edit_data(plan_a, must_basic="刚写的情况", review_on="明天")
    )
    assert response.status_code == 200
    assert "刚写的情况" in response.text
    assert not plan_a.sections.exists()


def test_the_edit_form_posts_the_values_it_showed(client_for, worker_a, plan_a, household_a):
    text = client_for(worker_a).get(url("plan_edit", household_a)).text
    assert 'name="initial-must_basic"' in text
    assert 'name="initial-review_on"' in text


# --- measures -----------------------------------------------------------------------------------------------


def test_a_measure_defaults_to_the_households_worker_and_offers_only_visible_people(
    client_for, worker_a, worker_b, plan_a, household_a
):
    form = client_for(worker_a).get(url("measure_add", household_a)).context["form"]
    assert form.initial["responsible"] == worker_a.pk
    assert worker_b not in form.fields["responsible"].queryset


def test_a_measure_moves_along_and_done_needs_a_date(client_for, worker_a, plan_a, household_a):
    measure = services.measure_add(
        actor=worker_a, plan=plan_a, description="修水管", responsible=worker_a, due_on=TODAY()
    )
    client = client_for(worker_a)
    status_url = reverse("households:measure_status", args=[measure.pk])
    versions = plan_a.versions.count()

    response = client.post(status_url, {"status": "done", "done_on": "", "version": stored_version(plan_a)})
    assert response.status_code == 302
    assert "请填写完成日期。" in messages_of(response)
    measure.refresh_from_db()
    assert measure.status == AssistanceMeasure.Status.PLANNED
    assert plan_a.versions.count() == versions

    client.post(status_url, {"status": "in_progress", "version": stored_version(plan_a)})
    measure.refresh_from_db()
    assert measure.status == AssistanceMeasure.Status.IN_PROGRESS

    client.post(status_url, {"status": "done", "done_on": TODAY().isoformat(), "version": stored_version(plan_a)})
    measure.refresh_from_db()
    assert (measure.status, measure.done_on) == (AssistanceMeasure.Status.DONE, TODAY())
    assert plan_a.versions.count() == versions + 2


@pytest.mark.parametrize(("persona", "status"), [("worker_b", 404), ("staff", 404), ("social_affairs_staff", 403)])
def test_others_cannot_move_a_measure(request, client_for, worker_a, plan_a, persona, status):
    measure = services.measure_add(
        actor=worker_a, plan=plan_a, description="修水管", responsible=worker_a, due_on=TODAY()
    )
    client = client_for(request.getfixturevalue(persona))
    response = client.post(reverse("households:measure_status", args=[measure.pk]), {"status": "cancelled"})
    assert response.status_code == status
    measure.refresh_from_db()
    assert measure.status == AssistanceMeasure.Status.PLANNED


def test_the_status_change_is_post_only(client_for, worker_a, plan_a):
    measure = services.measure_add(actor=worker_a, plan=plan_a, description="x", responsible=worker_a, due_on=TODAY())
    assert client_for(worker_a).get(reverse("households:measure_status", args=[measure.pk])).status_code == 405


# --- history ------------------------------------------------------------------------------------------------


def test_history_lists_versions_newest_first_with_who_and_the_sections(
    client_for, worker_a, community_leader, plan_a, household_a
):
    services.plan_record_sections(actor=worker_a, plan=plan_a, sections={"basic": "三口之家"})
    services.plan_record_sections(actor=community_leader, plan=plan_a, sections={"basic": "两口之家"})
    response = client_for(worker_a).get(url("plan_history", household_a))
    rows = response.context["rows"]
    assert [row["version"].number for row in rows] == [3, 2, 1]
    assert rows[0]["version"].saved_by == community_leader
    assert ("基本情况", "两口之家") in rows[0]["sections"]
    assert ("基本情况", "三口之家") in rows[1]["sections"]
    assert response.text.count("<details") == 3
    assert "李书记" in response.text


# --- the work list ------------------------------------------------------------------------------------------


@pytest.fixture
def worklist_data(places, key_category, worker_a, community_leader):
    """Area A: 3 key households (one without a plan, one incomplete and overdue, one complete) and one ordinary;
    area A2: one key household without a plan; area B: one key household without a plan."""
    without = HouseholdFactory(grid_area=places.area_a, estate=places.estate_a, categories=[key_category])
    incomplete = HouseholdFactory(grid_area=places.area_a, estate=places.estate_a, categories=[key_category])
    complete = HouseholdFactory(grid_area=places.area_a, estate=places.estate_a, categories=[key_category])
    HouseholdFactory(grid_area=places.area_a, estate=places.estate_a)
    HouseholdFactory(grid_area=places.area_a2, estate=places.estate_a, categories=[key_category])
    HouseholdFactory(grid_area=places.area_b, estate=places.estate_b, categories=[key_category])
    overdue = services.plan_create(actor=worker_a, household=incomplete, review_on=TODAY())
    AssistancePlan.objects.filter(pk=overdue.pk).update(review_on=TODAY() - datetime.timedelta(days=1))
    done = services.plan_create(actor=worker_a, household=complete, review_on=TODAY() + datetime.timedelta(days=9))
    services.plan_record_sections(actor=worker_a, plan=done, sections=FIVE)
    VisitFactory(household=complete, visitor=worker_a, kind=Visit.Kind.CARING, visited_on=TODAY())
    return {"without": without, "incomplete": incomplete, "complete": complete}


WORKLIST = reverse("households:plan_worklist")


def test_the_worklist_counts_a_workers_own_area(client_for, worker_a, places, worklist_data):
    response = client_for(worker_a).get(WORKLIST)
    assert response.status_code == 200
    [row] = response.context["by_area"]
    assert (row.pk, row.key_households, row.without_plan, row.incomplete, row.overdue) == (places.area_a.pk, 3, 1, 1, 1)
    assert [h.pk for h in response.context["page"].object_list] == [worklist_data["without"].pk]
    assert url("plan_create", worklist_data["without"]) in response.text
    assert f"?show=overdue&amp;grid_area={places.area_a.pk}#list" in response.text


def test_the_worklist_filters_by_kind_and_place(client_for, community_leader, places, worklist_data):
    client = client_for(community_leader)
    response = client.get(WORKLIST)
    assert {(r.name, r.without_plan) for r in response.context["by_area"]} == {("德加第1网格", 1), ("德加第2网格", 1)}
    [community] = response.context["by_community"]
    assert (community.key_households, community.without_plan) == (4, 2)
    narrowed = client.get(WORKLIST, {"show": "without", "grid_area": places.area_a2.pk})
    assert len(narrowed.context["page"].object_list) == 1
    overdue = client.get(WORKLIST, {"show": "overdue"})
    assert [p.household_id for p in overdue.context["page"].object_list] == [worklist_data["incomplete"].pk]
    incomplete = client.get(WORKLIST, {"show": "incomplete"})
    assert [p.household_id for p in incomplete.context["page"].object_list] == [worklist_data["incomplete"].pk]
    no_caring = client.get(WORKLIST, {"show": "no_caring"})
    assert worklist_data["complete"] not in no_caring.context["page"].object_list
    assert len(no_caring.context["page"].object_list) == 3


def test_the_worklist_shows_a_leader_the_whole_street(client_for, leader, worklist_data):
    response = client_for(leader).get(WORKLIST)
    assert sum(r.without_plan for r in response.context["by_community"]) == 3
    assert url("plan_create", worklist_data["without"]) not in response.text  # leaders read, workers create


@pytest.mark.parametrize("persona", ["staff", "chief", "deputy"])
def test_the_worklist_is_refused_to_those_who_may_not_see_plans(request, client_for, persona):
    assert client_for(request.getfixturevalue(persona)).get(WORKLIST).status_code == 403


def test_the_worklist_sends_anonymous_users_to_log_in(client):
    assert client.get(WORKLIST).status_code == 302


# --- the household page -------------------------------------------------------------------------------------


def test_the_household_page_shows_the_plan_card(client_for, worker_a, plan_a, household_a):
    services.plan_record_sections(actor=worker_a, plan=plan_a, sections={"basic": "x", "mind": "y"})
    response = client_for(worker_a).get(url("detail", household_a))
    assert "已记录 2/5" in response.text
    assert url("plan_detail", household_a) in response.text


def test_the_household_page_offers_to_create_a_plan(client_for, worker_a, household_a):
    assert url("plan_create", household_a) in client_for(worker_a).get(url("detail", household_a)).text


def test_the_household_page_has_no_plan_card_for_ordinary_households(client_for, worker_a, places):
    ordinary = HouseholdFactory(grid_area=places.area_a, estate=places.estate_a)
    assert "plan-heading" not in client_for(worker_a).get(url("detail", ordinary)).text


# --- query counts -------------------------------------------------------------------------------------------


def _populate(places, key_category, worker_a, count):
    for _n in range(count):
        household = HouseholdFactory(grid_area=places.area_a, estate=places.estate_a, categories=[key_category])
        plan = AssistancePlanFactory(household=household)
        services.plan_record_sections(actor=worker_a, plan=plan, sections={"basic": "x"})


@pytest.mark.parametrize("count", [2, 30])
def test_the_worklist_query_count_does_not_grow(
    client_for, worker_a, places, key_category, count, django_assert_max_num_queries
):
    _populate(places, key_category, worker_a, count)
    HouseholdFactory.create_batch(count, grid_area=places.area_a, estate=places.estate_a, categories=[key_category])
    client = client_for(worker_a)
    for show in ("without", "incomplete", "no_caring"):
        with django_assert_max_num_queries(8):
            response = client.get(WORKLIST, {"show": show})
        assert response.status_code == 200


@pytest.mark.parametrize("count", [1, 25])
def test_the_plan_page_query_count_does_not_grow(
    client_for, worker_a, plan_a, household_a, count, django_assert_max_num_queries
):
    services.plan_record_sections(actor=worker_a, plan=plan_a, sections=FIVE)
    for n in range(count):
        services.measure_add(actor=worker_a, plan=plan_a, description=f"措施{n}", responsible=worker_a, due_on=TODAY())
    client = client_for(worker_a)
    with django_assert_max_num_queries(9):
        response = client.get(url("plan_detail", household_a))
    assert len(response.context["measures"]) == count
    with django_assert_max_num_queries(7):
        client.get(url("plan_history", household_a))
