"""A social worker's daily tools on her phone: log a visit, her diary, a visit and its correction, the planner.

Every view starts from visible_to(user): a visit or household the user may not see answers 404, whether it
exists or not; a visit she sees but may not edit answers 403. Writes go through visits.services.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from households.models import AssistancePlan, Household
from households.selectors import get_household_for_user
from households.selectors import household_search as search_households
from visits import selectors, services
from visits.forms import VisitForm, diary_period
from visits.models import Visit
from visits.periods import Quarter
from wenxin.models import User

PAGE_SIZE = 25
# Search results on a phone: enough to find her household, few enough to tap.
SEARCH_LIMIT = 20


def _household_results(user: User, q: str) -> list[Household]:
    """Her active households matching a name, a phone or an address such as 3-1-301; at most SEARCH_LIMIT."""
    households = search_households(
        Household.objects.visible_to(user).active(), q, full_id_numbers=user.can_see_sensitive_data
    )
    return list(
        households.select_related("estate", "grid_area")
        .with_head_name()
        .order_by("estate__name", "building", "unit", "room", "pk")[:SEARCH_LIMIT]
    )


def _chosen_household(user: User, form: VisitForm) -> Household | None:
    """The household the form holds, shown again with its address and head; nothing if it is not hers to see."""
    pk = form.chosen_household_pk()
    if pk is None:
        return None
    return (
        Household.objects.visible_to(user).filter(pk=pk).select_related("estate", "grid_area").with_head_name().first()
    )


def _quota_message(user: User) -> str:
    if not user.is_social_worker:
        return ""
    row = selectors.worker_quota(worker=user, quarter=Quarter.current())
    if not row.target:
        return ""
    return _("本季度已走访 %(visited)s/%(target)s 户。") % {"visited": row.visited, "target": row.target}


def _render_form(request: HttpRequest, template: str, form: VisitForm, **context) -> HttpResponse:
    user = request.user
    context.setdefault("results", None)
    chosen = _chosen_household(user, form)
    key_household = bool(chosen and chosen.categories.filter(is_key=True).exists())
    # The plan can be updated from the visit only by those who may change it (the service checks again).
    plan_updatable = bool(
        key_household
        and "update_plan" in form.fields
        and AssistancePlan.objects.editable_by(user).filter(household=chosen).exists()
    )
    context.update(
        form=form,
        chosen=chosen,
        chosen_list=[chosen] if chosen else [],
        key_household=key_household,
        plan_updatable=plan_updatable,
        search_limit=SEARCH_LIMIT,
    )
    return render(request, template, context)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def visit_log(request: HttpRequest) -> HttpResponse:
    """Log a visit in one screen and one request: today, door-to-door and herself unless she says otherwise."""
    user = request.user
    if not user.can_log_visits:
        raise PermissionDenied
    if request.method != "POST":
        initial = {}
        if request.GET.get("household"):
            try:
                pk = int(request.GET["household"])
            except ValueError:
                raise Http404 from None
            initial["household"] = get_household_for_user(user, pk).pk
        return _render_form(request, "visits/log.html", VisitForm(user=user, initial=initial))

    form = VisitForm(request.POST, user=user)
    if "find" in request.POST:
        # The search button without JavaScript: show the matches, keep everything typed, save nothing.
        typed = {name: form[name].value() for name in form.fields}
        q = request.POST.get("q", "").strip()[:50]
        results = _household_results(user, q) if q else []
        return _render_form(request, "visits/log.html", VisitForm(user=user, initial=typed), results=results, q=q)
    if form.is_valid():
        try:
            visit = services.visit_create(visitor=user, **form.create_data())
        except ValidationError as error:
            form.add_service_error(error)
        else:
            saved = _("已记录走访：%(target)s。") % {"target": visit.target}
            messages.success(request, f"{saved}{_quota_message(user)}", extra_tags="wx-log-another")
            if visit.household_id:
                return redirect("households:detail", pk=visit.household_id)
            return redirect("visits:diary")
    return _render_form(request, "visits/log.html", form, q=request.POST.get("q", ""))


@login_required
@require_http_methods(["GET", "HEAD"])
def household_search(request: HttpRequest) -> HttpResponse:
    """The live search of the log page (htmx): a few large tappable households of her own."""
    q = request.GET.get("q", "").strip()[:50]
    results = _household_results(request.user, q) if q else []
    context = {"results": results, "q": q, "limit": SEARCH_LIMIT, "checked": None}
    return render(request, "visits/_household_results.html", context)


def diary_author(request: HttpRequest) -> User:
    """Her own diary; a reviewer may open a colleague's in her scope (?author=), anyone else gets 404."""
    viewer = request.user
    raw = request.GET.get("author")
    if not raw:
        return viewer
    try:
        pk = int(raw)
    except ValueError:
        raise Http404 from None
    if pk == viewer.pk:
        return viewer
    if not viewer.can_review_quotas:
        raise Http404
    return get_object_or_404(User.objects.visible_to(viewer), pk=pk)


