"""The work report: the article's figures computed from the records, for a period and a scope, with charts, an A4
print view and an .xlsx export; every figure linking to the records behind it.

Places (tests/conftest.py): our street (文新街道) with community A (德加社区) and community B (益乐社区), and another
street (翠苑街道). The office's clock reads 15 November 2026, so "this year" is 2026, Q3 is the last complete
quarter and Q4 is running.
"""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from assessment.models import SpotCheck, SpotCheckItem
from feedback.figures_views import parse_period
from feedback.models import Opinion, OpinionCategory
from households.models import Community, Household
from tests.factories import (
    CommunityFactory,
    EnterpriseFactory,
    GridAreaFactory,
    HouseholdCategoryFactory,
    HouseholdFactory,
    MeetingFactory,
    OpinionFactory,
    PairedVillageFactory,
    SubsidyFactory,
    UserFactory,
    VisitFactory,
    meeting_kind,
    opinion_category,
)
from visits.models import QuotaRule, Visit
from visits.periods import Quarter
from wenxin.report import report_quarters, work_report
from wenxin.roles import Role
from wenxin.services import user_sync_role

TODAY = datetime.date(2026, 11, 15)
D = datetime.date
MAY_10, JUNE_1, APRIL_1 = D(2026, 5, 10), D(2026, 6, 1), D(2026, 4, 1)
Kind, Source, Status = Visit.Kind, Opinion.Source, Opinion.Status
REPORT = "/report/"


@pytest.fixture(autouse=True)
def today(monkeypatch):
    """The office's clock reads TODAY."""
    real = timezone.localdate

    def localdate(value=None, timezone=None):
        return TODAY if value is None else real(value, timezone)

    monkeypatch.setattr("django.utils.timezone.localdate", localdate)
    return TODAY


def year_2026(today: datetime.date = TODAY):
    period, _problem = parse_period({"year": "2026"}, today)
    return period


def report_for(viewer, *, community: Community | None = None, params: dict | None = None):
    period, _problem = parse_period(params or {"year": "2026"}, TODAY)
    return work_report(viewer=viewer, period=period, community=community, today=TODAY)


def at(moment: datetime.datetime | datetime.date) -> datetime.datetime:
    """Noon of a day on the office's clock."""
    if isinstance(moment, datetime.datetime):
        return moment
    return datetime.datetime.combine(moment, datetime.time(12), tzinfo=timezone.get_default_timezone())


# --- Records, as the diary and the opinion pipeline would leave them ----------------------------------------------


def leader_visit(visitor, target, day: datetime.date = MAY_10, companions=(), **kwargs) -> Visit:
    """A leader's visit to a community or cooperative (leadership) or to a paired village."""
    if isinstance(target, Community):
        return VisitFactory(
            household=None,
            kind=Kind.LEADERSHIP,
            target_community=target,
            street=target.street,
            community=target,
            visitor=visitor,
            visited_on=day,
            companions=list(companions),
            **kwargs,
        )
    return VisitFactory(
        household=None,
        kind=Kind.PAIRED_VILLAGE,
        paired_village=target,
        street=target.street,
        community=None,
        visitor=visitor,
        visited_on=day,
        companions=list(companions),
        **kwargs,
    )


def enterprise_visit(visitor, enterprise, day: datetime.date = JUNE_1, difficulty: str = "") -> Visit:
    return VisitFactory(
        household=None,
        kind=Kind.ENTERPRISE,
        enterprise=enterprise,
        street=enterprise.street,
        community=enterprise.community,
        visitor=visitor,
        visited_on=day,
        difficulty=difficulty,
    )


def opinion(
    community,
    *,
    raised: datetime.date = APRIL_1,
    source: str = Source.VISIT,
    status: str = Status.NEW,
    category: str | None = None,
    closed: datetime.date | None = None,
) -> Opinion:
    made = OpinionFactory(
        community=community,
        source=source,
        meeting=None,
        status=status,
        category=opinion_category(category) if category else None,
    )
    Opinion.objects.filter(pk=made.pk).update(created_at=at(raised), closed_at=at(closed) if closed else None)
    return made


def key_category():
    return HouseholdCategoryFactory(name="低保户", is_key=True)


