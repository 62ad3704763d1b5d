"""Importing the household registry from Excel: check everything first, then write all of it or nothing."""

from __future__ import annotations

import io
import os
import zipfile

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from households import excel
from households.models import GridArea, Household, HouseholdImport, Resident
from tests.factories import (
    EstateFactory,
    HouseholdFactory,
    ResidentFactory,
    UserFactory,
    make_id_number,
)
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
KEYS = ["estate", "area", "building", "unit", "room", "hphone", "categories", "name", "relation", "id", "phone", "note"]

# make_id_number sequences far from the factories' own, so a test's file never collides with its fixtures.
ID_BASE = 500_000


def row(**values) -> list:
    """One resident row;香港城 1-1-101 in 德加第1网格, head of household, unless overridden."""
    defaults = {
        "estate": "香港城",
        "area": "德加第1网格",
        "building": "1",
        "unit": "1",
        "room": "101",
        "hphone": "",
        "categories": "",
        "name": "张三",
        "relation": "户主",
        "id": "",
        "phone": "",
        "note": "",
    }
    unknown = set(values) - set(defaults)
    assert not unknown, unknown
    defaults.update(values)
    return [defaults[key] for key in KEYS]


def xlsx(rows: list[list], headers: list[str] | None = None) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(HEADERS if headers is None else headers)
    for values in rows:
        ws.append(values)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def good_rows() -> list[list]:
    """Three households, six residents, in estate A across areas A and A2."""
    return [
        row(
            room="101",
            name="张三",
            id=make_id_number(ID_BASE + 1),
            hphone="0571-88886666",
            categories="低保户、独居老人",
        ),
        row(room="101", name="李四", relation="配偶", id=make_id_number(ID_BASE + 2), phone="13800000001"),
        row(room="101", name="张小三", relation="子女", note="在外地读书"),
        row(room="102", name="王五", id=make_id_number(ID_BASE + 3)),
        row(room="102", name="王小五", relation="孙子女"),
        row(building="2", unit="", room="201", area="德加第2网格", name="赵六", categories="企退人员"),
    ]


def counts() -> tuple[int, int]:
    return Household.objects.count(), Resident.objects.count()


def check(actor, rows=None, *, content: bytes | None = None, file_name="户籍.xlsx") -> HouseholdImport:
    return excel.import_check(actor=actor, file_name=file_name, content=xlsx(rows) if content is None else content)


def errors_of(household_import: HouseholdImport) -> set[tuple[int | None, str]]:
    return {(error["row"], error["column"]) for error in household_import.errors}


def messages_of(household_import: HouseholdImport) -> str:
    return "\n".join(error["message"] for error in household_import.errors)


# ---------------------------------------------------------------------------------------------------------------
# A good file
# ---------------------------------------------------------------------------------------------------------------


def test_it_checks_a_good_file_without_writing(community_leader):
    before = counts()
    household_import = check(community_leader, good_rows())
    assert household_import.status == HouseholdImport.Status.CHECKED
    assert household_import.errors == []
    assert household_import.row_count == 6
    assert counts() == before


def test_it_imports_every_household_and_resident(community_leader, places):
    household_import = excel.import_apply(actor=community_leader, household_import=check(community_leader, good_rows()))

    assert household_import.status == HouseholdImport.Status.IMPORTED
    assert (household_import.households_created, household_import.residents_created) == (3, 6)
    assert household_import.imported_at is not None
    assert counts() == (3, 6)
    first = Household.objects.get(estate=places.estate_a, building="1", unit="1", room="101")
    assert first.grid_area == places.area_a
    assert first.phone == "0571-88886666"
    assert sorted(c.name for c in first.categories.all()) == ["低保户", "独居老人"]
    assert first.residents.get(relation=Resident.Relation.HEAD).name == "张三"
    assert first.residents.count() == 3
    spouse = first.residents.get(name="李四")
    assert spouse.relation == Resident.Relation.SPOUSE
    assert spouse.phone == "13800000001"
    assert spouse.birth_date is not None
    assert spouse.gender in {"M", "F"}
    assert first.residents.get(name="张小三").note == "在外地读书"
    no_unit = Household.objects.get(building="2", room="201")
    assert no_unit.unit == ""
    assert no_unit.grid_area == places.area_a2


