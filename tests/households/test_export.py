"""Exporting the household list to Excel: the viewer's scope and filters, ID numbers masked, formulas defused."""

from __future__ import annotations

import io
import urllib.parse

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from households import excel
from households.models import Household, HouseholdCategory
from tests.factories import EstateFactory, HouseholdFactory, ResidentFactory, UserFactory
from wenxin.models import AuditEntry
from wenxin.roles import Role

HEADERS = [
    "小区",
    "网格",
    "楼幢",
    "单元",
    "室号",
    "家庭电话",
    "户类别",
    "姓名",
    "与户主关系",
    "身份证号码",
    "联系电话",
    "备注",
]


@pytest.fixture
def registry(places):
    """One household with a resident in each of area A, area A2 and area B."""
    households = {
        "a": HouseholdFactory(estate=places.estate_a, grid_area=places.area_a, building="1", unit="1", room="101"),
        "a2": HouseholdFactory(estate=places.estate_a, grid_area=places.area_a2, building="2", unit="1", room="201"),
        "b": HouseholdFactory(estate=places.estate_b, grid_area=places.area_b, building="3", unit="1", room="301"),
    }
    residents = {
        "a": ResidentFactory(household=households["a"], name="甲户主"),
        "a2": ResidentFactory(household=households["a2"], name="乙户主"),
        "b": ResidentFactory(household=households["b"], name="丙户主"),
    }
    return households, residents


def export(client, query: str = ""):
    return client.get(reverse("households:export") + query)


def sheet_rows(response) -> list[tuple]:
    wb = load_workbook(io.BytesIO(response.content))
    return list(wb.worksheets[0].iter_rows(values_only=True))


def names_in(response) -> set[str]:
    return {row[7] for row in sheet_rows(response)[1:]}


def test_a_worker_exports_only_her_own_area(worker_a, registry, client_for):
    response = export(client_for(worker_a))
    assert response.status_code == 200
    assert response["Content-Type"] == excel.XLSX_CONTENT_TYPE
    assert names_in(response) == {"甲户主"}


def test_a_community_leader_exports_her_community(community_leader, registry, client_for):
    assert names_in(export(client_for(community_leader))) == {"甲户主", "乙户主"}


def test_a_street_leader_exports_the_street(leader, registry, client_for):
    assert names_in(export(client_for(leader))) == {"甲户主", "乙户主", "丙户主"}


def test_the_header_row_is_the_import_layout_bold_and_frozen(community_leader, registry, client_for):
    wb = load_workbook(io.BytesIO(export(client_for(community_leader)).content))
    ws = wb.worksheets[0]
    assert [cell.value for cell in ws[1]] == HEADERS
    assert all(cell.font.bold for cell in ws[1])
    assert ws.freeze_panes == "A2"
    assert ws.column_dimensions["J"].width >= 20  # an ID number fits


def test_it_writes_one_row_per_resident_head_first(community_leader, registry, client_for, places):
    households, _residents = registry
    low_income = HouseholdCategory.objects.get(name="低保户")
    households["a"].categories.add(low_income)
    ResidentFactory(household=households["a"], name="甲子女", relation="child", note="备注文字")
    rows = [row for row in sheet_rows(export(client_for(community_leader))) if row[7] in {"甲户主", "甲子女"}]
    assert [row[7] for row in rows] == ["甲户主", "甲子女"]
    head, child = rows
    assert head[:7] == ("香港城", "德加第1网格", "1", "1", "101", "13800000000", "低保户")
    assert head[8] == "户主"
    assert child[8] == "子女"
    assert child[11] == "备注文字"


def test_it_masks_id_numbers(community_leader, registry, client_for):
    _households, residents = registry
    response = export(client_for(community_leader))
    id_numbers = {row[9] for row in sheet_rows(response)[1:]}
    full = residents["a"].id_number
    assert f"{full[:6]}********{full[-4:]}" in id_numbers
    assert full not in id_numbers
    assert full.encode() not in response.content  # not even inside the zip's shared strings


