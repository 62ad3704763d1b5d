"""The opinion figures: the article's "60+ collected; 15 / 5 / 19 solved", by source group and category, the median
days to close and the share closed on time, and the page leaders read them on.

Places (tests/conftest.py): our street (文新街道) with community A (德加社区) and community B (益乐社区), and another
street (翠苑街道). Times are given in UTC and counted on the office's clock (Asia/Shanghai, UTC+8).
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from feedback.figures import median_days, opinion_figures
from feedback.models import Opinion
from tests.factories import CommunityFactory, OpinionFactory, opinion_category

TODAY = datetime.date(2026, 11, 15)
YEAR_2026 = {"start": datetime.date(2026, 1, 1), "end": datetime.date(2026, 12, 31)}
Source, Status = Opinion.Source, Opinion.Status


@pytest.fixture(autouse=True)
def today(monkeypatch):
    """The office's clock reads TODAY, so "this year" is 2026."""
    real = timezone.localdate

    def localdate(value=None, timezone=None):
        return TODAY if value is None else real(value, timezone)

    monkeypatch.setattr("django.utils.timezone.localdate", localdate)
    return TODAY


def utc(*args: int) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=datetime.UTC)


def local(*args: int) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=timezone.get_default_timezone())


def make(
    community,
    *,
    created: datetime.datetime,
    source: str = Source.VISIT,
    status: str = Status.NEW,
    closed: datetime.datetime | None = None,
    due: datetime.date | None = None,
    category: str | None = None,
    parent: Opinion | None = None,
) -> Opinion:
    """An opinion recorded at `created` (and closed at `closed`), whatever the clock reads now."""
    opinion = OpinionFactory(
        community=community,
        source=source,
        meeting=None,
        status=status,
        due_on=due,
        category=opinion_category(category) if category else None,
        parent=parent,
    )
    Opinion.objects.filter(pk=opinion.pk).update(created_at=created, closed_at=closed)
    opinion.refresh_from_db()
    return opinion


def split(community, *, created: datetime.datetime, source: str = Source.MEETING, parts: list[dict]) -> Opinion:
    """An opinion split into parts two days after it was raised; each part as given."""
    original = make(community, created=created, source=source, status=Status.SPLIT)
    for part in parts:
        make(community, created=created + datetime.timedelta(days=2), source=source, parent=original, **part)
    return original


def figures_for(viewer, **period):
    return opinion_figures(viewer=viewer, **(period or YEAR_2026), today=TODAY)


def by_source(result) -> dict[str, tuple[int, int, int]]:
    return {
        row.source: (row.tally.collected, row.tally.resolved, row.tally.explained)
        for group in result.by_group
        for row in group.sources
    }


def by_group(result) -> dict[str, tuple[int, int, int]]:
    return {g.code: (g.tally.collected, g.tally.resolved, g.tally.explained) for g in result.by_group}


def by_category(result) -> dict[str, tuple[int, int, int, int]]:
    return {
        (row.category.name if row.category else None): (
            row.tally.collected,
            row.tally.resolved,
            row.tally.explained,
            row.tally.open,
        )
        for row in result.by_category
    }


# --- Collected and solved, by source group ------------------------------------------------------------------------


