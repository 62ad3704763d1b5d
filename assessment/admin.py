"""Admin pages of the assessment (三必到三测评), the leaders' tool: every page scoped by visible_to(user).

Spot-checks are created, drawn and recorded through assessment.services (so who may check whom, the stored seed
and the audit trail all apply): the add form calls spot_check_create, the action "抽取样本" calls spot_check_draw
and the inline of sampled visits calls spot_check_record per changed row. Only the checker changes a spot-check.
Evaluations are added through evaluation_record and are not changed afterwards (see EvaluationAdmin). Cadres'
links and the assessment rule are the office's settings, kept here like the quota rules. Verifications are
written on the community leader's page and only read here.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import Count, Max, Min, Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from assessment.models import AssessmentRule, CadreLink, Evaluation, SpotCheck, SpotCheckItem, VisitVerification
from assessment.services import (
    EVALUATION_FIELDS,
    SPOT_CHECK_FIELDS,
    check_may_record,
    check_may_spot_check,
    evaluation_record,
    may_record_evaluation,
    spot_check_create,
    spot_check_draw,
    spot_check_record,
    spot_check_update,
)
from visits.admin import TARGET_RELATIONS
from visits.periods import Quarter
from wenxin.admin_base import ReadOnlyAdminMixin, ScopedAdmin, ScopedTabularInline
from wenxin.models import User

# The sampling set-up of a spot-check: fixed once the sample is drawn, so the draw can be reproduced from it.
SAMPLING_FIELDS = tuple(name for name in SPOT_CHECK_FIELDS if name != "note")
RECORD_FIELDS = ("checker", "street", "seed", "population_size", "drawn_at", "created_at")
# How many quarters a period filter offers, newest first.
QUARTERS_OFFERED = 12


def _adopt(obj: models.Model, saved: models.Model) -> None:
    """Make the admin's in-memory object the row a service saved, for the log entry and redirect that follow."""
    for field in saved._meta.concrete_fields:
        setattr(obj, field.attname, getattr(saved, field.attname))
    obj._state.adding = False
    obj._state.db = saved._state.db


