"""The review pages of the visit diary: the quota dashboard and its drill-down, coverage, the 20th, and the
visits to enterprises and estates.

Section chiefs, community leaders and leaders read here what social workers and department staff recorded.
Each page asks one boolean of the user (403 without it) and reads through a selector that takes the viewer, so
everyone sees only their scope; an object outside it answers 404, whether it exists or not.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from households.models import Community, Enterprise, Estate
from visits import selectors
from visits.exports import quota_workbook
from visits.models import Visit
from visits.periods import Quarter, months_back
from visits.selectors import QUOTA_SORTS, Coverage, CoverageRow, QuotaRow, QuotaStatus, StaffEstateRow
from wenxin.charts import Chart, Series
from wenxin.models import User
from wenxin.xlsx import Table, tables_workbook, xlsx_response

# How many months the service-day page looks back, the current one included.
SERVICE_DAY_MONTHS = 6
PLACE_VISITS_PAGE_SIZE = 50

require_get = require_http_methods(["GET", "HEAD"])


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


def reviews_places(user: User) -> bool:
    """Enterprise and estate visits: street staff, the quota reviewers, and administrators."""
    return user.sees_whole_street or user.can_review_quotas or user.sees_everything


def _community_choice(request: HttpRequest) -> tuple[list[Community], Community | None]:
    """The viewer's communities and the one chosen with ?community=; an id outside her scope is ignored."""
    communities = list(Community.objects.visible_to(request.user).order_by("kind", "name"))
    wanted = request.GET.get("community", "")
    chosen = next((c for c in communities if str(c.pk) == wanted), None)
    return communities, chosen


# --- Quota ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuotaFilters:
    """What the dashboard (and its export) is narrowed and ordered by, read from the query string."""

    quarter: Quarter
    communities: list[Community]
    community: Community | None
    sort: str
    status: QuotaStatus | None


def _quota_filters(request: HttpRequest) -> QuotaFilters:
    communities, community = _community_choice(request)
    sort = request.GET.get("sort", "")
    status_code = request.GET.get("status", "")
    return QuotaFilters(
        quarter=Quarter.parse(request.GET.get("quarter"), Quarter.current()),
        communities=communities,
        community=community,
        sort=sort if sort in QUOTA_SORTS else "name",
        status=next((s for s in QuotaStatus if s.code == status_code), None),
    )


def _quota_rows(request: HttpRequest, filters: QuotaFilters) -> tuple[list[QuotaRow], list[QuotaRow]]:
    """Every row of the community filter (for the summary) and those of the status filter (for the table)."""
    rows = selectors.quota_progress(
        viewer=request.user, quarter=filters.quarter, community=filters.community, sort=filters.sort
    )
    shown = [row for row in rows if filters.status is None or row.status is filters.status]
    return rows, shown


# The part of a target still to do, in a grey that reads as "not yet" beside the visited part.
REMAINING_COLOR = "#adb5bd"


def quota_chart(rows: list[QuotaRow]) -> Chart:
    """The rows of the table as stacked bars, visited then still to do, so each bar is as long as the target
    (or longer, once it is passed); a horizontal chart grows with its rows, so forty workers read on a phone."""
    return Chart(
        id="quota-chart",
        title=_("各社工走访进度（户）"),
        labels=[row.worker.get_full_name() for row in rows],
        series=[
            Series(_("已走访"), [row.visited for row in rows]),
            Series(_("距指标还差"), [row.remaining for row in rows], color=REMAINING_COLOR),
        ],
        horizontal=True,
        stacked=True,
        first_column=_("社工"),
    )


