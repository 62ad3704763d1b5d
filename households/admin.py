"""Admin pages of the place hierarchy and the household registry, every one scoped by visible_to(user).

Households and residents are written through households.services, so each change leaves its audit record.
Households are archived (标记为已迁出), never deleted, and residents are never deleted here either: their
visits and plans must stay readable. ID numbers are shown masked; disabilities only to those who may see them.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import Prefetch, QuerySet
from django.db.models.constants import LOOKUP_SEP
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from households.forms import ServiceErrorsMixin
from households.models import (
    AssistanceMeasure,
    AssistancePair,
    AssistancePlan,
    Community,
    Enterprise,
    Estate,
    GridArea,
    Household,
    HouseholdCategory,
    HouseholdImport,
    Initiative,
    OwnersCommittee,
    PairedVillage,
    PlanSection,
    PlanVersion,
    PropertyCompany,
    Resident,
    Street,
    Subsidy,
)
from households.selectors import household_search, plan_queryset
from households.services import (
    household_archive,
    household_conflict,
    household_create,
    household_update,
    plan_set_review,
    resident_create,
    resident_update,
    subsidy_record,
)
from wenxin.admin_base import ReadOnlyAdminMixin, ScopedAdmin, ScopedTabularInline
from wenxin.concurrency import EditConflict
from wenxin.paginators import EstimatedCountPaginator
from wenxin.roles import Role
from wenxin.text import join_list
from wenxin.validators import normalize_id_number, validate_id_number

HOUSEHOLD_FIELDS = ("estate", "grid_area", "building", "unit", "room", "phone", "note")
RESIDENT_FIELDS = (
    "name",
    "relation",
    "id_number",
    "gender",
    "birth_date",
    "phone",
    "disability",
    "disability_grade",
    "note",
)
DISABILITY_FIELDS = ("disability", "disability_grade")
# Shown, and filtered on, only for those who may see sensitive data: disabilities, and the birth date, which is the
# very part a masked ID number hides (with it, 330106********1234 is the whole number).
PRIVATE_FIELDS = (*DISABILITY_FIELDS, "birth_date")


def _adopt(obj: models.Model, saved: models.Model) -> None:
    """Make the admin's in-memory object the row a service saved, for the log entry and redirect that follow."""
    for field in saved._meta.concrete_fields:
        setattr(obj, field.attname, getattr(saved, field.attname))
    obj._state.adding = False
    obj._state.db = saved._state.db


# --- The place hierarchy and the registry entries beside it ---------------------------------------------------


@admin.register(Street)
class StreetAdmin(ScopedAdmin):
    list_display = ("name", "district", "city")
    search_fields = ("name", "district")


@admin.register(Community)
class CommunityAdmin(ScopedAdmin):
    list_display = ("name", "kind", "street", "address", "phone")
    list_select_related = ("street",)
    list_filter = ("kind", "street")
    search_fields = ("name", "address")


@admin.register(PropertyCompany)
class PropertyCompanyAdmin(ScopedAdmin):
    list_display = ("name", "street", "contact_name", "phone")
    list_select_related = ("street",)
    list_filter = ("street",)
    search_fields = ("name", "contact_name", "phone")


class OwnersCommitteeInline(ScopedTabularInline):
    model = OwnersCommittee
    fields = ("name", "chair_name", "phone", "term_ends_on")
    extra = 0


@admin.register(Estate)
class EstateAdmin(ScopedAdmin):
    list_display = ("name", "community", "street", "property_company", "address")
    list_select_related = ("community__street", "property_company")
    list_filter = ("community", "property_company")
    search_fields = ("name", "address", "community__name")
    autocomplete_fields = ("property_company",)
    inlines = [OwnersCommitteeInline]

    @admin.display(description=_("街道"), ordering="community__street__name")
    def street(self, obj: Estate) -> Street:
        return obj.community.street


@admin.register(OwnersCommittee)
class OwnersCommitteeAdmin(ScopedAdmin):
    list_display = ("name", "estate", "community", "chair_name", "phone", "term_ends_on")
    list_select_related = ("estate__community",)
    list_filter = ("estate__community",)
    search_fields = ("name", "chair_name", "estate__name")
    autocomplete_fields = ("estate",)

    @admin.display(description=_("村社"), ordering="estate__community__name")
    def community(self, obj: OwnersCommittee) -> Community:
        return obj.estate.community


