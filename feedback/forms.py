"""Forms of the opinion pages and topic meetings.

Every choice is filled from visible_to(user) or a selector that takes the user; feedback.services checks the
scope again. A form only reads and tidies what was typed: the rules of the workflow live in the services, whose
ValidationError is shown beside the field it is about (ServiceErrorsMixin).
"""

from __future__ import annotations

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from feedback import selectors
from feedback.models import OPINION_TEXT_MAX, Meeting, Opinion, OpinionCategory
from feedback.selectors import OpinionFilters
from feedback.services import SOURCE_LINK
from households.forms import ServiceErrorsMixin
from households.models import Community, Enterprise, Estate, PairedVillage
from visits.forms import PlaceChoiceField
from wenxin.form_fields import ModelMultipleChoiceField
from wenxin.models import Department, User
from wenxin.validators import validate_phone, validate_work_date

# How many parts one opinion may be split into on one screen.
SPLIT_ROWS = 5
# Meetings offered in the select of the opinion form; older ones are reached from the meeting's own page.
RECENT_MEETING_DAYS = 400

CHOICE_ERRORS = {"invalid_choice": _("所选项不存在，或不在您的管辖范围内。")}
NOTE_MAX = 500
TEXT_ERRORS = {
    "required": _("请填写意见建议的内容。"),
    "max_length": _("意见建议不能超过 %(limit_value)d 个字（现有 %(show_value)d 个字）。"),
}
TOO_LONG = _("不能超过 %(limit_value)d 个字（现有 %(show_value)d 个字）。")

# The sources a member of staff records; online opinions arrive through the public page only.
STAFF_SOURCES = [s for s in Opinion.Source if s != Opinion.Source.ONLINE]


def _date_input() -> forms.DateInput:
    return forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


def _textarea(rows: int = 3, placeholder: str = "") -> forms.Textarea:
    attrs: dict[str, object] = {"rows": rows}
    if placeholder:
        attrs["placeholder"] = placeholder
    return forms.Textarea(attrs=attrs)


def _note_field(label: str = "", placeholder: str = "") -> forms.CharField:
    return forms.CharField(
        label=label or _("说明"),
        required=False,
        max_length=NOTE_MAX,
        widget=_textarea(2, placeholder),
        error_messages={"max_length": TOO_LONG},
    )


def _from_model(name: str, **kwargs) -> forms.Field:
    """The form field with the model's label and length, so they are written once."""
    kwargs.setdefault("error_messages", {"max_length": TOO_LONG})
    return Opinion._meta.get_field(name).formfield(**kwargs)


class CategoryChoiceField(forms.ModelChoiceField):
    """A category, the enterprises' ones marked as such (两类分类同名时不混淆)."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("empty_label", _("请选择分类"))
        kwargs.setdefault(
            "error_messages", {"required": _("请选择分类。"), "invalid_choice": _("所选分类不存在或已停用。")}
        )
        super().__init__(*args, **kwargs)

    def label_from_instance(self, obj: OpinionCategory) -> str:
        if obj.group == OpinionCategory.Group.ENTERPRISE:
            return _("%(name)s（企业诉求）") % {"name": obj.name}
        return obj.name


class PersonChoiceField(forms.ModelChoiceField):
    """A colleague named with her role and where she works, so two people of the same name are told apart."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("empty_label", _("请选择"))
        kwargs.setdefault("error_messages", CHOICE_ERRORS)
        super().__init__(*args, **kwargs)

    def label_from_instance(self, obj: User) -> str:
        place = obj.community or obj.department
        role = obj.get_role_display()
        if place:
            return _("%(name)s（%(role)s · %(place)s）") % {"name": obj.get_full_name(), "role": role, "place": place}
        return _("%(name)s（%(role)s）") % {"name": obj.get_full_name(), "role": role}


class MeetingChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Meeting) -> str:
        unit = obj.community.name if obj.community_id else obj.host_unit
        return _("%(date)s %(kind)s（%(unit)s）") % {
            "date": f"{obj.held_on:%Y-%m-%d}",
            "kind": obj.kind.name,
            "unit": unit,
        }


def _active_categories(user: User):
    return OpinionCategory.objects.visible_to(user).filter(is_active=True)


# --- The list's filters ---------------------------------------------------------------------------------------