@login_required
@require_get
def quota_dashboard(request: HttpRequest) -> HttpResponse:
    _require(request.user.can_review_quotas)
    filters = _quota_filters(request)
    rows, shown = _quota_rows(request, filters)
    counts = dict.fromkeys(QuotaStatus, 0)
    for row in rows:
        counts[row.status] += 1
    # The summary names the four states of a running quarter; "missed" and "no quota" only when they occur.
    summary = [
        (status, counts[status])
        for status in QuotaStatus
        if status in (QuotaStatus.MET, QuotaStatus.ON_TRACK, QuotaStatus.BEHIND, QuotaStatus.AT_RISK) or counts[status]
    ]
    current = Quarter.current()
    return render(
        request,
        "visits/quota.html",
        {
            "filters": filters,
            "quarter": filters.quarter,
            "previous_quarter": filters.quarter.previous(),
            "next_quarter": filters.quarter.next() if filters.quarter < current else None,
            "is_current": filters.quarter == current,
            "rows": shown,
            "chart": quota_chart(shown),
            "total": len(rows),
            # The same for every worker: the quarter's days left from today.
            "days_left": rows[0].days_left if rows else None,
            "summary": summary,
            "sorts": [
                ("name", _("按村社和姓名")),
                ("-percent", _("完成率从高到低")),
                ("percent", _("完成率从低到高")),
                ("pace", _("每周还需最多")),
            ],
        },
    )


@login_required
@require_get
def quota_export(request: HttpRequest) -> HttpResponse:
    _require(request.user.can_review_quotas)
    filters = _quota_filters(request)
    _rows, shown = _quota_rows(request, filters)
    filename = _("走访指标-%(quarter)s.xlsx") % {"quarter": filters.quarter.slug}
    return xlsx_response(quota_workbook(shown, quarter=filters.quarter), filename)


@dataclass(frozen=True)
class QuotaLine:
    """One visit of the drill-down and what it did to the number: counted, a repeat, or outside her areas."""

    visit: Visit
    counted: bool
    repeat: bool
    outside: bool
    as_companion: bool


def _quota_lines(visits: list[Visit], worker: User) -> list[QuotaLine]:
    """Mark each visit, newest first: the first visit to a household of her areas in the quarter counts; a later
    one to the same household is a repeat; one to a household outside her areas never counts."""
    seen: set[int] = set()
    marks: dict[int, tuple[bool, bool]] = {}
    for visit in sorted(visits, key=lambda v: (v.visited_on, v.created_at, v.pk)):
        if not visit.counts:
            marks[visit.pk] = (False, False)
        elif visit.household_id in seen:
            marks[visit.pk] = (False, True)
        else:
            seen.add(visit.household_id)
            marks[visit.pk] = (True, False)
    return [
        QuotaLine(
            visit=visit,
            counted=marks[visit.pk][0],
            repeat=marks[visit.pk][1],
            outside=not visit.counts,
            as_companion=visit.visitor_id != worker.pk,
        )
        for visit in visits
    ]


@login_required
@require_get
def quota_worker(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request.user.can_review_quotas)
    worker = get_object_or_404(selectors.quota_workers(viewer=request.user), pk=pk)
    quarter = Quarter.parse(request.GET.get("quarter"), Quarter.current())
    row = selectors.worker_quota(worker=worker, quarter=quarter)
    visits = selectors.quota_worker_visits(viewer=request.user, worker=worker, quarter=quarter)
    lines = _quota_lines(list(visits), worker)
    return render(
        request,
        "visits/quota_worker.html",
        {
            "worker": worker,
            "quarter": quarter,
            "previous_quarter": quarter.previous(),
            "next_quarter": quarter.next() if quarter < Quarter.current() else None,
            "row": row,
            "lines": lines,
            "counted": sum(1 for line in lines if line.counted),
            "repeats": sum(1 for line in lines if line.repeat),
            "outside": sum(1 for line in lines if line.outside),
        },
    )


# --- Coverage ---------------------------------------------------------------------------------------------------