# --- The figures --------------------------------------------------------------------------------------------------


class TestLeaderVisits:
    def test_it_counts_places_and_person_visits_with_companions(self, places, leader, deputy, cadre, staff):
        cooperative = CommunityFactory(street=places.street, name="三墩股份经济合作社", kind=Community.Kind.COOPERATIVE)
        village = PairedVillageFactory(street=places.street, name="淳安结对村")
        leader_visit(leader, places.community_a, companions=[deputy, cadre])  # 3 people
        leader_visit(leader, places.community_a, day=D(2026, 9, 1))  # the same community again: 1
        leader_visit(deputy, places.community_b)  # 1
        leader_visit(cadre, cooperative, companions=[leader])  # 2
        leader_visit(leader, village)  # 1
        # Not counted: a member of department staff is not a leader; 2025 is not this year.
        leader_visit(staff, places.community_b, companions=[leader])
        leader_visit(leader, village, day=D(2025, 12, 31))

        figures = report_for(leader).leader_visits

        assert (figures.communities, figures.cooperatives, figures.villages) == (2, 1, 1)
        assert figures.visits == 5
        assert figures.person_visits == 8

    def test_another_streets_visits_are_never_counted(self, places, leader, other_street_leader):
        other = CommunityFactory(street=places.other_street, name="翠苑一区")
        leader_visit(other_street_leader, other, companions=[UserFactory(street=places.other_street)])

        figures = report_for(leader).leader_visits

        assert (figures.communities, figures.visits, figures.person_visits) == (0, 0, 0)
        assert report_for(other_street_leader).leader_visits.person_visits == 2

    def test_a_communitys_report_counts_the_visits_to_it(self, places, leader, deputy, community_leader):
        village = PairedVillageFactory(street=places.street)
        leader_visit(leader, places.community_a, companions=[deputy])
        leader_visit(deputy, places.community_b)
        leader_visit(leader, village)

        figures = report_for(community_leader, community=places.community_a).leader_visits

        assert (figures.communities, figures.villages, figures.visits, figures.person_visits) == (1, 0, 1, 2)


class TestEnterprises:
    def test_distinct_enterprises_and_the_visits_that_raised_a_problem(self, places, leader, staff):
        first = EnterpriseFactory(street=places.street, community=places.community_a, name="文新科技")
        second = EnterpriseFactory(street=places.street, community=places.community_b, name="益乐食品")
        enterprise_visit(staff, first, difficulty="用工难")
        enterprise_visit(leader, first, day=D(2026, 8, 1))
        enterprise_visit(staff, second, difficulty="停车难")
        enterprise_visit(staff, second, day=D(2025, 6, 1), difficulty="去年的问题")

        figures = report_for(leader).enterprise_visits

        assert (figures.enterprises, figures.visits, figures.problems) == (2, 3, 2)


class TestOpinions:
    def test_collected_by_category_and_solved_by_source_group(self, places, leader):
        a, b = places.community_a, places.community_b
        opinion(a, status=Status.SORTED, category="环境卫生")
        opinion(b, status=Status.SORTED, category="环境卫生")
        opinion(a, status=Status.SORTED, category="治安状况")
        opinion(a, raised=D(2025, 6, 1), status=Status.SORTED, category="治安状况")  # another year
        for source, n in ((Source.VISIT, 2), (Source.MEETING, 1), (Source.PAIRED_VILLAGE, 1), (Source.ENTERPRISE, 2)):
            for _i in range(n):
                opinion(a, source=source, status=Status.RESOLVED, category="实事工程", closed=D(2026, 7, 1))
        opinion(a, source=Source.ENTERPRISE, status=Status.EXPLAINED, category="营商环境", closed=D(2026, 7, 1))

        report = report_for(leader)
        by_category = {row.category.name: row.tally.collected for row in report.opinions.by_category if row.category}

        assert report.opinions.collected == 10
        assert (by_category["环境卫生"], by_category["治安状况"], by_category["实事工程"]) == (2, 1, 6)
        assert report.opinions.solved_by_group == {"residents": 3, "paired_villages": 1, "enterprises": 2}

    def test_a_communitys_report_counts_only_its_opinions(self, places, leader, community_leader):
        opinion(places.community_a, status=Status.RESOLVED, closed=D(2026, 7, 1))
        opinion(places.community_b, status=Status.RESOLVED, closed=D(2026, 7, 1))
        opinion(places.community_b)

        assert report_for(leader).opinions.collected == 3
        assert report_for(leader, community=places.community_a).opinions.collected == 1
        assert report_for(community_leader, community=places.community_a).opinions.solved_by_group["residents"] == 1


