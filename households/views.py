"""Household registry pages: the list and its search, a household's detail, create and edit, residents.

Every view starts from visible_to(user): what a user may not see answers 404, whether it exists or not; what
she may see but not edit answers 403 on the edit pages. Writes go through households.services.
"""

from __future__ import annotations

from dataclasses import replace

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.forms.models import model_to_dict
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from households import selectors, services
from households.forms import HouseholdCreateForm, HouseholdFilterForm, HouseholdForm, MoveOutForm, ResidentForm
from households.models import Household, Resident
from visits.selectors import household_visits
from wenxin.models import User

PAGE_SIZE = 25
# A household's visits on its page, newest first; older ones page on.
VISITS_PAGE_SIZE = 10
# The ID number is left out on purpose: the edit form never carries it (see ResidentForm).
RESIDENT_FORM_FIELDS = ["name", "relation", "phone", "disability", "disability_grade", "note"]


def _household_for_edit(user: User, pk: int) -> Household:
    """404 if the user cannot see the household, 403 if she sees it but may not edit it."""
    household = selectors.get_household_for_user(user, pk)
    if not Household.objects.editable_by(user).filter(pk=household.pk).exists():
        raise PermissionDenied
    return household


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true" and request.headers.get("HX-History-Restore-Request") != "true"


@login_required
@require_http_methods(["GET", "HEAD"])
def household_list(request: HttpRequest) -> HttpResponse:
    form = HouseholdFilterForm(request.GET, user=request.user)
    filters = form.filters()
    page = Paginator(selectors.household_list(viewer=request.user, filters=filters), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    # The filters stay open (on phones they fold away) while any filter besides the search box is in use.
    filtering = replace(filters, q="") != selectors.HouseholdFilters()
    return render(request, "households/list.html", {"form": form, "page": page, "filtering": filtering})


def _render_detail(
    request: HttpRequest, household: Household, *, revealed: Resident | None = None, revealed_number: str = ""
) -> HttpResponse:
    residents = list(selectors.household_detail_residents(household))
    if revealed is not None:
        for resident in residents:
            if resident.pk == revealed.pk:
                resident.revealed_id_number = revealed_number
    categories = list(household.categories.all())
    visits = Paginator(household_visits(viewer=request.user, household=household), VISITS_PAGE_SIZE).get_page(
        request.GET.get("visits_page")
    )
    context = {
        "household": household,
        "categories": categories,
        "residents": residents,
        "can_edit": Household.objects.editable_by(request.user).filter(pk=household.pk).exists(),
        "visits": visits,
        "can_log_visit": household.is_active and request.user.can_log_visits,
        "today": timezone.localdate(),
    }
    context.update(_plan_card(request.user, household, categories, can_edit=context["can_edit"]))
    return render(request, "households/detail.html", context)


def _plan_card(user: User, household: Household, categories: list, *, can_edit: bool) -> dict:
    """The one-household-one-plan card: only for key households, only for those who may see plans."""
    if not user.can_see_sensitive_data or not any(category.is_key for category in categories):
        return {"show_plan_card": False}
    plan = selectors.plan_queryset(viewer=user).filter(household=household).first()
    return {
        "show_plan_card": True,
        "plan": plan,
        "plan_overdue": plan is not None and plan.review_on < timezone.localdate(),
        "can_create_plan": plan is None and household.is_active and can_edit,
    }


@login_required
@require_http_methods(["GET", "HEAD"])
def household_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_detail(request, selectors.get_household_for_user(request.user, pk))


@login_required
@require_POST
def resident_reveal_id(request: HttpRequest, pk: int) -> HttpResponse:
    """Show one resident's full ID number; the service records who looked, and when."""
    resident = selectors.get_resident_for_user(request.user, pk)
    number = services.id_number_reveal(actor=request.user, resident=resident)
    if _is_htmx(request):
        return render(request, "households/_id_number.html", {"resident": resident, "revealed_number": number})
    household = selectors.get_household_for_user(request.user, resident.household_id)
    return _render_detail(request, household, revealed=resident, revealed_number=number)


@login_required
@require_http_methods(["GET", "POST"])
def household_create(request: HttpRequest) -> HttpResponse:
    if not request.user.can_edit_registry:
        raise PermissionDenied
    form = HouseholdCreateForm(request.POST or None, user=request.user)
    if form.is_valid():
        try:
            household = services.household_create(actor=request.user, **form.household_data(), head=form.head_data())
        except ValidationError as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("已新建户：%(address)s") % {"address": household.address})
            return redirect("households:detail", pk=household.pk)
    return render(request, "households/form.html", {"form": form, "household": None})


