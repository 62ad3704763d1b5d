"""The admin's largest lists (households, visits) at a city's size: counted up to a limit and then estimated, and
their relation filters read from the small tables in the user's scope, never the whole list (wenxin/paginators.py,
wenxin/admin_base.py; docs/performance.md)."""

from __future__ import annotations

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from households.models import Household
from tests.factories import HouseholdFactory, ResidentFactory, UserFactory, VisitFactory
from wenxin import paginators
from wenxin.admin_base import InScopeRelatedFieldListFilter
from wenxin.paginators import EstimatedCountPaginator
from wenxin.roles import Role, sync_role_groups
from wenxin.services import user_sync_role

HOUSEHOLDS = reverse("admin:households_household_changelist")
VISITS = reverse("admin:visits_visit_changelist")
ONLY_POSTGRESQL = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL's statistics (pg_class, EXPLAIN) exist only there"
)
NOT_POSTGRESQL = pytest.mark.skipif(connection.vendor == "postgresql", reason="the estimate is PostgreSQL's")


@pytest.fixture
def system_admin(places):
    return UserFactory(username="sysadmin", role=Role.SYSTEM_ADMIN, street=None, is_staff=True, is_superuser=True)


@pytest.fixture
def admin_client_for(client_for):
    def make(user):
        sync_role_groups()
        user_sync_role(user=user)
        return client_for(user)

    return make


@pytest.fixture
def households(places) -> list[Household]:
    """Six households of our street (areas A and B) and one of another street."""
    ours = [HouseholdFactory(grid_area=places.area_a, estate=places.estate_a) for _ in range(4)]
    ours += [HouseholdFactory(grid_area=places.area_b, estate=places.estate_b) for _ in range(2)]
    return ours


@pytest.fixture
def low_limit(monkeypatch):
    """Lists of more than 3 rows count as long ones."""
    monkeypatch.setattr(paginators, "COUNT_LIMIT", 3)


def _analyze() -> None:
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE households_household")


def test_a_short_list_is_counted_exactly(households):
    paginator = EstimatedCountPaginator(Household.objects.order_by("pk"), 2)

    assert paginator.count == 6
    assert paginator.estimated is False
    assert paginator.num_pages == 3


def test_the_admin_list_shows_an_exact_count_without_约(admin_client_for, leader, households):
    response = admin_client_for(leader).get(HOUSEHOLDS)

    assert response.status_code == 200
    assert response.context["cl"].result_count == 6
    assert "约" not in response.text


@ONLY_POSTGRESQL
def test_a_long_unfiltered_list_takes_its_count_from_the_tables_statistics(households, low_limit):
    _analyze()
    paginator = EstimatedCountPaginator(Household.objects.order_by("pk"), 2)

    with CaptureQueriesContext(connection) as queries:
        count = paginator.count

    assert paginator.estimated is True
    assert count == 6  # ANALYZE read every row of so small a table
    assert len(queries) == 1
    assert "pg_class" in queries[0]["sql"] and "COUNT(" not in queries[0]["sql"]


@ONLY_POSTGRESQL
def test_a_long_filtered_list_is_counted_to_the_limit_then_estimated(places, households, low_limit):
    _analyze()
    ours = Household.objects.filter(grid_area__community__street=places.street).order_by("pk")

    paginator = EstimatedCountPaginator(ours, 2)

    assert paginator.estimated is True
    # Never fewer than the rows actually counted (the limit, plus one).
    assert paginator.count >= paginators.COUNT_LIMIT + 1


@ONLY_POSTGRESQL
def test_the_system_administrators_long_list_says_its_count_is_an_estimate(
    admin_client_for, system_admin, households, low_limit
):
    _analyze()

    response = admin_client_for(system_admin).get(HOUSEHOLDS)

    assert response.status_code == 200
    assert response.context["cl"].paginator.estimated is True
    assert "约 6" in response.text


@NOT_POSTGRESQL
def test_elsewhere_a_long_list_is_counted_exactly(admin_client_for, system_admin, households, low_limit):
    response = admin_client_for(system_admin).get(HOUSEHOLDS)

    assert response.context["cl"].paginator.estimated is False
    assert response.context["cl"].result_count == 6
    assert "约" not in response.text


