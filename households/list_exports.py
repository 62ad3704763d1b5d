"""The assistance pages as spreadsheets: the plan work list, the pairs and their caring visits, the initiatives.

Each holds the rows its page shows (all of them, not one page), with Chinese headers and formulas escaped. The
work list and the pairs name households, so their downloads are audited like the registry's export (who took
which households' list home); neither carries an ID number, a disability or a subsidy.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from households.models import AssistancePlan, Household, Initiative
from households.selectors import PairMonthsRow, PlanWorkRow
from wenxin.models import User
from wenxin.services import audit_export
from wenxin.text import yes_no
from wenxin.xlsx import Table, table_workbook, tables_workbook

PLAN_KINDS = ("incomplete", "overdue")


def _place_cells(household: Household) -> list[str]:
    return [household.grid_area.community.name, household.grid_area.name, household.address]


def _work_table(title: str, rows: list[PlanWorkRow], *, place: str, with_community: bool) -> Table:
    """The counts of one grid area or community per line, as the work list's tables show them."""
    return Table(
        title=title,
        columns=[
            (place, 16),
            *([(_("村社"), 14)] if with_community else []),
            (_("重点户"), 8),
            (_("未建"), 8),
            (_("不完整"), 8),
            (_("过复核期"), 10),
        ],
        rows=(
            [
                row.name,
                *([row.community] if with_community else []),
                row.key_households,
                row.without_plan,
                row.incomplete,
                row.overdue,
            ]
            for row in rows
        ),
    )


def plan_worklist_workbook(
    *,
    actor: User,
    kind: str,
    kind_label: str,
    rows: QuerySet,
    by_area: list[PlanWorkRow],
    by_community: list[PlanWorkRow],
    filters: dict[str, str],
    today: datetime.date,
) -> bytes:
    """The chosen list (key households, or their plans), then the counts per grid area and community; audited.

    `rows` is plan_views.worklist's: households with head_name, or plans with musts_recorded, as the page lists.
    """
    households: set[int] = set()

    def household_rows() -> Iterator[list[Any]]:
        for household in rows:
            households.add(household.pk)
            yield [*_place_cells(household), household.head_name or ""]

    def plan_rows() -> Iterator[list[Any]]:
        plan: AssistancePlan
        for plan in rows:
            households.add(plan.household_id)
            yield [*_place_cells(plan.household), plan.musts_recorded, plan.review_on, yes_no(plan.review_on < today)]

    place = [(_("村社"), 14), (_("网格"), 14), (_("地址"), 28)]
    if kind in PLAN_KINDS:
        listed = Table(
            title=kind_label,
            columns=[*place, (_("“五个要”已记录（项）"), 20), (_("复核日期"), 12), (_("已过复核期"), 12)],
            rows=plan_rows(),
        )
    else:
        listed = Table(title=kind_label, columns=[*place, (_("户主"), 10)], rows=household_rows())
    tables = [listed, _work_table(_("按网格"), by_area, place=_("网格"), with_community=True)]
    if by_community:
        tables.append(_work_table(_("按村社"), by_community, place=_("村社"), with_community=False))
    content = tables_workbook(tables)
    audit_export(actor=actor, page="households:plan_worklist", filters=filters, households=len(households))
    return content


def pair_workbook(
    *, actor: User, months: list[datetime.date], rows: Iterable[PairMonthsRow], missed_only: bool
) -> bytes:
    """One line per pairing: the household, who is paired with it and when, each month's caring visit; audited."""
    labels = {True: _("已走访"), False: _("漏访"), None: _("未到期")}
    households: set[int] = set()

    def lines() -> Iterator[list[Any]]:
        for row in rows:
            pair = row.pair
            households.add(pair.household_id)
            yield [
                pair.household.address,
                pair.household.grid_area.name,
                pair.staff.get_full_name(),
                pair.starts_on,
                pair.ends_on,
                *[labels[kept] for kept in row.kept],
                row.missed,
            ]

    content = table_workbook(
        title=_("帮扶结对"),
        columns=[
            (_("户"), 28),
            (_("网格"), 14),
            (_("结对人"), 10),
            (_("开始日期"), 12),
            (_("结束日期"), 12),
            *[(f"{month:%Y-%m}", 10) for month in months],
            (_("漏访（月）"), 10),
        ],
        rows=lines(),
    )
    filters = {"missed": "1"} if missed_only else {}
    audit_export(actor=actor, page="households:pair_list", filters=filters, households=len(households))
    return content


def initiative_workbook(initiatives: Iterable[Initiative]) -> bytes:
    """One line per initiative, last updated first; expects the owner and her community fetched."""
    return table_workbook(
        title=_("创新载体"),
        columns=[
            (_("名称"), 24),
            (_("状态"), 8),
            (_("负责人"), 10),
            (_("村社"), 14),
            (_("开始日期"), 12),
            (_("简介"), 60),
            (_("更新日期"), 12),
        ],
        rows=(
            [
                initiative.title,
                initiative.get_status_display(),
                initiative.owner.get_full_name(),
                initiative.owner.community.name if initiative.owner.community_id else "",
                initiative.started_on,
                initiative.description,
                timezone.localtime(initiative.updated_at).date(),
            ]
            for initiative in initiatives
        ),
    )