def coverage_chart(result: Coverage, *, communities: list[Community], community: Community | None) -> Chart:
    """The shares of the page's own rows: per estate when one community is in view (chosen, or the only one the
    viewer has), otherwise per community. Nothing is counted again."""
    per_estate = community is not None or len(communities) == 1
    rows = result.estates if per_estate else result.communities
    return Chart(
        id="coverage-chart",
        title=_("各小区走访覆盖率") if per_estate else _("各村社走访覆盖率"),
        labels=[row.name for row in rows],
        series=[
            Series(_("%(year)s年以来") % {"year": result.year}, [row.percent_year for row in rows]),
            Series(_("近12个月"), [row.percent_12_months for row in rows]),
        ],
        horizontal=True,
        unit="%",
        max_value=100,
        first_column=_("小区") if per_estate else _("村社"),
    )


@login_required
@require_get
def coverage_page(request: HttpRequest) -> HttpResponse:
    _require(request.user.can_review_quotas)
    communities, community = _community_choice(request)
    result = selectors.coverage(viewer=request.user, community=community)
    staff_rows = selectors.staff_estate_coverage(viewer=request.user)
    # One table per level, each figure of households linking to the registry list filtered the same way.
    sections = [
        ("communities", _("各村社"), result.communities, "community"),
        ("estates", _("各小区"), result.estates, "estate"),
        ("grid-areas", _("各网格"), result.grid_areas, "grid_area"),
    ]
    return render(
        request,
        "visits/coverage.html",
        {
            "communities": communities,
            "community": community,
            "coverage": result,
            "chart": coverage_chart(result, communities=communities, community=community),
            "sections": sections,
            "staff_rows": staff_rows,
        },
    )


def _coverage_sheet_rows(rows: list[CoverageRow], *, with_community: bool) -> list[list]:
    return [
        [
            row.name,
            *([row.community] if with_community else []),
            row.households,
            row.visited_year,
            row.percent_year,
            row.visited_12_months,
            row.percent_12_months,
        ]
        for row in rows
    ]


def coverage_workbook(result: Coverage, staff_rows: list[StaffEstateRow]) -> bytes:
    """The page's four tables, one sheet each, with the same numbers; every text escaped against formulas."""
    tables: list[Table] = []

    def sheet(title: str, columns: list[tuple[str, int]], rows: list[list]) -> None:
        tables.append(Table(title, columns, rows))

    year = {"year": result.year}
    figures = [
        (_("在册户数"), 10),
        (_("%(year)s年已走访户数") % year, 16),
        (_("%(year)s年覆盖率（%%）") % year, 16),
        (_("近12个月已走访户数"), 18),
        (_("近12个月覆盖率（%）"), 18),
    ]
    sheet(_("各村社"), [(_("村社"), 20), *figures], _coverage_sheet_rows(result.communities, with_community=False))
    sheet(
        _("各小区"),
        [(_("小区"), 20), (_("村社"), 16), *figures],
        _coverage_sheet_rows(result.estates, with_community=True),
    )
    sheet(
        _("各网格"),
        [(_("网格"), 20), (_("村社"), 16), *figures],
        _coverage_sheet_rows(result.grid_areas, with_community=True),
    )
    sheet(
        _("街道干部走遍小区"),
        [(_("姓名"), 12), (_("科室/职务"), 16), (_("已走访小区数"), 14), (_("小区总数"), 10), (_("比例（%）"), 10)],
        [
            [
                row.person.get_full_name(),
                row.person.department.name if row.person.department else row.person.get_role_display(),
                row.estates_visited,
                row.estates_total,
                row.percent,
            ]
            for row in staff_rows
        ],
    )
    return tables_workbook(tables)


@login_required
@require_get
def coverage_export(request: HttpRequest) -> HttpResponse:
    _require(request.user.can_review_quotas)
    _communities, community = _community_choice(request)
    result = selectors.coverage(viewer=request.user, community=community)
    staff_rows = selectors.staff_estate_coverage(viewer=request.user)
    if community:
        filename = _("走访覆盖率-%(community)s-%(year)s.xlsx") % {"community": community.name, "year": result.year}
    else:
        filename = _("走访覆盖率-%(year)s.xlsx") % {"year": result.year}
    return xlsx_response(coverage_workbook(result, staff_rows), filename)


