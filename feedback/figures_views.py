"""The opinion figures page: collected and solved in a period, by source group and category, for leaders.

Who may read it is one boolean (can_review_meetings: leaders, cadres, community leaders, administrators); what
the numbers cover is Opinion.objects.visible_to(viewer), so a community leader's figures are his community's.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from feedback.figures import CategoryRow, OpinionFigures, opinion_figures
from feedback.models import Opinion
from visits.periods import Quarter
from wenxin.charts import Chart, Series
from wenxin.text import join_list

require_get = require_http_methods(["GET", "HEAD"])

FIRST_YEAR, LAST_YEAR = 2000, 2100


@dataclass(frozen=True)
class FiguresPeriod:
    """The period chosen in the query string; anything unreadable falls back to this year."""

    start: datetime.date
    end: datetime.date
    label: str
    kind: str  # "year", "quarter" or "range"
    year: int
    quarter: str  # the quarter's slug when kind is "quarter"


def _parse_date(text: str) -> datetime.date | None:
    try:
        day = datetime.date.fromisoformat(text)
    except ValueError:
        return None
    return day if FIRST_YEAR <= day.year <= LAST_YEAR else None


def _year(year: int) -> FiguresPeriod:
    label = _("%(year)s年") % {"year": year}
    return FiguresPeriod(datetime.date(year, 1, 1), datetime.date(year, 12, 31), label, "year", year, "")


def parse_period(params: QueryDict, today: datetime.date) -> tuple[FiguresPeriod, str]:
    """The period of ?quarter=2026Q4, ?start=&end= or ?year=, and a message when what was asked is unreadable."""
    quarter_text = params.get("quarter", "").strip()
    if quarter_text:
        quarter = Quarter.parse(quarter_text)
        if quarter is not None:
            return FiguresPeriod(quarter.start, quarter.end, str(quarter), "quarter", quarter.year, quarter.slug), ""
        return _year(today.year), _("季度格式不正确（例如 2026Q4），已显示本年度的数字。")
    start_text, end_text = params.get("start", "").strip(), params.get("end", "").strip()
    if start_text or end_text:
        start, end = _parse_date(start_text), _parse_date(end_text)
        if start is None or end is None:
            return _year(today.year), _("请填写有效的开始和结束日期，已显示本年度的数字。")
        if start > end:
            return _year(today.year), _("开始日期不能晚于结束日期，已显示本年度的数字。")
        label = _("%(start)s 至 %(end)s") % {"start": start.isoformat(), "end": end.isoformat()}
        return FiguresPeriod(start, end, label, "range", start.year, ""), ""
    year_text = params.get("year", "").strip()
    if year_text:
        if year_text.isdecimal() and FIRST_YEAR <= int(year_text) <= LAST_YEAR:
            return _year(int(year_text)), ""
        return _year(today.year), _("年份不正确，已显示本年度的数字。")
    return _year(today.year), ""


# The status of an opinion now, in the order it moves, each in a colour that says how far it got.
STATUS_COLORS = {
    Opinion.Status.NEW: "#6c757d",
    Opinion.Status.SORTED: "#0dcaf0",
    Opinion.Status.ASSIGNED: "#ffc107",
    Opinion.Status.IN_PROGRESS: "#0d6efd",
    Opinion.Status.RESOLVED: "#198754",
    Opinion.Status.EXPLAINED: "#6f42c1",
}


# A phone shows a legend of six entries above a readable chart; more categories share one bar segment.
CATEGORY_SERIES = 5
OTHER_COLOR = "#adb5bd"


def category_series(result: OpinionFigures) -> tuple[list[Series], list[str]]:
    """One series per category with opinions in the period, in the table's order; past six, the five largest keep
    their own and the rest are added up as "other". Also the names gathered in "other"."""
    rows = [row for row in result.by_category if row.tally.collected]

    def name(row: CategoryRow) -> str:
        return str(row.category.name) if row.category else _("尚未分类")

    def months(row: CategoryRow) -> list[int]:
        return result.category_per_month(row.category.pk if row.category else None)

    kept = set(range(len(rows)))
    if len(rows) > CATEGORY_SERIES + 1:
        kept = set(sorted(kept, key=lambda i: -rows[i].tally.collected)[:CATEGORY_SERIES])  # ties keep the order
    series = [Series(name(row), months(row)) for i, row in enumerate(rows) if i in kept]
    rest = [row for i, row in enumerate(rows) if i not in kept]
    if rest:
        other = [sum(month) for month in zip(*(months(row) for row in rest), strict=True)]
        series.append(Series(_("其他"), other, color=OTHER_COLOR))
    return series, [name(row) for row in rest]


def month_charts(result: OpinionFigures) -> list[Chart]:
    """Opinions raised per month of the period, stacked by category and by status now: the rows of the category
    table split by month, so each category's months add up to its "collected"."""
    labels = [month.strftime("%Y-%m") for month in result.months]
    by_category, others = category_series(result)
    by_status = [
        Series(str(Opinion.Status(status).label), result.status_per_month(status), color=color)
        for status, color in STATUS_COLORS.items()
    ]
    return [
        Chart(
            id="opinions-by-category-chart",
            title=_("每月收集的意见建议（按分类）"),
            labels=labels,
            series=by_category,
            stacked=True,
            first_column=_("月份"),
            notes=[_("“其他”包括：%(names)s") % {"names": join_list(others)}] if others else [],
        ),
        Chart(
            id="opinions-by-status-chart",
            title=_("每月收集的意见建议（按当前状态）"),
            labels=labels,
            series=by_status,
            stacked=True,
            first_column=_("月份"),
        ),
    ]


@login_required
@require_get
def figures(request: HttpRequest) -> HttpResponse:
    if not request.user.can_review_meetings:
        raise PermissionDenied
    today = timezone.localdate()
    period, problem = parse_period(request.GET, today)
    if problem:
        messages.warning(request, problem)
    result = opinion_figures(viewer=request.user, start=period.start, end=period.end, today=today)
    return render(
        request,
        "feedback/figures.html",
        {
            "period": period,
            "figures": result,
            "charts": month_charts(result),
            "years": list(range(today.year, today.year - 5, -1)),
            "quarters": [Quarter(period.year, n) for n in range(1, 5)],
        },
    )
