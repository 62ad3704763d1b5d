"""The cadence calendar of the four listenings: period arithmetic, which periods were held, missed or are due,
which units are overdue today, and who sees which rows.

The office's clock reads 15 September 2026 unless a test says otherwise: the community forum's period (every two
months) is September–October, the last one July–August; the deputies' forum's quarter is Q3; the residents'
representatives forum's year is 2026.
"""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from feedback.cadence import (
    CellState,
    RowState,
    cadence_calendar,
    cadence_label,
    cell_state,
    periods_back,
    periods_of_year,
    row_state,
)
from feedback.models import MeetingKind
from tests.factories import CommunityFactory, MeetingFactory, meeting_kind
from visits.periods import Period, add_months, period_containing

TODAY = datetime.date(2026, 9, 15)
D = datetime.date


@pytest.fixture
def today(monkeypatch):
    """The office's clock reads TODAY, so "this period" and the days left are known."""
    real = timezone.localdate

    def localdate(value=None, timezone=None):
        return TODAY if value is None else real(value, timezone)

    monkeypatch.setattr("django.utils.timezone.localdate", localdate)
    return TODAY


def forum(community, held_on: datetime.date, **kwargs):
    return MeetingFactory(community=community, kind=meeting_kind("community_forum"), held_on=held_on, **kwargs)


def street_meeting(street, code: str, held_on: datetime.date):
    return MeetingFactory(community=None, street=street, kind=meeting_kind(code), held_on=held_on)


def rows_of(calendar, code: str) -> dict[str, object]:
    section = next(s for s in calendar.sections if s.kind.code == code)
    return {row.unit_name: row for row in section.rows}


def cells_of(row) -> dict[str, str]:
    return {cell.period.start.strftime("%Y-%m"): cell.state.code for cell in row.cells}


# --- Period arithmetic ------------------------------------------------------------------------------------------


class TestPeriods:
    def test_every_two_months_on_1_december_is_november_to_december(self):
        period = period_containing(D(2026, 12, 1), 2)
        assert (period.start, period.end) == (D(2026, 11, 1), D(2026, 12, 31))
        assert period.label == "2026年11–12月"
        assert period.short_label == "11–12月"
        assert period.days_left(D(2026, 12, 1)) == 31
        assert period.days_left(D(2026, 12, 31)) == 1
        assert period.days_left(D(2027, 1, 1)) == 0

    def test_two_month_periods_start_in_odd_months(self):
        starts = [period_containing(D(2026, month, 10), 2).start.month for month in range(1, 13)]
        assert starts == [1, 1, 3, 3, 5, 5, 7, 7, 9, 9, 11, 11]

    def test_periods_cross_year_boundaries_both_ways(self):
        first = period_containing(D(2026, 1, 1), 2)
        assert first.previous() == Period(D(2025, 11, 1), 2)
        assert first.previous().end == D(2025, 12, 31)
        assert period_containing(D(2026, 12, 31), 2).next() == Period(D(2027, 1, 1), 2)
        assert period_containing(D(2026, 12, 31), 3).next() == Period(D(2027, 1, 1), 3)
        assert add_months(D(2026, 1, 31), -1) == D(2025, 12, 1)
        assert add_months(D(2026, 11, 15), 14) == D(2028, 1, 1)

    def test_a_yearly_cadence_is_the_calendar_year(self):
        period = period_containing(D(2026, 7, 15), 12)
        assert (period.start, period.end) == (D(2026, 1, 1), D(2026, 12, 31))
        assert period.previous() == Period(D(2025, 1, 1), 12)
        assert period.label == "2026年"

    def test_a_quarterly_cadence_is_the_calendar_quarter(self):
        period = period_containing(D(2026, 8, 15), 3)
        assert (period.start, period.end) == (D(2026, 7, 1), D(2026, 9, 30))
        assert period.label == "2026年第3季度"
        assert period_containing(D(2026, 3, 31), 3).start == D(2026, 1, 1)
        assert period_containing(D(2026, 1, 1), 3).previous() == Period(D(2025, 10, 1), 3)

    def test_a_monthly_period_knows_leap_years(self):
        assert period_containing(D(2024, 2, 10), 1).end == D(2024, 2, 29)
        assert period_containing(D(2026, 2, 10), 1).end == D(2026, 2, 28)

    def test_a_cadence_that_does_not_divide_the_year_is_refused(self):
        with pytest.raises(ValueError):
            period_containing(D(2026, 5, 1), 5)

    def test_the_last_24_months_end_with_the_current_period(self):
        periods = periods_back(D(2026, 12, 1), 2)
        assert len(periods) == 12
        assert periods[0] == Period(D(2025, 1, 1), 2)
        assert periods[-1] == Period(D(2026, 11, 1), 2)
        assert all(a.next() == b for a, b in zip(periods, periods[1:], strict=False))
        assert [p.start.year for p in periods_back(D(2026, 9, 15), 12)] == [2025, 2026]
        quarters = periods_back(D(2026, 9, 15), 3)
        assert (len(quarters), quarters[0].start, quarters[-1].start) == (8, D(2024, 10, 1), D(2026, 7, 1))

    def test_the_periods_of_a_year(self):
        assert [p.start.month for p in periods_of_year(2026, 2)] == [1, 3, 5, 7, 9, 11]
        assert [p.start.month for p in periods_of_year(2026, 3)] == [1, 4, 7, 10]
        assert periods_of_year(2026, 12) == [Period(D(2026, 1, 1), 12)]
        assert periods_of_year(2026, 6)[-1].end == D(2026, 12, 31)

    def test_cadences_read_as_the_office_says_them(self):
        assert [cadence_label(m) for m in (12, 3, 2, None)] == ["每年一次", "每季度一次", "每2个月一次", "随时"]


