"""A household's hardship subsidies, recording one, and the subsidy report with its export, for every role."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from households.models import Subsidy
from tests.factories import (
    CommunityFactory,
    GridAreaFactory,
    HouseholdCategoryFactory,
    HouseholdFactory,
    SubsidyFactory,
    VisitFactory,
)
from visits.models import Visit

REPORT = reverse("households:subsidy_report")
GOOD = {
    "kind": Subsidy.Kind.TEMPORARY,
    "amount": "1200.50",
    "paid_on": "2026-06-01",
    "source": "街道财政",
    "approved_by": "钱书记",
    "note": "因病临时救助",
}


@pytest.fixture
def household(places, worker_a):
    return HouseholdFactory(
        grid_area=places.area_a,
        estate=places.estate_a,
        categories=[HouseholdCategoryFactory(name="低保户", is_key=True)],
    )


def list_url(household):
    return reverse("households:subsidies", args=[household.pk])


def create_url(household):
    return reverse("households:subsidy_create", args=[household.pk])


# --- the household's subsidies -----------------------------------------------------------------------------------


def test_the_worker_sees_each_payment_and_the_total_to_the_fen(client_for, worker_a, household):
    SubsidyFactory(household=household, amount=Decimal("0.10"), kind=Subsidy.Kind.FESTIVAL, source="区民政局")
    SubsidyFactory(household=household, amount=Decimal("0.20"), approved_by="李书记")
    response = client_for(worker_a).get(list_url(household))
    assert response.status_code == 200
    html = response.content.decode()
    assert "¥0.30" in html
    assert "¥0.10" in html and "¥0.20" in html
    assert "节日慰问" in html and "区民政局" in html and "李书记" in html
    assert worker_a.get_full_name() in html  # recorded by


def test_large_amounts_keep_their_thousands_and_fen(client_for, worker_a, household):
    for _i in range(3):
        SubsidyFactory(household=household, amount=Decimal("122600.00"))
    assert "¥367,800.00" in client_for(worker_a).get(list_url(household)).content.decode()


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("worker_a", 200),
        ("community_leader", 200),
        ("social_affairs_staff", 200),
        ("leader", 200),
        ("worker_a2", 404),
        ("worker_b", 404),
        ("staff", 404),
        ("chief", 404),
        ("deputy", 404),
        ("other_street_leader", 404),
    ],
)
def test_only_those_who_may_see_private_records_see_subsidies(request, client_for, household, persona, status):
    SubsidyFactory(household=household, amount=Decimal("500.00"))
    response = client_for(request.getfixturevalue(persona)).get(list_url(household))
    assert response.status_code == status
    if status == 404:
        assert "¥500.00" not in response.content.decode()


def test_the_record_button_shows_only_to_those_who_record(client_for, worker_a, leader, household):
    record = create_url(household)
    assert record in client_for(worker_a).get(list_url(household)).content.decode()
    assert record not in client_for(leader).get(list_url(household)).content.decode()


def test_anonymous_is_sent_to_log_in(client, household):
    assert client.get(list_url(household)).status_code == 302


def test_the_subsidies_page_costs_the_same_queries_for_many_payments(
    client_for, worker_a, household, django_assert_max_num_queries
):
    client = client_for(worker_a)
    SubsidyFactory.create_batch(2, household=household)
    with django_assert_max_num_queries(10):
        assert client.get(list_url(household)).status_code == 200
    SubsidyFactory.create_batch(60, household=household)
    with django_assert_max_num_queries(10):
        assert client.get(list_url(household)).status_code == 200


# --- recording a subsidy ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["worker_a", "community_leader", "social_affairs_staff"])
def test_those_who_record_subsidies_record_one(request, client_for, household, persona):
    user = request.getfixturevalue(persona)
    client = client_for(user)
    assert client.get(create_url(household)).status_code == 200
    response = client.post(create_url(household), GOOD)
    assert response.status_code == 302
    subsidy = Subsidy.objects.get(household=household)
    assert subsidy.amount == Decimal("1200.50")
    assert (subsidy.kind, subsidy.paid_on, subsidy.recorded_by) == (GOOD["kind"], datetime.date(2026, 6, 1), user)


def test_an_amount_with_separators_is_read_exactly(client_for, worker_a, household):
    client_for(worker_a).post(create_url(household), {**GOOD, "amount": "¥122,600.1"})
    assert Subsidy.objects.get().amount == Decimal("122600.10")


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("-5", "补助金额必须大于零"),
        ("0", "补助金额必须大于零"),
        ("0.00", "补助金额必须大于零"),
        ("12.345", "金额最多精确到分"),
        ("abc", "请输入数字金额"),
        ("NaN", "请输入数字金额"),
        ("1000000.01", "不能超过 1,000,000 元"),
        ("", "这个字段是必填项"),
    ],
)
def test_a_bad_amount_is_refused_and_nothing_written(client_for, worker_a, household, amount, message):
    response = client_for(worker_a).post(create_url(household), {**GOOD, "amount": amount})
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert not Subsidy.objects.exists()
    # everything typed is kept
    assert f'value="{amount}"' in html or not amount
    assert "街道财政" in html and "钱书记" in html and "因病临时救助" in html


def test_a_future_date_is_refused(client_for, worker_a, household):
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    response = client_for(worker_a).post(create_url(household), {**GOOD, "paid_on": tomorrow})
    assert response.status_code == 200
    assert "发放日期不能晚于今天" in response.content.decode()
    assert f'value="{tomorrow}"' in response.content.decode()
    assert not Subsidy.objects.exists()


def test_a_date_that_is_no_date_is_refused(client_for, worker_a, household):
    response = client_for(worker_a).post(create_url(household), {**GOOD, "paid_on": "2026-02-30"})
    assert response.status_code == 200
    assert "paid_on" in response.context["form"].errors
    assert not Subsidy.objects.exists()


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("leader", 403),
        ("worker_a2", 404),
        ("worker_b", 404),
        ("staff", 404),
        ("chief", 404),
        ("deputy", 404),
        ("other_street_leader", 404),
    ],
)
def test_others_cannot_record_a_subsidy(request, client_for, household, persona, status):
    client = client_for(request.getfixturevalue(persona))
    assert client.get(create_url(household)).status_code == status
    assert client.post(create_url(household), GOOD).status_code == status
    assert not Subsidy.objects.exists()


def test_anonymous_cannot_record_a_subsidy(client, household):
    assert client.post(create_url(household), GOOD).status_code == 302
    assert not Subsidy.objects.exists()


# --- the report -------------------------------------------------------------------------------------------------


@pytest.fixture
def year_2025(places, worker_a, worker_b):
    """Three key households visited in 2025 (two in A, one in B), one key one visited only in 2024, one ordinary."""
    key = HouseholdCategoryFactory(name="低保户", is_key=True)
    a1 = HouseholdFactory(grid_area=places.area_a, estate=places.estate_a, categories=[key])
    a2 = HouseholdFactory(grid_area=places.area_a, estate=places.estate_a, categories=[key])
    b1 = HouseholdFactory(grid_area=places.area_b, estate=places.estate_b, categories=[key])
    old = HouseholdFactory(grid_area=places.area_a, estate=places.estate_a, categories=[key])
    ordinary = HouseholdFactory(grid_area=places.area_a, estate=places.estate_a)
    VisitFactory(household=a1, visited_on=datetime.date(2025, 3, 5))
    VisitFactory(household=a1, visited_on=datetime.date(2025, 9, 5))  # a second visit: still one household
    VisitFactory(household=a2, visited_on=datetime.date(2025, 12, 31), kind=Visit.Kind.CARING)
    VisitFactory(household=b1, visited_on=datetime.date(2025, 1, 1))
    VisitFactory(household=old, visited_on=datetime.date(2024, 12, 31))
    VisitFactory(household=ordinary, visited_on=datetime.date(2025, 5, 5))
    SubsidyFactory(household=a1, amount=Decimal("122600.00"), paid_on=datetime.date(2025, 1, 15))
    SubsidyFactory(
        household=a2, amount=Decimal("122600.00"), paid_on=datetime.date(2025, 2, 15), kind=Subsidy.Kind.MEDICAL
    )
    SubsidyFactory(household=b1, amount=Decimal("122600.00"), paid_on=datetime.date(2025, 7, 1))
    SubsidyFactory(household=b1, amount=Decimal("999.99"), paid_on=datetime.date(2024, 12, 31))  # last year
    return {"a1": a1, "a2": a2, "b1": b1}


def test_the_leader_reads_the_articles_figures(client_for, leader, year_2025):
    response = client_for(leader).get(REPORT, {"year": "2025"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "¥367,800.00" in html
    assert "36.78万元" in html
    totals = response.context["totals"]
    assert (totals.total, totals.payments, totals.households_paid) == (Decimal("367800.00"), 3, 3)
    assert totals.hardship_households_visited == 3
    assert "本期走访困难户 3 户，发放困难补助 36.78万元" in html


def test_the_tables_split_by_community_type_and_month(client_for, leader, year_2025):
    context = client_for(leader).get(REPORT, {"year": "2025"}).context
    assert context["by_community"] == [["德加社区", 2, 2, "¥245,200.00"], ["益乐社区", 1, 1, "¥122,600.00"]]
    assert context["by_kind"] == [["临时救助", 2, "¥245,200.00"], ["医疗救助", 1, "¥122,600.00"]]
    assert [row[0] for row in context["by_month"]] == ["2025-01", "2025-02", "2025-07"]


def test_fen_add_up_exactly(client_for, leader, places):
    household = HouseholdFactory(grid_area=places.area_a, estate=places.estate_a)
    SubsidyFactory(household=household, amount=Decimal("0.10"), paid_on=datetime.date(2025, 1, 1))
    SubsidyFactory(household=household, amount=Decimal("0.20"), paid_on=datetime.date(2025, 1, 2))
    response = client_for(leader).get(REPORT, {"year": "2025"})
    assert response.context["totals"].total == Decimal("0.30")
    assert "¥0.30" in response.content.decode()


def test_a_community_and_a_quarter_narrow_the_report(client_for, leader, places, year_2025):
    response = client_for(leader).get(REPORT, {"quarter": "2025Q1", "community": places.community_a.pk})
    totals = response.context["totals"]
    assert (totals.start, totals.end) == (datetime.date(2025, 1, 1), datetime.date(2025, 3, 31))
    assert (totals.total, totals.payments) == (Decimal("245200.00"), 2)
    assert totals.hardship_households_visited == 1  # a1 on 5 March; b1 is in the other community


def test_a_date_range_is_read(client_for, leader, year_2025):
    totals = client_for(leader).get(REPORT, {"start": "2024-12-01", "end": "2025-01-31"}).context["totals"]
    assert (totals.total, totals.payments) == (Decimal("123599.99"), 2)
    assert totals.hardship_households_visited == 2  # b1 on 1 January, old on 31 December


@pytest.mark.parametrize(
    "query",
    [
        {"year": "abc"},
        {"year": "99999"},
        {"quarter": "2025Q9"},
        {"quarter": "'; drop table"},
        {"start": "2025-13-01", "end": "2025-12-31"},
        {"start": "2025-06-01", "end": "2025-01-01"},
        {"start": "2025-06-01"},
        {"community": "abc"},
    ],
)
def test_bad_input_falls_back_to_this_year(client_for, leader, query):
    response = client_for(leader).get(REPORT, query)
    assert response.status_code == 200
    year = timezone.localdate().year
    assert (response.context["totals"].start, response.context["totals"].end) == (
        datetime.date(year, 1, 1),
        datetime.date(year, 12, 31),
    )


def test_another_communitys_id_is_ignored(client_for, worker_a, places, year_2025):
    response = client_for(worker_a).get(REPORT, {"year": "2025", "community": places.community_b.pk})
    assert response.context["community"] is None


@pytest.mark.parametrize(
    ("persona", "status", "total"),
    [
        ("worker_a", 200, Decimal("245200.00")),  # her own area: a1 and a2
        ("worker_a2", 200, Decimal("0")),
        ("worker_b", 200, Decimal("122600.00")),
        ("community_leader", 200, Decimal("245200.00")),
        ("social_affairs_staff", 200, Decimal("367800.00")),
        ("leader", 200, Decimal("367800.00")),
        ("other_street_leader", 200, Decimal("0")),
        ("staff", 403, None),
        ("chief", 403, None),
        ("deputy", 403, None),
    ],
)
def test_each_role_sees_the_report_of_its_scope(request, client_for, year_2025, persona, status, total):
    response = client_for(request.getfixturevalue(persona)).get(REPORT, {"year": "2025"})
    assert response.status_code == status
    if total is not None:
        assert response.context["totals"].total == total
    # the export answers the same
    response = client_for(request.getfixturevalue(persona)).get(REPORT, {"year": "2025", "format": "xlsx"})
    assert response.status_code == status


def test_anonymous_cannot_read_the_report(client):
    assert client.get(REPORT).status_code == 302


def test_the_export_holds_the_rows_of_the_page(client_for, leader, year_2025):
    client = client_for(leader)
    page = client.get(REPORT, {"year": "2025"}).context
    response = client.get(REPORT, {"year": "2025", "format": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    wb = load_workbook(io.BytesIO(response.content))
    assert wb.sheetnames == ["汇总", "按村社", "按类型", "按月份"]

    def rows(title):
        return [list(row) for row in wb[title].iter_rows(min_row=2, values_only=True)]

    def as_page(row):
        *rest, amount = row
        return [*rest, f"¥{Decimal(str(amount)).quantize(Decimal('0.01')):,.2f}"]

    assert [cell.value for cell in wb["按村社"][1]] == ["村社", "受助户数", "补助笔数", "补助金额（元）"]
    assert [as_page(row) for row in rows("按村社")] == page["by_community"]
    assert [as_page(row) for row in rows("按类型")] == page["by_kind"]
    assert [as_page(row) for row in rows("按月份")] == page["by_month"]
    summary = dict(rows("汇总"))
    assert Decimal(str(summary["补助金额（元）"])) == Decimal("367800.00")
    assert (summary["补助笔数"], summary["受助户数"], summary["走访困难户数"]) == (3, 3, 3)
    assert wb["按村社"]["D2"].number_format == "#,##0.00"


def test_the_report_costs_the_same_queries_for_more_data(
    client_for, leader, places, year_2025, django_assert_max_num_queries
):
    client = client_for(leader)
    with django_assert_max_num_queries(12):
        assert client.get(REPORT, {"year": "2025"}).status_code == 200
    key = HouseholdCategoryFactory(name="困难残疾人家庭", is_key=True)
    for n in range(5):
        community = CommunityFactory(street=places.street, name=f"新社区{n}")
        area = GridAreaFactory(community=community)
        for month in range(1, 13):
            household = HouseholdFactory(grid_area=area, categories=[key])
            SubsidyFactory(household=household, paid_on=datetime.date(2025, month, 3), kind=Subsidy.Kind.HOUSING)
            VisitFactory(household=household, visited_on=datetime.date(2025, month, 4))
    with django_assert_max_num_queries(12):
        response = client.get(REPORT, {"year": "2025"})
    assert response.context["totals"].payments == 63
    with django_assert_max_num_queries(12):
        assert client.get(REPORT, {"year": "2025", "format": "xlsx"}).status_code == 200
