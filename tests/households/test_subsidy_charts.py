"""The subsidy report's chart: yuan of hardship subsidies per month of the period, months without payments at 0,
drawn from the report's own month rows, for every role that reads the report."""

from __future__ import annotations

import datetime
import json
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from households import selectors
from households.models import Subsidy
from tests.factories import (
    CommunityFactory,
    GridAreaFactory,
    HouseholdCategoryFactory,
    HouseholdFactory,
    SubsidyFactory,
    VisitFactory,
)

REPORT = reverse("households:subsidy_report")
CHART = "subsidies-by-month-chart"
MONTHS_2025 = [f"2025-{month:02d}" for month in range(1, 13)]


def chart_data(response) -> dict:
    """The chart's spec as the page hands it to charts.js, read back from its json_script element."""
    match = re.search(
        rf'<script id="{CHART}-data" type="application/json">(.*?)</script>', response.content.decode(), re.S
    )
    assert match, "no chart data"
    return json.loads(match.group(1))


def yuan_per_month(response) -> dict[str, float]:
    spec = chart_data(response)
    assert [s["label"] for s in spec["series"]] == ["补助金额"]
    return dict(zip(spec["labels"], spec["series"][0]["values"], strict=True))


def month_table(response) -> dict[str, str]:
    """The report's own month table (month → yuan as printed), only months with payments."""
    html = response.content.decode()
    table = html[html.index('data-table="month"') :]
    table = table[: table.index("</table>")]
    rows = re.findall(r'<th scope="row"[^>]*>(\d{4}-\d{2})</th><td[^>]*>\d+</td><td[^>]*>([^<]+)</td>', table)
    return dict(rows)


def as_yuan(value: float) -> str:
    return f"¥{Decimal(str(value)).quantize(Decimal('0.01')):,.2f}"


@pytest.fixture
def payments(places):
    """2025: 122,600 in January and February in community A, 122,600 in July in community B; 999.99 in December
    2024 in B."""
    a1 = HouseholdFactory(grid_area=places.area_a, estate=places.estate_a)
    a2 = HouseholdFactory(grid_area=places.area_a, estate=places.estate_a)
    b1 = HouseholdFactory(grid_area=places.area_b, estate=places.estate_b)
    SubsidyFactory(household=a1, amount=Decimal("122600.00"), paid_on=datetime.date(2025, 1, 15))
    SubsidyFactory(household=a2, amount=Decimal("122600.00"), paid_on=datetime.date(2025, 2, 15))
    SubsidyFactory(household=b1, amount=Decimal("122600.00"), paid_on=datetime.date(2025, 7, 1))
    SubsidyFactory(household=b1, amount=Decimal("999.99"), paid_on=datetime.date(2024, 12, 31))


def test_a_year_has_twelve_months_and_those_without_payments_are_zero(client_for, leader, payments):
    response = client_for(leader).get(REPORT, {"year": "2025"})
    assert response.status_code == 200
    spec = chart_data(response)
    assert (spec["kind"], spec["unit"], spec["horizontal"]) == ("bar", "元", False)
    assert yuan_per_month(response) == {
        month: (122600.0 if month in ("2025-01", "2025-02", "2025-07") else 0.0) for month in MONTHS_2025
    }


def test_the_chart_is_the_month_table_and_the_selector(client_for, leader, payments):
    response = client_for(leader).get(REPORT, {"year": "2025"})
    chart = {month: value for month, value in yuan_per_month(response).items() if value}
    assert {month: as_yuan(value) for month, value in chart.items()} == month_table(response)
    assert [[month, as_yuan(value)] for month, value in chart.items()] == [
        [month, total] for month, _payments, total in response.context["by_month"]
    ]
    totals = selectors.subsidy_totals(viewer=leader, start=datetime.date(2025, 1, 1), end=datetime.date(2025, 12, 31))
    assert sum(Decimal(str(value)) for value in chart.values()) == totals.total == Decimal("367800.00")


