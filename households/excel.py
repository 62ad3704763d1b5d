"""Excel import and export of the household registry: one row per resident, the same columns both ways.

An import is checked in full first (import_check) and stored as a HouseholdImport; only a file without a single
error can be applied (import_apply), which checks it again and writes every household and resident in one
transaction, or nothing. No HTTP here: households/excel_views.py is the thin layer around it.
"""

from __future__ import annotations

import datetime
import io
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment
from openpyxl.utils import get_column_letter

from households.models import Estate, GridArea, Household, HouseholdCategory, HouseholdImport, Resident
from households.selectors import HouseholdFilters
from wenxin.audit import log_bulk_created
from wenxin.models import AuditEntry, User
from wenxin.services import audit_record
from wenxin.text import join_list
from wenxin.validators import (
    birth_date_from_id,
    gender_from_id,
    mask_id_number,
    normalize_id_number,
    validate_id_number,
    validate_phone,
)
from wenxin.xlsx import (
    FORMULA_START,
    HEADER_FILL,
    HEADER_FONT,
    header_cells,
    style_sheet,
    workbook_bytes,
)
from wenxin.xlsx import XLSX_CONTENT_TYPE as XLSX_CONTENT_TYPE  # re-exported: callers use excel.XLSX_CONTENT_TYPE
from wenxin.xlsx import escape_formula as escape_formula  # re-exported for callers and tests

# Written in the template's example row; a file that still contains it is rejected, so a forgotten example
# never becomes a household.
EXAMPLE_MARKER = gettext_lazy("示例行，导入前请删除")

# Chunk size of `IN (...)` lookups: well under SQLite's limit on query parameters.
_IN_CHUNK = 900


@dataclass(frozen=True)
class Column:
    """One column of the registry spreadsheet."""

    key: str
    label: Promise
    width: int
    required: bool = False
    max_length: int | None = None
    hint: Promise | str = ""


COLUMNS: tuple[Column, ...] = (
    Column("estate", gettext_lazy("小区"), 16, True, 100, gettext_lazy("必填。须是您管辖范围内已登记的小区名称。")),
    Column("grid_area", gettext_lazy("网格"), 16, True, 50, gettext_lazy("必填。须与小区属于同一个村社。")),
    Column("building", gettext_lazy("楼幢"), 8, True, 20, gettext_lazy("必填。如 3，不必写“幢”。")),
    Column("unit", gettext_lazy("单元"), 8, False, 10, gettext_lazy("没有单元的留空。")),
    Column("room", gettext_lazy("室号"), 8, True, 20, gettext_lazy("必填。如 301，不必写“室”。")),
    Column("household_phone", gettext_lazy("家庭电话"), 16, False, 20, gettext_lazy("同一户填一次即可。")),
    Column(
        "categories",
        gettext_lazy("户类别"),
        20,
        False,
        None,
        gettext_lazy("可填多个，用“、”或逗号分隔；同一户填一次即可。"),
    ),
    Column("name", gettext_lazy("姓名"), 12, True, 50, gettext_lazy("必填。")),
    Column("relation", gettext_lazy("与户主关系"), 12, False, None, ""),
    Column(
        "id_number",
        gettext_lazy("身份证号码"),
        22,
        False,
        18,
        gettext_lazy("18位，请把该列设为文本格式，以免 Excel 把号码改成科学计数法。"),
    ),
    Column("phone", gettext_lazy("联系电话"), 16, False, 20, gettext_lazy("手机号11位，固定电话如 0571-88886666。")),
    Column("note", gettext_lazy("备注"), 30, False, 200, gettext_lazy("居民的备注，最多200字。")),
)
COLUMN_BY_KEY = {column.key: column for column in COLUMNS}
HOUSEHOLD_KEYS = ("grid_area", "household_phone", "categories")

# Heads first, then the rest in the order of the relation choices.
RELATION_ORDER = {value: index for index, value in enumerate(Resident.Relation.values)}
_CATEGORY_SEPARATORS = re.compile(r"[、,，;；]")
_BUILDING_SUFFIX = re.compile(r"(幢|栋|号楼)$")
_UNIT_SUFFIX = re.compile(r"单元$")
_ROOM_SUFFIX = re.compile(r"室$")


