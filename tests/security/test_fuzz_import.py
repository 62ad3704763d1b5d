"""Bad input on the registry's Excel import: random workbooks and broken files, uploaded, previewed and applied.

A community leader uploads what the strategies build: the template's columns (in order, shuffled, in English, one
missing, one unknown, duplicated), rows of households with some cells replaced by numbers, dates, booleans, formulas,
dates typed as text, Excel-mangled ID numbers or any text; row counts on both sides of IMPORT_MAX_ROWS; files over
IMPORT_MAX_BYTES; truncated or bit-flipped workbooks, zips of something else, random bytes; odd file names.

For every file: no 500; either the upload form says why in Chinese (nothing stored), or the preview lists every
error in Chinese and nothing is written, or the apply writes every household and resident of the file, or none.
A file built from good rows only, within the limits, must import whole. The limits themselves are tested at the
end with the values the settings really have.
"""

from __future__ import annotations

import datetime
import io
import random
import zipfile
from collections import Counter
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from households import excel
from households.models import HouseholdImport
from tests.security.fuzzkit import (
    CJK,
    answered,
    examples,
    report_inputs_tried,  # noqa: F401 - prints the inputs tried at the end
    rolled_back,
    row_counts,
    tried,
    valid_id_numbers,
)
from wenxin import settings as configured
from wenxin.models import BackgroundJob

pytestmark = pytest.mark.django_db

IMPORT = reverse("households:import")
TODAY = timezone.localdate()
# Small limits, so a file on either side of them is cheap to build; the real values are tested at the end.
FUZZ_MAX_ROWS = 8
FUZZ_MAX_BYTES = 40_000
HEADERS = [str(column.label) for column in excel.COLUMNS]
ENGLISH = {"小区": "Estate"}  # one label in English: a file from the English interface is read too
GENERIC_FAILURE = "任务出错"  # wenxin.jobs: the message of a job that crashed


@pytest.fixture(autouse=True)
def small_limits(settings):
    settings.IMPORT_MAX_ROWS = FUZZ_MAX_ROWS
    settings.IMPORT_MAX_BYTES = FUZZ_MAX_BYTES


@dataclass(frozen=True)
class Upload:
    """A file to upload and what the specification says must come of it ("any" where it does not say)."""

    name: str
    content: bytes
    expect: str  # "imports", "too many rows", "too large", "refused", "any"
    households: int = 0
    residents: int = 0


def xlsx_bytes(header: list, rows: list[list]) -> bytes:
    wb = Workbook()
    ws = wb.active
    if header:
        ws.append(header)
    for cells in rows:
        ws.append(cells)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


xml_text = st.text(max_size=30).map(lambda text: ILLEGAL_CHARACTERS_RE.sub("", text))
JUNK_CELLS = st.one_of(
    st.none(),
    st.integers(-(10**12), 10**18),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    # A spreadsheet's date-times have no time zone.
    st.datetimes(datetime.datetime(1900, 3, 1), datetime.datetime(2100, 1, 1)),  # noqa: DTZ001
    st.dates(datetime.date(1900, 3, 1), datetime.date(2100, 1, 1)),
    st.sampled_from(
        [
            "=1+1",
            "=SUM(A1:A3)",
            '=HYPERLINK("http://example.com","点我")',
            "'=1+1",
            "@SUM(1)",
            "2024-01-01",
            "2024/1/1",
            "2024年1月1日",
            "户主",
            "低保户、独居老人",
            "香港城",
            "3幢",
            "301室",
            "330106********1234",
            3.30106194001011e17,
            330106194001010012,
        ]
    ),
    xml_text,
)