class TestCollected:
    def test_it_counts_the_opinions_as_raised_per_source_and_group(self, places, leader):
        a = places.community_a
        for source, count in [
            (Source.VISIT, 2),
            (Source.MEETING, 1),
            (Source.ONLINE, 1),
            (Source.PAIRED_VILLAGE, 2),
            (Source.ENTERPRISE, 3),
        ]:
            for _ in range(count):
                make(a, created=utc(2026, 3, 1, 2), source=source)
        # One opinion asking three things: collected once, though it became three parts.
        split(a, created=utc(2026, 4, 1, 2), parts=[{"category": "环境卫生"}] * 3)
        make(a, created=utc(2025, 6, 1, 2), source=Source.ENTERPRISE)  # another year

        result = figures_for(leader)

        assert result.collected == 10
        assert by_group(result) == {"residents": (5, 0, 0), "paired_villages": (2, 0, 0), "enterprises": (3, 0, 0)}
        assert by_source(result) == {
            Source.VISIT: (2, 0, 0),
            Source.MEETING: (2, 0, 0),
            Source.ONLINE: (1, 0, 0),
            Source.PAIRED_VILLAGE: (2, 0, 0),
            Source.ENTERPRISE: (3, 0, 0),
        }

    def test_solved_counts_the_parts_of_a_split_opinion_not_the_original(self, places, leader):
        a = places.community_a
        closed = utc(2026, 4, 10, 2)
        split(
            a,
            created=utc(2026, 4, 1, 2),
            parts=[
                {"status": Status.RESOLVED, "closed": closed, "category": "环境卫生"},
                {"status": Status.RESOLVED, "closed": closed, "category": "交通秩序"},
                {"status": Status.EXPLAINED, "closed": closed, "category": "交通秩序"},
            ],
        )
        make(a, created=utc(2026, 2, 1, 2), source=Source.VISIT, status=Status.RESOLVED, closed=closed)
        make(a, created=utc(2026, 2, 1, 2), source=Source.PAIRED_VILLAGE, status=Status.RESOLVED, closed=closed)
        for _ in range(2):
            make(a, created=utc(2026, 2, 1, 2), source=Source.ENTERPRISE, status=Status.RESOLVED, closed=closed)
        make(a, created=utc(2026, 2, 1, 2), source=Source.ENTERPRISE, status=Status.EXPLAINED, closed=closed)
        # Raised and solved last year: neither collected nor solved this year.
        make(a, created=utc(2025, 11, 1, 2), source=Source.ENTERPRISE, status=Status.RESOLVED, closed=utc(2025, 12, 20))
        # Raised last year, solved this year: solved this year, collected last year.
        make(a, created=utc(2025, 12, 1, 2), source=Source.PAIRED_VILLAGE, status=Status.RESOLVED, closed=closed)

        result = figures_for(leader)

        assert result.solved_by_group == {"residents": 3, "paired_villages": 2, "enterprises": 2}
        assert (result.resolved, result.explained, result.closed) == (7, 2, 9)
        assert by_group(result) == {"residents": (2, 3, 1), "paired_villages": (1, 2, 0), "enterprises": (3, 2, 1)}
        assert result.collected == 6

    def test_an_open_opinion_is_collected_but_not_solved(self, places, leader):
        make(places.community_a, created=utc(2026, 5, 1), status=Status.IN_PROGRESS, due=datetime.date(2026, 12, 1))

        result = figures_for(leader)

        assert (result.collected, result.resolved, result.explained) == (1, 0, 0)


# --- The period, on the office's clock ----------------------------------------------------------------------------


class TestPeriodEdges:
    def test_an_opinion_recorded_at_1am_on_new_years_day_belongs_to_the_new_year(self, places, leader):
        a = places.community_a
        make(a, created=utc(2026, 12, 31, 17))  # 2027-01-01 01:00 in Hangzhou
        make(a, created=utc(2026, 12, 31, 15, 59))  # 2026-12-31 23:59
        make(a, created=utc(2025, 12, 31, 16))  # 2026-01-01 00:00

        this_year = figures_for(leader)
        next_year = figures_for(leader, start=datetime.date(2027, 1, 1), end=datetime.date(2027, 12, 31))

        assert this_year.collected == 2
        assert next_year.collected == 1

    def test_an_opinion_closed_after_local_midnight_is_solved_in_the_new_period(self, places, leader):
        make(places.community_a, created=utc(2026, 12, 1), status=Status.RESOLVED, closed=utc(2026, 12, 31, 16))

        q4 = figures_for(leader, start=datetime.date(2026, 10, 1), end=datetime.date(2026, 12, 31))
        q1 = figures_for(leader, start=datetime.date(2027, 1, 1), end=datetime.date(2027, 3, 31))

        assert (q4.collected, q4.resolved) == (1, 0)
        assert (q1.collected, q1.resolved) == (0, 1)

    def test_both_end_days_are_in_the_period(self, places, leader):
        a = places.community_a
        make(a, created=local(2026, 3, 1, 0, 0))
        make(a, created=local(2026, 3, 31, 23, 59))
        make(a, created=local(2026, 4, 1, 0, 0))

        assert figures_for(leader, start=datetime.date(2026, 3, 1), end=datetime.date(2026, 3, 31)).collected == 2


# --- Days to close and closed on time ----------------------------------------------------------------------------


MAY_DAY = local(2026, 5, 1, 9)


def closed_after(community, days: float, *, created=MAY_DAY, status=Status.RESOLVED):
    return make(community, created=created, status=status, closed=created + datetime.timedelta(days=days))