class OpinionFilterForm(forms.Form):
    """The search box and filters of the opinion list; the export reads the same form."""

    q = forms.CharField(
        label=_("搜索"),
        required=False,
        max_length=50,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("意见内容、位置、小区或编号")}),
    )
    status = forms.ChoiceField(label=_("状态"), required=False, choices=[("", _("全部")), *Opinion.Status.choices])
    category = forms.ModelChoiceField(
        label=_("分类"), queryset=OpinionCategory.objects.none(), required=False, empty_label=_("全部")
    )
    source = forms.ChoiceField(label=_("来源"), required=False, choices=[("", _("全部")), *Opinion.Source.choices])
    community = forms.ModelChoiceField(
        label=_("村社"), queryset=Community.objects.none(), required=False, empty_label=_("全部")
    )
    overdue = forms.BooleanField(label=_("只看超期"), required=False)

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = OpinionCategory.objects.visible_to(user)
        self.fields["community"].queryset = Community.objects.visible_to(user)

    def filters(self) -> OpinionFilters:
        """The filters typed; an invalid value (another community's id, a made-up status) is dropped."""
        data = (
            self.cleaned_data
            if self.is_valid()
            else {name: value for name, value in getattr(self, "cleaned_data", {}).items() if name not in self.errors}
        )
        community = data.get("community")
        return OpinionFilters(
            status=data.get("status") or "",
            category=data.get("category"),
            source=data.get("source") or "",
            community_id=community.pk if community else None,
            overdue=bool(data.get("overdue")),
            q=data.get("q") or "",
        )


# --- Recording an opinion -------------------------------------------------------------------------------------


class OpinionForm(ServiceErrorsMixin, forms.Form):
    """An opinion heard on a visit, at a meeting, from an enterprise or a paired village.

    Opened from a visit or a meeting (?visit= / ?meeting=), the source and its link are fixed by the page and
    these fields are left out. Otherwise all link selects are there; only the one the chosen source needs is
    used (see clean()), so a stale choice in a field the page hides never blocks the save.
    """

    source = forms.ChoiceField(label=_("意见来源"))
    meeting = MeetingChoiceField(
        label=_("来自会议"), queryset=Meeting.objects.none(), required=False, empty_label=_("请选择")
    )
    enterprise = PlaceChoiceField(label=_("企业"), queryset=Enterprise.objects.none(), required=False)
    paired_village = PlaceChoiceField(label=_("联村结对村"), queryset=PairedVillage.objects.none(), required=False)
    text = _from_model(
        "text",
        widget=_textarea(4, _("居民（企业、结对村）反映的问题或建议，一条写一件事")),
        error_messages=TEXT_ERRORS,
    )
    community = PlaceChoiceField(label=_("村社"), queryset=Community.objects.none(), required=False)
    estate = PlaceChoiceField(label=_("小区"), queryset=Estate.objects.none(), required=False)
    location = _from_model("location", widget=forms.TextInput(attrs={"placeholder": _("如：文新小学对面")}))
    raised_by = _from_model("raised_by")
    contact = _from_model(
        "contact",
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
        validators=[validate_phone],
    )

    LINK_FIELDS = ("meeting", "enterprise", "paired_village")

    def __init__(self, *args, user: User, fixed: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fixed = fixed
        for name in ("enterprise", "paired_village", "community", "estate", "meeting"):
            self.fields[name].error_messages.update(CHOICE_ERRORS)
        if fixed:
            for name in ("source", *self.LINK_FIELDS):
                del self.fields[name]
        else:
            # A visit is recorded from the visit's own page ("记为意见建议"), which fixes the link.
            self.fields["source"].choices = [(s.value, s.label) for s in STAFF_SOURCES if s != Opinion.Source.VISIT]
            self.fields["source"].widget.attrs["data-wx-kind"] = ""
            since = timezone.localdate() - datetime.timedelta(days=RECENT_MEETING_DAYS)
            self.fields["meeting"].queryset = (
                Meeting.objects.visible_to(user).filter(held_on__gte=since).select_related("kind", "community")
            )
            self.fields["enterprise"].queryset = Enterprise.objects.visible_to(user).select_related("community")
            self.fields["paired_village"].queryset = PairedVillage.objects.visible_to(user)
        self.fields["community"].queryset = Community.objects.visible_to(user)
        self.fields["estate"].queryset = Estate.objects.visible_to(user).select_related("community")

    def link_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.LINK_FIELDS if name in self.fields]

    def clean(self) -> dict:
        cleaned = super().clean()
        if self.fixed:
            return cleaned
        wanted = SOURCE_LINK.get(cleaned.get("source"))
        for name in self.LINK_FIELDS:
            if name != wanted:
                cleaned[name] = None
            elif not cleaned.get(name) and name not in self.errors:
                self.add_error(name, _("请选择意见的来处。"))
        return cleaned

    def service_data(self) -> dict:
        """What opinion_create takes from the form (the page adds the fixed source and link)."""
        names = ["text", "community", "estate", "location", "raised_by", "contact"]
        if not self.fixed:
            names += ["source", *self.LINK_FIELDS]
        data = {name: self.cleaned_data[name] for name in names}
        for name in self.LINK_FIELDS:
            if name in data and data[name] is None:
                del data[name]
        return data