class TestHardshipAndSubsidies:
    def test_key_households_visited_are_counted_once_each(self, places, leader, worker_a, worker_b):
        key = key_category()
        twice = HouseholdFactory(grid_area=places.area_a, categories=[key])
        VisitFactory(household=twice, visited_on=D(2026, 3, 1))
        VisitFactory(household=twice, kind=Kind.CARING, visited_on=D(2026, 4, 1))
        other_community = HouseholdFactory(grid_area=places.area_b, categories=[key])
        VisitFactory(household=other_community, kind=Kind.CARING, visited_on=D(2026, 5, 1))
        last_year = HouseholdFactory(grid_area=places.area_a, categories=[key])
        VisitFactory(household=last_year, visited_on=D(2025, 11, 1))
        not_key = HouseholdFactory(grid_area=places.area_a)
        VisitFactory(household=not_key, visited_on=D(2026, 3, 1))

        assert report_for(leader).subsidies.hardship_households_visited == 2
        assert report_for(leader, community=places.community_a).subsidies.hardship_households_visited == 1

    def test_subsidies_are_summed_exactly_to_the_fen(self, places, leader, worker_a, other_street_leader):
        household = HouseholdFactory(grid_area=places.area_a)
        for amount in ("1234.56", "0.01", "366565.43"):
            SubsidyFactory(household=household, amount=Decimal(amount), paid_on=D(2026, 3, 15))
        SubsidyFactory(household=household, amount=Decimal("999.99"), paid_on=D(2025, 12, 31))
        elsewhere = HouseholdFactory(grid_area=GridAreaFactory(community=CommunityFactory(street=places.other_street)))
        SubsidyFactory(household=elsewhere, amount=Decimal("500.00"), paid_on=D(2026, 3, 15))

        subsidies = report_for(leader).subsidies

        assert subsidies.total == Decimal("367800.00")
        assert subsidies.payments == 3

    def test_readers_without_sensitive_data_get_no_subsidy_figures(self, places, deputy, worker_a):
        SubsidyFactory(household=HouseholdFactory(grid_area=places.area_a), paid_on=D(2026, 3, 15))

        assert report_for(deputy).subsidies is None


