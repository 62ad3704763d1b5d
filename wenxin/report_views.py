"""The work report's page, its A4 print view and its .xlsx export (issue 7, items 1, 3 and 4).

All three read the same WorkReport (wenxin.report) and the same list of figure lines, so the page, the paper and
the spreadsheet always show the same numbers. Each figure links to the records behind it where the reader may open
them; a link the reader's role would be refused is left out rather than shown to fail.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext, pgettext_lazy
from django.views.decorators.http import require_http_methods

from feedback.figures_views import parse_period
from households.models import Community
from households.support_views import subsidy_month_chart, wan_yuan, yuan
from visits.models import Visit
from visits.periods import Quarter
from wenxin.charts import Chart, Series
from wenxin.models import User
from wenxin.report import WorkReport, can_read_report, work_report
from wenxin.text import join_clauses
from wenxin.xlsx import Table, tables_workbook, xlsx_response

require_get = require_http_methods(["GET", "HEAD"])

# The sections of the report, in the article's order.
SECTIONS = (
    ("leaders", gettext_lazy("领导走访")),
    ("opinions", gettext_lazy("意见建议")),
    ("enterprises", pgettext_lazy("报告栏目", "走访企业")),
    ("hardship", gettext_lazy("困难家庭")),
    ("work", gettext_lazy("工作落实")),
)


@dataclass(frozen=True)
class Line:
    """One figure of the report: what it counts, its value (None: not for this reader) and the records behind it.

    `card` lines are the page's cards; the others are details the print view and the export list as well.
    """

    section: str
    key: str
    label: str
    value: int | Decimal | None
    display: str = ""  # how the page shows it, when not simply the value
    hint: str = ""
    href: str = ""
    card: bool = True

    @property
    def shown(self) -> str:
        if self.display:
            return self.display
        return "—" if self.value is None else str(self.value)


def _url(name: str, **params: object) -> str:
    """A page's URL with the non-empty parameters as its query string."""
    query = urlencode({key: value for key, value in params.items() if value not in (None, "")})
    return reverse(name) + (f"?{query}" if query else "")


def _percent(value: int | None) -> str:
    return "—" if value is None else f"{value}%"


# --- Reading the request ----------------------------------------------------------------------------------------


def _scope(user: User, wanted: str) -> tuple[list[Community], Community | None]:
    """The reader's communities and the one reported on: a community leader always his own; for street-wide
    readers the one chosen with ?community=, an id outside the scope being ignored (the whole street)."""
    communities = list(Community.objects.visible_to(user).order_by("kind", "name"))
    if user.is_community_scoped:
        return communities, next((c for c in communities if c.pk == user.community_id), None)
    return communities, next((c for c in communities if str(c.pk) == wanted), None)


@dataclass(frozen=True)
class ReportRequest:
    report: WorkReport
    communities: list[Community]


def _read(request: HttpRequest) -> ReportRequest:
    """403 for a role without the report; the period (a message when unreadable) and the scope; the report."""
    user = request.user
    if not can_read_report(user):
        raise PermissionDenied
    today = timezone.localdate()
    period, problem = parse_period(request.GET, today)
    if problem:
        messages.warning(request, problem)
    communities, community = _scope(user, request.GET.get("community", "").strip())
    report = work_report(viewer=user, period=period, community=community, today=today)
    return ReportRequest(report=report, communities=communities)


# --- What the report says -----------------------------------------------------------------------------------------


