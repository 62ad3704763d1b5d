"""The quota dashboard, its export and its drill-down: who sees whose quarter, and the numbers behind it."""

from __future__ import annotations

import datetime
import io
import urllib.parse

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from tests.factories import CommunityFactory, HouseholdFactory, UserFactory, VisitFactory
from visits.models import Visit
from visits.periods import Quarter
from wenxin.roles import Role
from wenxin.xlsx import XLSX_CONTENT_TYPE

TODAY = datetime.date(2026, 8, 15)  # 46 of Q3's 92 days gone
Q3 = Quarter(2026, 3)
EXPORT_HEADERS = ["村社", "社工", "已走访户数", "指标户数", "完成率（%）", "每周还需走访户数", "剩余天数", "状态"]


@pytest.fixture(autouse=True)
def today(monkeypatch):
    """The office's clock reads TODAY, so "this quarter" and the days left are known."""
    real = timezone.localdate

    def localdate(value=None, timezone=None):
        return TODAY if value is None else real(value, timezone)

    monkeypatch.setattr("django.utils.timezone.localdate", localdate)
    return TODAY


@pytest.fixture
def visits(places, worker_a, worker_a2, worker_b):
    """worker_a: 3 households of her area (one of them twice) and one outside it; worker_b: one household."""
    mine = [HouseholdFactory(grid_area=places.area_a, estate=places.estate_a) for _ in range(3)]
    elsewhere = HouseholdFactory(grid_area=places.area_a2, estate=places.estate_a)
    result = {
        "first": VisitFactory(visitor=worker_a, household=mine[0], visited_on=datetime.date(2026, 7, 2)),
        "repeat": VisitFactory(
            visitor=worker_a, household=mine[0], visited_on=datetime.date(2026, 8, 1), kind=Visit.Kind.CARING
        ),
        "second": VisitFactory(visitor=worker_a, household=mine[1], visited_on=datetime.date(2026, 7, 20)),
        "third": VisitFactory(visitor=worker_a, household=mine[2], visited_on=datetime.date(2026, 8, 10)),
        "outside": VisitFactory(visitor=worker_a, household=elsewhere, visited_on=datetime.date(2026, 8, 3)),
        "last_quarter": VisitFactory(visitor=worker_a, household=mine[1], visited_on=datetime.date(2026, 6, 30)),
        "b": VisitFactory(
            visitor=worker_b,
            household=HouseholdFactory(grid_area=places.area_b, estate=places.estate_b),
            visited_on=datetime.date(2026, 7, 9),
        ),
    }
    return result


def dashboard(client, **params):
    return client.get(reverse("visits:quota"), params)


def counts(response) -> dict[str, int]:
    return {row.worker.username: row.visited for row in response.context["rows"]}


def order(response) -> list[str]:
    return [row.worker.username for row in response.context["rows"]]


# --- Who may look ------------------------------------------------------------------------------------------------


class TestDashboardAccess:
    def test_a_chief_sees_every_worker_of_the_street_with_her_count(self, chief, visits, client_for):
        response = dashboard(client_for(chief))
        assert response.status_code == 200
        assert counts(response) == {"worker_a": 3, "worker_a2": 0, "worker_b": 1}
        assert response.context["quarter"] == Q3
        html = response.content.decode()
        assert "张丽" in html and "王芳" in html
        assert reverse("visits:quota_worker", args=[visits["first"].visitor.pk]) + "?quarter=2026Q3" in html

    def test_a_community_leader_sees_only_her_communitys_workers(self, community_leader, visits, client_for):
        response = dashboard(client_for(community_leader))
        assert counts(response) == {"worker_a": 3, "worker_a2": 0}
        assert "王芳" not in response.content.decode()

    def test_a_leader_in_charge_and_the_street_leader_see_the_street(self, deputy, leader, visits, client_for):
        assert set(counts(dashboard(client_for(deputy)))) == {"worker_a", "worker_a2", "worker_b"}
        assert set(counts(dashboard(client_for(leader)))) == {"worker_a", "worker_a2", "worker_b"}

    def test_another_streets_leader_sees_none_of_ours(self, other_street_leader, visits, client_for):
        response = dashboard(client_for(other_street_leader))
        assert response.status_code == 200
        assert response.context["rows"] == []
        assert "张丽" not in response.content.decode()

    @pytest.mark.parametrize("persona", ["worker_a", "staff"])
    def test_people_who_do_not_review_quotas_are_refused(self, persona, request, client_for):
        user = request.getfixturevalue(persona)
        assert dashboard(client_for(user)).status_code == 403
        assert client_for(user).get(reverse("visits:quota_export")).status_code == 403

    def test_anonymous_is_sent_to_log_in(self, client, places):
        for url in (reverse("visits:quota"), reverse("visits:quota_export")):
            response = client.get(url)
            assert response.status_code == 302
            assert response["Location"].startswith(reverse("login"))