def test_it_audits_the_import_with_its_counts(community_leader):
    household_import = excel.import_apply(actor=community_leader, household_import=check(community_leader, good_rows()))
    entry = AuditEntry.objects.get(action=AuditEntry.Action.IMPORT)
    assert entry.actor == community_leader
    assert entry.object_id == str(household_import.pk)
    assert entry.changes["households"] == 3
    assert entry.changes["residents"] == 6
    assert entry.changes["estates"] == {"香港城": 3}


def test_it_reads_numbers_suffixes_and_repeated_household_cells(community_leader):
    rows = [
        row(
            building=3,
            unit=2,
            room=301,
            name="甲",
            id=make_id_number(ID_BASE + 10),
            categories="低保户",
            hphone=88886666,
        ),
        # The same household written "3幢 2单元 301室", repeating the household cells in another order.
        row(building="3幢", unit="2单元", room="301室", name="乙", relation="配偶", categories="低保户"),
    ]
    household_import = check(community_leader, rows)
    assert household_import.errors == []
    excel.import_apply(actor=community_leader, household_import=household_import)
    household = Household.objects.get()
    assert (household.building, household.unit, household.room, household.phone) == ("3", "2", "301", "88886666")
    assert household.residents.count() == 2


def test_blank_rows_between_households_are_skipped(community_leader):
    rows = good_rows()
    household_import = check(community_leader, [rows[0], ["", None], *rows[1:]])
    assert household_import.status == HouseholdImport.Status.CHECKED
    assert household_import.row_count == 6


def test_headers_may_come_in_any_order(community_leader):
    order = list(reversed(range(len(HEADERS))))
    content = xlsx([[r[i] for i in order] for r in good_rows()], headers=[HEADERS[i] for i in order])
    assert check(community_leader, content=content).status == HouseholdImport.Status.CHECKED


# ---------------------------------------------------------------------------------------------------------------
# Every bad row, each with its row number
# ---------------------------------------------------------------------------------------------------------------


