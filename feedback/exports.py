"""The opinion list, the meetings, the cadence calendar, the topic meetings and the figures as spreadsheets: the
rows each page shows, with Chinese headers, formulas escaped.

The resident's phone number is left out: the list is for counting and following up by department, and the
number stays on the opinion's own page, where only those who handle it read it.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.utils import timezone
from django.utils.translation import gettext as _

from feedback.cadence import CadenceCalendar, Cell, CellState
from feedback.figures import OpinionFigures
from feedback.models import Meeting, Opinion, TopicMeeting
from wenxin.charts import Chart
from wenxin.xlsx import Table, table_workbook, tables_workbook


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


# --- The other pages of the four listenings and the opinions (issue 7, item 4) ------------------------------------


def meeting_workbook(meetings: Iterable[Meeting]) -> bytes:
    """One line per meeting, in the list's order, with who came and the opinions it collected.

    Expects meeting_views.filtered_meetings (kind, community, street fetched; opinion_count annotated).
    """
    attendees = [(str(Meeting._meta.get_field(name).verbose_name), 8) for name in Meeting.ATTENDEE_FIELDS]
    return table_workbook(
        title=_("四听取会议"),
        columns=[
            (_("召开日期"), 12),
            (_("会议类型"), 26),
            (_("召开单位"), 14),
            (_("主办单位"), 14),
            (_("主题"), 24),
            (_("地点"), 16),
            *attendees,
            (_("参加人数"), 8),
            (_("收集意见（条）"), 12),
            (_("会议纪要"), 50),
        ],
        rows=(
            [
                meeting.held_on,
                meeting.kind.name,
                meeting.community.name if meeting.community_id else meeting.street.name,
                meeting.host_unit,
                meeting.topic,
                meeting.place,
                *[getattr(meeting, name) for name in Meeting.ATTENDEE_FIELDS],
                meeting.attendee_total,
                meeting.opinion_count,
                meeting.minutes,
            ]
            for meeting in meetings
        ),
    )


def _cadence_cell(cell: Cell) -> int | str:
    """A period held shows how many meetings; one not held, whether it was missed, is due or is still to come."""
    return cell.count if cell.state is CellState.HELD else str(cell.state.label)


def cadence_workbook(calendar: CadenceCalendar) -> bytes:
    """A sheet per kind of meeting, a line per unit as the calendar shows it (status filter applied)."""
    never = _("从未召开")
    return tables_workbook(
        Table(
            title=section.kind.name,
            columns=[
                (_("单位"), 16),
                (_("本期状态"), 12),
                (_("本期剩余天数"), 12),
                (_("上次召开"), 12),
                *[(period.label, 14) for period in section.periods],
            ],
            rows=(
                [
                    row.unit_name,
                    str(row.state.label),
                    row.days_left,
                    row.last_held or never,
                    *[_cadence_cell(cell) for cell in row.cells],
                ]
                for row in section.rows
            ),
        )
        for section in calendar.sections
    )


def topic_workbook(topics: Iterable[TopicMeeting]) -> bytes:
    """One line per topic meeting, newest first; expects selectors.topic_meeting_list (opinion_count annotated)."""
    return table_workbook(
        title=_("专题会议"),
        columns=[
            (_("召开日期"), 12),
            (_("议题"), 30),
            (_("主持人"), 10),
            (_("参会人员"), 30),
            (_("研究意见（条）"), 14),
            (_("会议决定"), 50),
        ],
        rows=(
            [
                topic.held_on,
                topic.title,
                _name(topic.chaired_by),
                topic.attendees,
                topic.opinion_count,
                topic.decisions,
            ]
            for topic in topics
        ),
    )


def _chart_table(chart: Chart) -> Table:
    """The numbers of a chart, as the table beside it on the page shows them."""
    return Table(
        title=chart.title,
        columns=[(chart.first_column, 12), *[(str(series.label), 10) for series in chart.series]],
        rows=([label, *values] for label, values in chart.rows),
    )


def figures_workbook(figures: OpinionFigures, *, period: str, charts: Iterable[Chart] = ()) -> bytes:
    """The figures page as sheets: the headline figures, by source, by category, and each chart's numbers."""
    counts = [(_("收集"), 8), (_("已解决"), 8), (_("已解释"), 8)]
    source_rows: list[list] = []
    for group in figures.by_group:
        source_rows.append([group.label, "", group.tally.collected, group.tally.resolved, group.tally.explained])
        if len(group.sources) > 1:
            source_rows += [
                [group.label, row.label, row.tally.collected, row.tally.resolved, row.tally.explained]
                for row in group.sources
            ]
    not_sorted = _("尚未分类")
    return tables_workbook(
        [
            Table(
                title=_("汇总"),
                columns=[(_("项目"), 24), (_("数值"), 24)],
                rows=[
                    [_("统计期间"), period],
                    [_("开始日期"), figures.start],
                    [_("结束日期"), figures.end],
                    [_("收集意见建议（条）"), figures.collected],
                    [_("解决居民问题（个）"), figures.solved_by_group.get("residents", 0)],
                    [_("解决结对村问题（个）"), figures.solved_by_group.get("paired_villages", 0)],
                    [_("解决企业问题（个）"), figures.solved_by_group.get("enterprises", 0)],
                    [_("已解决（条）"), figures.resolved],
                    [_("已作解释（条）"), figures.explained],
                    [_("本期办结（条）"), figures.closed],
                    [
                        _("办结用时中位数（天）"),
                        float(figures.median_days_to_close) if figures.median_days_to_close is not None else None,
                    ],
                    [_("按期办结率（%）"), figures.on_time_percent],
                    [_("当前未办结（条）"), figures.open_now],
                    [_("当前已逾期（条）"), figures.overdue_now],
                ],
            ),
            Table(
                title=_("按来源"),
                columns=[(_("来源分组"), 12), (_("来源"), 12), *counts],
                rows=source_rows,
            ),
            Table(
                title=_("按分类"),
                columns=[(_("分类"), 14), *counts, (_("当前未办结"), 10)],
                rows=(
                    [
                        row.category.name if row.category else not_sorted,
                        row.tally.collected,
                        row.tally.resolved,
                        row.tally.explained,
                        row.tally.open,
                    ]
                    for row in figures.by_category
                ),
            ),
            *[_chart_table(chart) for chart in charts],
        ]
    )
