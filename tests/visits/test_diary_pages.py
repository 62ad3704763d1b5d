"""The public-sentiment diary (民情日记): her visits by month or quarter, searchable; a reviewer opens a colleague's.

Fixed dates in 2025 keep the month and quarter filters independent of the day the tests run; "this month"
is tested with visits made today.
"""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import HouseholdFactory, ResidentFactory, VisitFactory
from visits.models import Visit

DIARY = reverse("visits:diary")
NOV_10 = datetime.date(2025, 11, 10)
DEC_5 = datetime.date(2025, 12, 5)
SEP_30 = datetime.date(2025, 9, 30)


@pytest.fixture
def household_a(places):
    household = HouseholdFactory(grid_area=places.area_a, estate=places.estate_a, building="3", unit="1", room="301")
    ResidentFactory(household=household, name="王大伯")
    return household


@pytest.fixture
def autumn(worker_a, household_a):
    """Three of worker_a's visits: end of Q3, November and December 2025."""
    return {
        "sep": VisitFactory(household=household_a, visitor=worker_a, visited_on=SEP_30, situation="九月的情况"),
        "nov": VisitFactory(
            household=household_a,
            visitor=worker_a,
            visited_on=NOV_10,
            situation="十一月的情况",
            difficulty="楼道灯坏了",
            follow_up_needed=True,
            follow_up_by=datetime.date(2025, 11, 20),
        ),
        "dec": VisitFactory(household=household_a, visitor=worker_a, visited_on=DEC_5, situation="十二月的情况"),
    }


def shown(response) -> list[Visit]:
    return list(response.context["page"].object_list)