# --- What it shows -----------------------------------------------------------------------------------------------


class TestDashboard:
    def test_each_row_has_target_pace_days_left_and_status(self, chief, visits, client_for):
        rows = {row.worker.username: row for row in dashboard(client_for(chief)).context["rows"]}
        row = rows["worker_a"]
        assert (row.visited, row.target, row.percent, row.days_left) == (3, 50, 6, 47)
        assert row.per_week_needed == 7.0  # 47 households in 47 days
        assert row.status.code == "behind"  # 47 left in 47 days: behind the plan, but under twice its pace
        html = dashboard(client_for(chief)).content.decode()
        assert "进度落后" in html
        assert "47" in html

    def test_the_summary_counts_workers_by_status(self, chief, places, worker_a, worker_a2, client_for):
        for _ in range(50):
            VisitFactory(visitor=worker_a, household=HouseholdFactory(grid_area=places.area_a), visited_on=TODAY)
        response = dashboard(client_for(chief))
        summary = {status.code: count for status, count in response.context["summary"]}
        assert response.context["total"] == 2
        assert summary == {"met": 1, "on_track": 0, "behind": 1, "at_risk": 0}
        assert "已完成 1" in response.content.decode()

    def test_a_status_figure_lists_the_workers_in_that_state(self, chief, places, worker_a, visits, client_for):
        for _ in range(50):
            VisitFactory(visitor=worker_a, household=HouseholdFactory(grid_area=places.area_a), visited_on=TODAY)
        client = client_for(chief)
        met = dashboard(client, status="met")
        assert order(met) == ["worker_a"]
        assert met.context["total"] == 3  # the summary still counts everyone
        assert 'href="?status=met"' in dashboard(client).content.decode()
        assert order(dashboard(client, status="behind")) == ["worker_a2", "worker_b"]
        assert order(dashboard(client, status="at_risk")) == []
        assert len(order(dashboard(client, status="nonsense"))) == 3  # an unknown status is no filter

    def test_sorting_changes_the_order(self, chief, visits, client_for):
        client = client_for(chief)
        assert order(dashboard(client)) == ["worker_a", "worker_a2", "worker_b"]  # community, then name
        assert order(dashboard(client, sort="-percent")) == ["worker_a", "worker_b", "worker_a2"]
        assert order(dashboard(client, sort="percent")) == ["worker_a2", "worker_b", "worker_a"]
        assert order(dashboard(client, sort="pace"))[0] == "worker_a2"  # needs the most a week
        assert order(dashboard(client, sort="bogus")) == ["worker_a", "worker_a2", "worker_b"]

    def test_the_community_filter_narrows_the_rows(self, chief, places, visits, client_for):
        response = dashboard(client_for(chief), community=places.community_b.pk)
        assert order(response) == ["worker_b"]
        assert response.context["filters"].community == places.community_b

    def test_a_community_outside_the_viewers_scope_is_ignored(self, community_leader, places, visits, client_for):
        other = CommunityFactory(street=places.other_street)
        for value in (places.community_b.pk, other.pk, "abc"):
            response = dashboard(client_for(community_leader), community=value)
            assert response.status_code == 200
            assert set(order(response)) == {"worker_a", "worker_a2"}
            assert response.context["filters"].community is None

    def test_the_community_choices_are_the_viewers(self, community_leader, places, client_for):
        choices = dashboard(client_for(community_leader)).context["filters"].communities
        assert choices == [places.community_a]

    def test_an_earlier_quarter_and_the_links_around_it(self, chief, visits, client_for):
        response = dashboard(client_for(chief), quarter="2026Q2")
        assert counts(response)["worker_a"] == 1  # the visit of 30 June
        assert response.context["rows"][0].days_left == 0
        html = response.content.decode()
        assert "quarter=2026Q1" in html and "quarter=2026Q3" in html
        assert "未完成" in html  # the quarter is over

    def test_no_link_to_a_quarter_after_the_current_one(self, chief, visits, client_for):
        response = dashboard(client_for(chief))
        assert response.context["next_quarter"] is None
        assert "quarter=2026Q4" not in response.content.decode()

    def test_a_malformed_quarter_falls_back_to_the_current_one(self, chief, visits, client_for):
        assert dashboard(client_for(chief), quarter="2026Q9").context["quarter"] == Q3

    def test_it_does_not_grow_with_workers_or_visits(self, chief, places, client_for, django_assert_max_num_queries):
        client = client_for(chief)

        def add_workers(count, visits_each):
            for _ in range(count):
                worker = UserFactory(role=Role.SOCIAL_WORKER, street=places.street, community=places.community_a)
                places.area_a.workers.add(worker)
                for _ in range(visits_each):
                    VisitFactory(visitor=worker, household=HouseholdFactory(grid_area=places.area_a), visited_on=TODAY)

        add_workers(3, 7)  # 3 workers, 21 visits
        # 8: the navbar asks whether the viewer sees private records, which loads her department once.
        with django_assert_max_num_queries(8) as small:
            assert len(dashboard(client).context["rows"]) == 3
        add_workers(9, 7)  # 12 workers, 84 visits
        with django_assert_max_num_queries(len(small.captured_queries)):
            assert len(dashboard(client).context["rows"]) == 12
        with django_assert_max_num_queries(len(small.captured_queries)):
            assert client.get(reverse("visits:quota_export")).status_code == 200


