"""Admin pages of the visit diary, the quota rules and the visit-service day, every one scoped by visible_to(user).

Visits are records: written through visits.services (so each change is audited and the scope and date rules
apply), never deleted, and editable only where visits.services would accept the change (VisitQuerySet.editable_by:
one's own visits, until a spot-check has looked at them). Quota rules are the office's numbers: system
administrators change them, leaders read them. The visit-service day belongs to a street: its system
administrators and street leaders change it.
"""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import Max, Min, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from visits.models import QuotaRule, ServiceDayMove, ServiceDayRule, Visit, VisitQuerySet
from visits.selectors import OTHER_TARGETS, visit_admin_search
from visits.services import DIARY_FIELDS, check_companions, check_target_in_scope, visit_create, visit_update
from wenxin.admin_base import ScopedAdmin
from wenxin.models import User
from wenxin.paginators import EstimatedCountPaginator

TARGET_RELATIONS = (
    "household__estate",
    "estate",
    "enterprise",
    "owners_committee",
    "property_company",
    "paired_village",
    "target_community",
)


def _adopt(obj: models.Model, saved: models.Model) -> None:
    """Make the admin's in-memory object the row a service saved, for the log entry and redirect that follow."""
    for field in saved._meta.concrete_fields:
        setattr(obj, field.attname, getattr(saved, field.attname))
    obj._state.adding = False
    obj._state.db = saved._state.db


# --- Visits -------------------------------------------------------------------------------------------------------


class VisitAdminForm(forms.ModelForm):
    """The diary entry, checked the way visits.services checks it, so a refusal is a message on the form.

    The admin sets `user` (who is saving) on the form class; the visitor is that user for a new visit and stays
    the original visitor for a change.
    """

    user: User | None = None

    class Meta:
        model = Visit
        fields = ("visited_on", "kind", *Visit.TARGET_FIELDS, "companions", *DIARY_FIELDS)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if self.errors or self.user is None:
            return cleaned
        visitor = self.instance.visitor if self.instance.pk else self.user
        # What the service will check: the target in the scope of the one saving (a household still registered)
        # and the companions in the visitor's. The model's own rules (a target for the kind, no future date) run
        # after this, in the form's model validation.
        trial = Visit(kind=cleaned.get("kind") or self.instance.kind)
        for field in Visit.TARGET_FIELDS:
            setattr(trial, field, cleaned.get(field))
        try:
            if Visit.TARGET_FIELD.get(trial.kind) and trial.target is not None:
                check_target_in_scope(trial, self.user)
            check_companions(cleaned.get("companions") or [], visitor)
        except ValidationError as error:
            self.add_error(None, error)
        return cleaned


class CalendarVisitQuerySet(VisitQuerySet):
    """The admin's visits, whose date drill-down reads the first and last date instead of every visit.

    Django's date hierarchy lists the years (or a year's months) that have visits with SELECT DISTINCT over the
    whole list: every one of a city's millions of visits, on each page (docs/performance.md). Here the years and
    months are those between the first and the last visit, found with MIN and MAX through the date index; a
    month without any visit in between shows an empty list when chosen. Days are still read as Django does,
    from one month's visits.
    """

    def dates(self, field_name: str, kind: str, order: str = "ASC") -> list[datetime.date]:
        if kind not in ("year", "month"):
            return super().dates(field_name, kind, order)
        bounds = self.aggregate(first=Min(field_name), last=Max(field_name))
        first, last = bounds["first"], bounds["last"]
        days: list[datetime.date] = []
        day = first.replace(month=1 if kind == "year" else first.month, day=1) if first else None
        while day is not None and day <= last:
            days.append(day)
            day = (
                day.replace(year=day.year + 1) if kind == "year" else (day + datetime.timedelta(days=31)).replace(day=1)
            )
        return days if order == "ASC" else days[::-1]


