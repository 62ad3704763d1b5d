"""Spreadsheet downloads of the review pages: the quota dashboard's rows, as the page shows them."""

from __future__ import annotations

import math

from django.utils.translation import gettext as _

from visits.periods import Quarter
from visits.selectors import QuotaRow
from wenxin.xlsx import table_workbook


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
