"""Pairing and the monthly caring visit, hardship subsidies and their report, and innovation initiatives.

Every page starts from visible_to(user) or get_household_for_user: what a user may not see answers 404, whether
it exists or not; what she may see but not change answers 403. Subsidies are private records: a household's
payments answer 404 to anyone without can_see_sensitive_data, even if she sees the household itself.
Writes go through households.services.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_http_methods

from households import selectors, services
from households.models import AssistancePair, Community, Household, Initiative
from households.support_forms import InitiativeForm, PairEndForm, PairForm, SubsidyForm
from visits.periods import Quarter, months_back
from wenxin.charts import Chart, Series
from wenxin.models import User
from wenxin.xlsx import Table, tables_workbook, xlsx_response

# How many months the caring-visit table looks back, the current one included.
CARING_MONTHS = 6
PAIRS_PAGE_SIZE = 50
SUBSIDIES_PAGE_SIZE = 50
INITIATIVES_PAGE_SIZE = 25

require_get = require_http_methods(["GET", "HEAD"])


def yuan(amount: Decimal | None) -> str:
    """¥367,800.00: exact to the fen, with thousands separators."""
    return f"¥{(amount or Decimal('0')):,.2f}"


def wan_yuan(amount: Decimal | None) -> str:
    """36.78万元: the way the article reports a total, rounded to the hundred yuan."""
    return _("%(amount)s万元") % {"amount": f"{((amount or Decimal('0')) / 10000).quantize(Decimal('0.01')):,}"}


def _editable_household_ids(user: User, household_ids: list[int]) -> set[int]:
    """The households among these whose pairs the user may change (one query, or none)."""
    if not (user.can_see_sensitive_data and user.can_edit_registry) or not household_ids:
        return set()
    return set(Household.objects.editable_by(user).filter(pk__in=household_ids).values_list("pk", flat=True))


def _sensitive_household(user: User, pk: int) -> Household:
    """The household, if the user may see its private records (plans, subsidies); otherwise 404."""
    household = selectors.get_household_for_user(user, pk)
    if not user.can_see_sensitive_data:
        raise Http404
    return household


# --- Pairs and the monthly caring visit -----------------------------------------------------------------------


@dataclass(frozen=True)
class PairTable:
    """The caring-visit months, every pair in scope, and those shown (?missed=1: only pairs with a missed month)."""

    months: list[datetime.date]
    rows: list[selectors.PairMonthsRow]
    shown: list[selectors.PairMonthsRow]
    missed_only: bool


def pair_table(request: HttpRequest) -> PairTable:
    """What the pairs page and its export read."""
    today = timezone.localdate()
    months = months_back(today, CARING_MONTHS)
    rows = selectors.caring_visit_compliance(viewer=request.user, months=months, today=today)
    missed_only = request.GET.get("missed") == "1"
    shown = [row for row in rows if row.missed] if missed_only else rows
    return PairTable(months=months, rows=rows, shown=shown, missed_only=missed_only)


@login_required
@require_get
def pair_list(request: HttpRequest) -> HttpResponse:
    table = pair_table(request)
    months, rows, shown, missed_only = table.months, table.rows, table.shown, table.missed_only
    page = Paginator(shown, PAIRS_PAGE_SIZE).get_page(request.GET.get("page"))
    editable = _editable_household_ids(request.user, [row.pair.household_id for row in page])
    return render(
        request,
        "households/pair_list.html",
        {
            "months": months,
            "page": page,
            "table": [(row, row.pair.household_id in editable) for row in page],
            "missed_only": missed_only,
            "total": len(rows),
            "with_missed": sum(1 for row in rows if row.missed),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def pair_create(request: HttpRequest, pk: int) -> HttpResponse:
    household = selectors.get_household_for_user(request.user, pk)
    if household.pk not in _editable_household_ids(request.user, [household.pk]):
        raise PermissionDenied
    form = PairForm(request.POST or None, user=request.user)
    if form.is_valid():
        try:
            pair = services.pair_create(actor=request.user, household=household, **form.cleaned_data)
        except ValidationError as error:
            form.add_service_error(error)
        else:
            messages.success(
                request,
                _("已结对：%(staff)s 帮扶 %(address)s") % {"staff": pair.staff, "address": household.address},
            )
            return redirect("households:pair_list")
    return render(request, "households/pair_form.html", {"form": form, "household": household})


@login_required
@require_http_methods(["GET", "POST"])
def pair_end(request: HttpRequest, pk: int) -> HttpResponse:
    pair = get_object_or_404(
        AssistancePair.objects.visible_to(request.user).select_related("staff", "household__estate"), pk=pk
    )
    if pair.household_id not in _editable_household_ids(request.user, [pair.household_id]):
        raise PermissionDenied
    form = PairEndForm(request.POST or None, pair=pair)
    if form.is_valid():
        try:
            services.pair_end(actor=request.user, pair=pair, ends_on=form.cleaned_data["ends_on"])
        except ValidationError as error:
            form.add_service_error(error)
            pair.refresh_from_db()  # the service set the typed date on it before it failed
        else:
            messages.success(request, _("已结束结对：%(pair)s") % {"pair": pair})
            return redirect("households:pair_list")
    return render(request, "households/pair_end.html", {"form": form, "pair": pair})


# --- Hardship subsidies ---------------------------------------------------------------------------------------


@login_required
@require_get
def household_subsidies(request: HttpRequest, pk: int) -> HttpResponse:
    household = _sensitive_household(request.user, pk)
    subsidies = selectors.household_subsidies(viewer=request.user, household=household)
    total = subsidies.aggregate(total=Sum("amount"))["total"] or Decimal("0.00")
    page = Paginator(subsidies, SUBSIDIES_PAGE_SIZE).get_page(request.GET.get("page"))
    for subsidy in page:
        subsidy.amount_display = yuan(subsidy.amount)
    return render(
        request,
        "households/subsidy_list.html",
        {
            "household": household,
            "page": page,
            "total": yuan(total),
            "can_record": request.user.can_record_subsidies,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def subsidy_create(request: HttpRequest, pk: int) -> HttpResponse:
    household = _sensitive_household(request.user, pk)
    if not request.user.can_record_subsidies:
        raise PermissionDenied
    form = SubsidyForm(request.POST or None)
    if form.is_valid():
        try:
            subsidy = services.subsidy_record(actor=request.user, household=household, **form.cleaned_data)
        except ValidationError as error:
            form.add_service_error(error)
        else:
            messages.success(
                request,
                _("已登记%(kind)s %(amount)s") % {"kind": subsidy.get_kind_display(), "amount": yuan(subsidy.amount)},
            )
            return redirect("households:subsidies", pk=household.pk)
    return render(request, "households/subsidy_form.html", {"form": form, "household": household})


@dataclass(frozen=True)
class ReportPeriod:
    """The report's period as chosen in the query string; anything unreadable falls back to this year."""

    start: datetime.date
    end: datetime.date
    label: str
    kind: str  # "year", "quarter" or "range"
    year: int
    quarter: str