def headline(report: WorkReport) -> str:
    """The article's paragraph, from the numbers: "今年以来，街道领导走访12个社区……发放困难补助36.78万元。"."""
    leaders, opinions, enterprises = report.leader_visits, report.opinions, report.enterprise_visits
    if report.community is None:
        clauses = [
            _(
                "街道领导走访%(communities)s个社区、%(cooperatives)s个股份经济合作社和%(villages)s个联村结对村，"
                "共计%(person_visits)s人次"
            )
            % {
                "communities": leaders.communities,
                "cooperatives": leaders.cooperatives,
                "villages": leaders.villages,
                "person_visits": leaders.person_visits,
            }
        ]
    else:
        clauses = [
            _("街道领导走访%(unit)s%(visits)s次，共计%(person_visits)s人次")
            % {"unit": report.unit, "visits": leaders.visits, "person_visits": leaders.person_visits}
        ]
    solved = opinions.solved_by_group
    clauses += [
        _("收集意见建议%(collected)s条") % {"collected": opinions.collected},
        _("走访企业%(enterprises)s家，收集问题%(problems)s个")
        % {"enterprises": enterprises.enterprises, "problems": enterprises.problems},
        _("解决居民问题%(residents)s个、结对村问题%(villages)s个、企业问题%(enterprises)s个")
        % {
            "residents": solved.get("residents", 0),
            "villages": solved.get("paired_villages", 0),
            "enterprises": solved.get("enterprises", 0),
        },
    ]
    if report.subsidies is not None:
        clauses.append(
            _("走访困难家庭%(households)s户，发放困难补助%(amount)s")
            % {"households": report.subsidies.hardship_households_visited, "amount": wan_yuan(report.subsidies.total)}
        )
    lead = _("今年以来") if report.is_this_year else report.period.label
    return _("%(lead)s，%(clauses)s。") % {"lead": lead, "clauses": join_clauses(clauses)}


def report_links(report: WorkReport, user: User) -> dict[str, str]:
    """The pages behind the figures, filtered like the figure where the page can be; only those the user may open."""
    period, community = report.period, report.community
    place = community.pk if community else None
    start, end = period.start.isoformat(), period.end.isoformat()
    links: dict[str, str] = {
        "opinions": _url("feedback:list", community=place),
        "resolved": _url("feedback:list", status="resolved", community=place),
        "resolved_paired_villages": _url("feedback:list", status="resolved", source="paired_village", community=place),
        "resolved_enterprises": _url("feedback:list", status="resolved", source="enterprise", community=place),
        "enterprises": _url("visits:places"),
        "coverage": _url("visits:coverage", community=place),
    }
    for summary in report.quota_quarters:
        links[f"quota_{summary.quarter.slug}"] = _url("visits:quota", quarter=summary.quarter.slug, community=place)
    if report.quota_headline:
        links["quota"] = links[f"quota_{report.quota_headline.quarter.slug}"]
    if user.can_see_sensitive_data:
        links["subsidies"] = _url("households:subsidy_report", start=start, end=end, community=place)
    if user.can_review_meetings:
        links["cadence"] = _url("feedback:cadence", year=report.cadence.year)
        links["cadence_overdue"] = _url("feedback:cadence", status="overdue")
    if user.is_staff and user.has_perm("visits.view_visit"):
        for kind in (Visit.Kind.LEADERSHIP, Visit.Kind.PAIRED_VILLAGE):
            links[f"visits_{kind}"] = _url(
                "admin:visits_visit_changelist",
                kind__exact=kind,
                visited_on__gte=start,
                visited_on__lte=end,
                community__id__exact=place,
            )
    if user.is_staff and user.has_perm("assessment.view_spotcheckitem"):
        quarter = period.quarter or None
        links["spot_checks"] = _url("admin:assessment_spotcheckitem_changelist", quarter=quarter)
        for result in ("confirmed", "not_confirmed", "discrepancy"):
            links[f"spot_checks_{result}"] = _url(
                "admin:assessment_spotcheckitem_changelist", result__exact=result, quarter=quarter
            )
    return links


