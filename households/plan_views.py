"""One household, one plan (一户一策): a key household's plan, its edit and history, and the plan work list.

Plans are private records: every page starts from get_plan_for_user / AssistancePlan.objects.visible_to, so a
user without can_see_sensitive_data, or outside the household's area, gets 404 even for a household she can see.
Who sees a plan but may not change it (Social Affairs, street leaders) gets 403 on the edit pages.
Writes go through households.services, which write a PlanVersion and an audit entry with each change.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from households import selectors, services
from households.models import AssistanceMeasure, AssistancePlan, Household, PlanSection
from households.plan_forms import MeasureForm, MeasureStatusForm, PlanCreateForm, PlanEditForm
from wenxin.models import User
from wenxin.text import join_list

WORKLIST_PAGE_SIZE = 25
OPEN_STATUSES = (AssistanceMeasure.Status.PLANNED, AssistanceMeasure.Status.IN_PROGRESS)
HISTORY_PAGE_SIZE = 20


def _plan_for_user(user: User, household_pk: int) -> AssistancePlan:
    """The plan with its sections and measures, in a fixed number of queries; 404 if not hers to see."""
    return plan_with_parts(selectors.get_plan_for_user(user, household_pk))


def plan_with_parts(plan: AssistancePlan) -> AssistancePlan:
    """The plan with its sections and measures fetched; the plan page and its printed ledger show both."""
    fetched = (
        AssistancePlan.objects.filter(pk=plan.pk)
        .prefetch_related(
            Prefetch("sections", queryset=PlanSection.objects.select_related("recorded_by", "source_visit")),
            Prefetch("measures", queryset=AssistanceMeasure.objects.select_related("responsible")),
        )
        .get()
    )
    plan._prefetched_objects_cache = fetched._prefetched_objects_cache
    return plan


def _can_edit_plan(user: User, plan: AssistancePlan) -> bool:
    return AssistancePlan.objects.editable_by(user).filter(pk=plan.pk).exists()


def _plan_for_edit(user: User, household_pk: int) -> AssistancePlan:
    """404 if the user cannot see the plan, 403 if she sees it but may not change it."""
    plan = _plan_for_user(user, household_pk)
    if not _can_edit_plan(user, plan):
        raise PermissionDenied
    return plan


def _household_for_private_records(user: User, pk: int) -> Household:
    """A household whose plan the user may see; 404 for anyone else, as for a household that does not exist."""
    if not user.can_see_sensitive_data:
        raise Http404
    return selectors.get_household_for_user(user, pk)


def _is_key(household: Household) -> bool:
    return household.categories.filter(is_key=True).exists()


@dataclass(frozen=True)
class MustCard:
    """One of the five musts as the plan page shows it: recorded (with who and when) or still missing."""

    must: PlanSection.Must
    section: PlanSection | None
    measures_count: int = 0

    @property
    def recorded(self) -> bool:
        return self.section is not None or self.measures_count > 0


def must_cards(plan: AssistancePlan) -> list[MustCard]:
    sections = {section.must: section for section in plan.sections.all()}
    measures = len(plan.measures.all())
    return [
        MustCard(
            must=must,
            section=sections.get(must),
            measures_count=measures if must == PlanSection.Must.MEASURES else 0,
        )
        for must in PlanSection.Must
    ]


@login_required
@require_http_methods(["GET", "HEAD"])
def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    today = timezone.localdate()
    plan = selectors.plan_queryset(viewer=user).filter(household_id=pk).first()
    if plan is None:
        # No plan (or not hers to see): the household's page offers to open one, if it is a key household.
        household = _household_for_private_records(user, pk)
        if AssistancePlan.objects.filter(household=household).exists():
            raise Http404  # there is a plan, outside what she may see
        context = {
            "household": household,
            "plan": None,
            "is_key": _is_key(household),
            "can_create": household.is_active and Household.objects.editable_by(user).filter(pk=pk).exists(),
        }
        return render(request, "households/plan_detail.html", context)
    plan = plan_with_parts(plan)
    measures = list(plan.measures.all())
    for measure in measures:
        measure.overdue = measure.status in OPEN_STATUSES and measure.due_on < today
    context = {
        "household": plan.household,
        "plan": plan,
        "cards": must_cards(plan),
        "missing": [PlanSection.Must(m).label for m in selectors.missing_musts(plan)],
        "measures": measures,
        "can_edit": _can_edit_plan(user, plan),
        "review_overdue": plan.review_on < today,
        "today": today,
    }
    return render(request, "households/plan_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def plan_create(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    household = _household_for_private_records(user, pk)
    if not Household.objects.editable_by(user).filter(pk=household.pk).exists():
        raise PermissionDenied
    if AssistancePlan.objects.filter(household=household).exists():
        messages.info(request, _("该户已有一户一策。"))
        return redirect("households:plan_detail", pk=household.pk)
    is_key = _is_key(household)
    form = PlanCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.plan_create(actor=user, household=household, review_on=form.cleaned_data["review_on"])
        except ValidationError as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("已建立一户一策，请填写“五个要”。"))
            return redirect("households:plan_edit", pk=household.pk)
    return render(request, "households/plan_create.html", {"form": form, "household": household, "is_key": is_key})


@login_required
@require_http_methods(["GET", "POST"])
def plan_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    plan = _plan_for_edit(user, pk)
    form = PlanEditForm(request.POST or None, plan=plan)
    form.add_version_field(plan.version)  # a save from an outdated page is refused (wenxin.concurrency)
    if request.method == "POST" and form.is_valid():
        sections, review_on = form.changed_sections(), form.changed_review_on()
        cleared = form.cleared_sections()
        if not sections and review_on is None and not cleared:
            messages.info(request, _("没有修改任何内容。"))
            return redirect("households:plan_detail", pk=pk)
        try:
            # The texts and the review date are one edit: both saved, or neither. The first service checks the
            # page's version and locks the plan; the second continues from the version the first wrote.
            with transaction.atomic():
                if sections:
                    services.plan_record_sections(
                        actor=user, plan=plan, sections=sections, expected_version=form.expected_version
                    )
                if review_on is not None:
                    expected = plan.version if sections else form.expected_version
                    services.plan_set_review(actor=user, plan=plan, review_on=review_on, expected_version=expected)
        except ValidationError as error:
            form.add_service_error(error)
        else:
            if cleared:
                # The five musts are a record kept over time: a text is corrected, never emptied.
                messages.warning(
                    request, _("“五个要”的内容不能清空，以下项目保持原样：%(musts)s") % {"musts": join_list(cleared)}
                )
            if sections or review_on is not None:
                messages.success(request, _("一户一策已保存。"))
            return redirect("households:plan_detail", pk=pk)
    measure_form = MeasureForm(user=user, default_responsible=plan.household.grid_area.workers.first())
    context = {
        "form": form,
        "measure_form": measure_form,
        "plan": plan,
        "household": plan.household,
        "measures": list(plan.measures.all()),
    }
    return render(request, "households/plan_edit.html", context)


@login_required
@require_http_methods(["GET", "HEAD"])
def plan_history(request: HttpRequest, pk: int) -> HttpResponse:
    plan = selectors.get_plan_for_user(request.user, pk)
    versions = Paginator(plan.versions.select_related("saved_by").order_by("-number"), HISTORY_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    labels = {must.value: must.label for must in PlanSection.Must}
    statuses = dict(AssistanceMeasure.Status.choices)
    rows = []
    for version in versions.object_list:
        snapshot = version.snapshot or {}
        stored = snapshot.get("sections") or {}
        rows.append(
            {
                "version": version,
                "review_on": snapshot.get("review_on"),
                "sections": [(labels[must], stored.get(must, "")) for must in PlanSection.Must.values],
                "measures": [
                    {**measure, "status_label": statuses.get(measure.get("status"), measure.get("status"))}
                    for measure in snapshot.get("measures") or []
                ],
            }
        )
    context = {"plan": plan, "household": plan.household, "page": versions, "rows": rows}
    return render(request, "households/plan_history.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def measure_add(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    plan = _plan_for_edit(user, pk)
    form = MeasureForm(request.POST or None, user=user, default_responsible=plan.household.grid_area.workers.first())
    if request.method == "POST" and form.is_valid():
        try:
            services.measure_add(actor=user, plan=plan, **form.cleaned_data)
        except ValidationError as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("已添加帮扶措施：%(text)s") % {"text": form.cleaned_data["description"]})
            return redirect("households:plan_detail", pk=pk)
    context = {"form": form, "plan": plan, "household": plan.household}
    return render(request, "households/plan_measure_form.html", context)


@login_required
@require_POST
def measure_status(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    measure = get_object_or_404(
        AssistanceMeasure.objects.visible_to(user).select_related("plan"),
        pk=pk,
    )
    if not _can_edit_plan(user, measure.plan):
        raise PermissionDenied
    household_pk = measure.plan.household_id
    form = MeasureStatusForm(request.POST)
    form.add_version_field(measure.plan.version)
    if not form.is_valid():
        if form.non_field_errors():
            messages.error(request, " ".join(form.non_field_errors()))
        else:
            messages.error(request, _("请选择有效的状态和日期。"))
        return redirect("households:plan_detail", pk=household_pk)
    try:
        services.measure_set_status(
            actor=user,
            measure=measure,
            status=form.cleaned_data["status"],
            done_on=form.cleaned_data["done_on"],
            expected_version=form.expected_version,
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("%(text)s：%(status)s") % {"text": measure.description, "status": measure.get_status_display()},
        )
    return redirect(f"{reverse('households:plan_detail', args=[household_pk])}#measures")


# --- the work list ------------------------------------------------------------------------------------------


WORKLIST_KINDS = {
    "without": gettext_lazy("未建一户一策的重点户"),
    "incomplete": gettext_lazy("“五个要”不完整"),
    "overdue": gettext_lazy("已过复核日期"),
    "no_caring": gettext_lazy("本月未爱心走访的重点户"),
}


def _int_param(request: HttpRequest, name: str) -> int | None:
    try:
        return int(request.GET[name])
    except (KeyError, ValueError):
        return None


def _key_plans(viewer: User) -> QuerySet[AssistancePlan]:
    """Plans of active key households: the ones the work list counts."""
    return selectors.plan_queryset(viewer=viewer).filter(
        household__in=Household.objects.key().values("pk"), household__status=Household.Status.ACTIVE
    )


def _worklist_rows(viewer: User, kind: str, today) -> QuerySet:
    if kind == "without":
        return selectors.key_households_without_plan(viewer=viewer)
    if kind == "no_caring":
        return selectors.key_households_without_caring_visit(viewer=viewer, today=today).select_related(
            "grid_area__community"
        )
    plans = _key_plans(viewer)
    if kind == "incomplete":
        return plans.filter(is_complete=False).order_by("musts_recorded", "review_on", "pk")
    return plans.filter(review_on__lt=today).order_by("review_on", "pk")


def worklist(request: HttpRequest, today: datetime.date) -> tuple[str, int | None, int | None, QuerySet]:
    """The list chosen with ?show=, narrowed by ?grid_area= or ?community=: the page's list and its export's.

    Households (without a plan, no caring visit) or plans (incomplete, overdue), with the kind and the filters.
    """
    kind = request.GET.get("show") if request.GET.get("show") in WORKLIST_KINDS else "without"
    grid_area, community = _int_param(request, "grid_area"), _int_param(request, "community")
    rows = _worklist_rows(request.user, kind, today)
    area_path = "grid_area" if kind in ("without", "no_caring") else "household__grid_area"
    if grid_area is not None:
        rows = rows.filter(**{area_path: grid_area})
    elif community is not None:
        rows = rows.filter(**{f"{area_path}__community": community})
    return kind, grid_area, community, rows


@login_required
@require_http_methods(["GET", "HEAD"])
def plan_worklist(request: HttpRequest) -> HttpResponse:
    """Per grid area and community: key households without a plan, incomplete and overdue plans; then the list."""
    user = request.user
    if not user.can_see_sensitive_data:
        raise PermissionDenied
    today = timezone.localdate()
    kind, grid_area, community, rows = worklist(request, today)
    page = Paginator(rows, WORKLIST_PAGE_SIZE).get_page(request.GET.get("page"))
    by_area = selectors.plan_work(viewer=user, today=today)
    by_community = selectors.plan_work(viewer=user, group="grid_area__community", today=today)
    filter_label = ""
    if grid_area is not None:
        filter_label = next((row.name for row in by_area if row.pk == grid_area), "")
    elif community is not None:
        filter_label = next((row.name for row in by_community if row.pk == community), "")
    context = {
        "by_area": by_area,
        "by_community": by_community if len(by_community) > 1 or not user.is_social_worker else [],
        "kind": kind,
        "kinds": WORKLIST_KINDS,
        "kind_label": WORKLIST_KINDS[kind],
        "lists_plans": kind in ("incomplete", "overdue"),
        "page": page,
        "grid_area": grid_area,
        "community": community,
        "filter_label": filter_label,
        "can_create": user.can_edit_registry,
        "today": today,
    }
    return render(request, "households/plan_worklist.html", context)