def test_it_reports_every_bad_row_and_writes_nothing(community_leader, places):
    existing = ResidentFactory(
        household=HouseholdFactory(estate=places.estate_a, grid_area=places.area_a, building="9", unit="1", room="901"),
        id_number=make_id_number(ID_BASE + 99),
    )
    rows = [
        row(room="101", name="好户主", id=make_id_number(ID_BASE + 1)),  # row 2: good
        row(room="102", estate="不存在的小区"),  # 3
        row(room="103", area="不存在的网格"),  # 4
        row(room="104", id="330106199913320000"),  # 5: no such birth date
        row(room="105", id=make_id_number(ID_BASE + 1)),  # 6: same ID as row 2
        row(room="106", id=existing.id_number),  # 7: ID already registered
        row(building="9", unit="1", room="901"),  # 8: address already registered
        row(room="108", phone="12345"),  # 9
        row(room="109", categories="低保户、外星人"),  # 10
        row(room="110", relation="邻居"),  # 11: unknown relation, and so no head
        row(room="111", relation="配偶"),  # 12: household without a head
        row(room="112"),  # 13
        row(room="112", name="第二户主"),  # 14: second head
        row(room="113", estate=""),  # 15: no estate
        row(room="114", area=""),  # 16
        row(room="115", building=""),  # 17
        row(room=""),  # 18
        row(room="119", name=""),  # 19
        row(room="120", hphone="abc"),  # 20
    ]
    before = counts()
    household_import = check(community_leader, rows)

    assert household_import.status == HouseholdImport.Status.REJECTED
    assert counts() == before
    assert Household.objects.count() == 1
    found = errors_of(household_import)
    expected = {
        (3, "小区"),
        (4, "网格"),
        (5, "身份证号码"),
        (6, "身份证号码"),
        (7, "身份证号码"),
        (8, "室号"),
        (9, "联系电话"),
        (10, "户类别"),
        (11, "与户主关系"),
        (12, "与户主关系"),
        (14, "与户主关系"),
        (15, "小区"),
        (16, "网格"),
        (17, "楼幢"),
        (18, "室号"),
        (19, "姓名"),
        (20, "家庭电话"),
    }
    assert expected <= found
    assert not {error for error in found if error[0] in {2, 13}}
    by_row: dict[tuple[int, str], str] = {}
    for error in household_import.errors:
        by_row[(error["row"], error["column"])] = by_row.get((error["row"], error["column"]), "") + error["message"]
    assert "不存在的小区" in by_row[(3, "小区")]
    assert "不存在的网格" in by_row[(4, "网格")]
    assert "出生日期" in by_row[(5, "身份证号码")]
    assert "第 2 行重复" in by_row[(6, "身份证号码")]
    assert "已登记" in by_row[(7, "身份证号码")]
    assert "已有在册户" in by_row[(8, "室号")]
    assert "电话号码格式不正确" in by_row[(9, "联系电话")]
    assert "外星人" in by_row[(10, "户类别")]
    assert "低保户" not in by_row[(10, "户类别")].split("可选")[0]
    assert "邻居" in by_row[(11, "与户主关系")]
    assert "没有户主" in by_row[(12, "与户主关系")]
    assert "第 13 行登记户主" in by_row[(14, "与户主关系")]
    assert "不能为空" in by_row[(15, "小区")]
    # Errors come in row order, as they are read.
    rows_in_order = [e["row"] for e in household_import.errors]
    assert rows_in_order == sorted(rows_in_order)


def test_a_bad_id_number_gets_the_validators_message(community_leader):
    good = make_id_number(ID_BASE + 5)
    wrong_check = good[:17] + ("0" if good[17] != "0" else "1")
    household_import = check(community_leader, [row(room="1", id=wrong_check), row(room="2", id="12345")])
    by_row = {e["row"]: e["message"] for e in household_import.errors}
    assert by_row[2] == "身份证号码校验位不正确，请核对。"
    assert by_row[3] == "身份证号码应为18位。"


def test_a_masked_id_number_from_an_export_is_explained(community_leader):
    household_import = check(community_leader, [row(id="330106********0012")])
    assert "已打码" in messages_of(household_import)


def test_an_id_number_that_excel_turned_into_a_number_is_explained(community_leader):
    household_import = check(community_leader, [row(id=3.30106194001011e17)])
    assert "存成了数字" in messages_of(household_import)


def test_too_long_cells_are_reported(community_leader):
    household_import = check(community_leader, [row(name="长" * 51), row(room="2", note="注" * 201)])
    assert errors_of(household_import) == {(2, "姓名"), (3, "备注")}


def test_household_cells_must_agree_within_a_household(community_leader):
    rows = [
        row(hphone="88886666", categories="低保户"),
        row(name="李四", relation="配偶", hphone="88887777", categories="独居老人", area="德加第2网格"),
    ]
    household_import = check(community_leader, rows)
    assert errors_of(household_import) == {(3, "家庭电话"), (3, "户类别"), (3, "网格")}
    assert "第 2 行" in messages_of(household_import)


def test_an_estate_of_another_community_is_unknown_to_a_community_leader(community_leader, places):
    household_import = check(community_leader, [row(estate="益乐新村", area="益乐第1网格")])
    assert household_import.status == HouseholdImport.Status.REJECTED
    assert errors_of(household_import) == {(2, "小区"), (2, "网格")}
    assert "不在您的管辖范围内" in messages_of(household_import)


