"""Forms of the household registry. Every choice field is filled from visible_to(user)."""

from __future__ import annotations

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Fieldset, Layout
from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext_lazy as _

from households.models import Community, Estate, GridArea, Household, HouseholdCategory, Resident
from households.selectors import HouseholdFilters
from wenxin.concurrency import VERSION_FIELD, EditConflict, FieldChange, shown
from wenxin.form_fields import ModelMultipleChoiceField
from wenxin.models import User
from wenxin.validators import normalize_id_number, validate_id_number, validate_phone, validate_recorded_date


class HouseholdFilterForm(forms.Form):
    """The search box and filters of the household list; the export reads the same form."""

    q = forms.CharField(
        label=_("搜索"),
        required=False,
        max_length=50,
        widget=forms.TextInput(attrs={"placeholder": _("姓名、电话、地址或身份证号后几位"), "type": "search"}),
    )
    community = forms.ModelChoiceField(label=_("村社"), queryset=Community.objects.none(), required=False)
    estate = forms.ModelChoiceField(label=_("小区"), queryset=Estate.objects.none(), required=False)
    grid_area = forms.ModelChoiceField(label=_("网格"), queryset=GridArea.objects.none(), required=False)
    category = forms.ModelChoiceField(label=_("户类别"), queryset=HouseholdCategory.objects.none(), required=False)
    key_only = forms.BooleanField(label=_("只看重点户"), required=False)
    include_moved_out = forms.BooleanField(label=_("包括已迁出"), required=False)
    without_head = forms.BooleanField(label=_("未登记户主"), required=False)
    key_without_phone = forms.BooleanField(label=_("重点户缺少联系电话"), required=False)

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = Community.objects.visible_to(user)
        self.fields["estate"].queryset = Estate.objects.visible_to(user).select_related("community")
        self.fields["grid_area"].queryset = GridArea.objects.visible_to(user)
        self.fields["category"].queryset = HouseholdCategory.objects.visible_to(user)

    def filters(self) -> HouseholdFilters:
        """The filters typed; an invalid value (say another area's id) is dropped, never an error page."""
        data = (
            self.cleaned_data
            if self.is_valid()
            else {name: value for name, value in getattr(self, "cleaned_data", {}).items() if name not in self.errors}
        )
        return HouseholdFilters(
            q=data.get("q") or "",
            community=data.get("community"),
            estate=data.get("estate"),
            grid_area=data.get("grid_area"),
            category=data.get("category"),
            key_only=bool(data.get("key_only")),
            include_moved_out=bool(data.get("include_moved_out")),
            without_head=bool(data.get("without_head")),
            key_without_phone=bool(data.get("key_without_phone")),
        )


def _from_model(model: type[models.Model], name: str, **kwargs) -> forms.Field:
    """A form field with the model field's label, length, choices and validators, so they are written once."""
    return model._meta.get_field(name).formfield(**kwargs)


def track_changes_since_rendering(form: forms.Form) -> None:
    """Post each field's value as shown beside the typed one, so changed_data means "changed by this user".

    Without it a field a colleague changed after this form was opened would look changed here, and the stale
    value would overwrite hers.
    """
    for field in form.fields.values():
        field.show_hidden_initial = True


STALE_PAGE = _("页面缺少版本信息，可能是很久以前打开的：请刷新页面后重新填写。")


class VersionField(forms.IntegerField):
    """The hidden version of the record a page edits: never a change of the user's own (see changed_data)."""

    widget = forms.HiddenInput

    def has_changed(self, initial, data) -> bool:
        return False


def _mutable(data) -> MultiValueDict:
    """A copy of the posted data that can be changed, lists kept as lists (a test may post a plain dict)."""
    if isinstance(data, MultiValueDict):
        return data.copy()
    copy = MultiValueDict()
    for key, value in data.items():
        copy.setlist(key, list(value) if isinstance(value, list | tuple) else [value])
    return copy


