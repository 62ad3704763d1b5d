"""One household, one plan on paper (一户一策台账): the plan, its measures and the household's visits.

The key household 香港城 3幢1单元301室 in area A. The printout is a private record like the plan page: those who may
read the plan print it; everyone else gets 404, as for a plan that does not exist. ID numbers stay masked.
"""

from __future__ import annotations

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from households import services
from households.models import AssistanceMeasure
from tests.factories import HouseholdCategoryFactory, HouseholdFactory, ResidentFactory, VisitFactory
from visits.models import Visit

TODAY = timezone.localdate
ID_NUMBER = "330106195001011234"
FIVE = {
    "basic": "独居老人，低保",
    "living": "住房老旧，能自理",
    "mind": "情绪稳定，盼子女探望",
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
    ResidentFactory(household=household, name="王大伯", id_number=ID_NUMBER, phone="13911112222")
    return household


@pytest.fixture
def plan_a(household_a, worker_a):
    return services.plan_create(actor=worker_a, household=household_a, review_on=datetime.date(2026, 3, 31))


def days_ago(n: int) -> datetime.date:
    return TODAY() - datetime.timedelta(days=n)


@pytest.fixture
def visits(places, household_a, worker_a):
    other = HouseholdFactory(grid_area=places.area_a, estate=places.estate_a)
    return {
        "old": VisitFactory(
            household=household_a, visitor=worker_a, visited_on=days_ago(500), situation="两年前的走访"
        ),
        "spring": VisitFactory(
            household=household_a,
            visitor=worker_a,
            kind=Visit.Kind.CARING,
            visited_on=days_ago(180),
            situation="半年前的爱心走访",
            living_conditions="屋顶漏水",
            state_of_mind="担心医药费",
            difficulty="需要修屋顶",
        ),
        "recent": VisitFactory(household=household_a, visitor=worker_a, visited_on=days_ago(1), situation="昨天的走访"),
        "other": VisitFactory(household=other, visitor=worker_a, visited_on=days_ago(2), situation="别家的走访"),
    }


def print_url(household) -> str:
    return reverse("households:plan_print", args=[household.pk])


def printed_ids(response) -> list[int]:
    return [int(pk) for pk in re.findall(r'data-wx-visit="(\d+)"', response.text)]


# --- who may print -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["worker_a", "community_leader", "social_affairs_staff", "leader"])
def test_those_who_read_the_plan_print_it(request, client_for, plan_a, household_a, persona):
    response = client_for(request.getfixturevalue(persona)).get(print_url(household_a))
    assert response.status_code == 200
    assert "一户一策台账 · 香港城 3幢1单元301室" in response.text


@pytest.mark.parametrize("persona", ["worker_a2", "worker_b", "staff", "chief", "deputy", "other_street_leader"])
def test_a_plan_out_of_scope_is_404(request, client_for, plan_a, household_a, persona):
    assert client_for(request.getfixturevalue(persona)).get(print_url(household_a)).status_code == 404


def test_a_household_without_a_plan_is_404(client_for, worker_a, household_a):
    assert client_for(worker_a).get(print_url(household_a)).status_code == 404


def test_a_household_that_does_not_exist_is_404(client_for, worker_a, plan_a):
    assert client_for(worker_a).get(reverse("households:plan_print", args=[999999])).status_code == 404


def test_anonymous_users_are_sent_to_log_in(client, plan_a, household_a):
    response = client.get(print_url(household_a))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_the_plan_page_offers_to_print(client_for, worker_a, plan_a, household_a):
    response = client_for(worker_a).get(reverse("households:plan_detail", args=[household_a.pk]))
    assert f'href="{print_url(household_a)}"' in response.text


# --- what is printed -------------------------------------------------------------------------------------------


def test_it_prints_the_five_musts_with_who_and_when(client_for, worker_a, community_leader, plan_a, household_a):
    services.plan_record_sections(actor=worker_a, plan=plan_a, sections=FIVE)
    services.plan_record_sections(actor=community_leader, plan=plan_a, sections={"mind": "情绪好转"})
    response = client_for(worker_a).get(print_url(household_a))
    text = response.text
    assert "<dd data-wx-completeness>完整 5/5</dd>" in text
    today = TODAY().strftime("%Y-%m-%d")
    assert f"<td>独居老人，低保</td>\n      <td>张丽</td>\n      <td>{today}</td>" in text
    assert f"<td>情绪好转</td>\n      <td>李书记</td>\n      <td>{today}</td>" in text
    assert "盼子女探望" not in text  # the plan as it stands, not its history
    assert "2026-03-31" in text
    assert "低保户" in text


def test_an_incomplete_plan_says_what_is_missing(client_for, worker_a, plan_a, household_a):
    services.plan_record_sections(actor=worker_a, plan=plan_a, sections={"basic": "独居老人"})
    text = client_for(worker_a).get(print_url(household_a)).text
    assert "已记录 1/5（尚未记录：生活状况、思想动态、联系方式、帮扶措施）" in text
    assert text.count('<td colspan="3"><strong>尚未记录</strong></td>') == 4


def test_it_prints_the_measures_with_who_due_and_status(client_for, worker_a, worker_a2, plan_a, household_a):
    late = services.measure_add(
        actor=worker_a, plan=plan_a, description="申请临时救助", responsible=worker_a, due_on=days_ago(3)
    )
    done = services.measure_add(
        actor=worker_a, plan=plan_a, description="联系志愿者修屋顶", responsible=worker_a, due_on=days_ago(10)
    )
    services.measure_set_status(actor=worker_a, measure=done, status=AssistanceMeasure.Status.DONE, done_on=days_ago(5))
    response = client_for(worker_a).get(print_url(household_a))
    measures = response.context["measures"]
    assert [m.pk for m in measures] == [done.pk, late.pk]
    text = response.text
    assert "<td>申请临时救助</td>" in text
    assert f"<td>{days_ago(3):%Y-%m-%d}</td>\n      <td>待落实 · <strong>已逾期</strong></td>" in text
    assert f"<td>已落实</td>\n      <td>{days_ago(5):%Y-%m-%d}</td>" in text
    assert "见下方 2 项帮扶措施。" in text


def test_its_header_names_the_unit_the_title_and_the_period(client_for, worker_a, plan_a, household_a):
    text = client_for(worker_a).get(print_url(household_a)).text
    assert '<span class="wx-print-unit">文新街道 德加社区 · 德加第1网格</span>' in text
    assert '<span class="wx-print-title">一户一策台账</span>' in text
    since = TODAY().replace(year=TODAY().year - 1) + datetime.timedelta(days=1)
    assert f'<span class="wx-print-period">{since:%Y-%m-%d} 至 {TODAY():%Y-%m-%d}</span>' in text


def test_it_prints_the_last_years_visits_of_the_household(client_for, worker_a, plan_a, household_a, visits):
    response = client_for(worker_a).get(print_url(household_a))
    assert printed_ids(response) == [visits["spring"].pk, visits["recent"].pk]
    assert "屋顶漏水" in response.text
    assert "担心医药费" in response.text
    assert "需要修屋顶" in response.text
    assert "两年前的走访" not in response.text
    assert "别家的走访" not in response.text
    assert f'href="{print_url(household_a)}?visits=all"' in response.text


def test_it_prints_all_the_visits_when_asked(client_for, worker_a, plan_a, household_a, visits):
    response = client_for(worker_a).get(print_url(household_a), {"visits": "all"})
    assert printed_ids(response) == [visits["old"].pk, visits["spring"].pk, visits["recent"].pk]
    assert f'<span class="wx-print-period">截至 {TODAY():%Y-%m-%d}</span>' in response.text
    assert "全部走访记录" in response.text


def test_it_never_prints_a_full_id_number(client_for, social_affairs_staff, plan_a, household_a):
    text = client_for(social_affairs_staff).get(print_url(household_a)).text
    assert ID_NUMBER not in text
    assert "330106********1234" in text


@pytest.mark.parametrize("count", [1, 30])
def test_the_query_count_does_not_grow(
    client_for, worker_a, community_leader, plan_a, household_a, count, django_assert_max_num_queries
):
    services.plan_record_sections(actor=worker_a, plan=plan_a, sections=FIVE)
    for n in range(count):
        services.measure_add(actor=worker_a, plan=plan_a, description=f"措施{n}", responsible=worker_a, due_on=TODAY())
        VisitFactory(household=household_a, visitor=worker_a, companions=[community_leader], visited_on=days_ago(n))
        ResidentFactory(household=household_a, relation="child")
    client = client_for(community_leader)
    with django_assert_max_num_queries(12):
        response = client.get(print_url(household_a))
    assert len(response.context["measures"]) == count
    assert len(printed_ids(response)) == count
    assert len(response.context["residents"]) == count + 1