@login_required
@require_http_methods(["GET", "POST"])
def household_edit(request: HttpRequest, pk: int) -> HttpResponse:
    household = _household_for_edit(request.user, pk)
    initial = model_to_dict(household, fields=HouseholdForm.household_fields)
    form = HouseholdForm(request.POST or None, user=request.user, initial=initial)
    form.add_version_field(household.version)  # a save from an outdated page is refused (wenxin.concurrency)
    if form.is_valid():
        data, categories = form.changed_household_data()
        if not data and categories is None:
            messages.info(request, _("没有修改任何内容。"))
            return redirect("households:detail", pk=household.pk)
        try:
            services.household_update(
                actor=request.user,
                household=household,
                data=data,
                categories=categories,
                expected_version=form.expected_version,
            )
        except ValidationError as error:
            form.add_service_error(error)
            household.refresh_from_db()  # the service set the typed values on it before they failed
        else:
            messages.success(request, _("已保存。"))
            return redirect("households:detail", pk=household.pk)
    return render(request, "households/form.html", {"form": form, "household": household})


@login_required
@require_http_methods(["GET", "POST"])
def household_move_out(request: HttpRequest, pk: int) -> HttpResponse:
    household = _household_for_edit(request.user, pk)
    form = MoveOutForm(request.POST or None)
    if form.is_valid():
        try:
            services.household_archive(
                actor=request.user,
                household=household,
                moved_out_on=form.cleaned_data["moved_out_on"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("已登记迁出：%(address)s") % {"address": household.address})
            return redirect("households:detail", pk=household.pk)
    return render(request, "households/move_out.html", {"form": form, "household": household})


@login_required
@require_http_methods(["GET", "POST"])
def resident_create(request: HttpRequest, pk: int) -> HttpResponse:
    household = _household_for_edit(request.user, pk)
    has_head = household.residents.filter(relation=Resident.Relation.HEAD).exists()
    initial = {} if has_head else {"relation": Resident.Relation.HEAD}
    form = ResidentForm(request.POST or None, user=request.user, initial=initial)
    if form.is_valid():
        try:
            resident = services.resident_create(actor=request.user, household=household, **form.resident_data())
        except ValidationError as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("已添加居民：%(name)s") % {"name": resident.name})
            return redirect("households:detail", pk=household.pk)
    return render(request, "households/resident_form.html", {"form": form, "household": household, "resident": None})


@login_required
@require_http_methods(["GET", "POST"])
def resident_edit(request: HttpRequest, pk: int) -> HttpResponse:
    resident = selectors.get_resident_for_user(request.user, pk)
    household = _household_for_edit(request.user, resident.household_id)
    initial = model_to_dict(resident, fields=RESIDENT_FORM_FIELDS)
    form = ResidentForm(request.POST or None, user=request.user, resident=resident, initial=initial)
    if form.is_valid():
        data = form.changed_resident_data()
        if not data:
            messages.info(request, _("没有修改任何内容。"))
            return redirect("households:detail", pk=household.pk)
        try:
            services.resident_update(actor=request.user, resident=resident, data=data)
        except ValidationError as error:
            form.add_service_error(error)
            resident.refresh_from_db()  # the service set the typed values on it before they failed
        else:
            messages.success(request, _("已保存：%(name)s") % {"name": resident.name})
            return redirect("households:detail", pk=household.pk)
    return render(
        request, "households/resident_form.html", {"form": form, "household": household, "resident": resident}
    )