class TestDaysToClose:
    def test_the_median_of_an_odd_number_of_closings_is_the_middle_one(self, places, leader):
        for days in (1, 4, 2):
            closed_after(places.community_a, days)

        assert figures_for(leader).median_days_to_close == Decimal("2.0")

    def test_the_median_of_an_even_number_is_the_mean_of_the_middle_two(self, places, leader):
        for days in (1, 4, 2, 30):
            closed_after(places.community_a, days, status=Status.EXPLAINED if days == 30 else Status.RESOLVED)

        assert figures_for(leader).median_days_to_close == Decimal("3.0")

    def test_it_is_given_with_one_decimal_rounded_half_up(self):
        durations = [datetime.timedelta(days=1), datetime.timedelta(days=2, hours=12)]  # 1.75 days
        assert median_days(durations) == Decimal("1.8")
        assert median_days([datetime.timedelta(hours=3)]) == Decimal("0.1")
        assert median_days([]) is None

    def test_it_is_none_when_nothing_was_closed_in_the_period(self, places, leader):
        closed_after(places.community_a, 3, created=local(2025, 5, 1, 9))

        result = figures_for(leader)

        assert result.median_days_to_close is None
        assert result.on_time_percent is None

    def test_a_part_counts_from_the_day_the_resident_raised_it(self, places, leader):
        raised = local(2026, 4, 1, 10)
        split(
            places.community_a,
            created=raised,
            parts=[
                {"status": Status.RESOLVED, "closed": raised + datetime.timedelta(days=5), "category": "环境卫生"},
                {"status": Status.RESOLVED, "closed": raised + datetime.timedelta(days=5), "category": "交通秩序"},
            ],
        )

        assert figures_for(leader).median_days_to_close == Decimal("5.0")


class TestOnTime:
    def test_the_share_counts_closings_with_a_due_date_by_the_local_day(self, places, leader):
        a = places.community_a
        due = datetime.date(2026, 3, 10)
        created = local(2026, 3, 1, 9)
        make(a, created=created, status=Status.RESOLVED, closed=local(2026, 3, 10, 23, 30), due=due)  # on the day
        make(a, created=created, status=Status.EXPLAINED, closed=local(2026, 3, 5, 9), due=due)  # early
        # 2026-03-10 17:00 UTC is already the 11th in Hangzhou: late, though the UTC date is the due date.
        make(a, created=created, status=Status.RESOLVED, closed=utc(2026, 3, 10, 17), due=due)
        make(a, created=created, status=Status.RESOLVED, closed=local(2026, 3, 20, 9))  # no due date: not counted
        make(a, created=created, status=Status.ASSIGNED, due=due)  # still open: not counted

        result = figures_for(leader)

        assert (result.closed_on_time, result.closed_with_due) == (2, 3)
        assert result.on_time_percent == 67


# --- By category, open and overdue now ----------------------------------------------------------------------------


class TestByCategory:
    def test_parts_count_in_their_categories_and_unsorted_opinions_on_their_own_row(self, places, leader):
        a = places.community_a
        closed = local(2026, 6, 1, 9)
        split(
            a,
            created=local(2026, 5, 1, 9),
            parts=[
                {"status": Status.RESOLVED, "closed": closed, "category": "环境卫生"},
                {"status": Status.EXPLAINED, "closed": closed, "category": "交通秩序"},
                {"status": Status.ASSIGNED, "due": datetime.date(2026, 6, 30), "category": "交通秩序"},
            ],
        )
        make(a, created=local(2026, 7, 1, 9), status=Status.SORTED, category="环境卫生")
        make(a, created=local(2026, 7, 1, 9))  # new: not sorted yet
        make(a, created=local(2025, 7, 1, 9), status=Status.IN_PROGRESS, category="营商环境")  # open since last year

        rows = by_category(figures_for(leader))

        assert rows["环境卫生"] == (2, 1, 0, 1)
        assert rows["交通秩序"] == (2, 0, 1, 1)
        assert rows["营商环境"] == (0, 0, 0, 1)
        assert rows["实事工程"] == (0, 0, 0, 0)  # every active category has its row
        assert rows[None] == (1, 0, 0, 1)

    def test_a_retired_category_shows_only_while_it_has_numbers(self, places, leader):
        retired = opinion_category("精神文明")
        retired.is_active = False
        retired.save(update_fields=["is_active"])
        assert "精神文明" not in by_category(figures_for(leader))

        make(places.community_a, created=local(2026, 7, 1, 9), status=Status.SORTED, category="精神文明")

        assert by_category(figures_for(leader))["精神文明"] == (1, 0, 0, 1)