@pytest.mark.parametrize(("url", "table"), [(HOUSEHOLDS, "households_household"), (VISITS, "visits_visit")])
def test_the_filters_read_the_small_tables_not_the_list(admin_client_for, leader, households, url, table):
    VisitFactory(household=households[0])
    client = admin_client_for(leader)

    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)

    assert response.status_code == 200
    # RelatedOnlyFieldListFilter would ask "SELECT … FROM households_community WHERE id IN (SELECT DISTINCT … FROM
    # <the list>)" for each filter: the list's table inside another table's query.
    for_filters = [q["sql"] for q in queries if f'"{table}"' in q["sql"] and _main_table(q["sql"]) != table]
    assert for_filters == []
    assert response.context["cl"].result_count == len(response.context["cl"].result_list)


def _main_table(sql: str) -> str:
    return re.search(r'FROM "(\w+)"', sql).group(1)


def test_the_filters_still_name_only_the_users_own_places(admin_client_for, leader, places, households):
    response = admin_client_for(leader).get(HOUSEHOLDS)

    assert f"grid_area__community__id__exact={places.community_a.pk}" in response.text
    assert f"grid_area__id__exact={places.area_b.pk}" in response.text
    assert places.other_street.name not in response.text


def test_the_visits_date_drill_down_reads_the_first_and_last_date_not_every_visit(admin_client_for, leader, places):
    for day in (datetime.date(2024, 11, 5), datetime.date(2026, 2, 1), datetime.date(2026, 4, 30)):
        VisitFactory(household=HouseholdFactory(grid_area=places.area_a), visited_on=day)
    client = admin_client_for(leader)

    with CaptureQueriesContext(connection) as queries:
        years = client.get(VISITS)
    months = client.get(VISITS + "?visited_on__year=2026")

    assert 'visited_on__year=2024"' in years.text and 'visited_on__year=2025"' in years.text
    assert 'visited_on__year=2026"' in years.text
    assert not any("DISTINCT" in q["sql"] for q in queries)
    # The months between the year's first and last visit, February to April (March has none: listed, empty).
    listed = sorted(int(m) for m in re.findall(r"visited_on__month=(\d+)", months.text))
    assert listed == [2, 3, 4]


def test_a_system_administrators_household_list_is_newest_first_a_leaders_in_address_order(
    admin_client_for, system_admin, leader, places
):
    first = HouseholdFactory(grid_area=places.area_a, estate=places.estate_a, building="9", room="901")
    second = HouseholdFactory(grid_area=places.area_a, estate=places.estate_a, building="1", room="101")

    newest_first = list(admin_client_for(system_admin).get(HOUSEHOLDS).context["cl"].result_list)
    by_address = list(admin_client_for(leader).get(HOUSEHOLDS).context["cl"].result_list)

    assert newest_first == [second, first]
    assert by_address == [second, first]  # building 1 before building 9


def test_the_admin_searches_households_as_the_registry_does(admin_client_for, leader, places):
    household = HouseholdFactory(grid_area=places.area_a, estate=places.estate_a, building="3", unit="1", room="301")
    ResidentFactory(household=household, name="王大伯")
    ResidentFactory(household=household, name="王大妈", relation="spouse")
    HouseholdFactory(grid_area=places.area_a, estate=places.estate_a, building="4", unit="1", room="401")
    client = admin_client_for(leader)

    for q in ("王大", "3-1-301"):
        assert list(client.get(HOUSEHOLDS, {"q": q}).context["cl"].result_list) == [household], q


def test_a_filter_with_more_choices_than_anyone_can_scan_is_left_out(
    admin_client_for, leader, places, households, monkeypatch
):
    client = admin_client_for(leader)
    assert f"grid_area__id__exact={places.area_b.pk}" in client.get(HOUSEHOLDS).text

    monkeypatch.setattr(InScopeRelatedFieldListFilter, "max_choices", 2)  # our street has three grid areas
    with CaptureQueriesContext(connection) as queries:
        response = client.get(HOUSEHOLDS)

    assert "grid_area__id__exact=" not in response.text
    # The choices are read only up to one past the limit, not the whole related table.
    grid_areas = [q["sql"] for q in queries if 'FROM "households_gridarea"' in q["sql"] and "LIMIT" in q["sql"]]
    assert grid_areas and all("LIMIT 3" in sql for sql in grid_areas)
    assert f"grid_area__community__id__exact={places.community_a.pk}" in response.text  # two communities: kept
    assert response.context["cl"].result_count == 6