def test_an_estate_and_a_grid_area_of_different_communities_do_not_match(system_admin, places):
    household_import = check(system_admin, [row(estate="香港城", area="益乐第1网格")])
    assert errors_of(household_import) == {(2, "网格")}
    assert "不在同一个村社" in messages_of(household_import)


def test_a_system_admin_finds_a_repeated_estate_name_by_its_grid_area(system_admin, places):
    # Two communities each with an estate called 香港城: the grid area says which one is meant.
    EstateFactory(community=places.community_b, name="香港城")
    household_import = check(system_admin, [row(estate="香港城", area="益乐第1网格")])
    assert household_import.errors == []


def test_the_templates_example_row_is_not_imported(community_leader):
    household_import = check(community_leader, content=excel.import_template_workbook())
    assert household_import.status == HouseholdImport.Status.REJECTED
    assert "示例行" in messages_of(household_import)


# ---------------------------------------------------------------------------------------------------------------
# Files that are not a registry spreadsheet
# ---------------------------------------------------------------------------------------------------------------


def _empty_workbook() -> bytes:
    buffer = io.BytesIO()
    Workbook().save(buffer)
    return buffer.getvalue()


def _plain_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "不是表格")
    return buffer.getvalue()


def _damaged_after_the_header() -> bytes:
    """A workbook whose sheet XML breaks off after a few rows, as a truncated download would leave it."""
    source = zipfile.ZipFile(io.BytesIO(xlsx(good_rows() * 20)))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data[: len(data) // 2]
            archive.writestr(item, data)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        pytest.param(os.urandom(4096), "不是有效的 Excel", id="random-bytes"),
        pytest.param("小区,网格,楼幢\n香港城,德加第1网格,1\n".encode(), "不是有效的 Excel", id="renamed-csv"),
        pytest.param(b"", "不是有效的 Excel", id="empty-file"),
        pytest.param(_plain_zip(), "不是有效的 Excel", id="zip-not-a-workbook"),
        pytest.param(_damaged_after_the_header(), "文件已损坏", id="damaged-sheet"),
        pytest.param(_empty_workbook(), "工作表是空的", id="empty-workbook"),
        pytest.param(xlsx([]), "没有数据", id="headers-only"),
    ],
)
def test_it_rejects_a_file_it_cannot_read(community_leader, content, expected):
    before = counts()
    household_import = check(community_leader, content=content)
    assert household_import.status == HouseholdImport.Status.REJECTED
    assert expected in messages_of(household_import)
    assert household_import.errors[0]["row"] is None
    assert counts() == before


def test_a_blank_first_row_is_a_missing_header(community_leader):
    household_import = check(community_leader, content=xlsx(good_rows(), headers=[]))
    assert household_import.status == HouseholdImport.Status.REJECTED
    assert household_import.errors[0]["row"] == 1
    assert "第1行是空的" in messages_of(household_import)


def test_it_names_missing_and_unknown_headers(community_leader):
    headers = [h for h in HEADERS if h not in {"网格", "身份证号码"}] + ["身份证"]
    household_import = check(community_leader, content=xlsx([["香港城"] * len(headers)], headers=headers))
    assert household_import.status == HouseholdImport.Status.REJECTED
    text = messages_of(household_import)
    assert "缺少这些列：网格、身份证号码" in text
    assert "无法识别的列：身份证" in text
    assert counts() == (0, 0)


def test_it_rejects_too_many_rows(community_leader, settings):
    settings.IMPORT_MAX_ROWS = 5
    rows = [row(room=str(100 + n), name=f"居民{n}") for n in range(6)]
    household_import = check(community_leader, rows)
    assert household_import.status == HouseholdImport.Status.REJECTED
    assert "最多 5 行" in messages_of(household_import)
    assert check(community_leader, rows[:5]).status == HouseholdImport.Status.CHECKED