class GridAreaAdminForm(forms.ModelForm):
    """The responsible workers of a grid area are social workers of its own community."""

    class Meta:
        model = GridArea
        fields = ("community", "name", "workers")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        workers = self.fields.get("workers")
        if workers is not None and self.instance.community_id:
            workers.queryset = workers.queryset.filter(community_id=self.instance.community_id)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        community = cleaned.get("community")
        strangers = [w for w in cleaned.get("workers") or () if community and w.community_id != community.pk]
        if strangers:
            self.add_error(
                "workers",
                _("责任社工必须是本村社的社工：%(names)s") % {"names": join_list(str(w) for w in strangers)},
            )
        return cleaned


@admin.register(GridArea)
class GridAreaAdmin(ScopedAdmin):
    form = GridAreaAdminForm
    list_display = ("name", "community", "worker_names")
    list_select_related = ("community",)
    list_filter = ("community",)
    search_fields = ("name", "community__name")
    filter_horizontal = ("workers",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[GridArea]:
        return super().get_queryset(request).prefetch_related("workers")

    def get_field_queryset(self, db: str | None, db_field: models.Field, request: HttpRequest) -> QuerySet | None:
        queryset = super().get_field_queryset(db, db_field, request)
        if db_field.name == "workers" and queryset is not None:
            queryset = queryset.filter(role=Role.SOCIAL_WORKER)
        return queryset

    @admin.display(description=_("责任社工"))
    def worker_names(self, obj: GridArea) -> str:
        return join_list(str(worker) for worker in obj.workers.all())


@admin.register(Enterprise)
class EnterpriseAdmin(ScopedAdmin):
    list_display = ("name", "street", "community", "industry", "contact_name", "phone", "is_active")
    list_select_related = ("street", "community")
    list_filter = ("is_active", "street", "community")
    search_fields = ("name", "credit_code", "industry", "contact_name", "address")


@admin.register(PairedVillage)
class PairedVillageAdmin(ScopedAdmin):
    list_display = ("name", "location", "street", "contact_name", "phone")
    list_select_related = ("street",)
    list_filter = ("street",)
    search_fields = ("name", "location", "contact_name")


@admin.register(HouseholdCategory)
class HouseholdCategoryAdmin(ScopedAdmin):
    list_display = ("name", "is_key", "sort_order", "description")
    list_filter = ("is_key",)
    search_fields = ("name", "description")


# --- Residents: ID numbers masked, disabilities only for those allowed sensitive data ---------------------------


class ResidentAdminForm(forms.ModelForm):
    """A stored ID number is shown masked and kept as it is unless a full number is typed in its place."""

    class Meta:
        model = Resident
        fields = ("household", *RESIDENT_FIELDS)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields.get("id_number")
        if field is not None and self.instance.id_number:
            # The masked value is not a valid number: the check moves to clean_id_number.
            field.validators = [v for v in field.validators if v is not validate_id_number]
            field.help_text = _("号码已部分隐藏；不改动即保留原号码，如需更正请输入完整的18位号码。")
            self.initial["id_number"] = self.instance.masked_id_number

    def clean_id_number(self) -> str:
        value = normalize_id_number(self.cleaned_data.get("id_number", ""))
        if self.instance.id_number and value == self.instance.masked_id_number:
            return self.instance.id_number
        if value:
            validate_id_number(value)
        return value


class ResidentInlineFormSet(BaseInlineFormSet):
    """Checks across the rows of one household, before any of them is written."""

    def clean(self) -> None:
        super().clean()
        rows = [form.cleaned_data for form in self.forms if getattr(form, "cleaned_data", None)]
        if sum(1 for row in rows if row.get("relation") == Resident.Relation.HEAD) > 1:
            raise ValidationError(_("一户只能有一位户主。"))
        repeated = [number for number, n in Counter(row.get("id_number") for row in rows).items() if number and n > 1]
        if repeated:
            raise ValidationError(_("同一身份证号码填写了多次。"))


class ResidentFieldsMixin:
    """The resident fields a user sees: the ID number masked when read-only, disabilities only if allowed."""

    @admin.display(description=_("身份证号码"))
    def id_number_masked(self, obj: Resident | None) -> str:
        return obj.masked_id_number if obj else ""

    def resident_fields(self, request: HttpRequest, fields: tuple[str, ...], *, editable: bool) -> list[str]:
        if not request.user.can_see_sensitive_data:
            fields = tuple(name for name in fields if name not in PRIVATE_FIELDS)
        if not editable:
            fields = tuple("id_number_masked" if name == "id_number" else name for name in fields)
        return list(fields)


class ResidentInline(ResidentFieldsMixin, ScopedTabularInline):
    model = Resident
    form = ResidentAdminForm
    formset = ResidentInlineFormSet
    fields = RESIDENT_FIELDS
    readonly_fields = ("id_number_masked",)
    extra = 0
    can_delete = False

    def get_fields(self, request: HttpRequest, obj: Household | None = None) -> list[str]:
        editable = self.has_change_permission(request, obj) or (obj is None and self.has_add_permission(request, obj))
        return self.resident_fields(request, self.fields, editable=editable)

    def has_delete_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False


@admin.register(Resident)
class ResidentAdmin(ResidentFieldsMixin, ScopedAdmin):
    form = ResidentAdminForm
    fields = ("household", *RESIDENT_FIELDS)
    list_display = ("name", "relation", "id_number_masked", "gender", "birth_date", "household", "community")
    list_select_related = ("household__estate", "household__grid_area__community")
    list_filter = ("relation", "gender", "household__grid_area__community", "household__estate")
    search_fields = ("name", "phone", "household__estate__name")
    autocomplete_fields = ("household",)

    def get_fields(self, request: HttpRequest, obj: Resident | None = None) -> list[str]:
        editable = self.has_change_permission(request, obj) if obj else self.has_add_permission(request)
        return self.resident_fields(request, self.fields, editable=editable)

    def get_readonly_fields(self, request: HttpRequest, obj: Resident | None = None) -> tuple[str, ...]:
        # Moving a resident to another household is not a registry operation the services offer.
        return ("id_number_masked", "household") if obj else ("id_number_masked",)

    def get_search_fields(self, request: HttpRequest) -> tuple[str, ...]:
        if request.user.can_see_sensitive_data:
            return (*self.search_fields, "=id_number")
        return self.search_fields

    def get_list_display(self, request: HttpRequest) -> tuple[str, ...]:
        shown = super().get_list_display(request)
        if request.user.can_see_sensitive_data:
            return shown
        return tuple(name for name in shown if name not in PRIVATE_FIELDS)

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest) -> bool:
        # A filter typed in the address bar (?id_number__startswith=3301061940) would find a full ID number out digit
        # by digit, unrecorded; the search box matches whole numbers only, and only for those who may see them.
        field = lookup.split(LOOKUP_SEP)[0]
        if field == "id_number" or (field in PRIVATE_FIELDS and not request.user.can_see_sensitive_data):
            return False
        return super().lookup_allowed(lookup, value, request)

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def has_delete_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False

    @admin.display(description=_("村社"), ordering="household__grid_area__community__name")
    def community(self, obj: Resident) -> Community:
        return obj.household.grid_area.community

    def save_model(self, request: HttpRequest, obj: Resident, form: forms.ModelForm, change: bool) -> None:
        data = {name: form.cleaned_data[name] for name in RESIDENT_FIELDS if name in form.cleaned_data}
        if change:
            resident = Resident.objects.visible_to(request.user).filter(pk=obj.pk).first()
            if resident is None:
                raise PermissionDenied
            saved = resident_update(actor=request.user, resident=resident, data=data)
        else:
            saved = resident_create(actor=request.user, household=form.cleaned_data["household"], **data)
        _adopt(obj, saved)