@login_required
@require_get
def staff_estates(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request.user.can_review_quotas)
    person = get_object_or_404(User.objects.visible_to(request.user).select_related("department"), pk=pk)
    year = timezone.localdate().year
    estates = list(selectors.staff_unvisited_estates(viewer=request.user, person=person, year=year))
    return render(request, "visits/staff_estates.html", {"person": person, "year": year, "estates": estates})


# --- The visit-service day --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ServiceDayColumn:
    """A month of the table: its service day in the viewer's street (None over several streets), and whether
    the office moved it from the usual day."""

    month: datetime.date
    day: datetime.date | None
    moved: bool


@dataclass(frozen=True)
class ServiceDayCell:
    kept: bool | None  # None: the day has not come yet
    day: datetime.date


def service_day_columns(viewer: User, compliance: selectors.ServiceDayTable) -> list[ServiceDayColumn]:
    """The months of the table, headed with the service days of the viewer's street (the page and its export)."""
    days, moved = compliance.days, compliance.moved
    street_ids = {street_id for street_id, _month in days}
    # The header shows the dates of the viewer's street; an administrator over several streets sees them per cell.
    header_street = viewer.street_id or (next(iter(street_ids)) if len(street_ids) == 1 else None)
    return [
        ServiceDayColumn(month=month, day=days.get((header_street, month)), moved=(header_street, month) in moved)
        for month in compliance.months
    ]


@login_required
@require_get
def service_day_page(request: HttpRequest) -> HttpResponse:
    _require(request.user.can_review_service_days)
    today = timezone.localdate()
    compliance = selectors.service_day_compliance(viewer=request.user, months=months_back(today, SERVICE_DAY_MONTHS))
    months, days, rows = compliance.months, compliance.days, compliance.rows
    columns = service_day_columns(request.user, compliance)
    table = []
    for row in rows:
        cells = []
        for kept, month in zip(row.kept, months, strict=True):
            day = days[(row.person.street_id, month)]
            cells.append(ServiceDayCell(kept=kept, day=day))
        table.append((row, cells))
    return render(
        request,
        "visits/service_day.html",
        {
            "columns": columns,
            "table": table,
            "kept_total": sum(row.kept_count for row in rows),
            "due_total": sum(row.due_count for row in rows),
        },
    )


# --- Enterprise and estate visits -------------------------------------------------------------------------------


@login_required
@require_get
def places(request: HttpRequest) -> HttpResponse:
    _require(reviews_places(request.user))
    return render(
        request,
        "visits/places.html",
        {
            "enterprises": list(selectors.enterprise_visit_summary(viewer=request.user)),
            "estates": list(selectors.estate_visit_summary(viewer=request.user)),
        },
    )


def _render_place_visits(request: HttpRequest, place: Enterprise | Estate, *, is_enterprise: bool) -> HttpResponse:
    visits = selectors.place_visits(viewer=request.user, place=place)
    page = Paginator(visits, PLACE_VISITS_PAGE_SIZE).get_page(request.GET.get("page"))
    problems = visits.exclude(difficulty="").count()
    return render(
        request,
        "visits/place_visits.html",
        {"place": place, "is_enterprise": is_enterprise, "page": page, "problems": problems},
    )


@login_required
@require_get
def enterprise_visits(request: HttpRequest, pk: int) -> HttpResponse:
    _require(reviews_places(request.user))
    enterprise = get_object_or_404(Enterprise.objects.visible_to(request.user).select_related("community"), pk=pk)
    return _render_place_visits(request, enterprise, is_enterprise=True)


@login_required
@require_get
def estate_visits(request: HttpRequest, pk: int) -> HttpResponse:
    _require(reviews_places(request.user))
    estate = get_object_or_404(Estate.objects.visible_to(request.user).select_related("community"), pk=pk)
    return _render_place_visits(request, estate, is_enterprise=False)