def test_it_rejects_a_file_too_large_without_keeping_it(community_leader, settings):
    content = xlsx(good_rows())
    settings.IMPORT_MAX_BYTES = len(content) - 1
    household_import = check(community_leader, content=content)
    assert household_import.status == HouseholdImport.Status.REJECTED
    assert "文件太大" in messages_of(household_import)
    assert bytes(household_import.content) == b""


def test_a_worker_cannot_check_or_apply(worker_a, community_leader):
    with pytest.raises(PermissionDenied):
        check(worker_a, good_rows())


# ---------------------------------------------------------------------------------------------------------------
# Apply: again checked, all or nothing, once
# ---------------------------------------------------------------------------------------------------------------


def test_a_household_registered_after_the_check_stops_the_whole_import(community_leader, places):
    household_import = check(community_leader, good_rows())
    HouseholdFactory(estate=places.estate_a, grid_area=places.area_a2, building="2", unit="", room="201")
    before = counts()

    household_import = excel.import_apply(actor=community_leader, household_import=household_import)

    assert household_import.status == HouseholdImport.Status.REJECTED
    assert counts() == before
    assert errors_of(household_import) == {(7, "室号")}
    assert "已有在册户" in messages_of(household_import)
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.IMPORT).exists()


def test_a_conflict_that_slips_past_the_check_rolls_everything_back(community_leader, places, monkeypatch):
    household_import = check(community_leader, good_rows())
    # The last household's address is taken in the instant between the second check and the write.
    HouseholdFactory(estate=places.estate_a, grid_area=places.area_a2, building="2", unit="", room="201")
    monkeypatch.setattr(excel, "_check_against_database", lambda result, id_rows: None)
    before = counts()

    household_import = excel.import_apply(actor=community_leader, household_import=household_import)

    assert household_import.status == HouseholdImport.Status.REJECTED
    assert counts() == before
    assert "未写入任何数据" in messages_of(household_import)
    assert not Household.objects.filter(room="101").exists()


def test_applying_twice_imports_once(community_leader):
    household_import = check(community_leader, good_rows())
    stale_copy = HouseholdImport.objects.get(pk=household_import.pk)
    excel.import_apply(actor=community_leader, household_import=household_import)

    with pytest.raises(ValidationError, match="已经导入过"):
        excel.import_apply(actor=community_leader, household_import=household_import)
    # A second request holding the import as it was before the first apply finds nothing to do either.
    with pytest.raises(ValidationError, match="已经导入过"):
        excel.import_apply(actor=community_leader, household_import=stale_copy)
    assert counts() == (3, 6)
    assert AuditEntry.objects.filter(action=AuditEntry.Action.IMPORT).count() == 1


def test_a_rejected_import_cannot_be_applied(community_leader):
    household_import = check(community_leader, [row(estate="不存在的小区")])
    with pytest.raises(ValidationError):
        excel.import_apply(actor=community_leader, household_import=household_import)
    assert counts() == (0, 0)


def test_only_the_uploader_applies(community_leader, system_admin, places):
    household_import = check(community_leader, good_rows())
    other_leader = UserFactory(role=Role.COMMUNITY_LEADER, street=places.street, community=places.community_a)
    for actor in (other_leader, system_admin):
        with pytest.raises(PermissionDenied):
            excel.import_apply(actor=actor, household_import=household_import)
    assert counts() == (0, 0)


def test_an_exported_file_imports_again_elsewhere(community_leader, places, client_for):
    # Households moved out of one address book are registered again from the export, ID numbers left blank.
    excel.import_apply(
        actor=community_leader,
        household_import=check(community_leader, [r[:9] + ["", r[10], r[11]] for r in good_rows()]),
    )
    exported = client_for(community_leader).get(reverse("households:export")).content
    Household.objects.update(status=Household.Status.MOVED_OUT)

    household_import = check(community_leader, content=exported)

    assert household_import.errors == []
    excel.import_apply(actor=community_leader, household_import=household_import)
    assert Household.objects.active().count() == 3
    assert Resident.objects.count() == 12