def test_fen_stay_exact(client_for, leader, places):
    household = HouseholdFactory(grid_area=places.area_a, estate=places.estate_a)
    SubsidyFactory(household=household, amount=Decimal("0.10"), paid_on=datetime.date(2025, 3, 1))
    SubsidyFactory(household=household, amount=Decimal("0.20"), paid_on=datetime.date(2025, 3, 2))
    response = client_for(leader).get(REPORT, {"year": "2025"})
    assert yuan_per_month(response)["2025-03"] == 0.3
    assert "0.30元" in response.content.decode()  # the chart's table prints the sum to the fen


def test_a_quarter_has_its_three_months(client_for, leader, payments):
    response = client_for(leader).get(REPORT, {"quarter": "2025Q3"})
    assert yuan_per_month(response) == {"2025-07": 122600.0, "2025-08": 0.0, "2025-09": 0.0}


def test_a_range_across_the_new_year_shows_each_month(client_for, leader, payments):
    response = client_for(leader).get(REPORT, {"start": "2024-12-15", "end": "2025-03-10"})
    assert yuan_per_month(response) == {"2024-12": 999.99, "2025-01": 122600.0, "2025-02": 122600.0, "2025-03": 0.0}


def test_the_community_filter_narrows_the_chart(client_for, leader, places, payments):
    response = client_for(leader).get(REPORT, {"year": "2025", "community": places.community_b.pk})
    assert {month: value for month, value in yuan_per_month(response).items() if value} == {"2025-07": 122600.0}


@pytest.mark.parametrize(
    ("persona", "paid"),
    [
        ("worker_a", {"2025-01": 122600.0, "2025-02": 122600.0}),  # her own area
        ("community_leader", {"2025-01": 122600.0, "2025-02": 122600.0}),  # his community
        ("worker_b", {"2025-07": 122600.0}),
        ("social_affairs_staff", {"2025-01": 122600.0, "2025-02": 122600.0, "2025-07": 122600.0}),
    ],
)
def test_each_role_charts_only_its_scope(request, client_for, payments, persona, paid):
    response = client_for(request.getfixturevalue(persona)).get(REPORT, {"year": "2025"})
    assert {month: value for month, value in yuan_per_month(response).items() if value} == paid


def test_nothing_paid_in_scope_shows_no_data(client_for, other_street_leader, payments):
    html = client_for(other_street_leader).get(REPORT, {"year": "2025"}).content.decode()
    assert f'id="{CHART}"' in html
    assert f"{CHART}-data" not in html
    assert "这一期间没有数据" in html


@pytest.mark.parametrize("persona", ["staff", "chief", "deputy"])
def test_those_who_may_not_see_private_records_are_refused(request, client_for, payments, persona):
    response = client_for(request.getfixturevalue(persona)).get(REPORT, {"year": "2025"})
    assert response.status_code == 403


def test_anonymous_is_sent_to_log_in(client):
    assert client.get(REPORT).status_code == 302


def test_the_page_draws_it_with_the_static_scripts(client_for, leader, payments):
    html = client_for(leader).get(REPORT, {"year": "2025"}).content.decode()
    assert f'data-wx-chart="{CHART}-data"' in html
    assert 'data-wx-chart-count="12"' in html
    assert "vendor/chartjs/chart.umd.min.js" in html and "js/charts.js" in html


def test_the_chart_adds_no_query(client_for, leader, places, payments, django_assert_max_num_queries):
    client = client_for(leader)
    # The report's bound before the chart (tests/households/test_subsidy_pages.py): the chart reads its month rows.
    with django_assert_max_num_queries(12) as small:
        assert client.get(REPORT, {"year": "2025"}).status_code == 200
    key = HouseholdCategoryFactory(name="困难残疾人家庭", is_key=True)
    for n in range(5):
        area = GridAreaFactory(community=CommunityFactory(street=places.street, name=f"新社区{n}"))
        for month in range(1, 13):
            household = HouseholdFactory(grid_area=area, categories=[key])
            SubsidyFactory(
                household=household, amount=Decimal("100.00"), paid_on=datetime.date(2025, month, 3), kind="housing"
            )
            VisitFactory(household=household, visited_on=datetime.date(2025, month, 4))
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(REPORT, {"year": "2025"})
    paid = yuan_per_month(response)
    assert paid["2025-03"] == 500.0
    assert paid["2025-01"] == 122600.0 + 500.0
    assert Subsidy.objects.count() == 64