class TestWorkFigures:
    def test_quota_counts_the_workers_who_met_it_per_quarter(self, places, leader, worker_a, worker_b):
        QuotaRule.objects.filter(role=Role.SOCIAL_WORKER).update(households_per_quarter=2)
        for _i in range(2):
            VisitFactory(household=HouseholdFactory(grid_area=places.area_a), visited_on=D(2026, 8, 1))
        VisitFactory(household=HouseholdFactory(grid_area=places.area_b), visited_on=D(2026, 8, 1))

        report = report_for(leader)
        quarters = {q.quarter.slug: (q.met, q.workers, q.complete) for q in report.quota_quarters}
        by_community = {
            row.name: (row.met, row.workers, row.met_percent, row.mean_percent) for row in report.quota_by_community
        }

        assert quarters == {
            "2026Q1": (0, 2, True),
            "2026Q2": (0, 2, True),
            "2026Q3": (1, 2, True),
            "2026Q4": (0, 2, False),
        }
        # The headline quarter is the last complete one.
        assert report.quota_headline.quarter == Quarter(2026, 3)
        assert by_community == {"德加社区": (1, 1, 100, 100), "益乐社区": (0, 1, 0, 50)}

    def test_coverage_is_the_share_of_active_households_visited_in_the_period(self, places, leader, worker_a):
        visited = HouseholdFactory(grid_area=places.area_a)
        VisitFactory(household=visited, visited_on=D(2026, 2, 1))
        VisitFactory(household=HouseholdFactory(grid_area=places.area_a), visited_on=D(2025, 12, 1))
        HouseholdFactory(grid_area=places.area_b)
        moved = HouseholdFactory(grid_area=places.area_b, status=Household.Status.MOVED_OUT)
        VisitFactory(household=moved, visited_on=D(2026, 2, 1))

        coverage = report_for(leader).coverage
        q2 = report_for(leader, params={"quarter": "2026Q2"}).coverage

        assert (coverage.visited, coverage.households, coverage.percent) == (1, 3, 33)
        assert (q2.visited, q2.households) == (0, 3)

    def test_cadence_counts_the_required_meetings_of_the_periods_overlapping_the_report(self, places, community_leader):
        forum = meeting_kind("community_forum")
        MeetingFactory(community=places.community_a, kind=forum, held_on=D(2026, 3, 10))
        MeetingFactory(community=places.community_b, kind=forum, held_on=D(2026, 5, 10))

        year = report_for(community_leader, community=places.community_a).cadence
        q2 = report_for(community_leader, community=places.community_a, params={"quarter": "2026Q2"}).cadence

        # Jan–Feb … Nov–Dec: March–April held; four missed; November–December still due.
        assert (year.held, year.missed, year.due, year.required) == (1, 4, 1, 6)
        # April–June overlaps March–April (held) and May–June (missed).
        assert (q2.held, q2.missed, q2.due) == (1, 1, 0)
        assert year.overdue_units == 1  # nothing in September–October nor yet in November–December

    def test_spot_check_results_of_the_periods_visits(self, places, leader, worker_a, worker_b, other_street_leader):
        check = SpotCheck.objects.create(
            street=places.street,
            level=SpotCheck.Level.COMMUNITY,
            period_start=D(2026, 1, 1),
            period_end=D(2026, 12, 31),
            sample_value=4,
            checker=leader,
        )
        results = [
            (places.area_a, D(2026, 3, 1), SpotCheckItem.Result.CONFIRMED),
            (places.area_a, D(2026, 4, 1), SpotCheckItem.Result.CONFIRMED),
            (places.area_b, D(2026, 5, 1), SpotCheckItem.Result.NOT_CONFIRMED),
            (places.area_b, D(2026, 6, 1), SpotCheckItem.Result.DISCREPANCY),
            (places.area_b, D(2026, 7, 1), ""),  # drawn, not checked yet
            (places.area_a, D(2025, 7, 1), SpotCheckItem.Result.NOT_CONFIRMED),  # a visit of last year
        ]
        for area, day, result in results:
            visit = VisitFactory(household=HouseholdFactory(grid_area=area), visited_on=day)
            SpotCheckItem.objects.create(spot_check=check, visit=visit, result=result)

        checks = report_for(leader).spot_checks
        community_a = report_for(leader, community=places.community_a).spot_checks

        assert (checks.checked, checks.confirmed, checks.not_confirmed, checks.discrepancy) == (4, 2, 1, 1)
        assert (community_a.checked, community_a.confirmed) == (2, 2)
        assert report_for(other_street_leader).spot_checks.checked == 0


# --- The period ---------------------------------------------------------------------------------------------------