# ---------------------------------------------------------------------------------------------------------------
# The pages
# ---------------------------------------------------------------------------------------------------------------


def upload(client, content: bytes, name: str = "户籍.xlsx"):
    return client.post(reverse("households:import"), {"file": SimpleUploadedFile(name, content)})


def test_a_community_leader_uploads_previews_and_applies(community_leader, client_for):
    client = client_for(community_leader)
    assert client.get(reverse("households:import")).status_code == 200

    response = upload(client, xlsx(good_rows()))
    household_import = HouseholdImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("households:import_preview", args=[household_import.pk])
    assert counts() == (0, 0)

    preview = client.get(response["Location"])
    assert preview.status_code == 200
    assert preview.context["preview"].households == 3
    assert preview.context["preview"].residents == 6
    assert [(s.estate, s.households, s.residents) for s in preview.context["preview"].estates] == [("香港城", 3, 6)]
    assert "确认导入" in preview.content.decode()

    applied = client.post(response["Location"])
    assert applied.status_code == 302
    assert applied["Location"] == reverse("households:list")
    assert counts() == (3, 6)
    assert any("已导入 3 户、6 位居民" in str(m) for m in get_messages(applied.wsgi_request))


def test_the_preview_lists_every_bad_row(community_leader, client_for):
    client = client_for(community_leader)
    upload(client, xlsx([row(estate="不存在的小区"), row(room="2", phone="123")]))
    household_import = HouseholdImport.objects.get()
    page = client.get(reverse("households:import_preview", args=[household_import.pk])).content.decode()
    assert "不存在的小区" in page
    assert "第 2 行" in page
    assert "第 3 行" in page
    assert "确认导入" not in page
    response = client.post(reverse("households:import_preview", args=[household_import.pk]))
    assert response.status_code == 302
    assert counts() == (0, 0)


def test_a_failed_apply_returns_to_the_preview_with_its_errors(community_leader, client_for, places):
    client = client_for(community_leader)
    upload(client, xlsx(good_rows()))
    household_import = HouseholdImport.objects.get()
    HouseholdFactory(estate=places.estate_a, grid_area=places.area_a, building="1", unit="1", room="101")
    url = reverse("households:import_preview", args=[household_import.pk])

    response = client.post(url)

    assert response["Location"] == url
    assert Household.objects.count() == 1
    assert "已有在册户" in client.get(url).content.decode()


def test_the_preview_warns_when_the_registry_changed_since_the_check(community_leader, client_for, places):
    client = client_for(community_leader)
    upload(client, xlsx(good_rows()))
    url = reverse("households:import_preview", args=[HouseholdImport.objects.get().pk])
    HouseholdFactory(estate=places.estate_a, grid_area=places.area_a, building="1", unit="1", room="102")
    page = client.get(url).content.decode()
    assert "有了变化" in page
    assert "已有在册户" in page


def test_applying_again_from_the_page_says_so(community_leader, client_for):
    client = client_for(community_leader)
    upload(client, xlsx(good_rows()))
    url = reverse("households:import_preview", args=[HouseholdImport.objects.get().pk])
    client.post(url)
    response = client.post(url)
    assert response["Location"] == url
    assert any("已经导入过" in str(m) for m in get_messages(response.wsgi_request))
    assert counts() == (3, 6)


def test_a_missing_file_is_a_form_error(community_leader, client_for):
    response = client_for(community_leader).post(reverse("households:import"), {})
    assert response.status_code == 200
    assert "请选择要上传的文件" in response.content.decode()
    assert not HouseholdImport.objects.exists()


@pytest.mark.parametrize("name", ["户籍.csv", "户籍.xls", "户籍"])
def test_a_wrong_extension_is_a_form_error(community_leader, client_for, name):
    response = upload(client_for(community_leader), xlsx(good_rows()), name=name)
    assert response.status_code == 200
    assert ".xlsx" in response.context["form"].errors["file"][0]
    assert not HouseholdImport.objects.exists()