class TestOpenNow:
    def test_open_and_overdue_are_counted_today_whatever_the_period(self, places, leader):
        a = places.community_a
        created = local(2025, 5, 1, 9)
        make(a, created=created, status=Status.ASSIGNED, due=TODAY - datetime.timedelta(days=1))  # overdue
        make(a, created=created, status=Status.IN_PROGRESS, due=TODAY - datetime.timedelta(days=30))  # overdue
        make(a, created=created, status=Status.IN_PROGRESS, due=TODAY)  # due today: not yet overdue
        make(a, created=created, status=Status.NEW)
        make(a, created=created, status=Status.SPLIT)  # its parts carry on
        make(a, created=created, status=Status.RESOLVED, closed=local(2025, 6, 1, 9), due=datetime.date(2025, 5, 2))

        result = figures_for(leader)

        assert (result.open_now, result.overdue_now) == (4, 2)


# --- Scope ------------------------------------------------------------------------------------------------------


@pytest.fixture
def everywhere(places):
    """Two resolved opinions in community A, one in community B, four in another street (one enterprise each)."""
    closed = local(2026, 6, 1, 9)
    created = local(2026, 5, 1, 9)
    for _ in range(2):
        make(places.community_a, created=created, status=Status.RESOLVED, closed=closed)
    make(places.community_b, created=created, status=Status.RESOLVED, closed=closed, source=Source.ENTERPRISE)
    elsewhere = CommunityFactory(street=places.other_street, name="翠苑一社区")
    for _ in range(4):
        make(elsewhere, created=created, status=Status.RESOLVED, closed=closed, source=Source.ENTERPRISE)


class TestScope:
    def test_a_street_leader_counts_the_whole_street_and_nothing_of_another(self, everywhere, leader):
        result = figures_for(leader)

        assert (result.collected, result.resolved) == (3, 3)
        assert result.solved_by_group == {"residents": 2, "paired_villages": 0, "enterprises": 1}

    def test_a_community_leaders_figures_are_his_communitys(self, everywhere, community_leader):
        result = figures_for(community_leader)

        assert (result.collected, result.resolved) == (2, 2)
        assert result.solved_by_group == {"residents": 2, "paired_villages": 0, "enterprises": 0}

    def test_the_leader_of_another_street_counts_only_hers(self, everywhere, other_street_leader):
        result = figures_for(other_street_leader)

        assert (result.collected, result.resolved) == (4, 4)
        assert result.solved_by_group == {"residents": 0, "paired_villages": 0, "enterprises": 4}


# --- The page ---------------------------------------------------------------------------------------------------


def page(client, **params):
    return client.get(reverse("feedback:figures"), params)


@pytest.fixture
def article(places):
    """The article's year in small: 8 collected; solved 3 resident, 1 paired-village and 2 enterprise problems."""
    a = places.community_a
    created, closed = local(2026, 3, 1, 9), local(2026, 3, 11, 9)
    for source in (Source.VISIT, Source.MEETING, Source.ONLINE):
        make(a, created=created, source=source, status=Status.RESOLVED, closed=closed, category="环境卫生")
    make(a, created=created, source=Source.PAIRED_VILLAGE, status=Status.RESOLVED, closed=closed, category="实事工程")
    make(a, created=created, source=Source.PAIRED_VILLAGE, status=Status.ASSIGNED, due=datetime.date(2026, 4, 1))
    for _ in range(2):
        make(a, created=created, source=Source.ENTERPRISE, status=Status.RESOLVED, closed=closed, category="营商环境")
    make(a, created=local(2026, 8, 1, 9), source=Source.ENTERPRISE)


class TestPage:
    @pytest.mark.parametrize("persona", ["leader", "deputy", "cadre", "community_leader", "system_admin"])
    def test_leaders_and_community_leaders_read_it(self, request, client_for, article, persona):
        response = page(client_for(request.getfixturevalue(persona)))

        assert response.status_code == 200

    def test_it_states_the_headline_as_the_article_does(self, client_for, leader, article):
        response = page(client_for(leader))

        assert "收集意见建议 8 条；解决居民问题 3 个、结对村问题 1 个、企业问题 2 个" in response.text
        result = response.context["figures"]
        assert result.median_days_to_close == Decimal("10.0")
        assert (result.open_now, result.overdue_now) == (2, 1)

    def test_a_community_leader_reads_only_his_communitys_numbers(self, client_for, community_leader, article, places):
        make(places.community_b, created=local(2026, 3, 1, 9), source=Source.ENTERPRISE)

        response = page(client_for(community_leader))

        assert response.context["figures"].collected == 8
        assert "收集意见建议 8 条" in response.text

    def test_each_number_links_to_the_list_with_its_filters(self, client_for, leader, article):
        text = page(client_for(leader)).text
        list_url = reverse("feedback:list")
        category = opinion_category("营商环境").pk

        assert f'href="{list_url}?status=resolved&amp;source=enterprise"' in text
        assert f'href="{list_url}?source=visit&amp;status=resolved"' in text
        assert f'href="{list_url}?category={category}&amp;status=resolved"' in text
        assert f'href="{list_url}?overdue=1"' in text

    @pytest.mark.parametrize("persona", ["worker_a", "staff", "chief", "social_affairs_staff"])
    def test_other_roles_are_refused(self, request, client_for, persona):
        assert page(client_for(request.getfixturevalue(persona))).status_code == 403

    def test_anonymous_is_sent_to_log_in(self, client, places):
        response = page(client)

        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))

    def test_it_answers_get_only(self, client_for, leader):
        assert client_for(leader).post(reverse("feedback:figures")).status_code == 405