def _add_errors(form: forms.Form, error: ValidationError) -> None:
    """Show a service's refusal on the form: by field where the form has the field, above the form otherwise."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, messages_ in error.message_dict.items():
        form.add_error(name if name in form.fields else None, messages_)


def _reason(error: ValidationError | PermissionDenied) -> str:
    if isinstance(error, PermissionDenied):
        return str(_("您没有权限。"))
    return " ".join(str(message) for message in error.messages)


def spot_check_levels(request: HttpRequest) -> list[str]:
    """The spot-check levels the user may run (check_may_spot_check), asked once per request."""
    if not hasattr(request, "_spot_check_levels"):
        user = request.user
        levels = []
        for level in SpotCheck.Level.values:
            # A community leader checks his own community only: ask with it, as his add form will.
            community = user.community if level == SpotCheck.Level.COMMUNITY and user.is_community_leader else None
            try:
                check_may_spot_check(user, level=level, community=community)
            except (ValidationError, PermissionDenied):
                continue
            levels.append(level)
        request._spot_check_levels = levels
    return request._spot_check_levels


def last_quarter() -> Quarter:
    """The quarter a leader assesses by default: the one that has just ended."""
    return Quarter.current().previous()


def assessment_links() -> list[tuple[str, str]]:
    """Links to the assessment pages, where the URL conf has them."""
    links = []
    for name, label in (("assessment:three_musts", _("三必到落实情况")), ("assessment:scorecard", _("季度考核计分"))):
        try:
            links.append((reverse(name), str(label)))
        except NoReverseMatch:
            continue
    return links


# --- Filters ------------------------------------------------------------------------------------------------------


class QuarterFilter(admin.SimpleListFilter):
    """Rows whose dates [start_field, end_field] overlap a calendar quarter; offers the quarters rows exist in."""

    title = _("季度")
    parameter_name = "quarter"
    start_field = ""
    end_field = ""

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        # From the scoped rows without the changelist's annotations: one small aggregate query.
        rows = model_admin.model._default_manager.visible_to(request.user)
        bounds = rows.aggregate(first=Min(self.start_field), last=Max(self.end_field))
        if bounds["first"] is None or bounds["last"] is None:
            return []
        first, quarter = Quarter.containing(bounds["first"]), Quarter.containing(bounds["last"])
        choices = []
        while quarter >= first and len(choices) < QUARTERS_OFFERED:
            choices.append((quarter.slug, str(quarter)))
            quarter = quarter.previous()
        return choices

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        quarter = Quarter.parse(self.value())
        if quarter is None:
            return queryset
        return queryset.filter(**{f"{self.start_field}__lte": quarter.end, f"{self.end_field}__gte": quarter.start})


class SpotCheckQuarterFilter(QuarterFilter):
    title = _("抽查期间")
    start_field = "period_start"
    end_field = "period_end"


class VisitQuarterFilter(QuarterFilter):
    title = _("走访季度")
    start_field = end_field = "visit__visited_on"


class ItemResultFilter(admin.SimpleListFilter):
    """Spot-checks with at least one sampled visit of the result (or still to check)."""

    title = _("核查结果")
    parameter_name = "result"
    PENDING = "pending"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [*SpotCheckItem.Result.choices, (self.PENDING, _("待核查"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[SpotCheck]) -> QuerySet[SpotCheck]:
        value = self.value()
        if value == self.PENDING:
            value = ""
        elif value not in SpotCheckItem.Result.values:
            return queryset
        # A subquery, not a join: the join would multiply rows and the item counts of the list.
        return queryset.filter(pk__in=SpotCheckItem.objects.filter(result=value).values("spot_check_id"))


class EvaluationQuarterFilter(admin.SimpleListFilter):
    title = _("季度")
    parameter_name = "quarter"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        periods = (
            Evaluation.objects.visible_to(request.user)
            .order_by("-year", "-quarter")
            .values_list("year", "quarter")
            .distinct()[:QUARTERS_OFFERED]
        )
        return [(Quarter(year, number).slug, str(Quarter(year, number))) for year, number in periods]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Evaluation]) -> QuerySet[Evaluation]:
        quarter = Quarter.parse(self.value())
        if quarter is None:
            return queryset
        return queryset.filter(year=quarter.year, quarter=quarter.number)


# --- Spot-checks ------------------------------------------------------------------------------------------------


def _is_checker(user: User, spot_check: SpotCheck) -> bool:
    # The services let the checker (and system administrators) change, draw and record a spot-check.
    return user.sees_everything or spot_check.checker_id == user.pk


class SpotCheckAdminForm(forms.ModelForm):
    """The set-up of a spot-check, refused on the form for the reasons check_may_spot_check gives.

    The admin sets `user` (who is saving) on the form class, a class made for the request by modelform_factory.
    """

    user: User | None = None

    class Meta:
        model = SpotCheck
        fields = SPOT_CHECK_FIELDS

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if self.errors or self.user is None or "level" not in self.fields:
            return cleaned
        if not self.user.street_id and not (cleaned.get("community") or cleaned.get("department")):
            # spot_check_create takes the street from the checker, or else from the community or department.
            self.add_error(None, _("您不属于任何街道：请选择村社或科室，以确定抽查哪个街道。"))
            return cleaned
        try:
            check_may_spot_check(
                self.user,
                level=cleaned.get("level"),
                department=cleaned.get("department"),
                community=cleaned.get("community"),
            )
        except ValidationError as error:
            _add_errors(self, error)
        return cleaned


class SpotCheckItemForm(forms.ModelForm):
    """One sampled visit's check, refused on the row for the reasons check_may_record gives."""

    user: User | None = None

    class Meta:
        model = SpotCheckItem
        fields = ("method", "result", "note")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if self.errors or self.user is None or self.instance.pk is None or not self.has_changed():
            return cleaned
        try:
            check_may_record(
                self.user,
                self.instance,
                method=cleaned.get("method") or "",
                result=cleaned.get("result") or "",
                note=cleaned.get("note") or "",
            )
        except ValidationError as error:
            _add_errors(self, error)
        return cleaned


class SampledVisitColumns:
    """The sampled visit's date (a link to it), visitor, kind and target: read from select_related rows."""

    @admin.display(description=_("走访日期"), ordering="visit__visited_on")
    def visit_date(self, obj: SpotCheckItem) -> str:
        url = reverse("admin:visits_visit_change", args=[obj.visit_id])
        return format_html('<a href="{}">{}</a>', url, obj.visit.visited_on)

    @admin.display(description=_("走访人"), ordering="visit__visitor__full_name")
    def visitor(self, obj: SpotCheckItem) -> User:
        return obj.visit.visitor

    @admin.display(description=_("走访类型"), ordering="visit__kind")
    def visit_kind(self, obj: SpotCheckItem) -> str:
        return obj.visit.get_kind_display()

    @admin.display(description=_("走访对象"))
    def visit_target(self, obj: SpotCheckItem) -> str:
        return str(obj.visit.target or "")