class TestPeriod:
    def test_the_quarters_of_a_period_are_those_begun_the_last_four_at_most(self):
        assert report_quarters(D(2026, 1, 1), D(2026, 12, 31), TODAY) == [Quarter(2026, n) for n in (1, 2, 3, 4)]
        assert report_quarters(D(2025, 6, 1), D(2026, 2, 10), TODAY) == [
            Quarter(2025, 2),
            Quarter(2025, 3),
            Quarter(2025, 4),
            Quarter(2026, 1),
        ]
        assert report_quarters(D(2020, 1, 1), D(2026, 12, 31), TODAY)[-1] == Quarter(2026, 4)
        assert report_quarters(D(2027, 1, 1), D(2027, 12, 31), TODAY) == []

    @pytest.mark.parametrize(
        "params, label, start, end",
        [
            ({}, "2026年", D(2026, 1, 1), D(2026, 12, 31)),
            ({"year": "2025"}, "2025年", D(2025, 1, 1), D(2025, 12, 31)),
            ({"quarter": "2026Q4"}, "2026年第4季度", D(2026, 10, 1), D(2026, 12, 31)),
            ({"quarter": "2026q2"}, "2026年第2季度", D(2026, 4, 1), D(2026, 6, 30)),
            ({"start": "2026-02-01", "end": "2026-02-28"}, "2026-02-01 至 2026-02-28", D(2026, 2, 1), D(2026, 2, 28)),
            ({"start": "2024-02-29", "end": "2024-02-29"}, "2024-02-29 至 2024-02-29", D(2024, 2, 29), D(2024, 2, 29)),
        ],
    )
    def test_it_reads_a_year_a_quarter_or_dates(self, places, leader, client_for, params, label, start, end):
        response = client_for(leader).get(REPORT, params)

        assert response.status_code == 200
        period = response.context["period"]
        assert (period.label, period.start, period.end) == (label, start, end)
        assert not list(get_messages(response.wsgi_request))

    @pytest.mark.parametrize(
        "params",
        [
            {"quarter": "2026Q5"},
            {"quarter": "Q4"},
            {"year": "abc"},
            {"year": "99999999999999999999999"},
            {"year": "1999"},
            {"start": "2026-02-30", "end": "2026-03-01"},
            {"start": "2026-03-01", "end": "2026-02-01"},
            {"start": "2026-03-01"},
            {"start": "'; drop table", "end": "\x00"},
            {"start": "9999-01-01", "end": "9999-12-31"},
        ],
    )
    def test_unreadable_input_falls_back_to_this_year_with_a_message(self, places, leader, client_for, params):
        response = client_for(leader).get(REPORT, params)

        assert response.status_code == 200
        period = response.context["period"]
        assert (period.start, period.end) == (D(2026, 1, 1), D(2026, 12, 31))
        assert len(list(get_messages(response.wsgi_request))) == 1

    def test_the_figures_follow_the_period(self, places, leader, client_for):
        leader_visit(leader, places.community_a, day=D(2026, 2, 10))
        leader_visit(leader, places.community_b, day=D(2026, 3, 10))

        february = client_for(leader).get(REPORT, {"start": "2026-02-01", "end": "2026-02-28"}).context["report"]
        q1 = client_for(leader).get(REPORT, {"quarter": "2026Q1"}).context["report"]

        assert february.leader_visits.communities == 1
        assert q1.leader_visits.communities == 2


# --- The page: who, scope, headline, links, charts ----------------------------------------------------------------


class TestAccess:
    def test_anonymous_is_sent_to_log_in(self, client, places):
        for url in (REPORT, reverse("report_print"), reverse("report_export")):
            response = client.get(url)
            assert response.status_code == 302
            assert response.url.startswith(reverse("login"))

    @pytest.mark.parametrize("persona", ["worker_a", "staff", "social_affairs_staff"])
    def test_workers_and_department_staff_are_refused(self, request, places, client_for, persona):
        user = request.getfixturevalue(persona)
        for url in (REPORT, reverse("report_print"), reverse("report_export")):
            assert client_for(user).get(url).status_code == 403

    @pytest.mark.parametrize("persona", ["leader", "deputy", "cadre", "chief", "community_leader", "system_admin"])
    def test_leaders_community_leaders_and_chiefs_read_it(self, request, places, client_for, persona):
        user = request.getfixturevalue(persona)

        assert client_for(user).get(REPORT).status_code == 200

    def test_it_answers_only_get(self, places, leader, client_for):
        assert client_for(leader).post(REPORT).status_code == 405

    def test_the_menu_and_home_offer_it_to_those_who_may_read_it(self, places, leader, worker_a, client_for):
        link = f'href="{reverse("report")}"'

        assert link in client_for(leader).get(reverse("home")).content.decode()
        assert link not in client_for(worker_a).get(reverse("home")).content.decode()