class TestStates:
    def test_a_cell_is_held_missed_due_or_future(self):
        now = period_containing(TODAY, 2)
        assert cell_state(now.previous(), 1, TODAY) is CellState.HELD
        assert cell_state(now.previous(), 0, TODAY) is CellState.MISSED
        assert cell_state(now, 0, TODAY) is CellState.DUE
        assert cell_state(now, 2, TODAY) is CellState.HELD
        assert cell_state(now.next(), 0, TODAY) is CellState.FUTURE

    def test_a_row_is_overdue_only_when_this_period_and_the_last_have_no_meeting(self):
        assert row_state(1, 0) is RowState.HELD
        assert row_state(0, 1) is RowState.DUE
        assert row_state(0, 0) is RowState.OVERDUE


# --- Compliance -------------------------------------------------------------------------------------------------


class TestCompliance:
    def test_a_community_with_a_forum_three_months_ago_and_none_since_is_overdue(self, places, leader):
        forum(places.community_a, D(2026, 6, 15))
        row = rows_of(cadence_calendar(viewer=leader, today=TODAY), "community_forum")["德加社区"]
        assert row.state is RowState.OVERDUE
        assert row.last_held == D(2026, 6, 15)
        assert cells_of(row)["2026-09"] == "due"
        assert cells_of(row)["2026-07"] == "missed"
        assert cells_of(row)["2026-05"] == "held"

    def test_a_community_with_a_forum_last_month_is_held(self, places, leader):
        today = D(2026, 12, 10)
        forum(places.community_a, D(2026, 11, 10))
        row = rows_of(cadence_calendar(viewer=leader, today=today), "community_forum")["德加社区"]
        assert row.state is RowState.HELD
        assert cells_of(row)["2026-11"] == "held"
        assert row.cells[-1].count == 1

    def test_a_forum_in_the_last_period_leaves_this_one_due_with_its_days_left(self, places, leader):
        forum(places.community_b, D(2026, 7, 10))
        forum(places.community_b, D(2026, 8, 20))
        row = rows_of(cadence_calendar(viewer=leader, today=TODAY), "community_forum")["益乐社区"]
        assert row.state is RowState.DUE
        assert row.days_left == 47  # 15 September to 31 October
        assert row.cells[-2].count == 2
        assert row.last_held == D(2026, 8, 20)

    def test_a_community_that_never_met_is_overdue_and_every_past_cell_missed(self, places, leader):
        row = rows_of(cadence_calendar(viewer=leader, today=TODAY), "community_forum")["益乐社区"]
        assert row.state is RowState.OVERDUE
        assert row.last_held is None
        assert [c.state for c in row.cells[:-1]] == [CellState.MISSED] * 11
        assert row.cells[-1].state is CellState.DUE

    def test_the_calendar_shows_24_months_of_each_cadence(self, places, leader):
        calendar = cadence_calendar(viewer=leader, today=TODAY)
        shown = {s.kind.code: [p.start for p in s.periods] for s in calendar.sections}
        assert list(shown) == ["residents_forum", "deputies_forum", "community_forum"]  # not the online channel
        assert shown["residents_forum"] == [D(2025, 1, 1), D(2026, 1, 1)]
        assert len(shown["deputies_forum"]) == 8
        assert shown["community_forum"][0] == D(2024, 11, 1)
        assert shown["community_forum"][-1] == D(2026, 9, 1)

    def test_street_held_kinds_have_one_row_for_the_street(self, places, leader):
        street_meeting(places.street, "residents_forum", D(2026, 3, 1))
        street_meeting(places.street, "deputies_forum", D(2026, 8, 1))
        calendar = cadence_calendar(viewer=leader, today=TODAY)
        residents = rows_of(calendar, "residents_forum")
        assert list(residents) == ["文新街道"]
        assert residents["文新街道"].state is RowState.HELD
        assert cells_of(residents["文新街道"]) == {"2025-01": "missed", "2026-01": "held"}
        deputies = rows_of(calendar, "deputies_forum")["文新街道"]
        assert deputies.state is RowState.HELD
        assert cells_of(deputies)["2026-04"] == "missed"

    def test_a_chosen_year_shows_its_periods_and_future_ones_as_future(self, places, leader):
        forum(places.community_a, D(2025, 3, 3))
        forum(places.community_a, D(2026, 9, 1))
        row = rows_of(cadence_calendar(viewer=leader, today=TODAY, year=2026), "community_forum")["德加社区"]
        assert cells_of(row) == {
            "2026-01": "missed",
            "2026-03": "missed",
            "2026-05": "missed",
            "2026-07": "missed",
            "2026-09": "held",
            "2026-11": "future",
        }
        past = rows_of(cadence_calendar(viewer=leader, today=TODAY, year=2025), "community_forum")["德加社区"]
        assert cells_of(past)["2025-03"] == "held"
        assert past.state is RowState.HELD  # today's state, whatever year is shown
        assert past.last_held == D(2026, 9, 1)

    def test_the_summary_counts_overdue_units_and_sorts_them_first(self, places, leader):
        forum(places.community_b, D(2026, 9, 2))
        street_meeting(places.street, "residents_forum", D(2026, 3, 1))
        street_meeting(places.street, "deputies_forum", D(2026, 5, 1))
        calendar = cadence_calendar(viewer=leader, today=TODAY)
        assert calendar.counts == {RowState.OVERDUE: 1, RowState.DUE: 1, RowState.HELD: 2}
        assert calendar.overdue_units == 1
        assert [r.unit_name for r in calendar.overdue_rows] == ["德加社区"]
        community = next(s for s in calendar.sections if s.kind.code == "community_forum")
        assert [r.unit_name for r in community.rows] == ["德加社区", "益乐社区"]
        assert [r.state for r in community.rows] == [RowState.OVERDUE, RowState.HELD]

    def test_filters_by_kind_and_status(self, places, leader):
        forum(places.community_b, D(2026, 9, 2))
        only_forum = cadence_calendar(viewer=leader, today=TODAY, kind=meeting_kind("community_forum"))
        assert [s.kind.code for s in only_forum.sections] == ["community_forum"]
        assert only_forum.total == 2
        overdue = cadence_calendar(viewer=leader, today=TODAY, status=RowState.OVERDUE)
        shown = {row.unit_name for s in overdue.sections for row in s.rows}
        assert shown == {"德加社区", "文新街道"}
        assert overdue.total == 4  # the summary still counts every row

    def test_an_inactive_kind_or_one_without_cadence_has_no_rows(self, places, leader):
        MeetingKind.objects.filter(code="deputies_forum").update(is_active=False)
        codes = [s.kind.code for s in cadence_calendar(viewer=leader, today=TODAY).sections]
        assert codes == ["residents_forum", "community_forum"]

    def test_a_kind_with_another_cadence_counts_in_its_own_periods(self, places, leader):
        MeetingKind.objects.filter(code="community_forum").update(cadence_months=6)
        forum(places.community_a, D(2026, 7, 20))
        row = rows_of(cadence_calendar(viewer=leader, today=TODAY), "community_forum")["德加社区"]
        assert [c.period.start for c in row.cells] == [D(2025, 1, 1), D(2025, 7, 1), D(2026, 1, 1), D(2026, 7, 1)]
        assert row.state is RowState.HELD