ITEM_RELATIONS = ("spot_check", "checked_by", "visit__visitor", *(f"visit__{name}" for name in TARGET_RELATIONS))


class SpotCheckItemInline(SampledVisitColumns, ScopedTabularInline):
    """The sampled visits of a drawn spot-check: the checker records method, result and note; nothing is added or
    removed by hand (the sample is the draw's)."""

    model = SpotCheckItem
    form = SpotCheckItemForm
    fields = (
        "visit_date",
        "visitor",
        "visit_kind",
        "visit_target",
        "method",
        "result",
        "note",
        "checked_by",
        "checked_at",
    )
    readonly_fields = ("visit_date", "visitor", "visit_kind", "visit_target", "checked_by", "checked_at")
    extra = 0
    can_delete = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[SpotCheckItem]:
        return super().get_queryset(request).select_related(*ITEM_RELATIONS)

    def get_formset(self, request: HttpRequest, obj: SpotCheck | None = None, **kwargs: Any):
        formset = super().get_formset(request, obj, **kwargs)
        formset.form.user = request.user  # a form class made for this request
        return formset

    def has_add_permission(self, request: HttpRequest, obj: SpotCheck | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: SpotCheck | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: SpotCheck | None = None) -> bool:
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or _is_checker(request.user, obj))


