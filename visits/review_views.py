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
from visits.selectors import QUOTA_SORTS, QuotaRow, QuotaStatus
from wenxin.models import User
from wenxin.xlsx import xlsx_response

# How many months the service-day page looks back, the current one included.
SERVICE_DAY_MONTHS = 6
PLACE_VISITS_PAGE_SIZE = 50

require_get = require_http_methods(["GET", "HEAD"])


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


def _reviews_places(user: User) -> bool:
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
            "sections": sections,
            "staff_rows": staff_rows,
        },
    )


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


@login_required
@require_get
def service_day_page(request: HttpRequest) -> HttpResponse:
    _require(request.user.can_review_service_days)
    today = timezone.localdate()
    compliance = selectors.service_day_compliance(viewer=request.user, months=months_back(today, SERVICE_DAY_MONTHS))
    months, days, moved, rows = compliance.months, compliance.days, compliance.moved, compliance.rows
    street_ids = {street_id for street_id, _month in days}
    # The header shows the dates of the viewer's street; an administrator over several streets sees them per cell.
    header_street = request.user.street_id or (next(iter(street_ids)) if len(street_ids) == 1 else None)
    columns = [
        ServiceDayColumn(month=month, day=days.get((header_street, month)), moved=(header_street, month) in moved)
        for month in months
    ]
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
    _require(_reviews_places(request.user))
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
    _require(_reviews_places(request.user))
    enterprise = get_object_or_404(Enterprise.objects.visible_to(request.user).select_related("community"), pk=pk)
    return _render_place_visits(request, enterprise, is_enterprise=True)


@login_required
@require_get
def estate_visits(request: HttpRequest, pk: int) -> HttpResponse:
    _require(_reviews_places(request.user))
    estate = get_object_or_404(Estate.objects.visible_to(request.user).select_related("community"), pk=pk)
    return _render_place_visits(request, estate, is_enterprise=False)