class SpotCheckedFilter(admin.SimpleListFilter):
    title = _("抽查情况")
    parameter_name = "spot_checked"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("yes", _("已抽查")), ("no", _("未抽查"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Visit]) -> QuerySet[Visit]:
        if self.value() == "yes":
            return queryset.filter(spot_checked_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(spot_checked_at__isnull=True)
        return queryset


@admin.register(Visit)
class VisitAdmin(ScopedAdmin):
    form = VisitAdminForm
    fieldsets = (
        (_("走访"), {"fields": ("visitor", "visited_on", "kind", "companions")}),
        (_("走访对象"), {"fields": Visit.TARGET_FIELDS, "description": _("按走访类型只填写一项。")}),
        (_("民情日记"), {"fields": DIARY_FIELDS}),
        (_("记录信息"), {"fields": ("street", "community", "created_at", "updated_at", "spot_checked_at")}),
    )
    readonly_fields = ("visitor", "street", "community", "created_at", "updated_at", "spot_checked_at")
    list_display = ("visited_on", "visitor", "kind", "target_name", "community", "follow_up", "spot_checked")
    # The other targets come by prefetch (get_queryset): as joins, PostgreSQL took 120 ms to plan the page.
    list_select_related = ("visitor", "community", "household__estate")
    list_filter = ("kind", "community", SpotCheckedFilter)
    date_hierarchy = "visited_on"
    # What the search box matches; the search itself is visit_admin_search (get_search_results), which finds each
    # of these through its own index.
    search_fields = (
        "visitor__full_name",
        "visitor__username",
        "household__estate__name",
        "household__building",
        "household__unit",
        "household__room",
        "difficulty",
    )
    autocomplete_fields = (*Visit.TARGET_FIELDS, "companions")
    ordering = ("-visited_on", "-created_at")
    # Counting every visit in scope again for "n total" costs a query over the whole table on each page; the list
    # itself is counted up to a limit, then estimated, and its filters come from the small tables.
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    list_filter_in_scope = True

    def get_queryset(self, request: HttpRequest) -> QuerySet[Visit]:
        queryset = super().get_queryset(request).prefetch_related(*OTHER_TARGETS)
        # The same query as a CalendarVisitQuerySet (no other state), for the date drill-down.
        queryset.__class__ = CalendarVisitQuerySet
        return queryset

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Visit], search_term: str
    ) -> tuple[QuerySet[Visit], bool]:
        return visit_admin_search(queryset, search_term), False

    def get_fieldsets(self, request: HttpRequest, obj: Visit | None = None) -> Any:
        if obj is None:
            # A new visit is the writer's own; where it belongs and when it was written follow from saving it.
            return [
                (name, {**options, "fields": [f for f in options["fields"] if f != "visitor"]})
                for name, options in self.fieldsets[:-1]
            ]
        return self.fieldsets

    def get_form(self, request: HttpRequest, obj: Visit | None = None, change: bool = False, **kwargs: Any):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.user = request.user  # a class made for this request by modelform_factory
        return form

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def has_delete_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        # Visits are records: not deleted by anyone, superusers included.
        return False

    def has_change_permission(self, request: HttpRequest, obj: Visit | None = None) -> bool:
        # The same door as visit_update: one's own visits (all of them for system administrators), until a
        # spot-check has looked at them. Anything else in scope is shown read-only.
        if not super().has_change_permission(request, obj):
            return False
        if obj is None or obj.pk is None:
            return True
        answers = request.__dict__.setdefault("_visit_editable_answers", {})
        if obj.pk not in answers:
            answers[obj.pk] = Visit.objects.editable_by(request.user).filter(pk=obj.pk).exists()
        return answers[obj.pk]

    @admin.display(description=_("走访对象"))
    def target_name(self, obj: Visit) -> str:
        return str(obj.target or "")

    @admin.display(description=_("跟进情况"), ordering="follow_up_by")
    def follow_up(self, obj: Visit) -> str:
        if not obj.follow_up_needed:
            return ""
        return _("需跟进（%(date)s前）") % {"date": obj.follow_up_by} if obj.follow_up_by else _("需跟进")

    @admin.display(description=_("已抽查"), boolean=True, ordering="spot_checked_at")
    def spot_checked(self, obj: Visit) -> bool:
        return obj.is_spot_checked

    def save_model(self, request: HttpRequest, obj: Visit, form: forms.ModelForm, change: bool) -> None:
        data = {name: form.cleaned_data.get(name) for name in ("visited_on", "kind", *Visit.TARGET_FIELDS)}
        data.update({name: form.cleaned_data[name] for name in DIARY_FIELDS if name in form.cleaned_data})
        companions = form.cleaned_data.get("companions")
        if change:
            visit = Visit.objects.editable_by(request.user).filter(pk=obj.pk).first()
            if visit is None:
                raise PermissionDenied
            saved = visit_update(actor=request.user, visit=visit, data=data, companions=companions)
        else:
            # A new visit is the diary of the one writing it: visit_create records the visitor as its author.
            fields = {name: value for name, value in data.items() if name not in Visit.TARGET_FIELDS or value}
            saved = visit_create(visitor=request.user, companions=companions or (), **fields)
        _adopt(obj, saved)

    def save_related(self, request: HttpRequest, form: forms.ModelForm, formsets: list, change: bool) -> None:
        # The companions were written (and audited) by the service in save_model: no form.save_m2m() here.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)


# --- Quota rules ----------------------------------------------------------------------------------------------


@admin.register(QuotaRule)
class QuotaRuleAdmin(ScopedAdmin):
    """The households-per-quarter target of a role, or of one person (which wins over the role's)."""

    fields = ("role", "user", "households_per_quarter", "note")
    list_display = ("role", "user", "households_per_quarter", "note")
    list_select_related = ("user",)
    list_filter = ("role",)
    search_fields = ("user__full_name", "user__username", "note")
    autocomplete_fields = ("user",)

    def _may_change(self, request: HttpRequest, obj: QuotaRule | None) -> bool:
        # A role's rule counts in every street: only those who see every street may touch it.
        return obj is None or obj.user_id is not None or request.user.sees_everything

    def has_change_permission(self, request: HttpRequest, obj: QuotaRule | None = None) -> bool:
        return super().has_change_permission(request, obj) and self._may_change(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: QuotaRule | None = None) -> bool:
        return super().has_delete_permission(request, obj) and self._may_change(request, obj)

    def save_model(self, request: HttpRequest, obj: QuotaRule, form: forms.ModelForm, change: bool) -> None:
        if not obj.user_id and not request.user.sees_everything:
            raise PermissionDenied
        super().save_model(request, obj, form, change)


# --- The visit-service day ------------------------------------------------------------------------------------


@admin.register(ServiceDayRule)
class ServiceDayRuleAdmin(ScopedAdmin):
    list_display = ("street", "day_of_month")
    list_select_related = ("street",)
    fields = ("street", "day_of_month")


@admin.register(ServiceDayMove)
class ServiceDayMoveAdmin(ScopedAdmin):
    list_display = ("month_name", "moved_to", "reason", "street")
    list_select_related = ("street",)
    list_filter = ("street",)
    date_hierarchy = "month"
    fields = ("street", "month", "moved_to", "reason")

    @admin.display(description=_("月份"), ordering="month")
    def month_name(self, obj: ServiceDayMove) -> str:
        return f"{obj.month:%Y-%m}"