@admin.register(SpotCheck)
class SpotCheckAdmin(ScopedAdmin):
    """Spot-checks of one level's visits in a period: create, draw the sample (action), record results inline."""

    form = SpotCheckAdminForm
    inlines = [SpotCheckItemInline]
    list_display = (
        "level",
        "period",
        "checker",
        "population_size",
        "sample_count",
        "checked_count",
        "confirmed_count",
        "not_confirmed_count",
        "discrepancy_count",
        "drawn",
    )
    list_display_links = ("level",)
    list_select_related = ("checker", "community", "department")
    list_filter = ("level", SpotCheckQuarterFilter, "checker", ItemResultFilter)
    search_fields = ("checker__full_name", "checker__username", "note", "community__name", "department__name")
    autocomplete_fields = ("department", "community")
    actions = ["draw_sample"]
    ordering = ("-period_end", "-pk")
    fieldsets = (
        (_("抽查范围"), {"fields": ("level", "department", "community", "period_start", "period_end")}),
        (_("抽样"), {"fields": ("sample_mode", "sample_value", "note")}),
        (_("抽样记录"), {"fields": RECORD_FIELDS}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[SpotCheck]:
        # The tallies of the list in the same query as its rows.
        result = "items__result"
        return (
            super()
            .get_queryset(request)
            .annotate(
                n_items=Count("items"),
                n_checked=Count("items", filter=~Q(**{result: ""})),
                n_confirmed=Count("items", filter=Q(**{result: SpotCheckItem.Result.CONFIRMED})),
                n_not_confirmed=Count("items", filter=Q(**{result: SpotCheckItem.Result.NOT_CONFIRMED})),
                n_discrepancy=Count("items", filter=Q(**{result: SpotCheckItem.Result.DISCREPANCY})),
            )
        )

    def get_fieldsets(self, request: HttpRequest, obj: SpotCheck | None = None) -> Any:
        return self.fieldsets if obj is not None else self.fieldsets[:-1]

    def get_readonly_fields(self, request: HttpRequest, obj: SpotCheck | None = None) -> tuple[str, ...]:
        if obj is None:
            return ()
        if obj.is_drawn:
            return (*SAMPLING_FIELDS, *RECORD_FIELDS)
        return RECORD_FIELDS

    def get_inlines(self, request: HttpRequest, obj: SpotCheck | None) -> list:
        return self.inlines if obj is not None and obj.is_drawn else []

    def get_form(self, request: HttpRequest, obj: SpotCheck | None = None, change: bool = False, **kwargs: Any):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.user = request.user  # a class made for this request by modelform_factory
        if "level" in form.base_fields:
            allowed = spot_check_levels(request)
            form.base_fields["level"].choices = [
                ("", "---------"),
                *((value, label) for value, label in SpotCheck.Level.choices if value in allowed),
            ]
        return form

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        quarter = last_quarter()
        initial = {
            "period_start": quarter.start,
            "period_end": quarter.end,
            **super().get_changeform_initial_data(request),
        }
        levels = spot_check_levels(request)
        if len(levels) == 1:
            initial.setdefault("level", levels[0])
        if request.user.is_community_leader and request.user.community_id:
            initial.setdefault("community", request.user.community_id)
        return initial

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and bool(spot_check_levels(request))

    def has_change_permission(self, request: HttpRequest, obj: SpotCheck | None = None) -> bool:
        # Anyone else in scope reads the spot-check: the services let only its checker change it.
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or _is_checker(request.user, obj))

    def has_delete_permission(self, request: HttpRequest, obj: SpotCheck | None = None) -> bool:
        # A spot-check is a record of who checked what; it is not deleted.
        return False

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        return super().changelist_view(request, {"assessment_links": assessment_links(), **(extra_context or {})})

    # Columns

    @admin.display(description=_("抽查期间"), ordering="period_start")
    def period(self, obj: SpotCheck) -> str:
        quarter = Quarter.containing(obj.period_start)
        if (obj.period_start, obj.period_end) == (quarter.start, quarter.end):
            return str(quarter)
        return f"{obj.period_start} — {obj.period_end}"

    @admin.display(description=_("抽样数"), ordering="n_items")
    def sample_count(self, obj: SpotCheck) -> int:
        return obj.n_items

    @admin.display(description=_("已核查"), ordering="n_checked")
    def checked_count(self, obj: SpotCheck) -> int:
        return obj.n_checked

    @admin.display(description=_("属实"), ordering="n_confirmed")
    def confirmed_count(self, obj: SpotCheck) -> int:
        return obj.n_confirmed

    @admin.display(description=_("不属实"), ordering="n_not_confirmed")
    def not_confirmed_count(self, obj: SpotCheck) -> int:
        return obj.n_not_confirmed

    @admin.display(description=_("有出入"), ordering="n_discrepancy")
    def discrepancy_count(self, obj: SpotCheck) -> int:
        return obj.n_discrepancy

    @admin.display(description=_("已抽样"), boolean=True, ordering="drawn_at")
    def drawn(self, obj: SpotCheck) -> bool:
        return obj.is_drawn

    # Writes, through the services

    @admin.action(description=_("抽取样本"), permissions=["change"])
    def draw_sample(self, request: HttpRequest, queryset: QuerySet[SpotCheck]) -> None:
        for spot_check in queryset:
            try:
                items = spot_check_draw(actor=request.user, spot_check=spot_check)
            except (ValidationError, PermissionDenied) as error:
                message = _("%(spot_check)s：未抽样，%(reason)s") % {
                    "spot_check": spot_check,
                    "reason": _reason(error),
                }
                self.message_user(request, message, messages.ERROR)
                continue
            spot_check.refresh_from_db(fields=["population_size"])
            message = _("%(spot_check)s：已从 %(population)d 条走访中抽取 %(count)d 条。") % {
                "spot_check": spot_check,
                "population": spot_check.population_size,
                "count": len(items),
            }
            self.message_user(request, message, messages.SUCCESS)

    def save_model(self, request: HttpRequest, obj: SpotCheck, form: forms.ModelForm, change: bool) -> None:
        data = {name: form.cleaned_data[name] for name in SPOT_CHECK_FIELDS if name in form.cleaned_data}
        if not change:
            saved = spot_check_create(checker=request.user, **data)
        else:
            changed = {name: value for name, value in data.items() if name in form.changed_data}
            if not changed:
                return
            try:
                saved = spot_check_update(actor=request.user, spot_check=obj, **changed)
            except ValidationError as error:
                # The form asked the same questions; only a concurrent draw gets here.
                self.message_user(request, _reason(error), messages.ERROR)
                request._spot_check_refused = True
                return
        _adopt(obj, saved)

    def save_formset(self, request: HttpRequest, form: forms.ModelForm, formset: Any, change: bool) -> None:
        if formset.model is not SpotCheckItem:
            super().save_formset(request, form, formset, change)
            return
        # Each changed row through spot_check_record (audited, marks the visit checked); nothing else is saved.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for item_form in formset.initial_forms:
            item = item_form.instance
            if item.pk is None or item.spot_check_id != form.instance.pk or not item_form.has_changed():
                continue
            data = item_form.cleaned_data
            try:
                saved = spot_check_record(
                    actor=request.user,
                    item=item,
                    method=data.get("method") or "",
                    result=data.get("result") or "",
                    note=data.get("note") or "",
                )
            except (ValidationError, PermissionDenied) as error:
                message = _("%(visit)s 未保存：%(reason)s") % {"visit": item.visit, "reason": _reason(error)}
                self.message_user(request, message, messages.ERROR)
                request._spot_check_refused = True
                continue
            formset.changed_objects.append((saved, item_form.changed_data))

    def response_change(self, request: HttpRequest, obj: SpotCheck) -> HttpResponse:
        if getattr(request, "_spot_check_refused", False):
            # Back to the page with the refusal, rather than "changed successfully".
            return HttpResponseRedirect(request.path)
        return super().response_change(request, obj)


@admin.register(SpotCheckItem)
class SpotCheckItemAdmin(SampledVisitColumns, ReadOnlyAdminMixin, ScopedAdmin):
    """Every sampled visit across spot-checks, to filter by result, level, visitor and quarter; recorded on the
    spot-check's page only."""

    list_display = (
        "visit_date",
        "visitor",
        "visit_kind",
        "visit_target",
        "spot_check_link",
        "method",
        "result",
        "note",
        "checked_by",
        "checked_at",
    )
    list_display_links = None
    list_select_related = ITEM_RELATIONS
    list_filter = ("result", "method", "spot_check__level", VisitQuarterFilter, "visit__visitor")
    search_fields = ("visit__visitor__full_name", "visit__visitor__username", "note")
    fields = ("spot_check", "visit", "method", "result", "note", "checked_by", "checked_at")
    readonly_fields = fields
    ordering = ("-visit__visited_on", "pk")
    show_full_result_count = False

    @admin.display(description=_("抽查"), ordering="spot_check__period_end")
    def spot_check_link(self, obj: SpotCheckItem) -> str:
        url = reverse("admin:assessment_spotcheck_change", args=[obj.spot_check_id])
        return format_html('<a href="{}">{}</a>', url, obj.spot_check)


# --- Verification by the community main leader ------------------------------------------------------------------


@admin.register(VisitVerification)
class VisitVerificationAdmin(ReadOnlyAdminMixin, ScopedAdmin):
    """Verifications are written on the community leader's page (visit_verify); leaders read them here."""

    list_display = ("visited_on", "visitor", "community", "status", "note", "verified_by", "verified_at")
    list_select_related = ("visit__visitor", "visit__community", "verified_by")
    list_filter = ("status", VisitQuarterFilter, "visit__community", "verified_by")
    search_fields = ("visit__visitor__full_name", "visit__visitor__username", "note")
    fields = ("visit", "status", "note", "verified_by", "verified_at")
    readonly_fields = fields
    date_hierarchy = "verified_at"

    @admin.display(description=_("走访日期"), ordering="visit__visited_on")
    def visited_on(self, obj: VisitVerification) -> Any:
        return obj.visit.visited_on

    @admin.display(description=_("走访人"), ordering="visit__visitor__full_name")
    def visitor(self, obj: VisitVerification) -> User:
        return obj.visit.visitor

    @admin.display(description=_("村社"), ordering="visit__community__name")
    def community(self, obj: VisitVerification) -> Any:
        return obj.visit.community


# --- Three musts: cadres' links and the assessment rule --------------------------------------------------------


@admin.register(CadreLink)
class CadreLinkAdmin(ScopedAdmin):
    """Which community or estate each district-managed cadre must visit (三必到); the office's data."""

    list_display = ("cadre", "community", "estate", "starts_on", "ends_on")
    list_select_related = ("cadre", "community", "estate")
    list_filter = ("community", "cadre")
    search_fields = ("cadre__full_name", "cadre__username", "community__name", "estate__name")
    # Scoped by ScopedAdmin; the cadre's field also keeps limit_choices_to (role cadre), autocomplete included.
    autocomplete_fields = ("cadre", "community", "estate")
    fields = ("cadre", "community", "estate", "starts_on", "ends_on")
    date_hierarchy = "starts_on"

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        return super().changelist_view(request, {"assessment_links": assessment_links(), **(extra_context or {})})


@admin.register(AssessmentRule)
class AssessmentRuleAdmin(ScopedAdmin):
    """A street's three-musts period and scorecard weights: numbers the office may change (STYLE rule 5)."""

    list_display = ("street", "three_musts_months", *AssessmentRule.WEIGHT_FIELDS)
    list_select_related = ("street",)
    fieldsets = (
        (None, {"fields": ("street", "three_musts_months")}),
        (_("计分权重"), {"fields": AssessmentRule.WEIGHT_FIELDS}),
    )

    def get_readonly_fields(self, request: HttpRequest, obj: AssessmentRule | None = None) -> tuple[str, ...]:
        # A street's rule stays that street's.
        return ("street",) if obj is not None else ()

    def has_delete_permission(self, request: HttpRequest, obj: AssessmentRule | None = None) -> bool:
        return False


# --- The three evaluations -------------------------------------------------------------------------------------


class EvaluationAdminForm(forms.ModelForm):
    """An evaluation as evaluation_record takes it; who may record it is asked here, so a refusal is a message."""

    user: User | None = None

    class Meta:
        model = Evaluation
        fields = EVALUATION_FIELDS

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if self.errors or self.user is None:
            return cleaned
        trial = Evaluation(**{name: cleaned.get(name) for name in EVALUATION_FIELDS if name in cleaned})
        if not may_record_evaluation(self.user, trial):
            self.add_error(None, _("您不能录入这类测评。"))
        # The street evaluation_record files it under: the subject's, or else the one recording it.
        subject = trial.person or trial.community or trial.department
        street_id = getattr(subject, "street_id", None) or self.user.street_id
        if subject is not None and street_id is None:
            self.add_error(None, _("被测评对象不属于任何街道。"))
        elif subject is not None and not self.user.sees_everything and street_id != self.user.street_id:
            self.add_error(None, _("被测评对象不在您的街道。"))
        return cleaned


@admin.register(Evaluation)
class EvaluationAdmin(ScopedAdmin):
    """The three evaluations per quarter. Added through evaluation_record (audited) and then kept as recorded:
    the quarter's scorecard is read from them, and there is no audited correction in the services yet."""

    form = EvaluationAdminForm
    list_display = ("period", "kind", "subject", "giver", "score", "respondents", "recorded_by", "created_at")
    list_select_related = ("person", "community", "department", "by_community", "by_department", "recorded_by")
    list_filter = (EvaluationQuarterFilter, "kind", "community", "department", "person")
    search_fields = ("person__full_name", "person__username", "community__name", "department__name", "comment")
    autocomplete_fields = ("person", "community", "department", "by_community", "by_department")
    fieldsets = (
        (None, {"fields": ("kind", "year", "quarter")}),
        (_("被测评对象"), {"fields": ("person", "community", "department"), "description": _("只选一项。")}),
        (_("评价方（仅双向互评）"), {"fields": ("by_community", "by_department")}),
        (_("结果"), {"fields": ("score", "respondents", "comment")}),
    )

    def get_fieldsets(self, request: HttpRequest, obj: Evaluation | None = None) -> Any:
        if obj is None:
            return self.fieldsets
        return (*self.fieldsets, (_("录入"), {"fields": ("street", "recorded_by", "created_at")}))

    def get_form(self, request: HttpRequest, obj: Evaluation | None = None, change: bool = False, **kwargs: Any):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.user = request.user  # a class made for this request by modelform_factory
        return form

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        quarter = last_quarter()
        return {"year": quarter.year, "quarter": quarter.number, **super().get_changeform_initial_data(request)}

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def has_change_permission(self, request: HttpRequest, obj: Evaluation | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Evaluation | None = None) -> bool:
        return False

    @admin.display(description=_("季度"), ordering="year")
    def period(self, obj: Evaluation) -> str:
        return str(Quarter(obj.year, obj.quarter))

    @admin.display(description=_("被测评对象"))
    def subject(self, obj: Evaluation) -> Any:
        return obj.person or obj.community or obj.department

    @admin.display(description=_("评价方"))
    def giver(self, obj: Evaluation) -> Any:
        return obj.by_community or obj.by_department or ""

    def save_model(self, request: HttpRequest, obj: Evaluation, form: forms.ModelForm, change: bool) -> None:
        if change:
            raise PermissionDenied
        fields = {name: form.cleaned_data.get(name) for name in EVALUATION_FIELDS if name in form.cleaned_data}
        _adopt(obj, evaluation_record(actor=request.user, **fields))