class TestPeriodChoice:
    def test_it_shows_this_year_by_default(self, client_for, leader):
        period = page(client_for(leader)).context["period"]

        assert (period.start, period.end, period.kind) == (YEAR_2026["start"], YEAR_2026["end"], "year")

    def test_a_quarter(self, client_for, leader, article):
        response = page(client_for(leader), quarter="2026Q2")

        period = response.context["period"]
        assert (period.start, period.end) == (datetime.date(2026, 4, 1), datetime.date(2026, 6, 30))
        assert period.kind == "quarter"
        assert response.context["figures"].collected == 0

    def test_a_range_of_dates(self, client_for, leader, article):
        response = page(client_for(leader), start="2026-03-01", end="2026-03-10")

        assert response.context["period"].kind == "range"
        assert response.context["figures"].collected == 7
        assert response.context["figures"].resolved == 0  # closed on the 11th

    def test_another_year(self, client_for, leader, article):
        response = page(client_for(leader), year="2025")

        assert response.context["period"].start == datetime.date(2025, 1, 1)
        assert response.context["figures"].collected == 0

    @pytest.mark.parametrize(
        "params",
        [
            {"start": "2026-02-30", "end": "2026-03-31"},
            {"start": "2026-03-01"},
            {"start": "yesterday", "end": "today"},
            {"start": "2026-05-01", "end": "2026-04-01"},
            {"start": "0001-01-01", "end": "9999-12-31"},
            {"quarter": "2026Q9"},
            {"year": "二〇二六"},
            {"year": "²"},
            {"year": "99999999999999999999"},
        ],
    )
    def test_what_cannot_be_read_falls_back_to_this_year_with_a_message(self, client_for, leader, article, params):
        response = page(client_for(leader), **params)

        assert response.status_code == 200
        period = response.context["period"]
        assert (period.start, period.end) == (datetime.date(2026, 1, 1), datetime.date(2026, 12, 31))
        assert len(list(get_messages(response.wsgi_request))) == 1
        assert "已显示本年度的数字" in response.text


def test_the_page_does_not_grow_with_the_opinions(client_for, leader, places, django_assert_max_num_queries):
    client = client_for(leader)
    sources = list(Source.values)
    categories = ["环境卫生", "交通秩序", "营商环境", "实事工程"]

    def add(count: int) -> None:
        for n in range(count):
            community = places.community_a if n % 2 else places.community_b
            created = local(2026, 1 + n % 10, 1 + n % 27, 9)
            if n % 3 == 0:
                make(
                    community,
                    created=created,
                    source=sources[n % len(sources)],
                    status=Status.RESOLVED,
                    closed=created + datetime.timedelta(days=n % 9),
                    due=created.date() + datetime.timedelta(days=4),
                    category=categories[n % len(categories)],
                )
            else:
                make(
                    community,
                    created=created,
                    source=sources[n % len(sources)],
                    status=Status.ASSIGNED,
                    due=created.date() + datetime.timedelta(days=30),
                    category=categories[n % len(categories)],
                )

    add(15)
    # Session and user, the navbar's private-records check, and the figures' five queries.
    with django_assert_max_num_queries(10) as small:
        assert page(client).status_code == 200
    add(150)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = page(client)
    assert response.context["figures"].collected == 165


def test_the_opinion_tabs_lead_to_the_figures_for_those_who_read_them(client_for, leader, worker_a):
    figures = reverse("feedback:figures")
    assert figures in client_for(leader).get(reverse("feedback:list")).content.decode()
    assert figures not in client_for(worker_a).get(reverse("feedback:list")).content.decode()