class TestDiary:
    def test_it_shows_this_month_by_default(self, client_for, worker_a, household_a):
        today = timezone.localdate()
        this_month = VisitFactory(household=household_a, visitor=worker_a, visited_on=today, situation="今天的情况")
        VisitFactory(
            household=household_a, visitor=worker_a, visited_on=today.replace(day=1) - datetime.timedelta(days=1)
        )
        response = client_for(worker_a).get(DIARY)
        assert response.status_code == 200
        assert shown(response) == [this_month]
        assert f"{today.year}年{today.month}月" in response.text
        assert "今天的情况" not in response.text  # the line shows the difficulty, not the whole diary
        assert "香港城 3幢1单元301室" in response.text
        assert "下个月 ›</span>" in response.text  # no later month to go to

    def test_it_filters_by_month(self, client_for, worker_a, autumn):
        response = client_for(worker_a).get(DIARY, {"month": "2025-11"})
        assert shown(response) == [autumn["nov"]]
        assert "2025年11月" in response.text
        assert 'href="?month=2025-10"' in response.text
        assert 'href="?month=2025-12"' in response.text
        assert "楼道灯坏了" in response.text
        assert "需跟进 · 11-20" in response.text

    def test_it_filters_by_quarter(self, client_for, worker_a, autumn):
        response = client_for(worker_a).get(DIARY, {"quarter": "2025Q4"})
        assert shown(response) == [autumn["dec"], autumn["nov"]]
        assert "2025年第4季度" in response.text
        assert 'href="?quarter=2025Q3"' in response.text
        assert 'href="?quarter=2026Q1"' in response.text
        q3 = client_for(worker_a).get(DIARY, {"quarter": "2025Q3"})
        assert shown(q3) == [autumn["sep"]]

    @pytest.mark.parametrize("params", [{"month": "2025-13"}, {"month": "nonsense"}, {"quarter": "2025Q5"}])
    def test_a_period_it_cannot_read_falls_back_to_this_month(self, client_for, worker_a, autumn, params):
        response = client_for(worker_a).get(DIARY, params)
        assert response.status_code == 200
        assert response.context["period"].start == timezone.localdate().replace(day=1)

    @pytest.mark.parametrize(
        ("q", "found"),
        [
            ("楼道灯", ["nov"]),
            ("十二月", ["dec"]),
            ("王大伯", ["dec", "nov"]),
            ("香港城", ["dec", "nov"]),
            ("没有", []),
        ],
    )
    def test_it_searches_the_diary(self, client_for, worker_a, autumn, q, found):
        response = client_for(worker_a).get(DIARY, {"quarter": "2025Q4", "q": q})
        assert shown(response) == [autumn[name] for name in found]
        assert f'value="{q}"' in response.text
        # Turning to another quarter keeps the search.
        assert "?quarter=2025Q3&amp;q=" in response.text

    def test_it_includes_visits_she_joined_as_a_companion(self, client_for, worker_a, community_leader, household_a):
        joined = VisitFactory(household=household_a, visitor=community_leader, visited_on=NOV_10, companions=[worker_a])
        response = client_for(worker_a).get(DIARY, {"month": "2025-11"})
        assert shown(response) == [joined]
        assert "同行 · 走访人：李书记" in response.text

    def test_it_does_not_show_a_colleagues_visits(self, client_for, worker_a2, autumn):
        assert shown(client_for(worker_a2).get(DIARY, {"quarter": "2025Q4"})) == []

    def test_it_pages_25_at_a_time(self, client_for, worker_a, household_a):
        VisitFactory.create_batch(30, household=household_a, visitor=worker_a, visited_on=NOV_10)
        client = client_for(worker_a)
        first = client.get(DIARY, {"month": "2025-11"})
        assert len(shown(first)) == 25
        assert "month=2025-11&amp;page=2" in first.text
        assert len(shown(client.get(DIARY, {"month": "2025-11", "page": 2}))) == 5

    def test_it_shows_a_social_worker_her_quota_of_the_quarter(self, client_for, worker_a, household_a, autumn):
        response = client_for(worker_a).get(DIARY, {"month": "2025-12"})
        assert response.context["quota"].visited == 1  # one household, visited twice in Q4
        assert "2025年第4季度已走访 1/50 户" in response.text

    def test_staff_see_their_own_diary_without_a_quota(self, client_for, staff, places):
        VisitFactory(
            household=None,
            visitor=staff,
            kind=Visit.Kind.ESTATE,
            estate=places.estate_a,
            visited_on=NOV_10,
            community=places.community_a,
        )
        response = client_for(staff).get(DIARY, {"month": "2025-11"})
        assert response.status_code == 200
        assert response.context["quota"] is None
        assert "走访小区" in response.text
        assert "已走访" not in response.text

    @pytest.mark.parametrize("persona", ["community_leader", "chief", "leader"])
    def test_a_reviewer_opens_a_colleagues_diary(self, request, client_for, worker_a, autumn, persona):
        response = client_for(request.getfixturevalue(persona)).get(DIARY, {"author": worker_a.pk, "quarter": "2025Q4"})
        assert response.status_code == 200
        assert shown(response) == [autumn["dec"], autumn["nov"]]
        assert "张丽的民情日记" in response.text
        assert f'name="author" value="{worker_a.pk}"' in response.text
        assert response.context["can_log"] is False  # her diary is hers to write

    def test_a_reviewer_cannot_open_a_diary_outside_her_scope(self, client_for, community_leader, worker_b):
        assert client_for(community_leader).get(DIARY, {"author": worker_b.pk}).status_code == 404

    @pytest.mark.parametrize("persona", ["worker_a2", "worker_b", "staff"])
    def test_others_cannot_open_a_colleagues_diary(self, request, client_for, worker_a, autumn, persona):
        response = client_for(request.getfixturevalue(persona)).get(DIARY, {"author": worker_a.pk})
        assert response.status_code == 404
        assert "楼道灯坏了" not in response.text

    def test_an_author_that_is_not_a_number_is_404(self, client_for, chief):
        assert client_for(chief).get(DIARY, {"author": "x"}).status_code == 404

    def test_her_own_pk_as_author_is_her_diary(self, client_for, worker_a, autumn):
        response = client_for(worker_a).get(DIARY, {"author": worker_a.pk, "month": "2025-11"})
        assert shown(response) == [autumn["nov"]]

    def test_it_redirects_anonymous_users_to_login(self, client):
        response = client.get(DIARY)
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))

    @pytest.mark.parametrize("count", [30, 90])
    def test_its_query_count_does_not_grow_with_the_visits(
        self, client_for, worker_a, worker_a2, places, count, django_assert_max_num_queries
    ):
        households = HouseholdFactory.create_batch(10, grid_area=places.area_a, estate=places.estate_a)
        for household in households:
            ResidentFactory(household=household)
        for n in range(count):
            VisitFactory(
                household=households[n % 10],
                visitor=worker_a,
                visited_on=NOV_10,
                companions=[worker_a2],
                follow_up_needed=True,
                follow_up_by=DEC_5,
            )
        client = client_for(worker_a)
        with django_assert_max_num_queries(10):
            response = client.get(DIARY, {"quarter": "2025Q4", "q": "正常"})
        assert len(shown(response)) == 25