class ServiceErrorsMixin:
    """Show a service's ValidationError on the form, each message beside the field it is about.

    A form that edits a versioned record (wenxin.concurrency) also carries the version its page was opened at:
    the page calls add_version_field(record.version), and then a posted version is required, kept out of
    cleaned_data and read as `expected_version`. When the service refuses with EditConflict, the form shows who
    changed what and takes the new version; a form that posts the values it showed (track_changes_since_rendering)
    also compares them field by field and re-shows the stored values where this user typed nothing new.
    """

    # A service names the model field ("id_number"); the form may call it differently ("head_id_number").
    service_error_fields: dict[str, str] = {}
    expected_version: int | None = None

    def add_version_field(self, version: int) -> None:
        """Carry the record's version in a hidden field; posted back, it is required (see _post_clean)."""
        self.fields[VERSION_FIELD] = VersionField(required=False, min_value=0)
        self.initial[VERSION_FIELD] = version

    def _post_clean(self) -> None:
        super()._post_clean()
        if VERSION_FIELD not in self.fields:
            return
        self.expected_version = self.cleaned_data.pop(VERSION_FIELD, None)
        if VERSION_FIELD in self._errors or self.expected_version is None:
            # A hidden field's own error would be shown nowhere: the page is outdated, say so at the top.
            self._errors.pop(VERSION_FIELD, None)
            self.add_error(None, STALE_PAGE)

    def add_service_error(self, error: ValidationError) -> None:
        if isinstance(error, EditConflict):
            self.show_edit_conflict(error)
            return
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for name, errors in error.error_dict.items():
            field = self.service_error_fields.get(name, name)
            self.add_error(field if field in self.fields else None, errors)

    def show_edit_conflict(self, conflict: EditConflict) -> None:
        """Say who changed what since the page was opened, keep what she typed, and take the stored version."""
        mine = set(self.changed_data)  # what she changed on the page she opened, before the data is rebased
        self.data = _mutable(self.data)
        self.data[VERSION_FIELD] = str(conflict.current)
        changes = self._rebase(self.conflict_values(conflict.current_values), mine)
        self.add_error(None, conflict.with_changes(changes) if changes is not None else conflict)

    def conflict_values(self, stored: dict) -> dict:
        """The stored values a conflict reports, by this form's field names (a form may name them differently)."""
        return stored

    def _rebase(self, stored: dict, mine: set[str]) -> list[FieldChange] | None:
        """Compare what the page showed with what is stored, field by field, and show the stored values again.

        A field she changed keeps her typed value; one she left alone shows the stored value. The values "shown"
        become the stored ones, so saving again writes exactly her changes onto the newest version.
        None when the form does not post what it showed: the service's comparison stands.
        """
        tracked = [name for name in stored if name in self.fields and self.fields[name].show_hidden_initial]
        if not tracked:
            return None
        changes = []
        for name in tracked:
            field, value = self.fields[name], stored[name]
            seen = field.hidden_widget().value_from_datadict(self.data, self.files, self.add_initial_prefix(name))
            if field.has_changed(value, seen):
                typed = _shown_choice(field, self.cleaned_data.get(name)) if name in mine else None
                changes.append(FieldChange(label=str(field.label), theirs=_shown_choice(field, value), yours=typed))
            if isinstance(value, list | tuple):
                raw = [str(item) for item in value]
            else:
                raw = ["" if value is None else str(value)]
            for key in [self.add_initial_prefix(name)] if name in mine else [self.add_initial_prefix(name), name]:
                self.data.setlist(key, raw)
        return changes