@st.composite
def good_rows(draw) -> tuple[list[list], int]:
    """Households of 香港城 in 德加第1网格, each with its head first; the rows and how many households."""
    addresses = draw(
        st.lists(
            st.tuples(st.sampled_from(["1", "2", "12幢"]), st.sampled_from(["", "1", "2单元"]), st.integers(101, 120)),
            min_size=1,
            max_size=4,
            unique_by=lambda a: (a[0].removesuffix("幢"), a[1].removesuffix("单元"), a[2]),
        )
    )
    numbers = iter(draw(st.lists(valid_id_numbers(TODAY), min_size=12, max_size=12, unique=True)))
    rows = []
    for building, unit, room in addresses:
        for index in range(draw(st.integers(1, 3))):
            relation = "户主" if index == 0 else draw(st.sampled_from(["配偶", "子女", "父母", "其他"]))
            rows.append(
                [
                    "香港城",
                    "德加第1网格",
                    building,
                    unit,
                    str(room),
                    draw(st.sampled_from(["", "0571-88886666"])) if index == 0 else "",
                    draw(st.sampled_from(["", "低保户", "低保户、独居老人"])) if index == 0 else "",
                    draw(st.sampled_from(["张三", "李四", "王小五", "欧阳娜娜"])),
                    relation,
                    draw(st.sampled_from(["", next(numbers)])),
                    draw(st.sampled_from(["", "13800000000", "0571-88886666"])),
                    draw(st.sampled_from(["", "独居", "在外地读书"])),
                ]
            )
    return rows, len(addresses)


@st.composite
def workbooks(draw) -> Upload:
    """A workbook from good rows, perhaps with its header or some cells spoiled."""
    rows, households = draw(good_rows())
    header = list(HEADERS)
    spoiled = False
    header_kind = draw(st.sampled_from(["as is", "as is", "shuffled", "english", "missing", "unknown", "twice"]))
    if header_kind == "shuffled":
        order = draw(st.permutations(range(len(HEADERS))))
        header = [HEADERS[i] for i in order]
        rows = [[cells[i] for i in order] for cells in rows]
    elif header_kind == "english":
        header = [ENGLISH.get(label, label) for label in header]
    elif header_kind == "missing":
        gone = draw(st.integers(0, len(HEADERS) - 1))
        header = header[:gone] + header[gone + 1 :]
        rows = [cells[:gone] + cells[gone + 1 :] for cells in rows]
        spoiled = True
    elif header_kind == "unknown":
        header[draw(st.integers(0, len(HEADERS) - 1))] = draw(st.sampled_from(["身份证", "电话", "Name", "x"]))
        spoiled = True
    elif header_kind == "twice":
        header.append(draw(st.sampled_from(HEADERS)))
        spoiled = True
    for _ in range(draw(st.integers(0, 3))):
        row = draw(st.integers(0, len(rows) - 1))
        column = draw(st.integers(0, len(rows[row]) - 1))
        rows[row][column] = draw(JUNK_CELLS)
        spoiled = True
    if draw(st.booleans()):
        rows.insert(draw(st.integers(0, len(rows))), [None] * len(header))  # a blank row between households
    if len(rows) - rows.count([None] * len(header)) > FUZZ_MAX_ROWS and header_kind in ("as is", "shuffled"):
        return Upload("户籍.xlsx", xlsx_bytes(header, rows), "too many rows")
    if spoiled:
        return Upload("户籍.xlsx", xlsx_bytes(header, rows), "any")
    residents = sum(1 for cells in rows if any(cells))
    return Upload("户籍.xlsx", xlsx_bytes(header, rows), "imports", households, residents)


@st.composite
def broken_files(draw) -> Upload:
    """Bytes that are not a readable workbook, or a workbook too large to take."""
    rng = random.Random(draw(st.integers(0, 2**32)))
    good = xlsx_bytes(HEADERS, draw(good_rows())[0])
    kind = draw(st.sampled_from(["random", "truncated", "flipped", "other zip", "empty zip", "csv", "too large"]))
    if kind == "random":
        return Upload("户籍.xlsx", rng.randbytes(draw(st.integers(1, 4000))), "refused")
    if kind == "truncated":
        return Upload("户籍.xlsx", good[: draw(st.integers(1, len(good) - 1))], "any")
    if kind == "flipped":
        content = bytearray(good)
        for _ in range(draw(st.integers(1, 20))):
            content[rng.randrange(len(content))] = rng.randrange(256)
        return Upload("户籍.xlsx", bytes(content), "any")
    if kind in ("other zip", "empty zip"):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            if kind == "other zip":
                archive.writestr("[Content_Types].xml", rng.randbytes(200))
                archive.writestr("xl/workbook.xml", "<workbook>不是表格</workbook>")
        return Upload("户籍.xlsx", buffer.getvalue(), "refused")
    if kind == "csv":
        return Upload("户籍.xlsx", ",".join(HEADERS).encode() + "\n香港城,德加第1网格".encode(), "refused")
    return Upload("户籍.xlsx", rng.randbytes(FUZZ_MAX_BYTES + draw(st.integers(1, 5000))), "too large")