def _parse_date(text: str | None) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat((text or "").strip())
    except ValueError:
        return None


def _report_period(request: HttpRequest) -> ReportPeriod:
    today = timezone.localdate()
    quarter = Quarter.parse(request.GET.get("quarter"))
    if quarter is not None:
        return ReportPeriod(quarter.start, quarter.end, str(quarter), "quarter", quarter.year, quarter.slug)
    start, end = _parse_date(request.GET.get("start")), _parse_date(request.GET.get("end"))
    if start and end and start <= end and start.year >= 2000 and end.year <= 2100:
        label = _("%(start)s 至 %(end)s") % {"start": start.isoformat(), "end": end.isoformat()}
        return ReportPeriod(start, end, label, "range", start.year, "")
    year_text = (request.GET.get("year") or "").strip()
    year = int(year_text) if year_text.isdigit() and 2000 <= int(year_text) <= 2100 else today.year
    return ReportPeriod(
        datetime.date(year, 1, 1), datetime.date(year, 12, 31), _("%(year)s年") % {"year": year}, "year", year, ""
    )


def _community_choice(request: HttpRequest) -> tuple[list[Community], Community | None]:
    """The viewer's communities and the one chosen with ?community=; an id outside her scope is ignored."""
    communities = list(Community.objects.visible_to(request.user).order_by("kind", "name"))
    wanted = request.GET.get("community", "")
    return communities, next((c for c in communities if str(c.pk) == wanted), None)


def _report_tables(totals: selectors.SubsidyTotals) -> dict[str, list[list]]:
    """The report's three tables as rows of plain values: the page and the export both read these."""
    return {
        "community": [
            [row["household__grid_area__community__name"], row["households"], row["payments"], row["total"]]
            for row in totals.by_community
        ],
        "kind": [[str(row["label"]), row["payments"], row["total"]] for row in totals.by_kind],
        "month": [[row["month"].strftime("%Y-%m"), row["payments"], row["total"]] for row in totals.by_month],
    }


def _report_workbook(totals: selectors.SubsidyTotals, tables: dict[str, list[list]], *, period: str, place: str):
    """Four sheets: the summary, then by community, type and month; amounts as numbers with two decimals."""
    sheets: list[Table] = []

    def sheet(title: str, columns: list[tuple[str, int]], rows: list[list]) -> None:
        sheets.append(Table(title, columns, rows))

    sheet(
        _("汇总"),
        [(_("项目"), 24), (_("数值"), 20)],
        [
            [_("统计期间"), period],
            [_("范围"), place],
            [_("补助金额（元）"), totals.total],
            [_("补助笔数"), totals.payments],
            [_("受助户数"), totals.households_paid],
            [_("走访困难户数"), totals.hardship_households_visited],
        ],
    )
    sheet(
        _("按村社"),
        [(_("村社"), 20), (_("受助户数"), 12), (_("补助笔数"), 12), (_("补助金额（元）"), 18)],
        tables["community"],
    )
    sheet(_("按类型"), [(_("补助类型"), 16), (_("补助笔数"), 12), (_("补助金额（元）"), 18)], tables["kind"])
    sheet(_("按月份"), [(_("月份"), 12), (_("补助笔数"), 12), (_("补助金额（元）"), 18)], tables["month"])
    return tables_workbook(sheets)


