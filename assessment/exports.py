"""The scorecard as a spreadsheet: the same parts and totals, in the same order, as the page."""

from __future__ import annotations

from django.utils.translation import gettext as _

from assessment.selectors import COMPONENTS, ScoreRow
from visits.periods import Quarter
from wenxin.xlsx import table_workbook


def scorecard_workbook(rows: list[ScoreRow], *, quarter: Quarter) -> bytes:
    """One line per person or unit: who, what unit, each part out of 100 (blank where it does not apply), the total."""
    columns = [(_("对象"), 16), (_("类型"), 10), (_("所属单位"), 14)]
    columns += [(str(label), 12) for _key, _weight, label in COMPONENTS]
    columns.append((_("综合得分"), 10))
    return table_workbook(
        title=str(quarter),
        columns=columns,
        rows=(
            [
                str(row.subject),
                row.type_label,
                row.unit_name,
                *[float(row.parts[key]) if row.parts[key] is not None else None for key, _w, _l in COMPONENTS],
                float(row.total) if row.total is not None else None,
            ]
            for row in rows
        ),
    )