class TestScope:
    def test_a_community_leader_sees_his_community_only_whatever_he_asks(
        self, places, community_leader, leader, deputy, client_for
    ):
        leader_visit(leader, places.community_a, companions=[deputy])
        leader_visit(leader, places.community_b)
        opinion(places.community_b)

        for params in ({}, {"community": places.community_b.pk}, {"community": "abc"}):
            response = client_for(community_leader).get(REPORT, params)
            report = response.context["report"]
            assert report.community == places.community_a
            assert report.unit == "德加社区"
            assert (report.leader_visits.visits, report.leader_visits.person_visits) == (1, 2)
            assert report.opinions.collected == 0
            assert 'name="community"' not in response.content.decode()

    def test_a_street_leader_chooses_one_community_or_the_street(self, places, leader, client_for):
        leader_visit(leader, places.community_a)
        leader_visit(leader, places.community_b)
        other = CommunityFactory(street=places.other_street)

        whole = client_for(leader).get(REPORT).context["report"]
        one = client_for(leader).get(REPORT, {"community": places.community_b.pk}).context["report"]
        ignored = client_for(leader).get(REPORT, {"community": other.pk}).context["report"]

        assert (whole.unit, whole.leader_visits.communities) == ("文新街道", 2)
        assert (one.unit, one.leader_visits.communities) == ("益乐社区", 1)
        assert (ignored.community, ignored.unit) == (None, "文新街道")

    def test_another_streets_records_never_count(self, places, leader, other_street_leader, client_for):
        other_community = CommunityFactory(street=places.other_street)
        leader_visit(other_street_leader, other_community)
        opinion(other_community, status=Status.RESOLVED, closed=D(2026, 7, 1))
        elsewhere = HouseholdFactory(grid_area=GridAreaFactory(community=other_community))
        SubsidyFactory(household=elsewhere, paid_on=D(2026, 3, 15))

        report = client_for(leader).get(REPORT).context["report"]

        assert report.leader_visits.visits == 0
        assert report.opinions.collected == 0
        assert report.subsidies.total == Decimal("0.00")
        assert report.coverage.households == 0


class TestHeadline:
    def test_it_says_the_figures_in_the_articles_words(
        self, places, leader, deputy, cadre, worker_a, staff, client_for
    ):
        cooperative = CommunityFactory(street=places.street, name="三墩股份经济合作社", kind=Community.Kind.COOPERATIVE)
        leader_visit(leader, places.community_a, companions=[deputy])
        leader_visit(cadre, places.community_b)
        leader_visit(deputy, cooperative, companions=[cadre, leader])
        leader_visit(leader, PairedVillageFactory(street=places.street))
        enterprise_visit(staff, EnterpriseFactory(street=places.street), difficulty="用工难")
        opinion(places.community_a, status=Status.RESOLVED, closed=D(2026, 7, 1))
        opinion(places.community_a, source=Source.ENTERPRISE, status=Status.RESOLVED, closed=D(2026, 7, 1))
        household = HouseholdFactory(grid_area=places.area_a, categories=[key_category()])
        VisitFactory(household=household, visited_on=D(2026, 3, 1))
        SubsidyFactory(household=household, amount=Decimal("367800.00"), paid_on=D(2026, 3, 1))

        response = client_for(leader).get(REPORT)

        expected = (
            "今年以来，街道领导走访2个社区、1个股份经济合作社和1个联村结对村，共计7人次；收集意见建议2条；"
            "走访企业1家，收集问题1个；解决居民问题1个、结对村问题0个、企业问题1个；"
            "走访困难家庭1户，发放困难补助36.78万元。"
        )
        assert response.context["headline"] == expected
        assert expected in response.content.decode()

    def test_a_past_year_is_named_and_a_community_is_spoken_of_by_name(
        self, places, deputy, community_leader, client_for
    ):
        leader_visit(deputy, places.community_a, day=D(2025, 4, 1))

        headline = client_for(community_leader).get(REPORT, {"year": "2025"}).context["headline"]

        assert headline.startswith("2025年，街道领导走访德加社区1次，共计1人次；")

    def test_readers_without_sensitive_data_get_no_subsidy_clause(self, places, deputy, client_for):
        response = client_for(deputy).get(REPORT)

        assert "困难补助" not in response.context["headline"]
        assert reverse("households:subsidy_report") not in response.content.decode()