# --- Households: written through the services, archived by an action, never deleted ----------------------------


class MoveOutActionForm(ActionForm):
    """The action bar of the household list, with the date and reason the move-out action records."""

    moved_out_on = forms.DateField(
        label=_("迁出日期（不填为今天）"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    moved_out_reason = forms.CharField(label=_("迁出原因"), required=False, max_length=200)


class HouseholdAdminForm(ServiceErrorsMixin, forms.ModelForm):
    """The admin's household form carries the version it was opened at, like the product's edit page: a save over
    a colleague's newer one is refused with who changed what, and the form keeps what was typed."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.add_version_field(self.instance.version)

    def _post_clean(self) -> None:
        super()._post_clean()
        if not self.instance.pk or self.expected_version is None or self.errors:
            return
        stored = Household.objects.get(pk=self.instance.pk)
        if stored.version != self.expected_version:
            data = {name: self.cleaned_data[name] for name in HOUSEHOLD_FIELDS if name in self.cleaned_data}
            self.add_service_error(
                household_conflict(
                    stored, expected=self.expected_version, data=data, categories=self.cleaned_data.get("categories")
                )
            )


@admin.register(Household)
class HouseholdAdmin(ScopedAdmin):
    form = HouseholdAdminForm
    fieldsets = (
        (_("地址"), {"fields": ("estate", "grid_area", ("building", "unit", "room"))}),
        (_("户信息"), {"fields": ("phone", "categories", "note")}),
        (_("状态"), {"fields": ("status", "moved_out_on", "moved_out_reason", "created_at", "updated_at")}),
    )
    readonly_fields = ("status", "moved_out_on", "moved_out_reason", "created_at", "updated_at")
    list_display = ("address", "community", "grid_area", "head_name", "head_id_number", "category_names", "status")
    list_select_related = ("estate", "grid_area__community")
    list_filter = ("status", "grid_area__community", "estate", "grid_area", "categories")
    search_fields = ("estate__name", "building", "room", "phone", "residents__name")
    autocomplete_fields = ("estate", "grid_area")
    filter_horizontal = ("categories",)
    inlines = [ResidentInline]
    actions = ["mark_moved_out"]
    action_form = MoveOutActionForm
    # A city holds millions of households: the list is counted up to a limit, then estimated, and its filters
    # come from the small tables (docs/performance.md).
    paginator = EstimatedCountPaginator
    show_full_result_count = False
    list_filter_in_scope = True

    def get_queryset(self, request: HttpRequest) -> QuerySet[Household]:
        # The estate names the household (its __str__), also in autocomplete answers; heads and categories
        # are the list's columns, fetched in one query each.
        # order_by(): one head per household, and Resident's default ordering would join households and estates.
        heads = Resident.objects.filter(relation=Resident.Relation.HEAD).order_by()
        return (
            super()
            .get_queryset(request)
            .select_related("estate", "grid_area__community")
            .prefetch_related(Prefetch("residents", queryset=heads, to_attr="heads"), "categories")
        )

    def get_ordering(self, request: HttpRequest) -> list[str]:
        # Everyone's list is in address order, sorting their street or community; a system administrator's spans
        # every street, where sorting 2,000,000 households took 0.9 s a page: newest first (the primary key's
        # order, read from its index) instead (docs/performance.md).
        if request.user.sees_everything:
            return ["-pk"]
        return super().get_ordering(request)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Household], search_term: str
    ) -> tuple[QuerySet[Household], bool]:
        # The registry's own search (names, phones, addresses, ID number endings), which reads the residents
        # through their trigram indexes instead of joining them (6.5 s for a city-wide search before), and never
        # repeats a household. The autocomplete of other pages' household fields uses it too.
        return household_search(queryset, search_term), False

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def has_delete_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False

    @admin.display(description=_("地址"), ordering="estate__name")
    def address(self, obj: Household) -> str:
        return obj.address

    @admin.display(description=_("村社"), ordering="grid_area__community__name")
    def community(self, obj: Household) -> Community:
        return obj.grid_area.community

    def _head(self, obj: Household) -> Resident | None:
        heads = getattr(obj, "heads", None)
        if heads is None:
            heads = list(obj.residents.filter(relation=Resident.Relation.HEAD))
        return heads[0] if heads else None

    @admin.display(description=_("户主"))
    def head_name(self, obj: Household) -> str:
        head = self._head(obj)
        return head.name if head else ""

    @admin.display(description=_("户主身份证号码"))
    def head_id_number(self, obj: Household) -> str:
        head = self._head(obj)
        return head.masked_id_number if head else ""

    @admin.display(description=_("户类别"))
    def category_names(self, obj: Household) -> str:
        return join_list(category.name for category in obj.categories.all())

    @admin.action(description=_("标记为已迁出"), permissions=["change"])
    def mark_moved_out(self, request: HttpRequest, queryset: QuerySet[Household]) -> None:
        form = self.action_form(request.POST)
        form.fields["action"].choices = self.get_action_choices(request)
        form.is_valid()
        moved_out_on = form.cleaned_data.get("moved_out_on") or timezone.localdate()
        if moved_out_on > timezone.localdate():
            self.message_user(request, _("迁出日期不能晚于今天。"), messages.ERROR)
            return
        reason = form.cleaned_data.get("moved_out_reason", "")
        archived = skipped = 0
        for household in queryset:
            try:
                household_archive(actor=request.user, household=household, moved_out_on=moved_out_on, reason=reason)
            except (PermissionDenied, ValidationError):
                skipped += 1
            else:
                archived += 1
        if archived:
            message = ngettext("已将 %(count)d 户标记为已迁出。", "已将 %(count)d 户标记为已迁出。", archived)
            self.message_user(request, message % {"count": archived}, messages.SUCCESS)
        if skipped:
            message = ngettext(
                "%(count)d 户未处理：已迁出或无权修改。", "%(count)d 户未处理：已迁出或无权修改。", skipped
            )
            self.message_user(request, message % {"count": skipped}, messages.WARNING)

    def save_model(self, request: HttpRequest, obj: Household, form: forms.ModelForm, change: bool) -> None:
        data = {name: form.cleaned_data[name] for name in HOUSEHOLD_FIELDS if name in form.cleaned_data}
        categories = form.cleaned_data.get("categories")
        if change:
            household = Household.objects.editable_by(request.user).filter(pk=obj.pk).first()
            if household is None:
                raise PermissionDenied
            saved = household_update(
                actor=request.user,
                household=household,
                data=data,
                categories=categories,
                expected_version=form.expected_version,
            )
        else:
            saved = household_create(actor=request.user, categories=categories or (), **data)
        _adopt(obj, saved)

    def changeform_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # The form refuses a page opened before a colleague's save; a save landing between that check and this
        # one's (the service checks again under the row lock) is refused here, its transaction rolled back.
        try:
            return super().changeform_view(request, *args, **kwargs)
        except EditConflict as conflict:
            self.message_user(request, " ".join(conflict.messages), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def save_related(self, request: HttpRequest, form: forms.ModelForm, formsets: list, change: bool) -> None:
        # The categories were written (and audited) by the service in save_model: no form.save_m2m() here.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def save_formset(self, request: HttpRequest, form: forms.ModelForm, formset: Any, change: bool) -> None:
        """Residents of the inline go through resident_create/resident_update, one audit record each."""
        household = form.instance
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for resident_form in formset.forms:
            if not resident_form.has_changed():
                continue
            data = {
                name: resident_form.cleaned_data[name] for name in RESIDENT_FIELDS if name in resident_form.cleaned_data
            }
            if resident_form.instance.pk is None:
                formset.new_objects.append(resident_create(actor=request.user, household=household, **data))
                continue
            resident = Resident.objects.visible_to(request.user).filter(pk=resident_form.instance.pk).first()
            if resident is None:
                raise PermissionDenied
            saved = resident_update(actor=request.user, resident=resident, data=data)
            formset.changed_objects.append((saved, resident_form.changed_data))


@admin.register(HouseholdImport)
class HouseholdImportAdmin(ReadOnlyAdminMixin, ScopedAdmin):
    """Registry spreadsheets are checked and imported on the import page; here they are only looked up."""

    list_display = ("file_name", "created_by", "created_at", "status", "row_count", "households_created", "imported_at")
    list_select_related = ("created_by",)
    list_filter = ("status",)
    search_fields = ("file_name",)
    date_hierarchy = "created_at"
    fields = (
        "file_name",
        "created_by",
        "created_at",
        "status",
        "row_count",
        "households_created",
        "residents_created",
        "imported_at",
        "errors",
    )
    readonly_fields = fields


# --- One household, one plan; pairing; subsidies; initiatives ---------------------------------------------------
# The most private records (see households.models): rows come from visible_to(user), which shows a plan, a pair or a
# subsidy only to the household's own area, its community leaders, Social Affairs and street leaders. They are
# written on the plan and subsidy pages, through households.services, which keep each plan's versions and the
# audit log; here they are read, and nothing is ever deleted: a plan's history and the money paid must stay.


class _ReadOnlyInline(admin.TabularInline):
    """Rows of a plan, shown on its page; visible whenever the plan is (the plan's own page is already scoped)."""

    extra = 0
    can_delete = False
    show_change_link = False

    def get_readonly_fields(self, request: HttpRequest, obj: models.Model | None = None) -> list[str]:
        return list(self.fields)

    def has_view_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return request.user.has_perm("households.view_assistanceplan")

    def has_add_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False


class PlanSectionInline(_ReadOnlyInline):
    model = PlanSection
    fields = ("must", "text", "recorded_by", "recorded_at")

    def get_queryset(self, request: HttpRequest) -> QuerySet[PlanSection]:
        return super().get_queryset(request).select_related("recorded_by")


class AssistanceMeasureInline(_ReadOnlyInline):
    model = AssistanceMeasure
    fields = ("description", "responsible", "due_on", "status", "done_on")

    def get_queryset(self, request: HttpRequest) -> QuerySet[AssistanceMeasure]:
        return super().get_queryset(request).select_related("responsible")


class PlanVersionInline(_ReadOnlyInline):
    model = PlanVersion
    fields = ("number", "change", "saved_by", "saved_at")

    def get_queryset(self, request: HttpRequest) -> QuerySet[PlanVersion]:
        return super().get_queryset(request).select_related("saved_by")


class PlanCompleteFilter(admin.SimpleListFilter):
    """Complete (all five musts recorded) or not, by plan_queryset's own rule."""

    title = _("五个要")
    parameter_name = "complete"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("yes", _("完整")), ("no", _("不完整"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() in ("yes", "no"):
            return queryset.filter(is_complete=self.value() == "yes")
        return queryset


class PlanReviewFilter(admin.SimpleListFilter):
    title = _("复核")
    parameter_name = "review"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("overdue", _("逾期未复核")), ("due", _("未到复核日期"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        today = timezone.localdate()
        if self.value() == "overdue":
            return queryset.filter(review_on__lt=today)
        if self.value() == "due":
            return queryset.filter(review_on__gte=today)
        return queryset


class _HouseholdColumnsMixin:
    @admin.display(description=_("户"), ordering="household__estate__name")
    def address(self, obj: models.Model) -> str:
        return obj.household.address

    @admin.display(description=_("村社"), ordering="household__grid_area__community__name")
    def community(self, obj: models.Model) -> Community:
        return obj.household.grid_area.community

    @admin.display(description=_("网格"), ordering="household__grid_area__name")
    def grid_area(self, obj: models.Model) -> GridArea:
        return obj.household.grid_area


_HOUSEHOLD_SEARCH = ("household__estate__name", "household__building", "household__room", "household__residents__name")


@admin.register(AssistancePlan)
class AssistancePlanAdmin(_HouseholdColumnsMixin, ScopedAdmin):
    """Plans are kept on the plan pages (households.plan_views), where each change becomes a version. Here they are
    read; those who keep the registry may move the review date, through plan_set_review (a new version, audited).
    """

    list_display = ("address", "community", "grid_area", "musts", "is_complete_flag", "review_on", "version")
    list_select_related = ("household__estate", "household__grid_area__community")
    list_filter = (PlanCompleteFilter, PlanReviewFilter, "household__grid_area__community", "household__grid_area")
    search_fields = _HOUSEHOLD_SEARCH
    date_hierarchy = "review_on"
    fields = ("address", "community", "grid_area", "review_on", "version", "created_at", "updated_at")
    readonly_fields = ("address", "community", "grid_area", "version", "created_at", "updated_at")
    inlines = [PlanSectionInline, AssistanceMeasureInline, PlanVersionInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # plans are opened on the household's page (plan_create), for key households only

    def has_change_permission(self, request: HttpRequest, obj: AssistancePlan | None = None) -> bool:
        if not super().has_change_permission(request, obj):
            return False
        return obj is None or AssistancePlan.objects.editable_by(request.user).filter(pk=obj.pk).exists()

    def has_delete_permission(self, request: HttpRequest, obj: AssistancePlan | None = None) -> bool:
        return False

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def save_model(self, request: HttpRequest, obj: AssistancePlan, form: forms.ModelForm, change: bool) -> None:
        plan = AssistancePlan.objects.editable_by(request.user).filter(pk=obj.pk).first()
        if plan is None:
            raise PermissionDenied
        _adopt(obj, plan_set_review(actor=request.user, plan=plan, review_on=form.cleaned_data["review_on"]))

    def save_related(self, request: HttpRequest, form: forms.ModelForm, formsets: list, change: bool) -> None:
        for formset in formsets:  # the inlines are read-only: nothing of theirs is saved
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []

    # Explicit: plan_queryset groups by plan for its counts, and a grouped query drops the model's default ordering,
    # which the autocomplete's pages need to be repeatable.
    ordering = ("review_on", "pk")

    def get_queryset(self, request: HttpRequest) -> QuerySet[AssistancePlan]:
        # plan_queryset is visible_to(viewer) with the five-musts count and the completeness flag.
        queryset = plan_queryset(viewer=request.user)
        ordering = self.get_ordering(request)
        return queryset.order_by(*ordering) if ordering else queryset

    @admin.display(description=_("已记录"), ordering="musts_recorded")
    def musts(self, obj: AssistancePlan) -> str:
        return f"{obj.musts_recorded}/5"

    @admin.display(description=_("完整"), boolean=True, ordering="is_complete")
    def is_complete_flag(self, obj: AssistancePlan) -> bool:
        return obj.is_complete


@admin.register(AssistancePair)
class AssistancePairAdmin(_HouseholdColumnsMixin, ReadOnlyAdminMixin, ScopedAdmin):
    list_display = ("address", "community", "grid_area", "staff", "starts_on", "ends_on")
    list_select_related = ("household__estate", "household__grid_area__community", "staff")
    list_filter = ("household__grid_area__community", "household__grid_area", "starts_on", "ends_on")
    search_fields = (*_HOUSEHOLD_SEARCH, "staff__full_name", "staff__username")
    date_hierarchy = "starts_on"
    fields = ("household", "staff", "starts_on", "ends_on")


@admin.register(Subsidy)
class SubsidyAdmin(_HouseholdColumnsMixin, ScopedAdmin):
    """A payment is recorded once, through subsidy_record (amount checked to the fen, audited), by those who record
    subsidies; it is never changed or deleted afterwards: the money was paid."""

    list_display = ("address", "community", "kind", "amount", "paid_on", "source", "approved_by", "recorded_by")
    list_select_related = ("household__estate", "household__grid_area__community", "recorded_by")
    list_filter = ("kind", "source", "household__grid_area__community", "paid_on")
    search_fields = (*_HOUSEHOLD_SEARCH, "approved_by", "note")
    date_hierarchy = "paid_on"
    fields = ("household", "kind", "amount", "paid_on", "source", "approved_by", "note", "recorded_by", "created_at")
    add_fields = ("household", "kind", "amount", "paid_on", "source", "approved_by", "note")
    autocomplete_fields = ("household",)

    def get_fields(self, request: HttpRequest, obj: Subsidy | None = None) -> tuple[str, ...]:
        return self.fields if obj else self.add_fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and request.user.can_record_subsidies

    def has_change_permission(self, request: HttpRequest, obj: Subsidy | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Subsidy | None = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Subsidy, form: forms.ModelForm, change: bool) -> None:
        if change:
            raise PermissionDenied
        data = {name: form.cleaned_data[name] for name in self.add_fields}
        _adopt(obj, subsidy_record(actor=request.user, **data))


@admin.register(Initiative)
class InitiativeAdmin(ReadOnlyAdminMixin, ScopedAdmin):
    """A social worker keeps her own initiative on her pages (initiative_save); leaders read them here."""

    list_display = ("title", "owner", "owner_community", "status", "started_on", "updated_at")
    list_select_related = ("owner__community",)
    list_filter = ("status", "owner__community")
    search_fields = ("title", "description", "owner__full_name", "owner__username")
    fields = ("title", "owner", "status", "started_on", "description", "updated_at")

    @admin.display(description=_("村社"), ordering="owner__community__name")
    def owner_community(self, obj: Initiative) -> Community | None:
        return obj.owner.community