def report_lines(report: WorkReport, links: dict[str, str]) -> list[Line]:
    """Every figure of the report, in the order of its sections."""
    leaders, enterprises, opinions = report.leader_visits, report.enterprise_visits, report.opinions
    solved = opinions.solved_by_group
    to_communities, to_villages = links.get("visits_leadership", ""), links.get("visits_paired_village", "")
    return [
        Line("leaders", "leader_communities", _("走访社区（个）"), leaders.communities, href=to_communities),
        Line(
            "leaders", "leader_cooperatives", _("走访股份经济合作社（个）"), leaders.cooperatives, href=to_communities
        ),
        Line("leaders", "leader_villages", _("走访联村结对村（个）"), leaders.villages, href=to_villages),
        Line(
            "leaders",
            "leader_person_visits",
            _("领导走访（人次）"),
            leaders.person_visits,
            hint=_("%(visits)s次走访，含同行人员") % {"visits": leaders.visits},
            href=to_communities,
        ),
        Line("leaders", "leader_visits", _("领导走访（次）"), leaders.visits, card=False),
        Line("opinions", "opinions_collected", _("收集意见建议（条）"), opinions.collected, href=links["opinions"]),
        Line(
            "opinions",
            "solved_residents",
            _("解决居民问题（个）"),
            solved.get("residents", 0),
            href=links["resolved"],
        ),
        Line(
            "opinions",
            "solved_paired_villages",
            _("解决结对村问题（个）"),
            solved.get("paired_villages", 0),
            href=links["resolved_paired_villages"],
        ),
        Line(
            "opinions",
            "solved_enterprises",
            _("解决企业问题（个）"),
            solved.get("enterprises", 0),
            href=links["resolved_enterprises"],
        ),
        Line("opinions", "opinions_explained", _("已作解释（条）"), opinions.explained, card=False),
        Line(
            "enterprises",
            "enterprises_visited",
            _("走访企业（家）"),
            enterprises.enterprises,
            hint=_("%(visits)s次走访") % {"visits": enterprises.visits},
            href=links["enterprises"],
        ),
        Line(
            "enterprises",
            "enterprise_problems",
            _("企业提出问题（个）"),
            enterprises.problems,
            hint=_("记录了困难或诉求的企业走访"),
            href=links["enterprises"],
        ),
        *_hardship_lines(report, links),
        *_work_lines(report, links),
    ]


def _hardship_lines(report: WorkReport, links: dict[str, str]) -> list[Line]:
    subsidies = report.subsidies
    if subsidies is None:
        hidden = _("仅街道主要领导、社区主要领导和社会事务科可查看")
        return [
            Line("hardship", "hardship_visited", _("走访困难家庭（户）"), None, hint=hidden),
            Line("hardship", "subsidies_wan", _("发放困难补助（万元）"), None, hint=hidden),
        ]
    href = links.get("subsidies", "")
    wan = (subsidies.total / 10000).quantize(Decimal("0.01"))
    return [
        Line(
            "hardship",
            "hardship_visited",
            _("走访困难家庭（户）"),
            subsidies.hardship_households_visited,
            hint=_("重点户，入户或爱心走访，每户计一次"),
            href=href,
        ),
        # The card shows 万元 as the article does, with the exact amount to the fen beneath it.
        Line(
            "hardship",
            "subsidies_wan",
            _("发放困难补助（万元）"),
            wan,
            display=f"{wan:,}",
            hint=yuan(subsidies.total),
            href=href,
        ),
        Line(
            "hardship",
            "subsidies_yuan",
            _("发放困难补助（元）"),
            subsidies.total,
            display=yuan(subsidies.total),
            card=False,
        ),
        Line("hardship", "subsidy_payments", _("补助笔数"), subsidies.payments, card=False),
        Line("hardship", "households_paid", _("受助户数"), subsidies.households_paid, card=False),
    ]