# --- The export --------------------------------------------------------------------------------------------------


def export(client, **params):
    return client.get(reverse("visits:quota_export"), params)


def sheet(response) -> list[tuple]:
    return list(load_workbook(io.BytesIO(response.content)).worksheets[0].iter_rows(values_only=True))


class TestExport:
    def test_it_has_chinese_headers_and_the_pages_rows(self, chief, visits, client_for):
        client = client_for(chief)
        for params in ({}, {"sort": "-percent"}, {"community": visits["b"].community.pk}, {"quarter": "2026Q2"}):
            response = export(client, **params)
            assert response.status_code == 200
            assert response["Content-Type"] == XLSX_CONTENT_TYPE
            rows = sheet(response)
            assert list(rows[0]) == EXPORT_HEADERS
            page = dashboard(client, **params).context["rows"]
            assert [(r[1], r[2], r[3], r[4]) for r in rows[1:]] == [
                (row.worker.full_name, row.visited, row.target, row.percent) for row in page
            ]

    def test_a_row_reads_like_the_page(self, chief, visits, client_for):
        first = sheet(export(client_for(chief)))[1]
        assert first == ("德加社区", "张丽", 3, 50, 6, 7, 47, "进度落后")

    def test_a_finished_quarter_has_no_pace(self, chief, visits, client_for):
        first = sheet(export(client_for(chief), quarter="2026Q2"))[1]
        assert (first[5], first[6], first[7]) == (None, 0, "未完成")

    def test_the_file_is_named_after_the_quarter(self, chief, visits, client_for):
        disposition = export(client_for(chief))["Content-Disposition"]
        assert disposition.startswith("attachment")
        assert urllib.parse.quote("走访指标-2026Q3.xlsx") in disposition

    def test_it_is_scoped_like_the_page(self, community_leader, other_street_leader, visits, client_for):
        assert {r[1] for r in sheet(export(client_for(community_leader)))[1:]} == {"张丽", "陈静"}
        assert sheet(export(client_for(other_street_leader)))[1:] == []

    def test_a_name_a_spreadsheet_would_run_is_escaped(self, chief, places, client_for):
        UserFactory(
            username="evil",
            full_name='=HYPERLINK("http://x","点我")',
            role=Role.SOCIAL_WORKER,
            street=places.street,
            community=places.community_a,
        )
        response = export(client_for(chief))
        assert sheet(response)[1][1] == '\'=HYPERLINK("http://x","点我")'
        cells = [cell for row in load_workbook(io.BytesIO(response.content)).worksheets[0].iter_rows() for cell in row]
        assert not [cell for cell in cells if cell.data_type == "f"]

    def test_the_header_is_bold_and_frozen(self, chief, visits, client_for):
        ws = load_workbook(io.BytesIO(export(client_for(chief)).content)).worksheets[0]
        assert all(cell.font.bold for cell in ws[1])
        assert ws.freeze_panes == "A2"