FILE_NAMES = st.sampled_from(
    ["户籍.XLSX", "户籍.xls", "户籍.csv", "户籍", "名单 (1).xlsx", "😀.xlsx", "x" * 300 + ".xlsx", "../../户籍.xlsx"]
)


@st.composite
def uploads(draw) -> Upload:
    upload = draw(st.one_of(workbooks(), workbooks(), broken_files()))
    if draw(st.integers(0, 5)) == 0:
        name = draw(FILE_NAMES)
        keeps = name.lower().endswith(".xlsx")
        return Upload(name, upload.content, upload.expect if keeps else "refused", upload.households, upload.residents)
    return upload


def assert_errors_shown(page: str, household_import: HouseholdImport) -> None:
    assert household_import.errors, "refused without a single error"
    for error in household_import.errors:
        assert CJK.search(error["message"]), error
        assert escape(error["message"]) in page, error


def test_an_import_writes_every_row_or_none(community_leader, client_for):
    client = client_for(community_leader)
    outcomes: Counter[str] = Counter()

    @given(upload=uploads())
    @hypothesis_settings(max_examples=examples(40))
    def attempt(upload: Upload) -> None:
        tried("Excel import")
        with rolled_back():
            before = row_counts(extra=[HouseholdImport])
            response = client.post(IMPORT, {"file": SimpleUploadedFile(upload.name, upload.content)})
            if response.status_code == 200:  # refused by the upload form: nothing stored at all
                messages = response.context["form"].errors["file"]
                assert all(CJK.search(message) for message in messages), messages
                assert row_counts(extra=[HouseholdImport]) == before
                assert upload.expect in ("too large", "refused", "any"), (upload.expect, messages)
                if upload.expect == "too large":
                    assert "文件太大" in messages[0]
                outcomes["refused at upload"] += 1
                answered("Excel import", "refused at upload")
                return
            assert response.status_code == 302, response.status_code
            household_import = HouseholdImport.objects.latest("pk")
            preview = client.get(response["Location"])
            assert preview.status_code == 200
            if household_import.status == HouseholdImport.Status.REJECTED:
                assert_errors_shown(preview.content.decode(), household_import)
                assert row_counts() == {k: v for k, v in before.items() if k != "households.HouseholdImport"}
                assert upload.expect != "imports", household_import.errors
                if upload.expect == "too many rows":
                    assert any("行数太多" in error["message"] for error in household_import.errors)
                outcomes["refused at check"] += 1
                answered("Excel import", "refused at check")
                return
            assert upload.expect in ("imports", "any"), upload.expect
            shown = preview.context["preview"]
            applied = client.post(response["Location"])
            assert applied.status_code == 302
            assert client.get(applied["Location"]).status_code == 200
            household_import.refresh_from_db()
            after = row_counts()
            added = (
                after["households.Household"] - before["households.Household"],
                after["households.Resident"] - before["households.Resident"],
            )
            failed = BackgroundJob.objects.filter(message__contains=GENERIC_FAILURE)
            assert not failed.exists(), "an import job crashed"
            if household_import.status == HouseholdImport.Status.IMPORTED:
                assert (
                    added
                    == (shown.households, shown.residents)
                    == (
                        household_import.households_created,
                        household_import.residents_created,
                    )
                )
                if upload.expect == "imports":
                    assert added == (upload.households, upload.residents)
                outcomes["imported"] += 1
                answered("Excel import", "imported")
            else:
                assert added == (0, 0)
                assert upload.expect != "imports", household_import.errors
                outcomes["refused at apply"] += 1
                answered("Excel import", "refused at apply")

    attempt()
    assert outcomes["imported"] and outcomes["refused at check"] and outcomes["refused at upload"], outcomes


# --- The limits, with the values the settings really have -----------------------------------------------------


@pytest.fixture
def real_limits(settings):
    """The limits as wenxin/settings.py configures them (from the environment), not the fuzz's small ones."""
    settings.IMPORT_MAX_ROWS = configured.IMPORT_MAX_ROWS
    settings.IMPORT_MAX_BYTES = configured.IMPORT_MAX_BYTES