@login_required
@require_http_methods(["GET", "HEAD"])
def diary(request: HttpRequest) -> HttpResponse:
    """The public-sentiment diary (民情日记) of a month or a quarter: visits made or joined, searchable."""
    viewer = request.user
    author = diary_author(request)
    period = diary_period(request.GET)
    q = request.GET.get("q", "").strip()[:50]
    visits = selectors.diary(viewer=viewer, author=author, start=period.start, end=period.end, q=q)
    page = Paginator(visits, PAGE_SIZE).get_page(request.GET.get("page"))
    quota = selectors.worker_quota(worker=author, quarter=period.quarter) if author.is_social_worker else None
    context = {
        "author": author,
        "own": author.pk == viewer.pk,
        "period": period,
        "q": q,
        "page": page,
        "quota": quota if quota and quota.target else None,
        "can_log": viewer.can_log_visits and author.pk == viewer.pk,
        "today": timezone.localdate(),
    }
    return render(request, "visits/diary.html", context)


@login_required
@require_http_methods(["GET", "HEAD"])
def visit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    visit = selectors.get_visit_for_user(user, pk)
    context = {
        "visit": visit,
        "companions": list(visit.companions.all()),
        "can_edit": Visit.objects.editable_by(user).filter(pk=visit.pk).exists(),
        # Her own visit may be to a household she no longer sees (an area handed over): no dead link then.
        "household_visible": bool(visit.household_id)
        and Household.objects.visible_to(user).filter(pk=visit.household_id).exists(),
        "can_log": user.can_log_visits,
    }
    return render(request, "visits/detail.html", context)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def visit_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Correct a diary entry: only its author or the household's worker, and only until it is spot-checked."""
    user = request.user
    visit = selectors.get_visit_for_user(user, pk)
    if not Visit.objects.editable_by(user).filter(pk=visit.pk).exists():
        raise PermissionDenied
    form = VisitForm(request.POST or None, user=user, visit=visit, initial=VisitForm.initial_for(visit))
    if form.is_valid():
        data, companions = form.changed_visit_data()
        if not data and companions is None:
            messages.info(request, _("没有修改任何内容。"))
            return redirect("visits:detail", pk=visit.pk)
        try:
            services.visit_update(actor=user, visit=visit, data=data, companions=companions)
        except ValidationError as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("已保存。"))
            return redirect("visits:detail", pk=visit.pk)
    return _render_form(request, "visits/edit.html", form, visit=visit)


@login_required
@require_http_methods(["GET", "HEAD"])
def planner(request: HttpRequest) -> HttpResponse:
    """Her households never visited or longest unvisited, key households first: where to go next."""
    user = request.user
    if not user.is_social_worker:
        return render(request, "visits/planner.html", {"not_a_worker": True}, status=403)
    households = selectors.visit_planner(worker=user).with_head_name()
    page = Paginator(households, PAGE_SIZE).get_page(request.GET.get("page"))
    quarter = Quarter.current()
    context = {
        "page": page,
        "quota": selectors.worker_quota(worker=user, quarter=quarter),
        "quarter_start": quarter.start,
        "log_url": reverse("visits:log"),
    }
    return render(request, "visits/planner.html", context)
