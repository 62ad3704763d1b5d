"""The base of every admin page: rows, form choices, list filters and autocomplete start from visible_to(user).

The Django admin is a leaders' tool (STYLE rule 11), and it is one more door to the data (rule 1): a changelist,
a change page, a foreign-key select, an autocomplete answer and a list filter must show a leader of one street
nothing of another. ScopedAdmin makes that the default, so a model admin only has to say what to show.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.exceptions import NotRegistered
from django.contrib.admin.utils import get_fields_from_path
from django.core import checks
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest


def visible_queryset(model: type[models.Model], request: HttpRequest, *, using: str | None = None) -> QuerySet | None:
    """The rows of `model` the requesting user may see, or None when the model has no visible_to(user)."""
    manager = model._default_manager.db_manager(using) if using else model._default_manager
    if not hasattr(manager, "visible_to"):
        return None
    return manager.visible_to(request.user)


class ScopedChoicesMixin:
    """Foreign-key and many-to-many choices (selects and autocomplete widgets) limited to the user's scope."""

    def get_field_queryset(self, db: str | None, db_field: models.Field, request: HttpRequest) -> QuerySet | None:
        # Django asks this for every ForeignKey and ManyToManyField form field (formfield_for_foreignkey and
        # formfield_for_manytomany), so scoping it here covers both, for model admins and inlines alike.
        related_model = db_field.remote_field.model
        queryset = visible_queryset(related_model, request, using=db)
        if queryset is None:
            return super().get_field_queryset(db, db_field, request)
        try:
            ordering = self.admin_site.get_model_admin(related_model).get_ordering(request)
        except NotRegistered:
            ordering = None
        return queryset.order_by(*ordering) if ordering else queryset


class InScopeRelatedFieldListFilter(admin.RelatedFieldListFilter):
    """A relation's list filter naming the related rows the user may see (their visible_to), ordered as their admin.

    RelatedOnlyFieldListFilter finds the related rows a list uses with a SELECT DISTINCT over the whole list, on
    every page: for a city's households or visits, millions of rows read for a sidebar (docs/performance.md).
    The related table's visible_to(user) keeps the same promise, nothing of another street, from a small table.
    """

    # A filter of more choices than this (a system administrator's 5,000 grid areas of a city) is left out: a
    # list nobody can scan cost 0.2 s to draw on every page; the search box finds a place instead.
    max_choices = 300

    def field_choices(self, field: models.Field, request: HttpRequest, model_admin: admin.ModelAdmin) -> list:
        # Field.get_choices, reading at most one row more than a filter shows: a system administrator's filters
        # read every estate and grid area of a city (9,200 rows, 90 ms a page) only to be left out.
        ordering = self.field_admin_ordering(field, request, model_admin)
        related = visible_queryset(field.related_model, request)
        if related is None:
            related = field.related_model._default_manager.all()
        if ordering:
            related = related.order_by(*ordering)
        key = field.remote_field.get_related_field().attname
        return [(getattr(row, key), str(row)) for row in related[: self.max_choices + 1]]

    def has_output(self) -> bool:
        return super().has_output() and len(self.lookup_choices) <= self.max_choices


class ScopedAdmin(ScopedChoicesMixin, admin.ModelAdmin):
    """A ModelAdmin whose every page starts from `model.objects.visible_to(request.user)`.

    - get_queryset: the changelist, the change/delete/history pages (Django fetches the object through it, so an
      out-of-scope id answers like a missing one), actions and the autocomplete endpoint all start from it;
    - form choices of related models are their visible_to(user);
    - has_view/change/delete_permission(obj) also require the object to be in scope;
    - list filters on relations list only the related rows the visible rows use.
    """

    # True on the admins of tables with millions of rows (households, visits): their relation filters list the
    # related rows the user may see, instead of reading the whole table for the ones it uses.
    list_filter_in_scope = False

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = self.model._default_manager.visible_to(request.user)
        ordering = self.get_ordering(request)
        return queryset.order_by(*ordering) if ordering else queryset

    def is_in_scope(self, request: HttpRequest, obj: models.Model | None) -> bool:
        """Whether `obj` is one of the rows this admin shows the user; remembered for the rest of the request."""
        if obj is None or obj.pk is None:
            return True
        answers = request.__dict__.setdefault("_admin_scope_answers", {})
        key = (type(self), obj.pk)
        if key not in answers:
            answers[key] = self.get_queryset(request).filter(pk=obj.pk).exists()
        return answers[key]

    def has_view_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return super().has_view_permission(request, obj) and self.is_in_scope(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return super().has_change_permission(request, obj) and self.is_in_scope(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return super().has_delete_permission(request, obj) and self.is_in_scope(request, obj)

    def get_list_filter(self, request: HttpRequest) -> list[Any]:
        return [self._scoped_list_filter(item) for item in super().get_list_filter(request)]

    def _scoped_list_filter(self, item: Any) -> Any:
        # Django's default filter on a relation lists every row of the related table: every community's name.
        # RelatedOnlyFieldListFilter lists only the related rows used by get_queryset(request), i.e. in scope;
        # the admins of the largest tables list the related rows in the user's scope instead (list_filter_in_scope).
        if isinstance(item, str) and get_fields_from_path(self.model, item)[-1].is_relation:
            return (
                item,
                InScopeRelatedFieldListFilter if self.list_filter_in_scope else admin.RelatedOnlyFieldListFilter,
            )
        return item

    def check(self, **kwargs: Any) -> list[checks.CheckMessage]:
        errors = super().check(**kwargs)
        if not hasattr(self.model._default_manager, "visible_to"):
            errors.append(
                checks.Error(
                    f"{self.model._meta.label} has no visible_to(user) on its default manager.",
                    hint="Give the model's QuerySet a visible_to(user) method, or do not use ScopedAdmin.",
                    obj=type(self),
                    id="wenxin.E001",
                )
            )
        return errors


class ScopedTabularInline(ScopedChoicesMixin, admin.TabularInline):
    """An inline whose rows and choices are scoped like ScopedAdmin; the parent object is already in scope."""

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = self.model._default_manager.visible_to(request.user)
        ordering = self.get_ordering(request)
        if ordering:
            queryset = queryset.order_by(*ordering)
        if not self.has_view_or_change_permission(request):
            queryset = queryset.none()
        return queryset


class ReadOnlyAdminMixin:
    """Rows written elsewhere (by services, imports or migrate): listed and viewed, never added, changed or deleted."""

    def has_add_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False