# --- Scoping ----------------------------------------------------------------------------------------------------


class TestScoping:
    def test_a_community_leader_sees_his_community_and_the_street_rows(self, places, community_leader):
        calendar = cadence_calendar(viewer=community_leader, today=TODAY)
        assert list(rows_of(calendar, "community_forum")) == ["德加社区"]
        assert list(rows_of(calendar, "residents_forum")) == ["文新街道"]

    def test_a_street_leader_sees_every_community_and_cooperative(self, places, leader):
        CommunityFactory(street=places.street, name="文新股份经济合作社", kind="cooperative")
        calendar = cadence_calendar(viewer=leader, today=TODAY)
        assert set(rows_of(calendar, "community_forum")) == {"德加社区", "益乐社区", "文新股份经济合作社"}

    def test_another_streets_meetings_never_count(self, places, leader, other_street_leader):
        other_community = CommunityFactory(street=places.other_street, name="翠苑一区")
        forum(other_community, D(2026, 9, 1))
        street_meeting(places.other_street, "deputies_forum", D(2026, 8, 1))
        ours = cadence_calendar(viewer=leader, today=TODAY)
        assert "翠苑一区" not in rows_of(ours, "community_forum")
        assert rows_of(ours, "deputies_forum")["文新街道"].state is RowState.OVERDUE
        theirs = cadence_calendar(viewer=other_street_leader, today=TODAY)
        assert list(rows_of(theirs, "community_forum")) == ["翠苑一区"]
        assert rows_of(theirs, "community_forum")["翠苑一区"].state is RowState.HELD
        assert rows_of(theirs, "deputies_forum")["翠苑街道"].state is RowState.HELD