def _work_lines(report: WorkReport, links: dict[str, str]) -> list[Line]:
    lines: list[Line] = []
    quota = report.quota_headline
    if quota is not None:
        state = _("已结束") if quota.complete else _("进行中")
        lines += [
            Line(
                "work",
                "quota_met",
                _("完成季度走访指标的社工（人）"),
                quota.met,
                display=f"{quota.met} / {quota.workers}",
                hint=_("%(quarter)s（%(state)s），占 %(percent)s")
                % {"quarter": quota.quarter, "state": state, "percent": _percent(quota.met_percent)},
                href=links.get("quota", ""),
            ),
            Line("work", "quota_workers", _("有走访指标的社工（人）"), quota.workers, card=False),
        ]
    coverage, cadence, checks = report.coverage, report.cadence, report.spot_checks
    lines += [
        Line(
            "work",
            "coverage_percent",
            _("入户走访覆盖率（%）"),
            coverage.percent,
            display=_percent(coverage.percent),
            hint=_("期间走访 %(visited)s 户 / 在册 %(households)s 户")
            % {"visited": coverage.visited, "households": coverage.households},
            href=links["coverage"],
        ),
        Line("work", "coverage_visited", _("期间走访的在册户（户）"), coverage.visited, card=False),
        Line("work", "coverage_households", _("在册户（户）"), coverage.households, card=False),
        Line(
            "work",
            "cadence_held",
            _("四听取会议已召开（次）"),
            cadence.held,
            display=f"{cadence.held} / {cadence.required}",
            hint=_("未召开 %(missed)s 次，待召开 %(due)s 次；当前逾期单位 %(overdue)s 个")
            % {"missed": cadence.missed, "due": cadence.due, "overdue": cadence.overdue_units},
            href=links.get("cadence", ""),
        ),
        Line("work", "cadence_required", _("四听取会议应召开（次）"), cadence.required, card=False),
        Line("work", "cadence_missed", _("四听取会议未召开（次）"), cadence.missed, card=False),
        Line(
            "work",
            "cadence_overdue_units",
            _("当前逾期单位（个）"),
            cadence.overdue_units,
            href=links.get("cadence_overdue", ""),
            card=False,
        ),
        Line(
            "work",
            "spot_checked",
            _("抽查核查走访（条）"),
            checks.checked,
            hint=_("属实 %(confirmed)s · 不属实 %(not_confirmed)s · 有出入 %(discrepancy)s")
            % {"confirmed": checks.confirmed, "not_confirmed": checks.not_confirmed, "discrepancy": checks.discrepancy},
            href=links.get("spot_checks", ""),
        ),
        Line(
            "work",
            "spot_confirmed",
            _("抽查属实（条）"),
            checks.confirmed,
            href=links.get("spot_checks_confirmed", ""),
            card=False,
        ),
        Line(
            "work",
            "spot_not_confirmed",
            _("抽查不属实（条）"),
            checks.not_confirmed,
            href=links.get("spot_checks_not_confirmed", ""),
            card=False,
        ),
        Line(
            "work",
            "spot_discrepancy",
            _("抽查有出入（条）"),
            checks.discrepancy,
            href=links.get("spot_checks_discrepancy", ""),
            card=False,
        ),
    ]
    return lines


def report_charts(report: WorkReport) -> list[Chart]:
    """Opinions by category, problems solved by source, subsidies per month, quota per community."""
    opinions = report.opinions
    categories = [row for row in opinions.by_category if row.category is None or row.category.is_active]
    charts = [
        Chart(
            id="report-categories-chart",
            title=_("意见建议（按分类）"),
            labels=[row.category.name if row.category else _("尚未分类") for row in categories],
            series=[
                Series(_("收集"), [row.tally.collected for row in categories]),
                Series(_("已解决"), [row.tally.resolved for row in categories]),
            ],
            horizontal=True,
            unit=pgettext("计量单位", "条"),
            first_column=_("分类"),
        ),
        Chart(
            id="report-sources-chart",
            title=_("解决问题（按来源）"),
            labels=[group.label for group in opinions.by_group],
            series=[
                Series(_("收集"), [group.tally.collected for group in opinions.by_group]),
                Series(_("已解决"), [group.tally.resolved for group in opinions.by_group]),
            ],
            unit=pgettext("计量单位", "个"),
            first_column=_("来源"),
        ),
    ]
    if report.subsidies is not None:
        charts.append(subsidy_month_chart(report.subsidies))
    if report.quota_headline is not None:
        rows = report.quota_by_community
        charts.append(
            Chart(
                id="report-quota-chart",
                title=_("%(quarter)s各村社走访指标完成情况") % {"quarter": report.quota_headline.quarter},
                labels=[row.name for row in rows],
                series=[
                    Series(_("完成指标的社工占比"), [row.met_percent for row in rows]),
                    Series(_("平均完成率"), [row.mean_percent for row in rows]),
                ],
                horizontal=True,
                unit="%",
                max_value=100,
                first_column=_("村社"),
            )
        )
    return charts


def _context(request: HttpRequest) -> dict:
    read = _read(request)
    report, user = read.report, request.user
    links = report_links(report, user)
    lines = report_lines(report, links)
    today = report.today
    return {
        "report": report,
        "period": report.period,
        "headline": headline(report),
        "lines": lines,
        "sections": [
            (code, label, [line for line in lines if line.section == code and line.card]) for code, label in SECTIONS
        ],
        "links": links,
        "charts": report_charts(report),
        "communities": read.communities,
        "community": report.community,
        "may_choose_community": not user.is_community_scoped and len(read.communities) > 1,
        "years": list(range(today.year, today.year - 5, -1)),
        "quarters": [Quarter(report.period.year, n) for n in range(1, 5)],
    }


