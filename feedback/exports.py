"""The opinion list as a spreadsheet: the rows the page shows, with Chinese headers, formulas escaped.

The resident's phone number is left out: the list is for counting and following up by department, and the
number stays on the opinion's own page, where only those who handle it read it.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.utils import timezone
from django.utils.translation import gettext as _

from feedback.models import Opinion
from wenxin.xlsx import table_workbook


def _origin(opinion: Opinion) -> str:
    """Where it was heard: the meeting, enterprise or paired village by name; a visit by its number."""
    if opinion.meeting_id:
        return str(opinion.meeting)
    if opinion.enterprise_id:
        return opinion.enterprise.name
    if opinion.paired_village_id:
        return opinion.paired_village.name
    if opinion.visit_id:
        return _("走访记录 #%(pk)s") % {"pk": opinion.visit_id}
    return ""


def _name(user) -> str:
    return user.get_full_name() if user else ""


def opinion_workbook(opinions: Iterable[Opinion], *, today: datetime.date) -> bytes:
    """One line per opinion, in the list's order; expects the list's select_related (selectors.OPINION_RELATED)."""
    columns = [
        (_("编号"), 8),
        (_("收集日期"), 12),
        (_("来源"), 10),
        (_("来处"), 28),
        (_("反映人"), 10),
        (_("村社"), 12),
        (_("小区"), 14),
        (_("具体位置"), 18),
        (_("意见建议"), 50),
        (_("分类"), 10),
        (_("状态"), 8),
        (_("分管领导"), 10),
        (_("责任科室"), 12),
        (_("责任人"), 10),
        (_("完成期限"), 12),
        (_("是否超期"), 8),
        (_("办结日期"), 12),
        (_("办理结果或解释"), 50),
    ]
    yes, no = _("是"), _("否")
    return table_workbook(
        title=_("意见建议"),
        columns=columns,
        rows=(
            [
                opinion.pk,
                timezone.localtime(opinion.created_at).date(),
                opinion.get_source_display(),
                _origin(opinion),
                opinion.raised_by,
                opinion.community.name if opinion.community_id else "",
                opinion.estate.name if opinion.estate_id else "",
                opinion.location,
                opinion.text,
                opinion.category.name if opinion.category_id else "",
                opinion.get_status_display(),
                _name(opinion.leader_in_charge),
                opinion.department.name if opinion.department_id else "",
                _name(opinion.responsible),
                opinion.due_on,
                yes if opinion.is_overdue(today) else no,
                timezone.localtime(opinion.closed_at).date() if opinion.closed_at else None,
                opinion.resolution or opinion.explanation,
            ]
            for opinion in opinions
        ),
    )