# --- The page ---------------------------------------------------------------------------------------------------


def page(client, **params):
    return client.get(reverse("feedback:cadence"), params)


class TestCadencePage:
    @pytest.mark.parametrize("persona", ["leader", "deputy", "cadre", "community_leader"])
    def test_leaders_and_community_leaders_open_it(self, persona, request, today, client_for):
        response = page(client_for(request.getfixturevalue(persona)))
        assert response.status_code == 200
        assert "频次日历" in response.text

    @pytest.mark.parametrize("persona", ["worker_a", "staff", "chief"])
    def test_other_roles_are_refused(self, persona, request, today, client_for):
        assert page(client_for(request.getfixturevalue(persona))).status_code == 403

    def test_anonymous_is_sent_to_log_in(self, client, places):
        response = page(client)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))

    def test_a_community_leader_sees_only_his_communitys_row(self, places, today, community_leader, client_for):
        forum(places.community_b, D(2026, 9, 1))
        response = page(client_for(community_leader))
        assert "德加社区" in response.text
        assert "益乐社区" not in response.text

    def test_it_shows_the_overdue_summary_and_the_cells(self, places, today, leader, client_for):
        held = forum(places.community_b, D(2026, 9, 2))
        forum(places.community_a, D(2026, 6, 15))
        response = page(client_for(leader))
        html = response.text
        assert 'data-overdue-units="2"' in html  # 德加社区, and the street (late on both its forums)
        assert "2 个单位逾期未召开会议" in html
        assert len(response.context["calendar"].overdue_rows) == 3
        assert 'data-cell="held"' in html and 'data-cell="missed"' in html and 'data-cell="due"' in html
        link = (
            f"{reverse('feedback:meeting_list')}?kind=community_forum&amp;community={places.community_b.pk}"
            "&amp;start=2026-09-01&amp;end=2026-10-31"
        )
        assert link in html
        listed = client_for(leader).get(
            reverse("feedback:meeting_list"),
            {"kind": "community_forum", "community": places.community_b.pk, "start": "2026-09-01", "end": "2026-10-31"},
        )
        assert [m.pk for m in listed.context["page"]] == [held.pk]
        assert "上次 2026-06-15" in html
        assert "本期还剩 47 天" in html

    def test_the_status_and_kind_filters_and_a_bad_value(self, places, today, leader, client_for):
        forum(places.community_b, D(2026, 9, 2))
        client = client_for(leader)
        overdue = page(client, status="overdue")
        units = {row.unit_name for s in overdue.context["calendar"].sections for row in s.rows}
        assert units == {"德加社区", "文新街道"}
        forum_only = page(client, kind="community_forum")
        assert [s.kind.code for s in forum_only.context["calendar"].sections] == ["community_forum"]
        for bad in ({"status": "nonsense"}, {"kind": "nonsense"}, {"year": "1999"}, {"year": "abc"}, {"year": "2099"}):
            response = page(client, **bad)
            assert response.status_code == 200
            assert response.context["calendar"].total == 4

    def test_a_year_and_the_links_around_it(self, places, today, leader, client_for):
        response = page(client_for(leader), year="2025")
        assert response.context["year"] == 2025
        assert "year=2024" in response.text and "year=2026" in response.text
        current = page(client_for(leader))
        assert current.context["next_year"] is None
        assert "year=2025" in current.text

    def test_the_tab_shows_to_reviewers_only(self, places, today, leader, worker_a, client_for):
        url = reverse("feedback:cadence")
        assert url in client_for(leader).get(reverse("feedback:meeting_list")).text
        assert url not in client_for(worker_a).get(reverse("feedback:meeting_list")).text

    def test_it_does_not_grow_with_communities_or_meetings(
        self, places, today, leader, client_for, django_assert_max_num_queries
    ):
        client = client_for(leader)

        def add(communities: int, meetings_each: int) -> None:
            for _ in range(communities):
                community = CommunityFactory(street=places.street)
                for i in range(meetings_each):
                    forum(community, D(2026, 1, 5) + datetime.timedelta(days=40 * i), recorded_by=leader)
            for i in range(meetings_each):
                street_meeting(places.street, "deputies_forum", D(2025, 1, 5) + datetime.timedelta(days=50 * i))

        add(2, 2)
        with django_assert_max_num_queries(8) as small:
            assert page(client).status_code == 200
        add(20, 6)
        with django_assert_max_num_queries(8) as large:
            response = page(client)
        assert len(large.captured_queries) == len(small.captured_queries)
        assert response.context["calendar"].total == 2 + 24  # two street rows, 24 communities