# --- The views ----------------------------------------------------------------------------------------------------


@login_required
@require_get
def report(request: HttpRequest) -> HttpResponse:
    return _render(request, "wenxin/report.html")


@login_required
@require_get
def report_print(request: HttpRequest) -> HttpResponse:
    return _render(request, "print/report.html")


def _render(request: HttpRequest, template: str) -> HttpResponse:
    return render(request, template, _context(request))


_AMOUNT_FORMAT = "#,##0.00"


def report_workbook(context: dict) -> bytes:
    """The report's figures as label/value rows, then its tables, one sheet each, with Chinese headers."""
    report: WorkReport = context["report"]
    tables: list[Table] = []

    def sheet(title: str, columns: list[tuple[str, int]], rows: list[list]) -> None:
        tables.append(Table(title, columns, rows))

    period = report.period
    summary = [
        [_("单位"), report.unit, ""],
        [_("统计期间"), period.label, ""],
        [_("开始日期"), period.start, ""],
        [_("结束日期"), period.end, ""],
        [_("概述"), context["headline"], ""],
    ]
    summary += [[line.label, line.value if line.value is not None else "—", line.hint] for line in context["lines"]]
    sheet(_("工作报告"), [(_("项目"), 30), (_("数值"), 20), (_("说明"), 50)], summary)

    opinions = report.opinions
    sheet(
        _("意见按分类"),
        [(_("分类"), 20), (_("收集"), 10), (_("已解决"), 10), (_("已解释"), 10), (_("当前未办结"), 12)],
        [
            [
                row.category.name if row.category else _("尚未分类"),
                row.tally.collected,
                row.tally.resolved,
                row.tally.explained,
                row.tally.open,
            ]
            for row in opinions.by_category
        ],
    )
    source_rows = []
    for group in opinions.by_group:
        source_rows.append([group.label, _("小计"), group.tally.collected, group.tally.resolved, group.tally.explained])
        if len(group.sources) > 1:
            source_rows += [
                [group.label, row.label, row.tally.collected, row.tally.resolved, row.tally.explained]
                for row in group.sources
            ]
    sheet(
        _("问题按来源"),
        [(_("类别"), 14), (_("来源"), 14), (_("收集"), 10), (_("已解决"), 10), (_("已解释"), 10)],
        source_rows,
    )
    if report.subsidies is not None:
        sheet(
            _("补助按月份"),
            [(_("月份"), 12), (_("补助笔数"), 12), (_("补助金额（元）"), 18)],
            [[row["month"].strftime("%Y-%m"), row["payments"], row["total"]] for row in report.subsidies.by_month],
        )
    sheet(
        _("走访指标按季度"),
        [
            (_("季度"), 20),
            (_("有指标社工"), 12),
            (_("完成指标"), 10),
            (_("完成占比（%）"), 14),
            (_("平均完成率（%）"), 16),
            (_("状态"), 10),
        ],
        [
            [
                str(q.quarter),
                q.workers,
                q.met,
                q.met_percent,
                q.mean_percent,
                _("已结束") if q.complete else _("进行中"),
            ]
            for q in report.quota_quarters
        ],
    )
    sheet(
        _("走访指标按村社"),
        [
            (_("村社"), 20),
            (_("有指标社工"), 12),
            (_("完成指标"), 10),
            (_("完成占比（%）"), 14),
            (_("平均完成率（%）"), 16),
        ],
        [[row.name, row.workers, row.met, row.met_percent, row.mean_percent] for row in report.quota_by_community],
    )
    sheet(
        _("覆盖率按村社"),
        [(_("村社"), 20), (_("在册户数"), 12), (_("期间走访户数"), 14), (_("覆盖率（%）"), 12)],
        [[row.community, row.households, row.visited_year, row.percent_year] for row in report.coverage.communities],
    )
    return tables_workbook(tables)


@login_required
@require_get
def report_export(request: HttpRequest) -> HttpResponse:
    context = _context(request)
    report: WorkReport = context["report"]
    filename = _("工作报告-%(unit)s-%(start)s-%(end)s.xlsx") % {
        "unit": report.unit,
        "start": report.period.start.isoformat(),
        "end": report.period.end.isoformat(),
    }
    return xlsx_response(report_workbook(context), filename)
