"""Spreadsheet downloads of the visit pages: the quota dashboard, the planner, the service day and the places,
each with the rows its page shows."""

from __future__ import annotations

import datetime
import math
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from households.models import Enterprise, Estate, Household
from visits.models import Visit
from visits.periods import Quarter
from visits.selectors import QuotaRow, ServiceDayRow
from wenxin.models import User
from wenxin.services import audit_export
from wenxin.text import join_list, yes_no
from wenxin.xlsx import Table, sheet_title, table_workbook, tables_workbook

if TYPE_CHECKING:
    from visits.review_views import ServiceDayColumn  # the page's header cells; review_views imports this module


def quota_workbook(rows: list[QuotaRow], *, quarter: Quarter) -> bytes:
    """One line per worker: the same figures, in the same order, as the dashboard."""
    columns = [
        (_("村社"), 14),
        (_("社工"), 12),
        (_("已走访户数"), 12),
        (_("指标户数"), 10),
        (_("完成率（%）"), 12),
        (_("每周还需走访户数"), 18),
        (_("剩余天数"), 10),
        (_("状态"), 12),
    ]
    return table_workbook(
        title=str(quarter),
        columns=columns,
        rows=(
            [
                row.worker.community.name if row.worker.community else "",
                row.worker.get_full_name(),
                row.visited,
                row.target,
                row.percent,
                # A quarter that is over leaves no weeks: the pace is not a number then.
                None if math.isinf(row.per_week_needed) else row.per_week_needed,
                row.days_left,
                str(row.status.label),
            ]
            for row in rows
        ),
    )


# --- The other list pages (issue 7, item 4) ---------------------------------------------------------------------
# Each page's export carries the rows the page shows, as filtered, with every column of the page; a page with two
# tables (enterprises and estates) gets a sheet for each. Household-level exports are audited like the registry's.


def planner_workbook(*, actor: User, households: Iterable[Household], quarter_start: datetime.date) -> bytes:
    """Her whole planner, not one page of it: where to go next, key households first; audited.

    Expects visits.selectors.visit_planner(...).with_head_name(), which annotates is_key and last_visited_on.
    """
    counted: set[int] = set()

    def rows() -> Iterator[list[Any]]:
        for household in households:
            counted.add(household.pk)
            last = household.last_visited_on
            yield [
                household.address,
                household.grid_area.name,
                household.head_name or "",
                yes_no(household.is_key),
                last,
                yes_no(last is not None and last >= quarter_start),
            ]

    content = table_workbook(
        title=_("走访计划"),
        columns=[
            (_("地址"), 28),
            (_("网格"), 14),
            (_("户主"), 10),
            (_("重点户"), 8),
            (_("上次走访"), 12),
            (_("本季度已走访"), 14),
        ],
        rows=rows(),
    )
    audit_export(actor=actor, page="visits:planner", filters={}, households=len(counted))
    return content


def service_day_workbook(columns: list[ServiceDayColumn], rows: list[ServiceDayRow]) -> bytes:
    """One line per member of department staff: each month kept, missed or not due yet, then the totals."""
    labels = {True: _("已走访"), False: _("未走访"), None: _("未到期")}

    def month_label(column: ServiceDayColumn) -> str:
        month = f"{column.month:%Y-%m}"
        if column.day is None:
            return month
        day = f"{column.day.month}/{column.day.day}"
        if column.moved:
            return _("%(month)s（调整至%(day)s）") % {"month": month, "day": day}
        return _("%(month)s（%(day)s）") % {"month": month, "day": day}

    return table_workbook(
        title=_("走访服务日"),
        columns=[
            (_("姓名"), 12),
            (_("科室"), 14),
            *[(month_label(column), 16) for column in columns],
            (_("按时走访（次）"), 14),
            (_("已到期（次）"), 12),
        ],
        rows=(
            [
                row.person.get_full_name(),
                row.person.department.name if row.person.department_id else "",
                *[labels[kept] for kept in row.kept],
                row.kept_count,
                row.due_count,
            ]
            for row in rows
        ),
    )


def places_workbook(*, enterprises: Iterable[Enterprise], estates: Iterable[Estate]) -> bytes:
    """The two tables of the places page, a sheet each; expects the selectors' visit counts."""
    closed = _("已停业")
    counts = [(_("走访次数"), 10), (_("最近走访"), 12), (_("提出困难或诉求"), 16)]
    return tables_workbook(
        [
            Table(
                title=_("辖区企业"),
                columns=[(_("企业"), 28), (_("行业"), 14), *counts, (_("状态"), 8)],
                rows=(
                    [
                        enterprise.name,
                        enterprise.industry,
                        enterprise.visit_count,
                        enterprise.last_visited_on,
                        enterprise.problem_count,
                        "" if enterprise.is_active else closed,
                    ]
                    for enterprise in enterprises
                ),
            ),
            Table(
                title=_("小区"),
                columns=[(_("小区"), 20), (_("村社"), 14), *counts],
                rows=(
                    [
                        estate.name,
                        estate.community.name,
                        estate.visit_count,
                        estate.last_visited_on,
                        estate.problem_count,
                    ]
                    for estate in estates
                ),
            ),
        ]
    )


def place_visits_workbook(place: Enterprise | Estate, visits: Iterable[Visit]) -> bytes:
    """Every visit to one enterprise or estate, newest first: who, whom they met, the difficulty, what was done.

    Expects visits.selectors.place_visits (visitor fetched, companions prefetched).
    """
    return table_workbook(
        title=sheet_title(place.name),
        columns=[
            (_("走访日期"), 12),
            (_("走访人"), 10),
            (_("同行人员"), 16),
            (_("走访类型"), 12),
            (_("接待人"), 12),
            (_("了解情况"), 40),
            (_("困难或诉求"), 36),
            (_("处理情况"), 36),
            (_("需要跟进"), 8),
            (_("跟进期限"), 12),
        ],
        rows=(
            [
                visit.visited_on,
                visit.visitor.get_full_name(),
                join_list([person.get_full_name() for person in visit.companions.all()]),
                visit.get_kind_display(),
                visit.met_whom,
                visit.situation,
                visit.difficulty,
                visit.action_taken,
                yes_no(visit.follow_up_needed),
                visit.follow_up_by,
            ]
            for visit in visits
        ),
    )