class TestLinks:
    def test_every_figure_links_to_the_records_behind_it(self, places, leader, client_for):
        user_sync_role(user=leader)
        visit = leader_visit(leader, places.community_a, day=D(2026, 5, 10))

        response = client_for(leader).get(REPORT, {"community": places.community_a.pk})
        html = response.content.decode()
        links = response.context["links"]
        a = places.community_a.pk

        for href in (
            f"/feedback/?community={a}",
            f"/feedback/?status=resolved&amp;source=enterprise&amp;community={a}",
            "/visits/places/",
            f"/visits/quota/?quarter=2026Q3&amp;community={a}",
            f"/visits/coverage/?community={a}",
            "/feedback/meetings/cadence/?year=2026",
            f"/households/subsidies/report/?start=2026-01-01&amp;end=2026-12-31&amp;community={a}",
            "/admin/assessment/spotcheckitem/",
        ):
            assert f'href="{href}"' in html, href
        # The admin list behind the leaders' visits answers with the visit.
        admin_list = client_for(leader).get(links["visits_leadership"])
        assert admin_list.status_code == 200
        assert list(admin_list.context["cl"].result_list) == [visit]

    def test_links_the_reader_would_be_refused_are_left_out(self, places, chief, client_for):
        html = client_for(chief).get(REPORT).content.decode()

        assert reverse("feedback:cadence") not in html  # the calendar is for leaders and community leaders
        assert reverse("households:subsidy_report") not in html
        assert reverse("visits:quota") in html

    def test_print_and_export_keep_the_period_and_scope(self, places, leader, client_for):
        html = (
            client_for(leader).get(REPORT, {"quarter": "2026Q2", "community": places.community_b.pk}).content.decode()
        )
        query = f"?quarter=2026Q2&amp;community={places.community_b.pk}"

        assert f'href="{reverse("report_print")}{query}"' in html
        assert f'href="{reverse("report_export")}{query}"' in html


class TestCharts:
    def test_the_page_draws_four_charts_each_with_its_table(self, places, leader, worker_a, client_for):
        opinion(places.community_a, status=Status.SORTED, category="环境卫生")
        household = HouseholdFactory(grid_area=places.area_a)
        SubsidyFactory(household=household, amount=Decimal("10.50"), paid_on=D(2026, 3, 2))
        VisitFactory(household=household, visited_on=D(2026, 8, 3))  # 1 of worker_a's 50 in Q3

        response = client_for(leader).get(REPORT)
        html = response.content.decode()
        charts = {chart.id: chart for chart in response.context["charts"]}

        assert set(charts) == {
            "report-categories-chart",
            "report-sources-chart",
            "subsidies-by-month-chart",
            "report-quota-chart",
        }
        for chart_id in charts:
            assert f'id="{chart_id}-data"' in html
        assert dict(charts["report-categories-chart"].rows)["环境卫生"] == [1, 0]
        assert dict(charts["subsidies-by-month-chart"].rows)["2026-03"] == [Decimal("10.50")]
        assert dict(charts["report-quota-chart"].rows)["德加社区"] == [0, 2]
        assert "charts.js" in html


# --- Print and export ---------------------------------------------------------------------------------------------


class TestPrint:
    def test_it_prints_the_report_with_unit_period_and_figures(self, places, leader, client_for):
        leader_visit(leader, places.community_a)
        opinion(places.community_a, status=Status.SORTED, category="交通秩序")

        response = client_for(leader).get(reverse("report_print"), {"quarter": "2026Q2"})
        html = response.content.decode()

        assert '<span class="wx-print-unit">文新街道</span>' in html
        assert '<span class="wx-print-period">2026年第2季度</span>' in html
        assert '<span class="wx-print-title">工作报告</span>' in html
        assert "data-wx-print" in html
        assert 'data-figure="leader_communities"' in html
        assert 'data-chart="report-categories-chart"' in html
        assert "<canvas" not in html
        assert response.context["headline"] in html
        lines = {line.key: line.shown for line in response.context["lines"]}
        assert (lines["leader_communities"], lines["opinions_collected"]) == ("1", "1")

    def test_a_communitys_print_names_the_community(self, places, community_leader, client_for):
        html = client_for(community_leader).get(reverse("report_print")).content.decode()

        assert '<span class="wx-print-unit">德加社区</span>' in html


def sheet_rows(response, title: str) -> list[tuple]:
    workbook = load_workbook(io.BytesIO(response.content))
    return list(workbook[title].iter_rows(values_only=True))