# --- The drill-down ----------------------------------------------------------------------------------------------


def drill_down(client, worker, **params):
    return client.get(reverse("visits:quota_worker", args=[worker.pk]), params)


class TestDrillDown:
    def test_it_lists_the_visits_behind_the_number(self, chief, worker_a, visits, client_for):
        response = drill_down(client_for(chief), worker_a)
        assert response.status_code == 200
        assert response.context["row"].visited == 3
        marks = {line.visit.pk: (line.counted, line.repeat, line.outside) for line in response.context["lines"]}
        assert marks == {
            visits["first"].pk: (True, False, False),
            visits["repeat"].pk: (False, True, False),
            visits["second"].pk: (True, False, False),
            visits["third"].pk: (True, False, False),
            visits["outside"].pk: (False, False, True),
        }
        assert response.context["counted"] == response.context["row"].visited
        html = response.content.decode()
        for name in ("first", "repeat", "outside"):
            assert reverse("visits:detail", args=[visits[name].pk]) in html
        assert "重复走访，不重复计数" in html
        assert "不在其网格，不计入" in html

    def test_it_links_to_her_diary_for_the_quarter(self, chief, worker_a, visits, client_for):
        html = drill_down(client_for(chief), worker_a).content.decode()
        assert f"{reverse('visits:diary')}?author={worker_a.pk}&amp;quarter=2026Q3" in html

    def test_an_earlier_quarter(self, chief, worker_a, visits, client_for):
        response = drill_down(client_for(chief), worker_a, quarter="2026Q2")
        assert [line.visit for line in response.context["lines"]] == [visits["last_quarter"]]
        assert response.context["row"].visited == 1

    def test_a_visit_she_went_along_on_counts_and_says_so(self, chief, places, worker_a, community_leader, client_for):
        household = HouseholdFactory(grid_area=places.area_a)
        along = VisitFactory(visitor=community_leader, household=household, visited_on=TODAY, companions=[worker_a])
        response = drill_down(client_for(chief), worker_a)
        (line,) = response.context["lines"]
        assert (line.visit, line.counted, line.as_companion) == (along, True, True)
        assert "随李书记同行" in response.content.decode()

    def test_a_community_leader_drills_into_her_own_workers(self, community_leader, worker_a, visits, client_for):
        assert drill_down(client_for(community_leader), worker_a).status_code == 200

    def test_a_worker_outside_the_viewers_scope_is_not_found(
        self, community_leader, other_street_leader, worker_a, worker_b, visits, client_for
    ):
        assert drill_down(client_for(community_leader), worker_b).status_code == 404
        assert drill_down(client_for(other_street_leader), worker_a).status_code == 404

    def test_someone_who_has_no_quota_role_is_not_found(self, chief, staff, client_for):
        assert drill_down(client_for(chief), staff).status_code == 404
        assert client_for(chief).get(reverse("visits:quota_worker", args=[999999])).status_code == 404

    def test_people_who_do_not_review_quotas_are_refused(self, worker_a, staff, client_for):
        assert drill_down(client_for(worker_a), worker_a).status_code == 403
        assert drill_down(client_for(staff), worker_a).status_code == 403

    def test_anonymous_is_sent_to_log_in(self, client, worker_a):
        assert drill_down(client, worker_a).status_code == 302

    def test_it_does_not_grow_with_visits(self, chief, places, worker_a, client_for, django_assert_max_num_queries):
        client = client_for(chief)
        for _ in range(5):
            VisitFactory(visitor=worker_a, household=HouseholdFactory(grid_area=places.area_a), visited_on=TODAY)
        with django_assert_max_num_queries(9) as small:  # one more for the navbar's private-records check
            drill_down(client, worker_a)
        for _ in range(20):
            VisitFactory(visitor=worker_a, household=HouseholdFactory(grid_area=places.area_a), visited_on=TODAY)
        with django_assert_max_num_queries(len(small.captured_queries)):
            assert len(drill_down(client, worker_a).context["lines"]) == 25