def subsidy_month_chart(totals: selectors.SubsidyTotals) -> Chart:
    """Yuan paid in each month of the period, from the report's month rows; a month without payments shows 0."""
    count = (totals.end.year - totals.start.year) * 12 + totals.end.month - totals.start.month + 1
    months = months_back(totals.end, count)
    # To the fen: SQLite hands back a sum of decimals with fifteen places.
    paid = {row["month"]: row["total"].quantize(Decimal("0.01")) for row in totals.by_month}
    return Chart(
        id="subsidies-by-month-chart",
        title=_("每月发放困难补助（元）"),
        labels=[month.strftime("%Y-%m") for month in months],
        series=[Series(_("补助金额"), [paid.get(month, Decimal("0.00")) for month in months])],
        unit=pgettext("计量单位", "元"),
        first_column=_("月份"),
    )


@login_required
@require_get
def subsidy_report(request: HttpRequest) -> HttpResponse:
    if not request.user.can_see_sensitive_data:
        raise PermissionDenied
    period = _report_period(request)
    communities, community = _community_choice(request)
    totals = selectors.subsidy_totals(viewer=request.user, start=period.start, end=period.end, community=community)
    tables = _report_tables(totals)
    place = community.name if community else _("全部村社")
    if request.GET.get("format") == "xlsx":
        content = _report_workbook(totals, tables, period=period.label, place=place)
        filename = _("困难补助统计-%(start)s-%(end)s.xlsx") % {
            "start": period.start.isoformat(),
            "end": period.end.isoformat(),
        }
        return xlsx_response(content, filename)
    this_year = timezone.localdate().year
    return render(
        request,
        "households/subsidy_report.html",
        {
            "period": period,
            "totals": totals,
            "total_yuan": yuan(totals.total),
            "total_wan": wan_yuan(totals.total),
            "by_community": [[*row[:3], yuan(row[3])] for row in tables["community"]],
            "by_kind": [[*row[:2], yuan(row[2])] for row in tables["kind"]],
            "by_month": [[*row[:2], yuan(row[2])] for row in tables["month"]],
            "month_chart": subsidy_month_chart(totals),
            "communities": communities,
            "community": community,
            "place": place,
            "years": list(range(this_year, this_year - 5, -1)),
            "quarters": [Quarter(period.year, n) for n in range(1, 5)],
        },
    )


# --- Innovation initiatives -----------------------------------------------------------------------------------


def visible_initiatives(user: User) -> QuerySet[Initiative]:
    """The initiatives in the user's scope, last updated first: the list and its export."""
    return Initiative.objects.visible_to(user).select_related("owner__community").order_by("-updated_at", "-pk")


@login_required
@require_get
def initiative_list(request: HttpRequest) -> HttpResponse:
    initiatives = visible_initiatives(request.user)
    page = Paginator(initiatives, INITIATIVES_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "households/initiative_list.html",
        {"page": page, "can_create": request.user.is_social_worker},
    )


@login_required
@require_http_methods(["GET", "POST"])
def initiative_create(request: HttpRequest) -> HttpResponse:
    if not request.user.is_social_worker:
        raise PermissionDenied
    form = InitiativeForm(request.POST or None)
    if form.is_valid():
        try:
            initiative = services.initiative_save(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("已新建创新载体：%(title)s") % {"title": initiative.title})
            return redirect("households:initiative_list")
    return render(request, "households/initiative_form.html", {"form": form, "initiative": None})


@login_required
@require_http_methods(["GET", "POST"])
def initiative_edit(request: HttpRequest, pk: int) -> HttpResponse:
    initiative = get_object_or_404(Initiative.objects.visible_to(request.user), pk=pk)
    if initiative.owner_id != request.user.pk:
        raise PermissionDenied
    initial = {
        "title": initiative.title,
        "description": initiative.description,
        "status": initiative.status,
        "started_on": initiative.started_on,
    }
    form = InitiativeForm(request.POST or None, initial=initial)
    if form.is_valid():
        try:
            services.initiative_save(actor=request.user, initiative=initiative, **form.cleaned_data)
        except ValidationError as error:
            form.add_service_error(error)
            initiative.refresh_from_db()  # the service set the typed values on it before they failed
        else:
            messages.success(request, _("已保存：%(title)s") % {"title": initiative.title})
            return redirect("households:initiative_list")
    return render(request, "households/initiative_form.html", {"form": form, "initiative": initiative})