def _label_variants(label: Promise) -> set[str]:
    """The Chinese label, its English translation and the active language's: a file in any of them is read."""
    variants = {str(label)}
    for language in ("zh-hans", "en"):
        with translation.override(language):
            variants.add(str(label))
    return variants


def column_label(key: str) -> str:
    return str(COLUMN_BY_KEY[key].label)


def _error(row: int | None, column: str, message: str) -> dict[str, Any]:
    return {"row": row, "column": column_label(column) if column else "", "message": message}


# ---------------------------------------------------------------------------------------------------------------
# The template
# ---------------------------------------------------------------------------------------------------------------


def import_template_workbook() -> bytes:
    """An empty registry spreadsheet: the header row, one example row, and a sheet of instructions."""
    wb = Workbook()
    ws = wb.active
    ws.title = _("户籍导入")
    ws.append([str(column.label) for column in COLUMNS])
    for cell in ws[1]:
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
    ws.append(
        [
            "香港城",
            "德加第1网格",
            "3",
            "2",
            "301",
            "0571-88886666",
            "低保户、独居老人",
            "张三",
            str(Resident.Relation.HEAD.label),
            "330106194001010012",
            "13800000000",
            str(EXAMPLE_MARKER),
        ]
    )
    # Text format keeps leading zeros and all 18 digits of an ID number as typed.
    for key in ("building", "unit", "room", "household_phone", "id_number", "phone"):
        letter = get_column_letter(list(COLUMN_BY_KEY).index(key) + 1)
        ws.column_dimensions[letter].number_format = "@"
        for row in range(2, 1001):
            ws[f"{letter}{row}"].number_format = "@"
    style_sheet(ws, [column.width for column in COLUMNS])

    notes = wb.create_sheet(_("填写说明"))
    notes.append([_("列名"), _("说明")])
    for cell in notes[1]:
        cell.font = HEADER_FONT
    for column in COLUMNS:
        hint = str(column.hint)
        if column.key == "relation":
            hint = _("可填：%(choices)s。每户必须有且只有一位户主。") % {"choices": join_list(_relation_labels())}
        elif column.key == "categories":
            names = join_list(HouseholdCategory.objects.order_by("sort_order", "name").values_list("name", flat=True))
            hint = f"{hint}" + _("可选：%(names)s。") % {"names": names}
        notes.append([str(column.label), hint])
    notes.append([])
    for line in (
        _("每位居民填一行；小区、楼幢、单元、室号都相同的几行是同一户。"),
        _("第一个工作表是要导入的数据，第1行是表头，请不要修改表头。"),
        _("第2行是示例，导入前请删除。"),
        _("上传后系统先检查全部行并列出每一处错误；没有错误时确认导入，全部写入或全部不写入。"),
        _("同一地址已有在册户、身份证号码已登记的，不能重复导入。"),
        _("每个文件最多 %(rows)s 行，大小不超过 %(mb)s MB。")
        % {"rows": settings.IMPORT_MAX_ROWS, "mb": settings.IMPORT_MAX_BYTES // (1024 * 1024)},
    ):
        notes.append([line])
    notes.column_dimensions["A"].width = 14
    notes.column_dimensions["B"].width = 80
    for row in notes.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    return workbook_bytes(wb)


def _relation_labels() -> list[str]:
    return [str(label) for label in Resident.Relation.labels]


# ---------------------------------------------------------------------------------------------------------------
# Reading and checking a file
# ---------------------------------------------------------------------------------------------------------------


class _FileError(Exception):
    """The file as a whole cannot be read; carries the errors to report."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__(errors)
        self.errors = errors


@dataclass
class _ResidentPlan:
    row: int
    name: str
    relation: str
    id_number: str
    phone: str
    note: str


@dataclass
class _HouseholdPlan:
    """One household of the file: the rows with the same estate, building, unit and room."""

    first_row: int
    estate_name: str
    building: str
    unit: str
    room: str
    values: dict[str, tuple[int, str]] = field(default_factory=dict)  # household column → (row, value)
    estate: Estate | None = None
    grid_area: GridArea | None = None
    categories: list[HouseholdCategory] = field(default_factory=list)
    residents: list[_ResidentPlan] = field(default_factory=list)

    @property
    def address(self) -> str:
        household = Household(building=self.building, unit=self.unit, room=self.room)
        household.estate = Estate(name=self.estate_name)
        return household.address


@dataclass
class CheckResult:
    """What a file would create, and everything wrong with it."""

    row_count: int = 0
    households: list[_HouseholdPlan] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)


def _cell_text(value: Any) -> str:
    """A cell as the text it shows; numbers typed into text columns lose their ".0"."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    elif isinstance(value, datetime.datetime):
        value = value.date() if value.time() == datetime.time() else value
    text = str(value).strip()
    # Undo the export's formula escaping, so an exported file imports as it was.
    if text[:1] == "'" and text[1:2] and text[1:2] in FORMULA_START:
        text = text[1:]
    return text


def _read_sheet(content: bytes) -> tuple[list[str], Iterator[tuple[int, tuple[Any, ...]]], Any]:
    """The header row and an iterator over (Excel row number, values) of the first sheet."""
    if len(content) > settings.IMPORT_MAX_BYTES:
        raise _FileError(
            [
                _error(
                    None,
                    "",
                    _("文件太大（%(size).1f MB），最大 %(max).1f MB，请拆分成几个文件分别导入。")
                    % {"size": len(content) / 1024 / 1024, "max": settings.IMPORT_MAX_BYTES / 1024 / 1024},
                )
            ]
        )
    try:
        # openpyxl raises many kinds of exception on a file that is not a workbook (zip, XML, key errors).
        wb = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        ws = wb.worksheets[0]
        rows = ws.iter_rows(values_only=True)
        header = next(rows, None)
    except Exception:
        raise _FileError(
            [
                _error(
                    None,
                    "",
                    _("无法读取文件：不是有效的 Excel（.xlsx）文件，或文件已损坏。请用 Excel 另存为 .xlsx 后再上传。"),
                )
            ]
        ) from None
    if header is None:
        wb.close()
        raise _FileError([_error(None, "", _("工作表是空的：第1行应为表头，第2行起每行一位居民。"))])
    if not any(_cell_text(value) for value in header):
        wb.close()
        raise _FileError([_error(1, "", _("第1行是空的：第1行应为表头，第2行起每行一位居民。"))])
    return [_cell_text(value) for value in header], _numbered_rows(rows), wb


def _numbered_rows(rows: Iterator[tuple[Any, ...]]) -> Iterator[tuple[int, tuple[Any, ...]]]:
    """(Excel row number, values) from row 2 on; a file damaged past its first row is a _FileError too."""
    try:
        yield from enumerate(rows, start=2)
    except Exception:
        raise _FileError(
            [_error(None, "", _("文件已损坏，读取到一半出错。请用 Excel 另存为 .xlsx 后再上传。"))]
        ) from None


def _header_positions(header: list[str]) -> dict[str, int]:
    """Column key → position in the row; raises _FileError naming every missing or unknown header."""
    known: dict[str, str] = {}
    for column in COLUMNS:
        for variant in _label_variants(column.label):
            known[variant] = column.key
    positions: dict[str, int] = {}
    unknown: list[str] = []
    duplicated: list[str] = []
    for index, text in enumerate(header):
        if not text:
            continue
        key = known.get(text)
        if key is None:
            unknown.append(text)
        elif key in positions:
            duplicated.append(text)
        else:
            positions[key] = index
    missing = [column_label(column.key) for column in COLUMNS if column.key not in positions]
    errors = []
    if missing:
        errors.append(_error(1, "", _("表头缺少这些列：%(columns)s。") % {"columns": join_list(missing)}))
    if unknown:
        errors.append(_error(1, "", _("表头有无法识别的列：%(columns)s。") % {"columns": join_list(unknown)}))
    if duplicated:
        errors.append(_error(1, "", _("表头有重复的列：%(columns)s。") % {"columns": join_list(duplicated)}))
    if errors:
        errors.append(
            _error(
                1,
                "",
                _("第1行应依次为：%(columns)s。请下载导入模板对照。")
                % {"columns": join_list(column_label(column.key) for column in COLUMNS)},
            )
        )
        raise _FileError(errors)
    return positions


def _relation_lookup() -> dict[str, str]:
    lookup = {value: value for value in Resident.Relation.values}
    for value, label in Resident.Relation.choices:
        for variant in _label_variants(label):
            lookup[variant] = value
    return lookup


def _chunks(values: Sequence[Any], size: int = _IN_CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


class _PlaceResolver:
    """Finds an estate and a grid area by name among those the actor may see, in the same community."""

    def __init__(self, actor: User) -> None:
        self.estates: dict[str, list[Estate]] = defaultdict(list)
        for estate in Estate.objects.visible_to(actor).select_related("community"):
            self.estates[estate.name].append(estate)
        self.areas: dict[str, list[GridArea]] = defaultdict(list)
        for area in GridArea.objects.visible_to(actor).select_related("community"):
            self.areas[area.name].append(area)
        self._cache: dict[tuple[str, str], tuple[Estate | None, GridArea | None, list[tuple[str, str]]]] = {}

    def resolve(self, estate_name: str, area_name: str) -> tuple[Estate | None, GridArea | None, list[tuple[str, str]]]:
        key = (estate_name, area_name)
        if key not in self._cache:
            self._cache[key] = self._resolve(estate_name, area_name)
        return self._cache[key]

    def _resolve(self, estate_name: str, area_name: str):
        estates = self.estates.get(estate_name, []) if estate_name else []
        areas = self.areas.get(area_name, []) if area_name else []
        problems: list[tuple[str, str]] = []
        if estate_name and not estates:
            problems.append(("estate", _("小区“%(name)s”不存在或不在您的管辖范围内。") % {"name": estate_name}))
        if area_name and not areas:
            problems.append(("grid_area", _("网格“%(name)s”不存在或不在您的管辖范围内。") % {"name": area_name}))
        if problems or not estates or not areas:
            return None, None, problems
        pairs = [(e, a) for e in estates for a in areas if e.community_id == a.community_id]
        if not pairs:
            message = _("网格“%(area)s”与小区“%(estate)s”不在同一个村社。") % {"area": area_name, "estate": estate_name}
            return None, None, [("grid_area", message)]
        if len(pairs) > 1:
            message = _(
                "有多个村社都有名为“%(estate)s”的小区和“%(area)s”网格，无法确定是哪一个，请联系系统管理员。"
            ) % {
                "estate": estate_name,
                "area": area_name,
            }
            return None, None, [("estate", message)]
        estate, area = pairs[0]
        return estate, area, []


def _normalize_address_part(key: str, text: str) -> str:
    if key == "building":
        return _BUILDING_SUFFIX.sub("", text).strip()
    if key == "unit":
        return _UNIT_SUFFIX.sub("", text).strip()
    if key == "room":
        return _ROOM_SUFFIX.sub("", text).strip()
    return text


def check_content(*, actor: User, content: bytes, progress: Callable[[int], None] | None = None) -> CheckResult:
    """Read and check a whole file against the database as it is now. Writes nothing.

    `progress`, if given, is called with the number of rows read so far after each row (a background job passes
    its reporter, which decides how often to write it down).
    """
    result = CheckResult()
    try:
        header, rows, wb = _read_sheet(content)
    except _FileError as exc:
        result.errors = exc.errors
        return result
    try:
        positions = _header_positions(header)
        _check_rows(actor=actor, rows=rows, positions=positions, result=result, progress=progress)
    except _FileError as exc:
        result.errors = exc.errors
        result.households = []
    finally:
        wb.close()
    result.errors.sort(key=lambda e: (e["row"] or 0, _column_order(e["column"])))
    return result


def _column_order(label: str) -> int:
    for index, column in enumerate(COLUMNS):
        if str(column.label) == label:
            return index + 1
    return 0


def _check_rows(
    *,
    actor: User,
    rows: Iterable[tuple[int, tuple[Any, ...]]],
    positions: dict[str, int],
    result: CheckResult,
    progress: Callable[[int], None] | None = None,
) -> None:
    errors = result.errors
    resolver = _PlaceResolver(actor)
    categories = {category.name: category for category in HouseholdCategory.objects.visible_to(actor)}
    relations = _relation_lookup()
    example_markers = _label_variants(EXAMPLE_MARKER)
    households: dict[tuple[str, str, str, str], _HouseholdPlan] = {}
    id_rows: dict[str, int] = {}
    max_rows = settings.IMPORT_MAX_ROWS

    for number, raw in rows:
        values = {key: (raw[index] if index < len(raw) else None) for key, index in positions.items()}
        text = {key: _cell_text(value) for key, value in values.items()}
        if not any(text.values()):
            continue  # blank rows between households are harmless
        result.row_count += 1
        if progress is not None:
            progress(result.row_count)
        if result.row_count > max_rows:
            raise _FileError(
                [
                    _error(
                        None,
                        "",
                        _("行数太多：每个文件最多 %(max)s 行居民，请拆分成几个文件分别导入。") % {"max": max_rows},
                    )
                ]
            )
        for key in ("building", "unit", "room"):
            text[key] = _normalize_address_part(key, text[key])

        def add(column: str, message: str, number: int = number) -> None:
            errors.append(_error(number, column, message))

        if text["note"] in example_markers:
            add("note", _("这是模板中的示例行，请删除后再导入。"))
            continue
        for column in COLUMNS:
            value = text[column.key]
            if column.required and not value:
                add(column.key, _("%(column)s不能为空。") % {"column": column.label})
            elif column.max_length and len(value) > column.max_length:
                add(
                    column.key,
                    _("%(column)s太长：最多 %(max)s 个字，现有 %(length)s 个。")
                    % {"column": column.label, "max": column.max_length, "length": len(value)},
                )

        # Resident cells.
        relation = relations.get(text["relation"])
        if relation is None:
            if text["relation"]:
                message = _("与户主关系“%(value)s”无法识别，可填：%(choices)s。")
            else:
                message = _("请填写与户主关系，可填：%(choices)s。")
            add("relation", message % {"value": text["relation"], "choices": join_list(_relation_labels())})
        id_number = _check_id_number(values["id_number"], text["id_number"], add)
        if id_number:
            if id_number in id_rows:
                add("id_number", _("身份证号码与第 %(row)s 行重复。") % {"row": id_rows[id_number]})
            else:
                id_rows[id_number] = number
        for key in ("phone", "household_phone"):
            if text[key] and len(text[key]) <= COLUMN_BY_KEY[key].max_length:
                try:
                    validate_phone(text[key])
                except ValidationError as exc:
                    add(key, exc.messages[0])
        names = [name.strip() for name in _CATEGORY_SEPARATORS.split(text["categories"]) if name.strip()]
        unknown = [name for name in names if name not in categories]
        if unknown:
            add(
                "categories",
                _("户类别“%(names)s”不存在，可选：%(choices)s。")
                % {"names": join_list(unknown), "choices": join_list(categories)},
            )

        # The household this row belongs to.
        if not (text["estate"] and text["building"] and text["room"]):
            continue
        key = (text["estate"], text["building"], text["unit"], text["room"])
        plan = households.get(key)
        if plan is None:
            plan = households[key] = _HouseholdPlan(
                first_row=number,
                estate_name=text["estate"],
                building=text["building"],
                unit=text["unit"],
                room=text["room"],
            )
            estate, area, problems = resolver.resolve(text["estate"], text["grid_area"])
            for column, message in problems:
                add(column, message)
            plan.estate, plan.grid_area = estate, area
            plan.values["grid_area"] = (number, text["grid_area"])
        # Household cells may be repeated on every row of the household, but must then agree.
        for household_key in HOUSEHOLD_KEYS:
            value = text[household_key]
            if not value:
                continue
            first = plan.values.get(household_key)
            if first is None or not first[1]:
                plan.values[household_key] = (number, value)
            elif _household_value(household_key, first[1]) != _household_value(household_key, value):
                add(
                    household_key,
                    _("同一户的%(column)s应一致：第 %(row)s 行填的是“%(value)s”。")
                    % {"column": COLUMN_BY_KEY[household_key].label, "row": first[0], "value": first[1]},
                )
        plan.residents.append(
            _ResidentPlan(
                row=number,
                name=text["name"],
                relation=relation or "",
                id_number=id_number,
                phone=text["phone"],
                note=text["note"],
            )
        )

    if result.row_count == 0:
        raise _FileError([_error(None, "", _("工作表中没有数据：第1行是表头，请从第2行起每行填写一位居民。"))])

    for plan in households.values():
        plan.categories = [
            categories[name]
            for name in dict.fromkeys(_category_names(plan.values.get("categories", (0, ""))[1]))
            if name in categories
        ]
        heads = [resident for resident in plan.residents if resident.relation == Resident.Relation.HEAD]
        if not heads:
            errors.append(
                _error(
                    plan.first_row,
                    "relation",
                    _("%(address)s 没有户主：每户须有一位户主。") % {"address": plan.address},
                )
            )
        for extra in heads[1:]:
            errors.append(
                _error(
                    extra.row,
                    "relation",
                    _("%(address)s 已在第 %(row)s 行登记户主，一户只能有一位户主。")
                    % {"address": plan.address, "row": heads[0].row},
                )
            )
    result.households = list(households.values())
    _check_against_database(result, id_rows)


def _category_names(text: str) -> list[str]:
    return [name.strip() for name in _CATEGORY_SEPARATORS.split(text) if name.strip()]


def _household_value(key: str, value: str) -> Any:
    # "低保户、独居老人" and "独居老人,低保户" are the same categories.
    return frozenset(_category_names(value)) if key == "categories" else value


def _check_id_number(raw: Any, text: str, add) -> str:
    """The normalized ID number of a row, or "" after reporting why it is unusable."""
    if not text:
        return ""
    if isinstance(raw, float) and raw >= 1e15:
        # Excel keeps 15 significant digits of a number: the last digits of an 18-digit ID are already lost.
        add("id_number", _("身份证号码被 Excel 存成了数字，后几位已丢失。请把该列设为文本格式后重新输入。"))
        return ""
    if "*" in text:
        add("id_number", _("身份证号码已打码（导出的文件只含部分号码），请填写完整号码或留空。"))
        return ""
    number = normalize_id_number(text)
    try:
        validate_id_number(number)
    except ValidationError as exc:
        add("id_number", exc.messages[0])
        return ""
    return number


def _check_against_database(result: CheckResult, id_rows: dict[str, int]) -> None:
    """Addresses already registered and ID numbers already held by a resident."""
    numbers = list(id_rows)
    for chunk in _chunks(numbers):
        for id_number in Resident.objects.filter(id_number__in=chunk).values_list("id_number", flat=True):
            result.errors.append(_error(id_rows[id_number], "id_number", _("该身份证号码已登记在其他居民名下。")))
    estate_ids = sorted({plan.estate.pk for plan in result.households if plan.estate})
    taken: set[tuple[int, str, str, str]] = set()
    for chunk in _chunks(estate_ids):
        taken.update(
            Household.objects.active()
            .filter(estate_id__in=chunk)
            .values_list("estate_id", "building", "unit", "room")
            .iterator(chunk_size=5000)
        )
    for plan in result.households:
        if plan.estate and (plan.estate.pk, plan.building, plan.unit, plan.room) in taken:
            result.errors.append(
                _error(plan.first_row, "room", _("该地址已有在册户：%(address)s。") % {"address": plan.address})
            )


def import_check(*, actor: User, file_name: str, content: bytes) -> HouseholdImport:
    """Check an uploaded file in full and store it as CHECKED (no errors) or REJECTED (with every error)."""
    if not actor.can_import_registry:
        raise PermissionDenied
    result = check_content(actor=actor, content=content)
    too_large = len(content) > settings.IMPORT_MAX_BYTES
    return HouseholdImport.objects.create(
        created_by=actor,
        file_name=file_name[:200],
        # An oversized file is not kept: the database is no place for it.
        content=b"" if too_large else content,
        status=HouseholdImport.Status.REJECTED if result.errors else HouseholdImport.Status.CHECKED,
        row_count=result.row_count,
        errors=result.errors,
    )


@dataclass
class EstateSummary:
    estate: str
    households: int
    residents: int


@dataclass
class ImportPreview:
    """What applying a checked import would create now, per estate, and what has gone wrong since the check."""

    estates: list[EstateSummary]
    errors: list[dict[str, Any]]

    @property
    def households(self) -> int:
        return sum(s.households for s in self.estates)

    @property
    def residents(self) -> int:
        return sum(s.residents for s in self.estates)


def import_preview(*, actor: User, household_import: HouseholdImport) -> ImportPreview:
    """Check a stored file again against the registry as it is now, without writing."""
    result = check_content(actor=actor, content=bytes(household_import.content))
    return ImportPreview(estates=_summarize(result), errors=result.errors)


# ---------------------------------------------------------------------------------------------------------------
# Applying a checked file
# ---------------------------------------------------------------------------------------------------------------


class _Rejected(Exception):
    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__(errors)
        self.errors = errors


def import_apply_precheck(*, actor: User, household_import: HouseholdImport) -> None:
    """Raise why the actor cannot apply this import now: PermissionDenied, or ValidationError with the reason."""
    if not actor.can_import_registry or household_import.created_by_id != actor.pk:
        raise PermissionDenied
    if household_import.status == HouseholdImport.Status.IMPORTED:
        raise ValidationError(_("该文件已经导入过，不会重复导入。"))
    if household_import.status != HouseholdImport.Status.CHECKED:
        raise ValidationError(_("该文件有错误，不能导入。请改正后重新上传。"))


def import_apply(*, actor: User, household_import: HouseholdImport) -> HouseholdImport:
    """Check a CHECKED import again and write all of it in one transaction, or nothing.

    If the registry changed since the check so that a row no longer fits, nothing is written and the import
    becomes REJECTED with the rows at fault. Applying an import twice raises ValidationError.
    """
    import_apply_precheck(actor=actor, household_import=household_import)
    try:
        with transaction.atomic():
            # Claiming the import first makes a second, concurrent apply find nothing to do.
            claimed = HouseholdImport.objects.filter(
                pk=household_import.pk, status=HouseholdImport.Status.CHECKED
            ).update(status=HouseholdImport.Status.IMPORTED, imported_at=timezone.now())
            if not claimed:
                raise ValidationError(_("该文件已经导入过，不会重复导入。"))
            result = check_content(actor=actor, content=bytes(household_import.content))
            if result.errors:
                raise _Rejected(result.errors)
            households, residents = _write(result)
            HouseholdImport.objects.filter(pk=household_import.pk).update(
                households_created=households, residents_created=residents, row_count=result.row_count
            )
            household_import.refresh_from_db()
            audit_record(
                actor=actor,
                action=AuditEntry.Action.IMPORT,
                obj=household_import,
                changes={
                    "file_name": household_import.file_name,
                    "households": households,
                    "residents": residents,
                    "estates": {s.estate: s.households for s in _summarize(result)},
                },
            )
    except _Rejected as exc:
        _reject(household_import, exc.errors)
    except IntegrityError:
        # Someone registered the same address or ID number in the instant between our check and our write.
        _reject(
            household_import,
            [
                _error(
                    None,
                    "",
                    _("导入时有人同时登记了相同的地址或身份证号码，本次未写入任何数据。请重新上传该文件检查。"),
                )
            ],
        )
    household_import.refresh_from_db()
    return household_import


def _reject(household_import: HouseholdImport, errors: list[dict[str, Any]]) -> None:
    HouseholdImport.objects.filter(pk=household_import.pk, status=HouseholdImport.Status.CHECKED).update(
        status=HouseholdImport.Status.REJECTED, errors=errors
    )


def _summarize(result: CheckResult) -> list[EstateSummary]:
    by_estate: dict[str, EstateSummary] = {}
    for plan in result.households:
        summary = by_estate.setdefault(plan.estate_name, EstateSummary(plan.estate_name, 0, 0))
        summary.households += 1
        summary.residents += len(plan.residents)
    return sorted(by_estate.values(), key=lambda s: s.estate)


def _write(result: CheckResult) -> tuple[int, int]:
    """Insert the checked households, their categories and residents in bulk; the caller holds the transaction.

    The per-object services (household_create, resident_create) cost about a dozen queries a row, too slow for a
    file of IMPORT_MAX_ROWS rows inside one request; the checks they make were all made by check_content, the
    database constraints still hold, and the import is audited as one entry with its counts.
    """
    households = []
    for plan in result.households:
        household = Household(
            estate=plan.estate,
            grid_area=plan.grid_area,
            building=plan.building,
            unit=plan.unit,
            room=plan.room,
            phone=plan.values.get("household_phone", (0, ""))[1],
        )
        households.append(household)
    Household.objects.bulk_create(households, batch_size=500)

    through = Household.categories.through
    links = [
        through(household_id=household.pk, householdcategory_id=category.pk)
        for household, plan in zip(households, result.households, strict=True)
        for category in plan.categories
    ]
    through.objects.bulk_create(links, batch_size=500)

    residents = []
    for household, plan in zip(households, result.households, strict=True):
        for row in plan.residents:
            resident = Resident(
                household=household,
                name=row.name,
                relation=row.relation,
                id_number=row.id_number,
                phone=row.phone,
                note=row.note,
            )
            if row.id_number:
                resident.birth_date = birth_date_from_id(row.id_number)
                resident.gender = gender_from_id(row.id_number)
            residents.append(resident)
    Resident.objects.bulk_create(residents, batch_size=500)
    # bulk_create sends no signals: each row still gets its own entry in the audit trail, categories with it.
    categories = {household.pk: plan.categories for household, plan in zip(households, result.households, strict=True)}
    log_bulk_created(households, m2m={"categories": categories})
    log_bulk_created(residents)
    return len(households), len(residents)


# ---------------------------------------------------------------------------------------------------------------
# Export
# ---------------------------------------------------------------------------------------------------------------


def _export_rows(households: QuerySet[Household]) -> Iterator[tuple[int, Resident | None, list[str]]]:
    """(household pk, resident or None, cells) for each resident, heads first; one row for an empty household."""
    # Residents and categories are read with subqueries, not `IN (ids)`: the whole street's export has tens of
    # thousands of households, more parameters than SQLite allows in one query.
    household_ids = households.values("pk")
    residents: dict[int, list[Resident]] = defaultdict(list)
    for resident in Resident.objects.filter(household__in=household_ids).order_by("household_id", "pk"):
        residents[resident.household_id].append(resident)
    categories: dict[int, list[str]] = defaultdict(list)
    through = Household.categories.through
    for household_id, name in (
        through.objects.filter(household__in=household_ids)
        .order_by("householdcategory__sort_order", "householdcategory__name")
        .values_list("household_id", "householdcategory__name")
    ):
        categories[household_id].append(name)

    relation_labels = {value: str(label) for value, label in Resident.Relation.choices}
    for household in households.prefetch_related(None).select_related("estate", "grid_area"):
        place = [
            household.estate.name,
            household.grid_area.name,
            household.building,
            household.unit,
            household.room,
            household.phone,
            join_list(categories.get(household.pk, [])),
        ]
        members = sorted(residents.get(household.pk, []), key=lambda r: (RELATION_ORDER.get(r.relation, 99), r.pk))
        if not members:
            yield household.pk, None, [*place, "", "", "", "", ""]
        for resident in members:
            yield (
                household.pk,
                resident,
                [
                    *place,
                    resident.name,
                    relation_labels.get(resident.relation, resident.relation),
                    mask_id_number(resident.id_number),
                    resident.phone,
                    resident.note,
                ],
            )


@dataclass
class Export:
    content: bytes
    households: int
    residents: int


def _build_export(households: QuerySet[Household], progress: Callable[[int], None] | None = None) -> Export:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_("户籍档案"))
    style_sheet(ws, [column.width for column in COLUMNS])
    ws.append(header_cells(ws, [column.label for column in COLUMNS]))
    household_ids: set[int] = set()
    resident_count = 0
    for written, (household_id, resident, cells) in enumerate(_export_rows(households), start=1):
        ws.append([escape_formula(value) for value in cells])
        household_ids.add(household_id)
        resident_count += resident is not None
        if progress is not None:
            progress(written)
    return Export(workbook_bytes(wb), len(household_ids), resident_count)


def export_row_count(households: QuerySet[Household]) -> int:
    """The rows an export of these households will have (one per resident, one per empty household): one query."""
    counted = households.annotate(rows=Greatest(Count("residents", distinct=True), Value(1)))
    return counted.aggregate(total=Coalesce(Sum("rows"), 0))["total"]


def describe_filters(filters: HouseholdFilters) -> dict[str, str]:
    """The filters of an export as text for its audit entry; empty ones left out."""
    described = {}
    for name in ("q", "community", "estate", "grid_area", "category"):
        value = getattr(filters, name)
        if value:
            described[name] = str(value)
    for name in ("key_only", "include_moved_out"):
        if getattr(filters, name):
            described[name] = "1"
    return described


def export_workbook(households: QuerySet[Household]) -> bytes:
    """The given households as a spreadsheet in the import's layout, ID numbers masked, formulas escaped."""
    return _build_export(households).content


def household_export(
    *,
    actor: User,
    households: QuerySet[Household],
    filters: dict[str, str],
    progress: Callable[[int], None] | None = None,
) -> Export:
    """Export the households the actor asked for, and record who took which part of the registry home.

    `progress`, if given, is called with the number of rows written so far after each row.
    """
    export = _build_export(households, progress)
    audit_record(
        actor=actor,
        action=AuditEntry.Action.EXPORT,
        obj=actor,
        changes={"filters": filters, "households": export.households, "residents": export.residents},
    )
    return export