def _shown_choice(field: forms.Field, value) -> str:
    """A value as the user knows it: a choice by its label, a record by its name, a list joined."""
    if isinstance(field, forms.ModelMultipleChoiceField):
        ids = [getattr(item, "pk", item) for item in value or []]
        return shown("、".join(field.label_from_instance(obj) for obj in field.queryset.filter(pk__in=ids)))
    if isinstance(field, forms.ModelChoiceField):
        if value is not None and not isinstance(value, models.Model):
            value = field.queryset.filter(pk=value).first()
        return shown(field.label_from_instance(value) if value is not None else None)
    if isinstance(field, forms.ChoiceField):
        return shown(dict(field.choices).get(value, value))
    return shown(value)


class CategoryChoiceField(ModelMultipleChoiceField):
    """Household categories as checkboxes, the key ones marked so the worker knows a plan is due."""

    def label_from_instance(self, obj: HouseholdCategory) -> str:
        if obj.is_key:
            return _("%(name)s（重点户）") % {"name": obj.name}
        return obj.name


def _tel_input() -> forms.TextInput:
    return forms.TextInput(attrs={"type": "tel", "autocomplete": "off"})


class HouseholdForm(ServiceErrorsMixin, forms.Form):
    """The household's address, phone, categories and note; the same form creates and edits."""

    estate = forms.ModelChoiceField(label=_("小区"), queryset=Estate.objects.none())
    grid_area = forms.ModelChoiceField(label=_("网格"), queryset=GridArea.objects.none())
    building = _from_model(Household, "building", widget=forms.TextInput(attrs={"placeholder": _("如 3")}))
    unit = _from_model(Household, "unit", widget=forms.TextInput(attrs={"placeholder": _("如 1")}))
    room = _from_model(Household, "room", widget=forms.TextInput(attrs={"placeholder": _("如 301")}))
    phone = _from_model(Household, "phone", widget=_tel_input(), validators=[validate_phone])
    categories = CategoryChoiceField(
        label=_("户类别"),
        queryset=HouseholdCategory.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("标为“重点户”的类别需要建立一户一策。"),
    )
    note = _from_model(Household, "note", widget=forms.Textarea(attrs={"rows": 2}))

    household_fields = ("estate", "grid_area", "building", "unit", "room", "phone", "categories", "note")
    # Editing an existing household: save only what this user changed.
    edits_existing = True

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.edits_existing:
            track_changes_since_rendering(self)
        self.fields["estate"].queryset = Estate.objects.visible_to(user).select_related("community")
        grid_areas = GridArea.objects.visible_to(user)
        self.fields["grid_area"].queryset = grid_areas
        self.fields["categories"].queryset = HouseholdCategory.objects.visible_to(user)
        if not self.is_bound and "grid_area" not in self.initial:
            # A social worker usually has one area: choose it for her.
            only = list(grid_areas[:2])
            if len(only) == 1:
                self.initial["grid_area"] = only[0].pk
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.render_hidden_fields = True  # the version an edit page carries (add_version_field)
        self.helper.layout = Layout(*self.layout_parts())

    def layout_parts(self) -> list:
        return [
            Fieldset(
                _("地址"),
                "estate",
                "grid_area",
                Div(
                    Div("building", css_class="col-4"),
                    Div("unit", css_class="col-4"),
                    Div("room", css_class="col-4"),
                    css_class="row g-2",
                ),
            ),
            Fieldset(_("户的信息"), "phone", "categories", "note"),
        ]

    @property
    def categories_hidden_initial(self) -> str:
        # Crispy renders checkboxes one by one and leaves out the hidden initial value; the template adds it.
        return self["categories"].as_hidden(only_initial=True) if self.edits_existing else ""

    def changed_household_data(self) -> tuple[dict, list[HouseholdCategory] | None]:
        """Only what the user changed, so a colleague's concurrent edit of another field is kept."""
        data = {name: self.cleaned_data[name] for name in self.changed_data if name != "categories"}
        categories = list(self.cleaned_data["categories"]) if "categories" in self.changed_data else None
        return data, categories