def test_a_too_large_upload_is_a_form_error(community_leader, client_for, settings):
    settings.IMPORT_MAX_BYTES = 100
    response = upload(client_for(community_leader), xlsx(good_rows()))
    assert response.status_code == 200
    assert "文件太大" in response.content.decode()
    assert not HouseholdImport.objects.exists()


def test_random_bytes_uploaded_are_rejected_not_a_crash(community_leader, client_for):
    client = client_for(community_leader)
    response = upload(client, os.urandom(2048))
    household_import = HouseholdImport.objects.get()
    assert household_import.status == HouseholdImport.Status.REJECTED
    page = client.get(response["Location"]).content.decode()
    assert "不是有效的 Excel" in page
    assert "整个文件" in page


def test_the_template_downloads_with_instructions(community_leader, client_for):
    response = client_for(community_leader).get(reverse("households:import_template"))
    assert response.status_code == 200
    assert response["Content-Type"] == excel.XLSX_CONTENT_TYPE
    assert "filename*=utf-8''" in response["Content-Disposition"]
    wb = load_workbook(io.BytesIO(response.content))
    data, notes = wb.worksheets
    assert [cell.value for cell in data[1]] == HEADERS
    assert data[2][0].value == "香港城"
    assert data.freeze_panes == "A2"
    assert "户主" in " ".join(str(cell.value) for row_cells in notes.iter_rows() for cell in row_cells)
    assert "低保户" in " ".join(str(cell.value) for row_cells in notes.iter_rows() for cell in row_cells)


@pytest.mark.parametrize("persona", ["worker_a", "staff", "leader"])
def test_who_cannot_import_gets_403(persona, request, client_for, community_leader):
    household_import = check(community_leader, good_rows())
    client = client_for(request.getfixturevalue(persona))
    assert client.get(reverse("households:import")).status_code == 403
    assert upload(client, xlsx(good_rows())).status_code == 403
    assert client.get(reverse("households:import_template")).status_code == 403
    preview = reverse("households:import_preview", args=[household_import.pk])
    assert client.get(preview).status_code == 403
    assert client.post(preview).status_code == 403
    assert counts() == (0, 0)


def test_another_users_import_is_404(community_leader, places, client_for):
    household_import = check(community_leader, good_rows())
    leader_b = UserFactory(role=Role.COMMUNITY_LEADER, street=places.street, community=places.community_b)
    client = client_for(leader_b)
    url = reverse("households:import_preview", args=[household_import.pk])
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    assert client.get(reverse("households:import_preview", args=[household_import.pk + 1000])).status_code == 404
    assert counts() == (0, 0)


def test_a_system_admin_sees_anothers_import_but_cannot_apply_it(community_leader, system_admin, client_for):
    household_import = check(community_leader, good_rows())
    client = client_for(system_admin)
    url = reverse("households:import_preview", args=[household_import.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert page.context["can_apply"] is False
    assert client.post(url).status_code == 403
    assert counts() == (0, 0)


def test_anonymous_is_sent_to_login(community_leader, client):
    household_import = check(community_leader, good_rows())
    for url in (
        reverse("households:import"),
        reverse("households:import_template"),
        reverse("households:import_preview", args=[household_import.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    assert client.post(reverse("households:import_preview", args=[household_import.pk])).status_code == 302
    assert counts() == (0, 0)


def test_a_grid_area_created_after_the_check_does_not_change_the_plan(community_leader, places):
    # A stale preview is harmless: apply reads the file again against the registry as it is then.
    household_import = check(community_leader, good_rows())
    GridArea.objects.filter(pk=places.area_a2.pk).update(name="改名的网格")
    household_import = excel.import_apply(actor=community_leader, household_import=household_import)
    assert household_import.status == HouseholdImport.Status.REJECTED
    assert "德加第2网格" in messages_of(household_import)
    assert counts() == (0, 0)