def test_a_file_over_import_max_bytes_is_refused_with_its_size(community_leader, client_for, real_limits):
    client = client_for(community_leader)
    content = random.Random(9).randbytes(settings.IMPORT_MAX_BYTES + 1)
    before = row_counts(extra=[HouseholdImport])
    response = client.post(IMPORT, {"file": SimpleUploadedFile("户籍.xlsx", content)})
    assert response.status_code == 200
    message = response.context["form"].errors["file"][0]
    assert "文件太大" in message and f"最大 {settings.IMPORT_MAX_BYTES / 1024 / 1024:.1f} MB" in message
    assert "拆分" in message
    assert row_counts(extra=[HouseholdImport]) == before


def test_a_file_of_exactly_import_max_bytes_is_read(community_leader, client_for, real_limits):
    """At the limit the file is taken and read (these bytes are no workbook, which the preview says)."""
    client = client_for(community_leader)
    content = random.Random(10).randbytes(settings.IMPORT_MAX_BYTES)
    response = client.post(IMPORT, {"file": SimpleUploadedFile("户籍.xlsx", content)})
    assert response.status_code == 302
    household_import = HouseholdImport.objects.get()
    assert household_import.status == HouseholdImport.Status.REJECTED
    assert "不是有效的 Excel" in household_import.errors[0]["message"]


def test_a_file_over_import_max_rows_is_refused_whole(community_leader, client_for, settings):
    """One row more than IMPORT_MAX_ROWS: nothing imported, and the message names the limit."""
    settings.IMPORT_MAX_ROWS = 6
    client = client_for(community_leader)
    rows = [["香港城", "德加第1网格", "1", "1", str(101 + n), "", "", f"居民{n}", "户主", "", "", ""] for n in range(7)]
    before = row_counts()
    response = client.post(IMPORT, {"file": SimpleUploadedFile("户籍.xlsx", xlsx_bytes(HEADERS, rows))})
    household_import = HouseholdImport.objects.get()
    assert household_import.status == HouseholdImport.Status.REJECTED
    page = client.get(response["Location"]).content.decode()
    assert "行数太多：每个文件最多 6 行居民" in page
    applied = client.post(response["Location"])
    assert applied.status_code == 302 and row_counts() == before

    response = client.post(IMPORT, {"file": SimpleUploadedFile("户籍.xlsx", xlsx_bytes(HEADERS, rows[:6]))})
    client.post(response["Location"])
    assert row_counts()["households.Household"] == before["households.Household"] + 6


def test_the_configured_limits_fit_together():
    """What the upload page promises can be uploaded at all: Django's own limits are above the file limit."""
    assert configured.IMPORT_MAX_BYTES > 0 and configured.IMPORT_MAX_ROWS > 0
    assert configured.DATA_UPLOAD_MAX_MEMORY_SIZE > configured.IMPORT_MAX_BYTES
    assert configured.FILE_UPLOAD_MAX_MEMORY_SIZE > configured.IMPORT_MAX_BYTES


def test_too_many_files_in_one_request_is_a_clear_400(community_leader, client_for):
    client = client_for(community_leader)
    files = {
        f"file{n}": SimpleUploadedFile(f"{n}.xlsx", b"x") for n in range(settings.DATA_UPLOAD_MAX_NUMBER_FILES + 1)
    }
    before = row_counts(extra=[HouseholdImport])
    response = client.post(IMPORT, files)
    assert response.status_code == 400
    assert "请求无法处理" in response.content.decode()
    assert row_counts(extra=[HouseholdImport]) == before


def test_the_import_page_states_the_limits(community_leader, client_for, real_limits):
    page = client_for(community_leader).get(IMPORT).content.decode()
    rows, megabytes = configured.IMPORT_MAX_ROWS, configured.IMPORT_MAX_BYTES // (1024 * 1024)
    assert f"每个文件最多 {rows} 行、不超过 {megabytes} MB" in page.replace(",", "")


def test_a_form_field_larger_than_django_accepts_beside_the_file_is_a_clear_400(community_leader, client_for):
    """DATA_UPLOAD_MAX_MEMORY_SIZE counts the fields beside the file, not the file (IMPORT_MAX_BYTES does that)."""
    client = client_for(community_leader)
    padding = "x" * (configured.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    before = row_counts(extra=[HouseholdImport])
    response = client.post(IMPORT, {"file": SimpleUploadedFile("户籍.xlsx", b"PK"), "note": padding})
    assert response.status_code == 400
    assert "请求无法处理" in response.content.decode()
    assert row_counts(extra=[HouseholdImport]) == before