def test_it_escapes_cells_a_spreadsheet_would_run(community_leader, registry, client_for):
    households, _residents = registry
    ResidentFactory(household=households["a"], relation="other", name="=1+1", note="@SUM(A1)", id_number="", gender="")
    Household.objects.filter(pk=households["a"].pk).update(phone="")
    rows = sheet_rows(export(client_for(community_leader)))
    escaped = next(row for row in rows if row[7] and row[7].endswith("=1+1"))
    assert escaped[7] == "'=1+1"
    assert escaped[11] == "'@SUM(A1)"
    wb = load_workbook(io.BytesIO(export(client_for(community_leader)).content))
    assert not [cell for row in wb.worksheets[0].iter_rows() for cell in row if cell.data_type == "f"]


@pytest.mark.parametrize("value", ["=cmd", "+1", "-1", "@x", "\tx", "\rx"])
def test_every_formula_start_is_escaped(value):
    assert excel.escape_formula(value) == "'" + value
    assert excel.escape_formula("张三") == "张三"
    assert excel.escape_formula(None) is None


def test_it_respects_the_filters(community_leader, registry, client_for, places):
    client = client_for(community_leader)
    assert names_in(export(client, f"?grid_area={places.area_a2.pk}")) == {"乙户主"}
    assert names_in(export(client, "?q=甲户主")) == {"甲户主"}
    other = EstateFactory(community=places.community_a, name="德加公寓")
    HouseholdFactory(estate=other, grid_area=places.area_a)
    assert names_in(export(client, f"?estate={other.pk}")) == {None}  # a household without residents


def test_a_filter_outside_the_scope_is_dropped_not_obeyed(worker_a, registry, client_for, places):
    # worker_a asks for area B: the filter is invalid for her and her export stays her own.
    assert names_in(export(client_for(worker_a), f"?grid_area={places.area_b.pk}")) == {"甲户主"}


def test_moved_out_households_only_on_request(community_leader, registry, client_for):
    households, _residents = registry
    Household.objects.filter(pk=households["a2"].pk).update(status=Household.Status.MOVED_OUT)
    client = client_for(community_leader)
    assert names_in(export(client)) == {"甲户主"}
    assert names_in(export(client, "?include_moved_out=on")) == {"甲户主", "乙户主"}


def test_the_file_name_is_chinese_and_dated(worker_a, registry, client_for):
    disposition = export(client_for(worker_a))["Content-Disposition"]
    expected = urllib.parse.quote(f"户籍档案-{timezone.localdate():%Y%m%d}.xlsx")
    assert disposition == f"attachment; filename*=utf-8''{expected}"


def test_the_export_is_audited(community_leader, registry, client_for, places):
    export(client_for(community_leader), f"?estate={places.estate_a.pk}")
    entry = AuditEntry.objects.get(action=AuditEntry.Action.EXPORT)
    assert entry.actor == community_leader
    assert entry.changes == {"filters": {"estate": "香港城"}, "households": 2, "residents": 2}


def test_anonymous_is_sent_to_login(client, registry):
    response = export(client)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert not AuditEntry.objects.exists()


def test_a_user_without_a_place_exports_an_empty_sheet(registry, client_for, places):
    stranger = UserFactory(role=Role.DEPARTMENT_STAFF, street=places.other_street)
    response = export(client_for(stranger))
    assert response.status_code == 200
    assert sheet_rows(response)[1:] == []


def _fill(places, count: int) -> None:
    for _ in range(count):
        household = HouseholdFactory(estate=places.estate_a, grid_area=places.area_a)
        household.categories.add(HouseholdCategory.objects.first())
        ResidentFactory(household=household)
        ResidentFactory(household=household, relation="spouse")


def test_the_number_of_queries_does_not_grow_with_the_households(
    worker_a, places, client_for, django_assert_max_num_queries
):
    client = client_for(worker_a)
    _fill(places, 3)
    with CaptureQueriesContext(connection) as few:
        assert len(names_in(export(client))) == 6
    _fill(places, 40)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = export(client)
    assert len(sheet_rows(response)) == 1 + 43 * 2