# --- The steps of the workflow --------------------------------------------------------------------------------


class SortForm(ServiceErrorsMixin, forms.Form):
    """Put a new opinion in its category (梳理), and route it to the department that will handle it."""

    category = CategoryChoiceField(label=_("分类"), queryset=OpinionCategory.objects.none())
    department = forms.ModelChoiceField(
        label=_("责任科室"),
        queryset=Department.objects.none(),
        required=False,
        empty_label=_("暂不指定"),
        help_text=_("指定后，分管该科室的领导即可看到并交办。"),
    )
    note = _note_field()

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = _active_categories(user)
        self.fields["department"].queryset = Department.objects.visible_to(user)
        self.fields["department"].error_messages.update(CHOICE_ERRORS)


class SplitForm(ServiceErrorsMixin, forms.Form):
    """One opinion that asks several things, split into numbered rows of (text, category); two at least."""

    note = _note_field()

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        categories = _active_categories(user)
        for number in range(1, SPLIT_ROWS + 1):
            self.fields[f"text_{number}"] = forms.CharField(
                label=_("内容"),
                required=False,
                max_length=OPINION_TEXT_MAX,
                widget=_textarea(2),
                error_messages={"max_length": TEXT_ERRORS["max_length"]},
            )
            self.fields[f"category_{number}"] = CategoryChoiceField(
                label=_("分类"), queryset=categories, required=False
            )
        self.order_fields([*(f"{kind}_{n}" for n in range(1, SPLIT_ROWS + 1) for kind in ("text", "category"))])

    def rows(self) -> list[tuple[int, forms.BoundField, forms.BoundField]]:
        return [(n, self[f"text_{n}"], self[f"category_{n}"]) for n in range(1, SPLIT_ROWS + 1)]

    def clean(self) -> dict:
        cleaned = super().clean()
        filled = 0
        for number in range(1, SPLIT_ROWS + 1):
            text_name, category_name = f"text_{number}", f"category_{number}"
            if text_name in self.errors or category_name in self.errors:
                filled += 1
                continue
            text, category = cleaned.get(text_name), cleaned.get(category_name)
            if text and not category:
                self.add_error(category_name, _("请为这一条选择分类。"))
            elif category and not text:
                self.add_error(text_name, _("请填写这一条的内容。"))
            if text or category:
                filled += 1
        if filled < 2:
            raise forms.ValidationError(_("分解至少需要两条内容。"))
        return cleaned

    def parts(self) -> list[tuple[str, OpinionCategory]]:
        return [
            (self.cleaned_data[f"text_{n}"], self.cleaned_data[f"category_{n}"])
            for n in range(1, SPLIT_ROWS + 1)
            if self.cleaned_data.get(f"text_{n}")
        ]


