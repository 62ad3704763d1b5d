"""The scorecard and the three musts as spreadsheets: the same figures, in the same order, as their pages."""

from __future__ import annotations

from django.utils.translation import gettext as _

from assessment.selectors import COMPONENTS, Must, ScoreRow, ThreeMustsRow
from visits.periods import Period, Quarter
from wenxin.xlsx import table_workbook

# The three musts in the page's column order (村社（小区）, 业委会, 物业).
MUSTS = (Must.PLACE, Must.OWNERS_COMMITTEE, Must.PROPERTY_COMPANY)


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


def three_musts_workbook(rows: list[ThreeMustsRow], *, period: Period) -> bytes:
    """One line per cadre link, in the page's order: each must visited, not yet, or nothing to visit; what is
    missing."""
    states = {True: _("已走访"), False: _("未走访"), None: _("无需走访")}
    return table_workbook(
        title=period.label,
        columns=[
            (_("区管干部"), 12),
            (_("联系村社"), 14),
            (_("联系小区"), 14),
            (_("村社（小区）"), 14),
            (_("业委会"), 10),
            (_("物业"), 10),
            (_("未走访"), 30),
        ],
        rows=(
            [
                row.link.cadre.get_full_name(),
                row.link.community.name,
                row.link.estate.name if row.link.estate_id else "",
                *[states[row.musts.get(must)] for must in MUSTS],
                row.missing_text,
            ]
            for row in rows
        ),
    )