class HouseholdCreateForm(HouseholdForm):
    """A new household and its head, on one screen; the head's gender and birth date follow from the ID number."""

    head_name = _from_model(Resident, "name", label=_("户主姓名"))
    head_id_number = forms.CharField(
        label=_("户主身份证号码"),
        required=False,
        max_length=24,  # room for the spaces people type; normalised to 18 characters
        validators=[validate_id_number],
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}),
        help_text=_("性别和出生日期按身份证号码自动填写。"),
    )
    head_phone = _from_model(
        Resident, "phone", label=_("户主联系电话"), widget=_tel_input(), validators=[validate_phone]
    )

    service_error_fields = {"name": "head_name", "id_number": "head_id_number", "relation": "head_name"}
    edits_existing = False

    def layout_parts(self) -> list:
        return [*super().layout_parts(), Fieldset(_("户主"), "head_name", "head_id_number", "head_phone")]

    def clean_head_id_number(self) -> str:
        return normalize_id_number(self.cleaned_data["head_id_number"])

    def household_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.household_fields}

    def head_data(self) -> dict:
        return {
            "name": self.cleaned_data["head_name"],
            "id_number": self.cleaned_data["head_id_number"],
            "phone": self.cleaned_data["head_phone"],
        }


class ResidentForm(ServiceErrorsMixin, forms.Form):
    """A resident's details. The ID number and disability appear only for users who may see them.

    When editing, the ID number field starts empty (the masked number is its placeholder): showing the full
    number in the form would reveal it without the audit record that the reveal button writes.
    """

    SENSITIVE_FIELDS = ("id_number", "disability", "disability_grade")

    name = _from_model(Resident, "name")
    relation = forms.ChoiceField(label=_("与户主关系"), choices=[("", "---------"), *Resident.Relation.choices])
    id_number = forms.CharField(
        label=_("身份证号码"),
        required=False,
        max_length=24,
        validators=[validate_id_number],
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}),
        help_text=_("性别和出生日期按身份证号码自动填写。"),
    )
    phone = _from_model(Resident, "phone", widget=_tel_input(), validators=[validate_phone])
    disability = _from_model(Resident, "disability")
    disability_grade = _from_model(Resident, "disability_grade")
    note = _from_model(Resident, "note")

    def __init__(self, *args, user: User, resident: Resident | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not user.can_see_sensitive_data:
            for name in self.SENSITIVE_FIELDS:
                del self.fields[name]
        elif resident is not None and resident.id_number:
            self.fields["id_number"].widget.attrs["placeholder"] = resident.masked_id_number
            self.fields["id_number"].help_text = _("如需更正，请输入完整的新号码；留空表示不修改。")
        if resident is not None:
            track_changes_since_rendering(self)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True

    def clean_id_number(self) -> str:
        return normalize_id_number(self.cleaned_data["id_number"])

    def clean(self) -> dict:
        cleaned = super().clean()
        if cleaned.get("disability_grade") and not cleaned.get("disability"):
            self.add_error("disability", _("填写了残疾等级，请同时选择残疾类别。"))
        return cleaned

    def resident_data(self) -> dict:
        """Every field, for a new resident."""
        return dict(self.cleaned_data)

    def changed_resident_data(self) -> dict:
        """Only the fields the user changed; an empty ID number field means "keep the number"."""
        return {name: self.cleaned_data[name] for name in self.changed_data}


class MoveOutForm(forms.Form):
    """When and why a household moved out."""

    moved_out_on = forms.DateField(
        label=_("迁出日期"),
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
        validators=[validate_recorded_date],
    )
    reason = forms.CharField(
        label=_("迁出原因"),
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": _("如：搬至外区、房屋出售")}),
    )

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("initial", {"moved_out_on": timezone.localdate()})
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True

    def clean_moved_out_on(self):
        moved_out_on = self.cleaned_data["moved_out_on"]
        if moved_out_on > timezone.localdate():
            raise ValidationError(_("迁出日期不能晚于今天。"))
        return moved_out_on