class AssignForm(ServiceErrorsMixin, forms.Form):
    """Assign (交办): a responsible person and a completion date, with the leader, department and community."""

    responsible = PersonChoiceField(
        label=_("责任人"),
        queryset=User.objects.none(),
        error_messages={"required": _("请指定责任人。"), "invalid_choice": _("责任人不在您的管辖范围内。")},
    )
    due_on = forms.DateField(
        label=_("完成期限"),
        widget=_date_input(),
        error_messages={"required": _("请填写完成期限。"), "invalid": _("请填写有效的日期。")},
        validators=[validate_work_date],
    )
    leader_in_charge = PersonChoiceField(label=_("分管领导"), queryset=User.objects.none(), required=False)
    department = forms.ModelChoiceField(
        label=_("责任科室"), queryset=Department.objects.none(), required=False, empty_label=_("请选择")
    )
    community = forms.ModelChoiceField(
        label=_("村社"), queryset=Community.objects.none(), required=False, empty_label=_("请选择")
    )
    note = _note_field(_("交办说明"), _("办理要求、需协调的事项等"))

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["responsible"].queryset = selectors.assignable_users(viewer=user).select_related(
            "community", "department"
        )
        self.fields["leader_in_charge"].queryset = selectors.leaders_in_charge(viewer=user).select_related(
            "community", "department"
        )
        self.fields["department"].queryset = Department.objects.visible_to(user)
        self.fields["community"].queryset = Community.objects.visible_to(user)
        for name in ("department", "community"):
            self.fields[name].error_messages.update(CHOICE_ERRORS)

    @classmethod
    def initial_for(cls, opinion: Opinion, user: User) -> dict:
        """A reassignment starts from the present assignment; a first one names the deputy who assigns it."""
        return {
            "responsible": opinion.responsible_id,
            "due_on": opinion.due_on,
            "leader_in_charge": opinion.leader_in_charge_id or (user.pk if user.is_leader_in_charge else None),
            "department": opinion.department_id,
            "community": opinion.community_id,
        }


class NoteForm(ServiceErrorsMixin, forms.Form):
    """Taking an assigned opinion in hand: a note, if anything needs saying."""

    note = _note_field(placeholder=_("如：已到现场查看，正在联系相关单位"))


class ResolveForm(ServiceErrorsMixin, forms.Form):
    resolution = forms.CharField(
        label=_("办理结果"),
        max_length=OPINION_TEXT_MAX,
        widget=_textarea(4, _("做了什么、什么时候完成、居民是否满意")),
        error_messages={"required": _("请写明办理结果。"), "max_length": TOO_LONG},
    )


class ExplainForm(ServiceErrorsMixin, forms.Form):
    explanation = forms.CharField(
        label=_("向居民所作的解释"),
        max_length=OPINION_TEXT_MAX,
        widget=_textarea(4, _("为什么暂不能办，何时、由谁向居民说明的")),
        error_messages={"required": _("请写明向居民所作的解释。"), "max_length": TOO_LONG},
    )


# --- Topic meetings -------------------------------------------------------------------------------------------


class TopicMeetingForm(ServiceErrorsMixin, forms.Form):
    """A topic meeting (专题会议): what it studied, who chaired, who came, what it decided, and on which opinions."""

    title = forms.CharField(
        label=_("议题"),
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": _("如：香港城晾衣架建设")}),
        error_messages={"required": _("请填写议题。"), "max_length": TOO_LONG},
    )
    held_on = forms.DateField(
        label=_("召开日期"),
        widget=_date_input(),
        error_messages={"required": _("请填写召开日期。"), "invalid": _("请填写有效的日期。")},
        validators=[validate_work_date],
    )
    chaired_by = PersonChoiceField(label=_("主持人"), queryset=User.objects.none())
    attendees = forms.CharField(
        label=_("参会人员"), required=False, max_length=500, error_messages={"max_length": TOO_LONG}
    )
    decisions = forms.CharField(
        label=_("会议决定"),
        required=False,
        max_length=5000,
        widget=_textarea(4, _("研究意见、解决方案、责任分工")),
        error_messages={"max_length": TOO_LONG},
    )
    opinions = ModelMultipleChoiceField(
        label=_("研究的意见建议"),
        queryset=Opinion.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": _("请选择会议研究的意见建议。"),
            "invalid_choice": _("只能选择您可以查看的、尚未办结的意见建议。"),
            "invalid_pk_value": _("“%(pk)s”不是有效的意见编号。"),
            "invalid_list": _("请选择会议研究的意见建议。"),
        },
    )

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["chaired_by"].queryset = selectors.leaders_in_charge(viewer=user).select_related(
            "community", "department"
        )
        self.fields["chaired_by"].error_messages["invalid_choice"] = _("主持人须为本街道的领导。")
        self.fields["opinions"].queryset = Opinion.objects.visible_to(user).open()
        if not self.is_bound:
            self.initial.setdefault("held_on", timezone.localdate())
            if user.is_leader_in_charge or user.is_street_leader:
                self.initial.setdefault("chaired_by", user.pk)

    def checked_ids(self) -> set[str]:
        """The opinions ticked, as the page posted them, so a page shown again keeps them ticked."""
        return {str(value) for value in (self["opinions"].value() or [])}