class TestExport:
    def test_it_exports_the_figures_and_tables_with_chinese_headers(self, places, leader, deputy, worker_a, client_for):
        leader_visit(leader, places.community_a, companions=[deputy])
        SubsidyFactory(
            household=HouseholdFactory(grid_area=places.area_a), amount=Decimal("1234.56"), paid_on=D(2026, 3, 2)
        )

        response = client_for(leader).get(reverse("report_export"), {"year": "2026"})

        assert response["Content-Type"].startswith("application/vnd.openxmlformats")
        assert "attachment" in response["Content-Disposition"]
        rows = sheet_rows(response, "工作报告")
        assert rows[0] == ("项目", "数值", "说明")
        values = {row[0]: row[1] for row in rows[1:]}
        assert values["单位"] == "文新街道"
        assert values["统计期间"] == "2026年"
        assert values["走访社区（个）"] == 1
        assert values["领导走访（人次）"] == 2
        assert values["发放困难补助（元）"] == 1234.56
        assert values["发放困难补助（万元）"] == 0.12
        assert values["概述"].startswith("今年以来，街道领导走访1个社区")
        months = sheet_rows(response, "补助按月份")
        assert months[0] == ("月份", "补助笔数", "补助金额（元）")
        assert ("2026-03", 1, 1234.56) in months
        assert sheet_rows(response, "问题按来源")[0] == ("类别", "来源", "收集", "已解决", "已解释")

    def test_a_text_that_would_run_as_a_formula_is_escaped(self, places, leader, client_for):
        OpinionCategory.objects.create(name="=cmd|' /C calc'!A0", sort_order=99)
        made = opinion(places.community_a, status=Status.SORTED)
        Opinion.objects.filter(pk=made.pk).update(category=OpinionCategory.objects.get(sort_order=99))

        rows = sheet_rows(client_for(leader).get(reverse("report_export")), "意见按分类")

        assert ("'=cmd|' /C calc'!A0", 1, 0, 0, 1) in rows

    def test_readers_without_sensitive_data_get_no_subsidy_sheet(self, places, deputy, client_for):
        workbook = load_workbook(io.BytesIO(client_for(deputy).get(reverse("report_export")).content))

        assert "补助按月份" not in workbook.sheetnames
        assert {row[0]: row[1] for row in workbook["工作报告"].iter_rows(values_only=True)}["走访困难家庭（户）"] == "—"


# --- Queries ------------------------------------------------------------------------------------------------------


def fill(places, leader, deputy, size: int) -> None:
    """`size` of everything the report counts, in both communities."""
    key = key_category()
    QuotaRule.objects.filter(role=Role.SOCIAL_WORKER).update(households_per_quarter=5)
    village = PairedVillageFactory(street=places.street)
    for n in range(size):
        area = places.area_a if n % 2 else places.area_b
        community = area.community
        household = HouseholdFactory(grid_area=area, categories=[key] if n % 3 == 0 else [])
        VisitFactory(household=household, visited_on=D(2026, 1 + n % 10, 5))
        SubsidyFactory(household=household, amount=Decimal("100.10"), paid_on=D(2026, 1 + n % 10, 6))
        leader_visit(leader, community, day=D(2026, 1 + n % 10, 7), companions=[deputy])
        leader_visit(deputy, village, day=D(2026, 1 + n % 10, 8))
        enterprise_visit(leader, EnterpriseFactory(street=places.street, community=community), difficulty="难")
        opinion(community, status=Status.RESOLVED, category="环境卫生", closed=D(2026, 10, 1))
        MeetingFactory(community=community, kind=meeting_kind("community_forum"), held_on=D(2026, 1 + n % 10, 9))


@pytest.mark.parametrize("url", [REPORT, "/report/print/", "/report/export.xlsx"])
def test_the_number_of_queries_does_not_grow_with_the_records(
    places, leader, deputy, worker_a, worker_b, client_for, django_assert_max_num_queries, url
):
    user_sync_role(user=leader)
    client = client_for(leader)
    counts = []
    for size in (2, 60):
        fill(places, leader, deputy, size)
        with CaptureQueriesContext(connection) as queries, django_assert_max_num_queries(50):
            response = client.get(url)
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
    if url == REPORT:
        assert response.context["report"].leader_visits.visits == 2 * 62
